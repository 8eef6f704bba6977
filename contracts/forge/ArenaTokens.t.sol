// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {TestUSD} from "../solidity/TestUSD.sol";
import {FalseReturningToken, FeeOnTransferToken, NoReturnToken} from "../solidity/test/OddTokens.sol";
import {ForgeTest} from "./Vm.sol";

/// Fuzzed token-fee entries: the exact fee is pulled, a short allowance or balance and ETH sent
/// along are refused with nothing changed, and tokens that deliver less than asked or answer
/// `false` are refused; a token that returns nothing works like any other.
contract ArenaTokensTest is ForgeTest {
    Arena internal arena;
    TestUSD internal tusd;
    address internal constant PLAYER = address(0xB0B);
    uint256 internal constant SUPPLY = 1e30;
    uint128 internal constant BOND = 1 ether;
    uint64 internal constant CHALLENGE_WINDOW = 1 hours;

    function setUp() public {
        address[] memory committee = new address[](1);
        committee[0] = address(0x7E41);
        arena = new Arena(address(this), committee, 1, CHALLENGE_WINDOW, 1 days, BOND, 0.5 ether);
        address[] memory holders = new address[](1);
        holders[0] = PLAYER;
        tusd = new TestUSD(holders, SUPPLY);
        vm.warp(1_000_000);
    }

    function _open(uint64 id, address token, uint128 fee) internal {
        uint16[] memory split = new uint16[](1);
        split[0] = 10_000;
        arena.open(id, bytes32(0), token, fee, uint64(block.timestamp + 100), 50, split, 0);
    }

    function testFuzz_tokenEntryPullsExactlyTheFee(uint128 fee, uint128 extraAllowance) public {
        vm.assume(fee != 0 && uint256(fee) + extraAllowance <= SUPPLY);
        _open(1, address(tusd), fee);
        vm.prank(PLAYER);
        tusd.approve(address(arena), uint256(fee) + extraAllowance);
        vm.prank(PLAYER);
        arena.enter(1, "a");
        assertEq(tusd.balanceOf(address(arena)), fee, "arena holds the fee");
        assertEq(tusd.balanceOf(PLAYER), SUPPLY - fee, "player paid the fee");
        assertEq(tusd.allowance(PLAYER, address(arena)), extraAllowance, "only the fee was pulled");
        // Proposed alone (with the bond, in ETH), the player is owed nothing until the challenge
        // window passed; finalized, the whole pot in the token, and nothing in ETH.
        vm.warp(block.timestamp + 100);
        bytes32[] memory ranking = new bytes32[](1);
        ranking[0] = "a";
        vm.deal(address(this), BOND);
        arena.settle{value: BOND}(1, ranking, "root");
        assertEq(arena.balanceOf(address(tusd), PLAYER), 0, "nothing before finalize");
        assertEq(arena.escrowed(address(tusd)), fee, "the fee escrowed");
        assertEq(arena.escrowed(address(0)), BOND, "the bond escrowed");
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        arena.finalize(1);
        assertEq(arena.balanceOf(address(tusd), PLAYER), fee, "reward in the token");
        assertEq(arena.balanceOf(address(0), PLAYER), 0, "no ETH owed");
        assertEq(arena.totalOwed(address(tusd)), fee, "token owed");
        assertEq(arena.escrowed(address(tusd)), 0, "nothing escrowed");
        assertEq(arena.balanceOf(address(0), address(this)), BOND, "the bond back to the operator");
        vm.prank(PLAYER);
        arena.withdraw(address(tusd));
        assertEq(tusd.balanceOf(PLAYER), SUPPLY, "withdrawn whole");
        assertEq(tusd.balanceOf(address(arena)), 0, "nothing left");
    }

    function testFuzz_shortAllowanceOrBalanceIsRefused(uint128 fee, uint128 allowed) public {
        vm.assume(fee != 0 && allowed < fee);
        _open(1, address(tusd), fee);
        vm.prank(PLAYER);
        tusd.approve(address(arena), allowed);
        vm.prank(PLAYER);
        vm.expectRevert(abi.encodeWithSelector(Arena.InsufficientAllowance.selector, address(tusd), allowed, fee));
        arena.enter(1, "a");
        // Allowed but not held: a stranger with no tokens.
        address poor = address(0xDEAD);
        vm.prank(poor);
        tusd.approve(address(arena), fee);
        vm.prank(poor);
        vm.expectRevert(abi.encodeWithSelector(Arena.InsufficientTokenBalance.selector, address(tusd), 0, fee));
        arena.enter(1, "b");
        assertEq(tusd.balanceOf(address(arena)), 0, "nothing taken");
        if (arena.isEntered(1, "a") || arena.isEntered(1, "b")) revert("a refused entry was recorded");
    }

    function testFuzz_ethSentToATokenRoundIsRefused(uint96 sent) public {
        vm.assume(sent != 0);
        _open(1, address(tusd), 5);
        vm.deal(PLAYER, sent);
        vm.prank(PLAYER);
        tusd.approve(address(arena), 5);
        vm.prank(PLAYER);
        vm.expectRevert(abi.encodeWithSelector(Arena.NativeSentToTokenRound.selector, uint256(sent), address(tusd)));
        arena.enter{value: sent}(1, "a");
        assertEq(address(arena).balance, 0, "no ETH kept");
    }

    function testFuzz_feeOnTransferTokenIsRefused(uint96 fee) public {
        vm.assume(fee >= 100);
        vm.prank(PLAYER);
        FeeOnTransferToken token = new FeeOnTransferToken(SUPPLY);
        _open(1, address(token), fee);
        vm.prank(PLAYER);
        token.approve(address(arena), fee);
        vm.prank(PLAYER);
        vm.expectRevert(
            abi.encodeWithSelector(
                Arena.FeeOnTransferToken.selector, address(token), uint256(fee) - fee / 100, uint256(fee)
            )
        );
        arena.enter(1, "a");
        assertEq(token.balanceOf(address(arena)), 0, "nothing kept");
    }

    function testFuzz_falseReturningTokenIsRefused(uint96 fee) public {
        vm.assume(fee != 0);
        vm.prank(PLAYER);
        FalseReturningToken token = new FalseReturningToken(SUPPLY);
        _open(1, address(token), fee);
        vm.prank(PLAYER);
        token.approve(address(arena), fee);
        vm.prank(PLAYER);
        vm.expectRevert(
            abi.encodeWithSelector(Arena.TokenTransferFailed.selector, address(token), address(arena), uint256(fee))
        );
        arena.enter(1, "a");
    }

    function testFuzz_noReturnTokenRoundTimesOutAndRefunds(uint96 fee) public {
        vm.assume(fee != 0);
        vm.prank(PLAYER);
        NoReturnToken token = new NoReturnToken(SUPPLY);
        _open(1, address(token), fee);
        vm.prank(PLAYER);
        token.approve(address(arena), uint256(fee) * 2);
        vm.prank(PLAYER);
        arena.enter(1, "a");
        vm.prank(PLAYER);
        arena.enter(1, "b");
        // The operator vanishes; a stranger cancels after the timeout and both fees come back.
        vm.warp(block.timestamp + 150);
        vm.prank(address(0xCAFE));
        arena.cancel(1);
        assertEq(arena.balanceOf(address(token), PLAYER), uint256(fee) * 2, "both fees refunded in the token");
        vm.prank(PLAYER);
        arena.withdraw(address(token));
        assertEq(token.balanceOf(PLAYER), SUPPLY, "player whole again");
    }

    function test_openRefusesATokenWithoutCode() public {
        uint16[] memory split = new uint16[](1);
        split[0] = 10_000;
        vm.expectRevert(abi.encodeWithSelector(Arena.NotAToken.selector, address(0x1234)));
        arena.open(1, bytes32(0), address(0x1234), 1, uint64(block.timestamp + 100), 50, split, 0);
    }
}

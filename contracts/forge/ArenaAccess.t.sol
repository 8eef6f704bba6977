// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {ReentrantWithdrawer, IArena} from "../solidity/test/ReentrantWithdrawer.sol";
import {ForgeTest} from "./Vm.sol";

/// Fuzzed refusals: only the operator steers a round, and a reentrant withdraw gets nothing.
contract ArenaAccessTest is ForgeTest {
    Arena internal arena;
    uint128 internal constant FEE = 1 ether + 7;

    function setUp() public {
        address[] memory committee = new address[](1);
        committee[0] = address(0x7E41);
        arena = new Arena(address(this), committee, 1, 1 hours, 1 days, 1 ether, 0.5 ether);
        vm.warp(1_000_000);
    }

    receive() external payable {}

    function _open(uint64 id) internal {
        uint16[] memory split = new uint16[](1);
        split[0] = 10_000;
        arena.open(id, bytes32(0), address(0), FEE, uint64(block.timestamp + 100), 50, split, 0);
    }

    function testFuzz_nonOperatorCannotOpenSettleOrCancel(address caller, uint64 id) public {
        vm.assume(caller != address(this));
        _open(id);
        vm.warp(block.timestamp + 100);
        uint16[] memory split = new uint16[](1);
        split[0] = 10_000;
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotOperator.selector, caller));
        arena.open(id ^ 1, bytes32(0), address(0), FEE, uint64(block.timestamp + 100), 50, split, 0);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotOperator.selector, caller));
        arena.settle(id, new bytes32[](0), bytes32(0));
        // Before the round times out (deadline + settle window), only the operator cancels.
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotTimedOut.selector, uint64(block.timestamp + 50)));
        arena.cancel(id);
        (Arena.State state,,,,,,,,) = arena.roundInfo(id);
        if (state != Arena.State.Open) revert("round no longer open");
    }

    function testFuzz_reentrantWithdrawGetsNothing(uint8 honestSeed) public {
        ReentrantWithdrawer attacker = new ReentrantWithdrawer(IArena(address(arena)));
        _open(1);
        attacker.enter{value: FEE}(1, "attacker");
        // Some honest entrants, so the contract holds more than the attacker is owed.
        uint256 honest = 1 + honestSeed % 5;
        for (uint256 i; i < honest; ++i) {
            address who = address(uint160(0x1000 + i));
            vm.deal(who, FEE);
            vm.prank(who);
            arena.enter{value: FEE}(1, bytes32(i));
        }
        arena.cancel(1);
        uint256 held = address(arena).balance;
        vm.expectRevert(abi.encodeWithSelector(Arena.Reentrancy.selector));
        attacker.withdraw();
        assertEq(address(arena).balance, held, "contract balance after the attack");
        assertEq(arena.balanceOf(address(0), address(attacker)), FEE, "attacker still owed its refund, once");
        assertEq(attacker.received(), 0, "attacker received nothing");
        attacker.setMode(ReentrantWithdrawer.Mode.Accept);
        attacker.withdraw();
        assertEq(address(attacker).balance, FEE, "paid exactly once");
        assertEq(address(arena).balance, held - FEE, "contract paid once");
    }
}

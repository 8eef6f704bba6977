// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {TestUSD} from "../solidity/TestUSD.sol";
import {NoReturnToken} from "../solidity/test/OddTokens.sol";
import {Vm} from "./Vm.sol";

/// The token calls the handler makes, declared without return values so one interface drives
/// both TestUSD (returns bool) and a token that returns nothing.
interface IToken {
    function balanceOf(address account) external view returns (uint256);
    function approve(address spender, uint256 value) external;
    function transfer(address to, uint256 value) external;
}

/// The only caller of Arena in invariant runs: it is the operator, plays four owners with two
/// agents each and strangers who cancel timed-out rounds, and keeps
/// ghost accounts per asset (native ETH, the TestUSD stablecoin, and a token whose transfers
/// return nothing) of what the contract must hold and owe, computed from the documented payout
/// rules rather than read back from the contract. Rounds take their fee in any of the three. Every call it makes is one the contract must
/// accept, so a revert is a failure (`fail_on_revert`).
contract ArenaHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    Arena public immutable arena;
    /// The assets rounds are paid in: native ETH (address 0) and two tokens.
    address[3] public assets;
    address[4] public owners = [address(0xA11CE), address(0xB0B), address(0xCA401), address(0xD0D0)];
    uint64[] public roundIds;
    /// Rounds cancelled by a stranger after they timed out.
    uint64[] public timedOut;

    /// The chain's clock; forge does not carry `vm.warp` from one call of a run to the next.
    uint256 public clock = 1_000_000;

    /// Per asset: fees paid in by entrants, and paid out by withdrawals.
    mapping(address => uint256) public feesIn;
    mapping(address => uint256) public withdrawn;
    /// Per asset: fees held by rounds that are still open.
    mapping(address => uint256) public openFees;
    /// Per asset: what each account must be owed by the payout rules.
    mapping(address => mapping(address => uint256)) public expectedBalance;
    /// How many calls of each kind went through, so a run that did nothing shows.
    uint256 public settledRounds;
    uint256 public cancelledRounds;
    uint256 public withdrawals;
    /// Withdrawals whose amount did not arrive whole in the wallet; must stay 0.
    uint256 public withdrawalShortfall;
    uint256 public tokenEntries;
    /// Units by which the owners of timed-out rounds were credited less than their fees, in any
    /// asset; must stay 0.
    uint256 public timeoutShortfall;
    /// Settlements the contract accepted after a round timed out; must stay 0.
    uint256 public lateSettlements;

    constructor() {
        arena = new Arena(address(this));
        address[] memory holders = new address[](1);
        holders[0] = address(this);
        assets[1] = address(new TestUSD(holders, type(uint128).max));
        assets[2] = address(new NoReturnToken(type(uint128).max));
    }

    function assetCount() external pure returns (uint256) {
        return 3;
    }

    receive() external payable {}

    function ownerCount() external pure returns (uint256) {
        return 4;
    }

    function warp(uint32 seconds_) external {
        clock += 1 + uint256(seconds_) % 2 days;
    }

    /// Agent `i` (0..7) is agent `i % 2` of owner `i / 2`.
    function agentOf(uint256 i) public pure returns (bytes32) {
        return keccak256(abi.encode("agent", i % 8));
    }

    function timedOutCount() external view returns (uint256) {
        return timedOut.length;
    }

    /// Opens a round; `placesSeed` also picks its asset.
    function open(uint128 feeSeed, uint8 placesSeed, uint16 protocolSeed, uint32 windowSeed, uint32 settleSeed)
        external
    {
        vm.warp(clock);
        uint64 id = uint64(roundIds.length + 1);
        uint128 fee = feeSeed % 5 == 0 ? 0 : feeSeed % 10 ether;
        uint16[] memory split = _split(1 + placesSeed % 4);
        arena.open(
            id,
            keccak256(abi.encode(id)),
            assets[(placesSeed / 4) % 3],
            fee,
            uint64(clock + 1 + windowSeed % 1 days),
            uint64(1 + settleSeed % 2 days),
            split,
            protocolSeed % 2_000
        );
        roundIds.push(id);
    }

    /// An even split of `places` places, the remainder to the first.
    function _split(uint256 places) private pure returns (uint16[] memory split) {
        split = new uint16[](places);
        for (uint256 i; i < places; ++i) {
            split[i] = uint16(10_000 / places);
        }
        split[0] += uint16(10_000 % places);
    }

    function enter(uint256 roundSeed, uint256 agentSeed) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pick(roundSeed);
        if (!ok) return;
        (Arena.State state,, address asset, uint128 fee, uint64 deadline,,,,) = arena.roundInfo(id);
        bytes32 agent = agentOf(agentSeed);
        address owner = owners[(agentSeed % 8) / 2];
        if (state != Arena.State.Open || clock >= deadline || arena.isEntered(id, agent)) return;
        if (asset == address(0)) {
            vm.deal(owner, fee);
            vm.prank(owner);
            arena.enter{value: fee}(id, agent);
        } else {
            // The owner is given the fee and approves exactly it; the arena pulls it.
            IToken(asset).transfer(owner, fee);
            vm.prank(owner);
            IToken(asset).approve(address(arena), fee);
            vm.prank(owner);
            arena.enter(id, agent);
            tokenEntries += 1;
        }
        feesIn[asset] += fee;
        openFees[asset] += fee;
    }

    function settle(uint256 roundSeed, uint256 shuffleSeed) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pick(roundSeed);
        if (!ok) return;
        (Arena.State state, address asset,, uint64 deadline, uint64 window,) = _info(id);
        if (state != Arena.State.Open || clock < deadline) return;
        (bytes32[] memory agents, address[] memory paidBy) = arena.entries(id);
        uint256[] memory order = _shuffle(agents.length, shuffleSeed);
        bytes32[] memory ranking = new bytes32[](agents.length);
        address[] memory payers = new address[](agents.length);
        for (uint256 i; i < order.length; ++i) {
            ranking[i] = agents[order[i]];
            payers[i] = paidBy[order[i]];
        }
        if (clock >= deadline + window) {
            // Timed out: the operator may no longer settle.
            try arena.settle(id, ranking, bytes32(0)) {
                lateSettlements += 1;
            } catch {}
            return;
        }
        openFees[asset] -= _expectPayout(id, payers);
        arena.settle(id, ranking, keccak256(abi.encode("root", id)));
        settledRounds += 1;
    }

    /// Books what the payout rules of contracts/README.md give the owners of `payers` (best
    /// first) and the operator; returns the pot.
    function _expectPayout(uint64 id, address[] memory payers) private returns (uint256 pot) {
        (,, address asset, uint128 fee,,, uint16 protocolBps, uint16[] memory split,) = arena.roundInfo(id);
        mapping(address => uint256) storage expected = expectedBalance[asset];
        pot = uint256(fee) * payers.length;
        uint256 protocol = pot * protocolBps / 10_000;
        expected[address(this)] += protocol;
        if (payers.length == 0) return pot;
        uint256 prize = pot - protocol;
        uint256 places = split.length < payers.length ? split.length : payers.length;
        uint256 paid;
        for (uint256 i = 1; i < places; ++i) {
            uint256 share = prize * split[i] / 10_000;
            expected[payers[i]] += share;
            paid += share;
        }
        expected[payers[0]] += prize - paid;
    }

    function cancel(uint256 roundSeed) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pick(roundSeed);
        if (!ok) return;
        (Arena.State state, address asset, uint128 fee,,,) = _info(id);
        if (state != Arena.State.Open) return;
        (, address[] memory paidBy) = arena.entries(id);
        for (uint256 i; i < paidBy.length; ++i) {
            expectedBalance[asset][paidBy[i]] += fee;
        }
        arena.cancel(id);
        openFees[asset] -= uint256(fee) * paidBy.length;
        cancelledRounds += 1;
    }

    /// A stranger (never the operator) cancels a round once it timed out, and every owner's
    /// balance in the round's asset must grow by the fees of the agents it entered.
    function cancelTimedOut(uint256 roundSeed, address stranger) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pick(roundSeed);
        if (!ok || stranger == address(this)) return;
        (Arena.State state, address asset, uint128 fee, uint64 deadline, uint64 window,) = _info(id);
        if (state != Arena.State.Open) return;
        if (clock < deadline + window) {
            vm.prank(stranger);
            vm.expectRevert(abi.encodeWithSelector(Arena.NotTimedOut.selector, deadline + window));
            arena.cancel(id);
            return;
        }
        (, address[] memory paidBy) = arena.entries(id);
        uint256[4] memory before;
        uint256[4] memory owed;
        for (uint256 o; o < 4; ++o) {
            before[o] = arena.balanceOf(asset, owners[o]);
        }
        for (uint256 i; i < paidBy.length; ++i) {
            for (uint256 o; o < 4; ++o) {
                if (paidBy[i] == owners[o]) owed[o] += fee;
            }
            expectedBalance[asset][paidBy[i]] += fee;
        }
        vm.prank(stranger);
        arena.cancel(id);
        for (uint256 o; o < 4; ++o) {
            uint256 got = arena.balanceOf(asset, owners[o]) - before[o];
            if (got < owed[o]) timeoutShortfall += owed[o] - got;
        }
        openFees[asset] -= uint256(fee) * paidBy.length;
        timedOut.push(id);
        cancelledRounds += 1;
    }

    /// `who` 0..3 is an owner, 4 the operator; it withdraws its whole balance of one asset,
    /// which must arrive in its wallet.
    function withdraw(uint8 whoSeed, uint8 assetSeed) external {
        vm.warp(clock);
        uint256 who = whoSeed % 5;
        address account = who == 4 ? address(this) : owners[who];
        address asset = assets[assetSeed % 3];
        uint256 amount = arena.balanceOf(asset, account);
        if (amount == 0) return;
        uint256 wallet = _walletOf(asset, account);
        if (who != 4) vm.prank(account);
        arena.withdraw(asset);
        if (_walletOf(asset, account) != wallet + amount) withdrawalShortfall += 1;
        withdrawn[asset] += amount;
        expectedBalance[asset][account] -= amount;
        withdrawals += 1;
    }

    function _walletOf(address asset, address account) private view returns (uint256) {
        return asset == address(0) ? account.balance : IToken(asset).balanceOf(account);
    }

    /// What the contract holds of `asset`.
    function held(address asset) external view returns (uint256) {
        return _walletOf(asset, address(arena));
    }

    /// The fields of `roundInfo` the handler needs, so its functions stay below the stack limit.
    function _info(uint64 id)
        private
        view
        returns (Arena.State state, address asset, uint128 fee, uint64 deadline, uint64 window, uint16 bps)
    {
        (state,, asset, fee, deadline, window, bps,,) = arena.roundInfo(id);
    }

    function _pick(uint256 seed) private view returns (bool, uint64) {
        if (roundIds.length == 0) return (false, 0);
        return (true, roundIds[seed % roundIds.length]);
    }

    /// A random permutation of 0..n-1.
    function _shuffle(uint256 n, uint256 seed) private pure returns (uint256[] memory xs) {
        xs = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            xs[i] = i;
        }
        for (uint256 i = n; i > 1; --i) {
            uint256 j = uint256(keccak256(abi.encode(seed, i))) % i;
            (xs[i - 1], xs[j]) = (xs[j], xs[i - 1]);
        }
    }
}

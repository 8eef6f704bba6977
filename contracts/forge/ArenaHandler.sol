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
/// agents each, two challengers (an owner may challenge too), the three verifiers of the
/// committee (2 of 3 decide) and strangers who finalize proposals and cancel timed-out or
/// unresolved rounds, and keeps ghost accounts per asset (native ETH, the TestUSD stablecoin, and
/// a token whose transfers return nothing) of what the contract must hold and owe, computed from
/// the documented payout rules and bond rules rather than read back from the contract. Rounds
/// take their fee in any of the three; bonds are always ETH. Every call it makes is one the
/// contract must accept, so a revert is a failure (`fail_on_revert`); calls the contract must
/// refuse (too early, too late, a second vote) are made under `expectRevert`.
contract ArenaHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// The deployment's contest parameters: 2 of the 3 verifiers decide a challenge, a proposal
    /// can be challenged for 15 minutes, a challenge must be decided within 10, and the bonds.
    /// forge's fuzzer mostly draws short warps (small values and constants from its dictionary,
    /// these windows among them), so with windows of minutes runs make calls both inside and
    /// after them.
    uint16 public constant THRESHOLD = 2;
    uint64 public constant CHALLENGE_WINDOW = 15 minutes;
    uint64 public constant RESOLVE_WINDOW = 10 minutes;
    uint128 public constant SETTLE_BOND = 0.3 ether;
    uint128 public constant CHALLENGE_BOND = 0.1 ether;
    address internal constant NATIVE = address(0);

    /// How a proposal or a challenge ended: paid out after the window, challenge upheld,
    /// challenge rejected, or cancelled by a stranger after the resolve window.
    enum Outcome {
        Finalized,
        Upheld,
        Rejected,
        Unresolved
    }

    Arena public immutable arena;
    /// The assets rounds are paid in: native ETH (address 0) and two tokens.
    address[3] public assets;
    address[4] public owners = [address(0xA11CE), address(0xB0B), address(0xCA401), address(0xD0D0)];
    address[3] public verifiers = [address(0x7E41), address(0x7E42), address(0x7E43)];
    address[2] public challengers = [address(0xC4A1), address(0xC4A2)];
    uint64[] public roundIds;
    /// Rounds cancelled by a stranger after they timed out.
    uint64[] public timedOut;
    /// Rounds whose challenge was upheld, rejected, or left undecided and cancelled.
    uint64[] public upheldRounds;
    uint64[] public rejectedRounds;
    uint64[] public unresolvedRounds;

    /// The chain's clock; forge does not carry `vm.warp` from one call of a run to the next.
    uint256 public clock = 1_000_000;

    /// Per asset: what was paid in (entry fees, and in ETH the bonds), and paid out by
    /// withdrawals.
    mapping(address => uint256) public feesIn;
    mapping(address => uint256) public withdrawn;
    /// Per asset: what rounds hold that is nobody's balance yet: the fees of rounds not paid out
    /// or refunded (open, proposed or challenged), and in ETH the bonds of proposals and
    /// challenges not decided.
    mapping(address => uint256) public openFees;
    /// Per asset: what each account must be owed by the payout and bond rules.
    mapping(address => mapping(address => uint256)) public expectedBalance;
    /// The owners that paid for a proposed ranking's agents, best first, and a round's challenger.
    mapping(uint64 => address[]) internal rankedPayers;
    mapping(uint64 => address) public challengerOf;
    /// How many calls of each kind went through, so a run that did nothing shows
    /// (`settledRounds` counts proposals).
    uint256 public settledRounds;
    uint256 public cancelledRounds;
    uint256 public withdrawals;
    uint256 public finalizedRounds;
    uint256 public challenges;
    uint256 public votes;
    /// Withdrawals whose amount did not arrive whole in the wallet; must stay 0.
    uint256 public withdrawalShortfall;
    uint256 public tokenEntries;
    /// Units by which the owners of timed-out rounds were credited less than their fees, in any
    /// asset; must stay 0.
    uint256 public timeoutShortfall;
    /// Settlements the contract accepted after a round timed out; must stay 0.
    uint256 public lateSettlements;
    /// Bond credits (balances and `BondCredited` events) that differ from the bond rules: a bond
    /// that went to anyone but its poster or the winner of the challenge, or a wrong amount or
    /// `slashed` flag; must stay 0.
    uint256 public bondViolations;
    /// Wei of slashed bonds seen credited: the operator's to challengers (upheld), the
    /// challengers' to the operator (rejected).
    uint256 public slashedToChallengers;
    uint256 public slashedToOperator;

    constructor() {
        address[] memory committee = new address[](3);
        for (uint256 i; i < 3; ++i) {
            committee[i] = verifiers[i];
        }
        arena = new Arena(
            address(this), committee, THRESHOLD, CHALLENGE_WINDOW, RESOLVE_WINDOW, SETTLE_BOND, CHALLENGE_BOND
        );
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

    function roundCount() external view returns (uint256) {
        return roundIds.length;
    }

    function timedOutCount() external view returns (uint256) {
        return timedOut.length;
    }

    function upheldCount() external view returns (uint256) {
        return upheldRounds.length;
    }

    function rejectedCount() external view returns (uint256) {
        return rejectedRounds.length;
    }

    function unresolvedCount() external view returns (uint256) {
        return unresolvedRounds.length;
    }

    /// The accounts whose balances are followed: the four owners, the operator (this handler),
    /// the two challengers and the three verifiers.
    function accountCount() external pure returns (uint256) {
        return 10;
    }

    function account(uint256 i) external view returns (address) {
        return _accounts()[i];
    }

    function _accounts() private view returns (address[10] memory a) {
        for (uint256 i; i < 4; ++i) {
            a[i] = owners[i];
        }
        a[4] = address(this);
        a[5] = challengers[0];
        a[6] = challengers[1];
        for (uint256 i; i < 3; ++i) {
            a[7 + i] = verifiers[i];
        }
    }

    /// Opens a round; `placesSeed` also picks its asset. Entries close within the hour, so that
    /// runs of mostly short warps still reach settlements and their contests.
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
            uint64(clock + 1 + windowSeed % 1 hours),
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

    /// The operator proposes a settlement (a random ranking), posting the settle bond; nothing is
    /// credited until it is finalized or a challenge is rejected.
    function settle(uint256 roundSeed, uint256 shuffleSeed) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pickIn(roundSeed, Arena.State.Open);
        if (!ok) return;
        (,,, uint64 deadline, uint64 window,) = _info(id);
        if (clock < deadline) return;
        (bytes32[] memory agents, address[] memory paidBy) = arena.entries(id);
        uint256[] memory order = _shuffle(agents.length, shuffleSeed);
        bytes32[] memory ranking = new bytes32[](agents.length);
        address[] memory payers = new address[](agents.length);
        for (uint256 i; i < order.length; ++i) {
            ranking[i] = agents[order[i]];
            payers[i] = paidBy[order[i]];
        }
        vm.deal(address(this), address(this).balance + SETTLE_BOND);
        if (clock >= deadline + window) {
            // Timed out: the operator may no longer settle, even with the right bond.
            try arena.settle{value: SETTLE_BOND}(id, ranking, bytes32(0)) {
                lateSettlements += 1;
            } catch {}
            return;
        }
        arena.settle{value: SETTLE_BOND}(id, ranking, keccak256(abi.encode("root", id)));
        rankedPayers[id] = payers;
        feesIn[NATIVE] += SETTLE_BOND;
        openFees[NATIVE] += SETTLE_BOND;
        settledRounds += 1;
    }

    /// A stranger finalizes a proposal once its challenge window passed (before, it is refused):
    /// the ranking is paid by the payout rules and the operator's bond comes back to it.
    function finalize(uint256 roundSeed, address stranger) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pickIn(roundSeed, Arena.State.Proposed);
        if (!ok) return;
        (, uint64 endsAt,,,,) = arena.contest(id);
        if (clock < endsAt) {
            vm.prank(stranger);
            vm.expectRevert(abi.encodeWithSelector(Arena.ChallengeWindowOpen.selector, endsAt));
            arena.finalize(id);
            return;
        }
        _conclude(id, Outcome.Finalized, stranger);
        finalizedRounds += 1;
    }

    /// A challenger (one of the two, or an owner) challenges a proposal inside its challenge
    /// window, posting the challenge bond; after the window it is refused.
    function challenge(uint256 roundSeed, uint8 challengerSeed) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pickIn(roundSeed, Arena.State.Proposed);
        if (!ok) return;
        (, uint64 endsAt,,,,) = arena.contest(id);
        uint256 c = challengerSeed % 6;
        address challenger = c < 4 ? owners[c] : challengers[c - 4];
        vm.deal(challenger, challenger.balance + CHALLENGE_BOND);
        vm.prank(challenger);
        if (clock >= endsAt) {
            vm.expectRevert(abi.encodeWithSelector(Arena.ChallengeWindowOver.selector, endsAt));
            arena.challenge{value: CHALLENGE_BOND}(id);
            return;
        }
        arena.challenge{value: CHALLENGE_BOND}(id);
        challengerOf[id] = challenger;
        feesIn[NATIVE] += CHALLENGE_BOND;
        openFees[NATIVE] += CHALLENGE_BOND;
        challenges += 1;
    }

    /// A verifier votes on a challenged round, either side. A verifier that already voted is
    /// refused and the next one that has not votes instead; after the resolve window every vote
    /// is refused. The second vote on one side decides the challenge.
    function vote(uint256 roundSeed, uint8 verifierSeed, bool upheld) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pickIn(roundSeed, Arena.State.Challenged);
        if (!ok) return;
        (,,, uint64 resolveBy, uint16 upheldVotes, uint16 rejectedVotes) = arena.contest(id);
        address verifier = verifiers[verifierSeed % 3];
        if (clock >= resolveBy) {
            vm.prank(verifier);
            vm.expectRevert(abi.encodeWithSelector(Arena.ResolveWindowOver.selector, resolveBy));
            arena.vote(id, upheld);
            return;
        }
        verifier = _freeVerifier(id, verifierSeed, upheld);
        votes += 1;
        if ((upheld ? upheldVotes : rejectedVotes) + 1 < THRESHOLD) {
            vm.prank(verifier);
            arena.vote(id, upheld);
            return;
        }
        _conclude(id, upheld ? Outcome.Upheld : Outcome.Rejected, verifier);
        if (upheld) {
            upheldRounds.push(id);
        } else {
            rejectedRounds.push(id);
        }
    }

    /// The seeded verifier if it has not voted on round `id`; otherwise its second vote is
    /// refused and the next verifier that has not voted is returned (an undecided challenge has
    /// at most one vote on each side, so one of the three is left).
    function _freeVerifier(uint64 id, uint8 verifierSeed, bool upheld) private returns (address) {
        uint256 v = verifierSeed % 3;
        if (!arena.hasVoted(id, verifiers[v])) return verifiers[v];
        vm.prank(verifiers[v]);
        vm.expectRevert(abi.encodeWithSelector(Arena.AlreadyVoted.selector, verifiers[v]));
        arena.vote(id, upheld);
        while (arena.hasVoted(id, verifiers[v])) {
            v = (v + 1) % 3;
        }
        return verifiers[v];
    }

    /// A stranger cancels a challenged round the committee did not decide within the resolve
    /// window (before, it is refused): entries are refunded and each bond goes back to its poster.
    function cancelUnresolved(uint256 roundSeed, address stranger) external {
        vm.warp(clock);
        (bool ok, uint64 id) = _pickIn(roundSeed, Arena.State.Challenged);
        if (!ok) return;
        (,,, uint64 resolveBy,,) = arena.contest(id);
        if (clock < resolveBy) {
            vm.prank(stranger);
            vm.expectRevert(abi.encodeWithSelector(Arena.ChallengePending.selector, resolveBy));
            arena.cancel(id);
            return;
        }
        _conclude(id, Outcome.Unresolved, stranger);
        unresolvedRounds.push(id);
        cancelledRounds += 1;
    }

    /// Makes the call that ends round `id` with `outcome` as `caller` (finalize, the deciding
    /// vote, or cancel), booking its payout or refunds and its bonds, and counts every bond
    /// credit the bond rules do not give: in the ETH balances of the followed accounts and in the
    /// `BondCredited` events.
    function _conclude(uint64 id, Outcome outcome, address caller) private {
        uint256[10] memory before = _arenaEth();
        uint256[10] memory credits = _ghostEth();
        if (outcome == Outcome.Finalized || outcome == Outcome.Rejected) {
            (,, address asset,,,,,,) = arena.roundInfo(id);
            openFees[asset] -= _expectPayout(id, rankedPayers[id]);
        } else {
            _expectRefund(id);
        }
        // What the fees alone credit each account in ETH (nothing in a token round).
        uint256[10] memory afterFees = _ghostEth();
        for (uint256 i; i < 10; ++i) {
            credits[i] = afterFees[i] - credits[i];
        }
        vm.recordLogs();
        vm.prank(caller);
        if (outcome == Outcome.Finalized) {
            arena.finalize(id);
        } else if (outcome == Outcome.Unresolved) {
            arena.cancel(id);
        } else {
            arena.vote(id, outcome == Outcome.Upheld);
        }
        _checkBondEvents(id, outcome);
        _checkBondBalances(id, outcome, before, credits);
    }

    /// The bond rules: what of the bonds goes to the operator and to the challenger.
    function _bondShares(Outcome outcome) private pure returns (uint256 toOperator, uint256 toChallenger) {
        if (outcome == Outcome.Finalized) return (SETTLE_BOND, 0);
        if (outcome == Outcome.Upheld) return (0, uint256(SETTLE_BOND) + CHALLENGE_BOND);
        if (outcome == Outcome.Rejected) return (uint256(SETTLE_BOND) + CHALLENGE_BOND, 0);
        return (SETTLE_BOND, CHALLENGE_BOND);
    }

    /// Every followed account's ETH balance must have grown by its fee credits plus its bond
    /// share, and nobody else's; then the bonds are booked.
    function _checkBondBalances(uint64 id, Outcome outcome, uint256[10] memory before, uint256[10] memory credits)
        private
    {
        (uint256 toOperator, uint256 toChallenger) = _bondShares(outcome);
        address challenger = challengerOf[id];
        address[10] memory a = _accounts();
        for (uint256 i; i < 10; ++i) {
            uint256 bond = (a[i] == address(this) ? toOperator : 0) + (a[i] == challenger ? toChallenger : 0);
            if (arena.balanceOf(NATIVE, a[i]) != before[i] + credits[i] + bond) bondViolations += 1;
        }
        expectedBalance[NATIVE][address(this)] += toOperator;
        if (toChallenger != 0) expectedBalance[NATIVE][challenger] += toChallenger;
        openFees[NATIVE] -= toOperator + toChallenger;
    }

    /// The `BondCredited` events of the call: a slashed bond (the operator's when upheld, the
    /// challenger's when rejected, none otherwise) only to the winner, every other bond back to
    /// its poster, each once and in full.
    function _checkBondEvents(uint64 id, Outcome outcome) private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        address challenger = challengerOf[id];
        uint256 slashed;
        uint256 backToOperator;
        uint256 backToChallenger;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory entry = logs[i];
            if (entry.emitter != address(arena) || entry.topics[0] != Arena.BondCredited.selector) continue;
            address to = address(uint160(uint256(entry.topics[2])));
            (uint256 amount, bool isSlash) = abi.decode(entry.data, (uint256, bool));
            if (uint256(entry.topics[1]) != id) {
                bondViolations += 1;
            } else if (isSlash) {
                slashed += amount;
                if (outcome == Outcome.Upheld && to == challenger) {
                    slashedToChallengers += amount;
                } else if (outcome == Outcome.Rejected && to == address(this)) {
                    slashedToOperator += amount;
                } else {
                    bondViolations += 1;
                }
            } else if (to == address(this) && outcome != Outcome.Upheld) {
                backToOperator += amount;
            } else if (to == challenger && challenger != address(0) && outcome != Outcome.Rejected) {
                backToChallenger += amount;
            } else {
                bondViolations += 1;
            }
        }
        uint256 wantSlashed = outcome == Outcome.Upheld ? SETTLE_BOND : outcome == Outcome.Rejected ? CHALLENGE_BOND : 0;
        uint256 wantBackToOperator = outcome == Outcome.Upheld ? 0 : SETTLE_BOND;
        uint256 wantBackToChallenger = outcome == Outcome.Upheld || outcome == Outcome.Unresolved ? CHALLENGE_BOND : 0;
        bool wrong = slashed != wantSlashed || backToOperator != wantBackToOperator;
        if (wrong || backToChallenger != wantBackToChallenger) bondViolations += 1;
    }

    function _arenaEth() private view returns (uint256[10] memory b) {
        address[10] memory a = _accounts();
        for (uint256 i; i < 10; ++i) {
            b[i] = arena.balanceOf(NATIVE, a[i]);
        }
    }

    function _ghostEth() private view returns (uint256[10] memory b) {
        address[10] memory a = _accounts();
        for (uint256 i; i < 10; ++i) {
            b[i] = expectedBalance[NATIVE][a[i]];
        }
    }

    /// Books the refund of every entry of round `id` to the owner that paid it.
    function _expectRefund(uint64 id) private {
        (, address asset, uint128 fee,,,) = _info(id);
        (, address[] memory paidBy) = arena.entries(id);
        for (uint256 i; i < paidBy.length; ++i) {
            expectedBalance[asset][paidBy[i]] += fee;
        }
        openFees[asset] -= uint256(fee) * paidBy.length;
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
        (Arena.State state,,,,,) = _info(id);
        if (state != Arena.State.Open) return;
        _expectRefund(id);
        arena.cancel(id);
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

    /// One of the followed accounts (an owner, the operator, a challenger or a verifier)
    /// withdraws its whole balance of one asset, which must arrive in its wallet.
    function withdraw(uint8 whoSeed, uint8 assetSeed) external {
        vm.warp(clock);
        address account_ = _accounts()[whoSeed % 10];
        address asset = assets[assetSeed % 3];
        uint256 amount = arena.balanceOf(asset, account_);
        if (amount == 0) return;
        uint256 wallet = _walletOf(asset, account_);
        if (account_ != address(this)) vm.prank(account_);
        arena.withdraw(asset);
        if (_walletOf(asset, account_) != wallet + amount) withdrawalShortfall += 1;
        withdrawn[asset] += amount;
        expectedBalance[asset][account_] -= amount;
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

    /// The first round in `state` from a seeded position on, so that the actions on proposed and
    /// challenged rounds find one whenever there is one.
    function _pickIn(uint256 seed, Arena.State state) private view returns (bool, uint64) {
        uint256 n = roundIds.length;
        for (uint256 i; i < n; ++i) {
            uint64 id = roundIds[(seed % n + i) % n];
            (Arena.State s,,,,,) = _info(id);
            if (s == state) return (true, id);
        }
        return (false, 0);
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

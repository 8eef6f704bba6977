// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {ForgeTest} from "./Vm.sol";

/// Fuzzed contestable settlement: the bonds must be exact, a proposal pays out only after its
/// challenge window and can be challenged only inside it, only the committee votes and each
/// verifier once, an upheld challenge refunds the round and pays the challenger both bonds, a
/// rejected one pays the ranking and the operator both bonds, a challenge left undecided can be
/// cancelled by anyone after the resolve window with each bond back to its poster, and the
/// constructor refuses a committee whose threshold is not a strict majority or that repeats a
/// verifier. This contract is the operator.
contract ArenaContestTest is ForgeTest {
    Arena internal arena;
    address[3] internal verifiers = [address(0x7E41), address(0x7E42), address(0x7E43)];
    uint16 internal constant THRESHOLD = 2;
    uint64 internal constant CHALLENGE_WINDOW = 1 hours;
    uint64 internal constant RESOLVE_WINDOW = 1 days;
    uint128 internal constant SETTLE_BOND = 1 ether;
    uint128 internal constant CHALLENGE_BOND = 0.25 ether;
    uint128 internal constant FEE = 1 ether + 7;
    uint64 internal constant ID = 7;
    /// Entrant `i` is address `ENTRANT + i`, entering agent `bytes32(i + 1)`.
    uint160 internal constant ENTRANT = 0x1000;

    function setUp() public {
        address[] memory committee = new address[](3);
        for (uint256 i; i < 3; ++i) {
            committee[i] = verifiers[i];
        }
        arena = new Arena(
            address(this), committee, THRESHOLD, CHALLENGE_WINDOW, RESOLVE_WINDOW, SETTLE_BOND, CHALLENGE_BOND
        );
        vm.warp(1_000_000);
    }

    receive() external payable {}

    /// Opens round `ID` in ETH at `fee` (50/30/20, 2.5% protocol fee), enters `n` agents of `n`
    /// owners, and moves to its deadline.
    function _openAndEnter(uint256 n, uint128 fee) internal {
        uint16[] memory split = new uint16[](3);
        split[0] = 5_000;
        split[1] = 3_000;
        split[2] = 2_000;
        arena.open(ID, bytes32(0), address(0), fee, uint64(block.timestamp + 100), 1 days, split, 250);
        for (uint256 i; i < n; ++i) {
            address owner = address(ENTRANT + uint160(i));
            vm.deal(owner, fee);
            vm.prank(owner);
            arena.enter{value: fee}(ID, bytes32(i + 1));
        }
        vm.warp(block.timestamp + 100);
    }

    /// The ranking the operator proposes: the reverse of the entry order.
    function _ranking(uint256 n) internal pure returns (bytes32[] memory ranking) {
        ranking = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            ranking[i] = bytes32(n - i);
        }
    }

    /// Proposes `_ranking(n)` with the settle bond.
    function _propose(uint256 n) internal {
        vm.deal(address(this), SETTLE_BOND);
        arena.settle{value: SETTLE_BOND}(ID, _ranking(n), "root");
    }

    /// `challenger` challenges round `ID` with the challenge bond.
    function _challenge(address challenger) internal {
        vm.deal(challenger, CHALLENGE_BOND);
        vm.prank(challenger);
        arena.challenge{value: CHALLENGE_BOND}(ID);
    }

    function _vote(uint256 verifier, bool upheld) internal {
        vm.prank(verifiers[verifier]);
        arena.vote(ID, upheld);
    }

    function _state() internal view returns (Arena.State state) {
        (state,,,,,,,,) = arena.roundInfo(ID);
    }

    /// A challenger that is an ordinary account: not an entrant, the operator, a verifier, a
    /// precompile or a contract, so it can receive its withdrawal.
    function _assumeOutsider(address who) internal view {
        vm.assume(uint160(who) > 0xffff && who.code.length == 0 && who != address(this) && who != address(vm));
        vm.assume(!arena.isVerifier(who));
    }

    /// The contract holds exactly what it owes plus what it escrows, in ETH.
    function _assertHeldIsOwedPlusEscrowed() internal view {
        assertEq(address(arena).balance, arena.totalOwed(address(0)) + arena.escrowed(address(0)), "held");
    }

    function testFuzz_wrongSettleBondIsRefused(uint128 sent) public {
        vm.assume(sent != SETTLE_BOND);
        _openAndEnter(1, FEE);
        vm.deal(address(this), uint256(sent) + SETTLE_BOND);
        vm.expectRevert(abi.encodeWithSelector(Arena.WrongBond.selector, uint256(sent), uint256(SETTLE_BOND)));
        arena.settle{value: sent}(ID, _ranking(1), "root");
        assertEq(uint256(_state()), uint256(Arena.State.Open), "still open");
        assertEq(address(arena).balance, FEE, "only the fee held");
        assertEq(arena.escrowed(address(0)), FEE, "only the fee escrowed");
        arena.settle{value: SETTLE_BOND}(ID, _ranking(1), "root");
        assertEq(uint256(_state()), uint256(Arena.State.Proposed), "proposed with the right bond");
        assertEq(arena.escrowed(address(0)), uint256(FEE) + SETTLE_BOND, "fee and bond escrowed");
        assertEq(arena.totalOwed(address(0)), 0, "nothing credited by a proposal");
        _assertHeldIsOwedPlusEscrowed();
    }

    function testFuzz_finalizeBeforeTheWindowIsRefused(uint64 early, address caller) public {
        _openAndEnter(2, FEE);
        _propose(2);
        uint64 endsAt = uint64(block.timestamp) + CHALLENGE_WINDOW;
        vm.warp(block.timestamp + early % CHALLENGE_WINDOW);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.ChallengeWindowOpen.selector, endsAt));
        arena.finalize(ID);
        assertEq(uint256(_state()), uint256(Arena.State.Proposed), "still proposed");
        assertEq(arena.totalOwed(address(0)), 0, "nothing credited");
        // Once the window passed, anyone finalizes: the ranking (entrant 1 first) is paid and the
        // operator gets its protocol fee and its bond back.
        vm.warp(endsAt);
        vm.prank(caller);
        arena.finalize(ID);
        assertEq(uint256(_state()), uint256(Arena.State.Settled), "settled");
        uint256 pot = uint256(FEE) * 2;
        uint256 protocol = pot * 250 / 10_000;
        uint256 second = (pot - protocol) * 3_000 / 10_000;
        assertEq(arena.balanceOf(address(0), address(ENTRANT)), second, "second place");
        assertEq(arena.balanceOf(address(0), address(ENTRANT + 1)), pot - protocol - second, "first place");
        assertEq(arena.balanceOf(address(0), address(this)), protocol + SETTLE_BOND, "operator: fee and bond");
        assertEq(arena.escrowed(address(0)), 0, "nothing escrowed");
        _assertHeldIsOwedPlusEscrowed();
    }

    function testFuzz_wrongChallengeBondIsRefused(uint128 sent, address challenger) public {
        vm.assume(sent != CHALLENGE_BOND && challenger != address(arena));
        _openAndEnter(1, FEE);
        _propose(1);
        vm.deal(challenger, sent);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Arena.WrongBond.selector, uint256(sent), uint256(CHALLENGE_BOND)));
        arena.challenge{value: sent}(ID);
        assertEq(uint256(_state()), uint256(Arena.State.Proposed), "still proposed");
        assertEq(address(arena).balance, uint256(FEE) + SETTLE_BOND, "no challenge bond kept");
    }

    function testFuzz_challengeAfterTheWindowIsRefused(uint64 late, address challenger) public {
        vm.assume(challenger != address(arena));
        _openAndEnter(1, FEE);
        _propose(1);
        uint64 endsAt = uint64(block.timestamp) + CHALLENGE_WINDOW;
        vm.warp(endsAt + late % 30 days);
        vm.deal(challenger, CHALLENGE_BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(Arena.ChallengeWindowOver.selector, endsAt));
        arena.challenge{value: CHALLENGE_BOND}(ID);
        assertEq(uint256(_state()), uint256(Arena.State.Proposed), "still proposed");
        assertEq(address(arena).balance, uint256(FEE) + SETTLE_BOND, "no challenge bond kept");
        // The unchallenged proposal pays out.
        arena.finalize(ID);
        assertEq(arena.balanceOf(address(0), address(ENTRANT)), FEE - uint256(FEE) * 250 / 10_000, "paid out");
    }

    function testFuzz_nonVerifierCannotVote(address caller, bool upheld) public {
        vm.assume(!arena.isVerifier(caller));
        _openAndEnter(2, FEE);
        _propose(2);
        // Not even a verifier votes on a proposal nobody challenged.
        vm.prank(verifiers[0]);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotChallenged.selector, ID, Arena.State.Proposed));
        arena.vote(ID, upheld);
        _challenge(address(0xC4A1));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotVerifier.selector, caller));
        arena.vote(ID, upheld);
        (,,,, uint16 upheldVotes, uint16 rejectedVotes) = arena.contest(ID);
        assertEq(uint256(upheldVotes) + rejectedVotes, 0, "no vote counted");
        assertEq(uint256(_state()), uint256(Arena.State.Challenged), "still challenged");
    }

    function testFuzz_doubleVoteIsRefused(uint8 who, bool first, bool second) public {
        _openAndEnter(2, FEE);
        _propose(2);
        _challenge(address(0xC4A1));
        address verifier = verifiers[who % 3];
        _vote(who % 3, first);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Arena.AlreadyVoted.selector, verifier));
        arena.vote(ID, second);
        (,,,, uint16 upheldVotes, uint16 rejectedVotes) = arena.contest(ID);
        assertEq(upheldVotes, first ? 1 : 0, "upheld votes");
        assertEq(rejectedVotes, first ? 0 : 1, "rejected votes");
        assertEq(uint256(_state()), uint256(Arena.State.Challenged), "one vote decides nothing");
    }

    function testFuzz_upheldChallengeRefundsEveryEntrantAndPaysTheChallengerBothBonds(
        uint8 entrantsSeed,
        uint96 fee,
        address challenger,
        bool dissent
    ) public {
        _assumeOutsider(challenger);
        uint256 n = 1 + entrantsSeed % 8;
        _openAndEnter(n, fee);
        _propose(n);
        _challenge(challenger);
        // A dissenting rejection first does not stop two upholding votes.
        if (dissent) _vote(2, false);
        _vote(0, true);
        assertEq(uint256(_state()), uint256(Arena.State.Challenged), "one vote decides nothing");
        _vote(1, true);
        assertEq(uint256(_state()), uint256(Arena.State.Cancelled), "upheld: cancelled");
        for (uint256 i; i < n; ++i) {
            assertEq(arena.balanceOf(address(0), address(ENTRANT + uint160(i))), fee, "entry refunded");
        }
        assertEq(arena.balanceOf(address(0), challenger), uint256(SETTLE_BOND) + CHALLENGE_BOND, "both bonds");
        assertEq(arena.balanceOf(address(0), address(this)), 0, "operator slashed, no protocol fee");
        assertEq(arena.escrowed(address(0)), 0, "nothing escrowed");
        assertEq(arena.totalOwed(address(0)), uint256(fee) * n + SETTLE_BOND + CHALLENGE_BOND, "owed");
        _assertHeldIsOwedPlusEscrowed();
        // The decided challenge takes no more votes, and the challenger withdraws both bonds.
        vm.prank(verifiers[dissent ? 1 : 2]);
        vm.expectRevert(abi.encodeWithSelector(Arena.NotChallenged.selector, ID, Arena.State.Cancelled));
        arena.vote(ID, false);
        uint256 wallet = challenger.balance;
        vm.prank(challenger);
        arena.withdraw(address(0));
        assertEq(challenger.balance, wallet + SETTLE_BOND + CHALLENGE_BOND, "withdrawn whole");
    }

    function testFuzz_rejectedChallengePaysOutTheRankingAndTheOperatorBothBonds(
        uint8 entrantsSeed,
        uint96 fee,
        address challenger,
        bool dissent
    ) public {
        _assumeOutsider(challenger);
        uint256 n = 1 + entrantsSeed % 8;
        _openAndEnter(n, fee);
        _propose(n);
        _challenge(challenger);
        if (dissent) _vote(0, true);
        _vote(1, false);
        _vote(2, false);
        assertEq(uint256(_state()), uint256(Arena.State.Settled), "rejected: settled");
        // The payout rules on the proposed ranking (entrant n-1 first): 50/30/20, 2.5% fee.
        uint256 pot = uint256(fee) * n;
        uint256 protocol = pot * 250 / 10_000;
        uint256 prize = pot - protocol;
        uint256 paid;
        for (uint256 place = 1; place < n && place < 3; ++place) {
            uint256 share = prize * (place == 1 ? 3_000 : 2_000) / 10_000;
            paid += share;
            assertEq(arena.balanceOf(address(0), address(ENTRANT + uint160(n - 1 - place))), share, "place");
        }
        assertEq(arena.balanceOf(address(0), address(ENTRANT + uint160(n - 1))), prize - paid, "first place");
        for (uint256 i; i + 3 < n; ++i) {
            assertEq(arena.balanceOf(address(0), address(ENTRANT + uint160(i))), 0, "unpaid place");
        }
        assertEq(
            arena.balanceOf(address(0), address(this)),
            protocol + SETTLE_BOND + CHALLENGE_BOND,
            "operator: protocol fee and both bonds"
        );
        assertEq(arena.balanceOf(address(0), challenger), 0, "challenger slashed");
        assertEq(arena.escrowed(address(0)), 0, "nothing escrowed");
        _assertHeldIsOwedPlusEscrowed();
        vm.expectRevert(abi.encodeWithSelector(Arena.NotProposed.selector, ID, Arena.State.Settled));
        arena.finalize(ID);
    }

    function testFuzz_unresolvedChallengeIsCancellableAfterTheResolveWindow(
        uint64 delay,
        address caller,
        address challenger,
        bool oneVote
    ) public {
        _assumeOutsider(challenger);
        _openAndEnter(3, FEE);
        _propose(3);
        _challenge(challenger);
        uint64 resolveBy = uint64(block.timestamp) + RESOLVE_WINDOW;
        if (oneVote) _vote(0, true);
        vm.warp(resolveBy - 1);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Arena.ChallengePending.selector, resolveBy));
        arena.cancel(ID);
        vm.warp(resolveBy + delay % 30 days);
        vm.prank(verifiers[1]);
        vm.expectRevert(abi.encodeWithSelector(Arena.ResolveWindowOver.selector, resolveBy));
        arena.vote(ID, true);
        vm.prank(caller);
        arena.cancel(ID);
        assertEq(uint256(_state()), uint256(Arena.State.Cancelled), "cancelled");
        for (uint256 i; i < 3; ++i) {
            assertEq(arena.balanceOf(address(0), address(ENTRANT + uint160(i))), FEE, "entry refunded");
        }
        assertEq(arena.balanceOf(address(0), address(this)), SETTLE_BOND, "settle bond back to the operator");
        assertEq(arena.balanceOf(address(0), challenger), CHALLENGE_BOND, "challenge bond back to the challenger");
        assertEq(arena.escrowed(address(0)), 0, "nothing escrowed");
        _assertHeldIsOwedPlusEscrowed();
    }

    function testFuzz_constructorRefusesANonMajorityThresholdOrDuplicateVerifier(
        uint8 nSeed,
        uint16 thresholdSeed,
        uint8 dupSeed
    ) public {
        uint256 n = 1 + nSeed % 8;
        // 0..n+1: none, minorities, half, majorities, more than the committee.
        uint16 threshold = uint16(thresholdSeed % (n + 2));
        address[] memory committee = new address[](n);
        for (uint256 i; i < n; ++i) {
            committee[i] = address(uint160(0x7E00 + i + 1));
        }
        bool majority = threshold != 0 && threshold <= n && 2 * uint256(threshold) > n;
        if (!majority) {
            vm.expectRevert(abi.encodeWithSelector(Arena.InvalidCommittee.selector, n, uint256(threshold)));
            new Arena(address(this), committee, threshold, 1, 1, 0, 1);
        } else {
            Arena deployed = new Arena(address(this), committee, threshold, 1, 1, 0, 1);
            assertEq(deployed.threshold(), threshold, "threshold");
            assertEq(deployed.verifiers().length, n, "committee size");
        }
        // With a valid majority, a committee naming one verifier twice, or address 0, is refused.
        uint16 valid = uint16(n / 2 + 1);
        if (n >= 2) {
            uint256 j = dupSeed % n;
            address kept = committee[j];
            committee[j] = committee[(j + 1 + dupSeed / 8 % (n - 1)) % n];
            vm.expectRevert(abi.encodeWithSelector(Arena.InvalidCommittee.selector, n, uint256(valid)));
            new Arena(address(this), committee, valid, 1, 1, 0, 1);
            committee[j] = kept;
        }
        committee[dupSeed % n] = address(0);
        vm.expectRevert(abi.encodeWithSelector(Arena.InvalidCommittee.selector, n, uint256(valid)));
        new Arena(address(this), committee, valid, 1, 1, 0, 1);
    }
}

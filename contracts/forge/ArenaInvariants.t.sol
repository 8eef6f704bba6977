// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {ForgeTest} from "./Vm.sol";
import {ArenaHandler} from "./ArenaHandler.sol";

/// The accounting invariants of Arena, per asset (ETH and two tokens), over random sequences of
/// open (in any asset), enter (several agents per owner), settle (a proposal with its bond),
/// finalize, challenge, votes of the 2-of-3 committee, cancel by the operator, cancel by a
/// stranger once a round timed out or its challenge went undecided, withdraw and the passing of
/// time (runs and depth in foundry.toml).
contract ArenaInvariantsTest is ForgeTest {
    ArenaHandler internal handler;
    Arena internal arena;

    function setUp() public {
        handler = new ArenaHandler();
        arena = handler.arena();
        bytes4[] memory calls = new bytes4[](11);
        calls[0] = ArenaHandler.warp.selector;
        calls[1] = ArenaHandler.open.selector;
        calls[2] = ArenaHandler.enter.selector;
        calls[3] = ArenaHandler.settle.selector;
        calls[4] = ArenaHandler.cancel.selector;
        calls[5] = ArenaHandler.withdraw.selector;
        calls[6] = ArenaHandler.cancelTimedOut.selector;
        calls[7] = ArenaHandler.finalize.selector;
        calls[8] = ArenaHandler.challenge.selector;
        calls[9] = ArenaHandler.vote.selector;
        calls[10] = ArenaHandler.cancelUnresolved.selector;
        target(address(handler), calls);
    }

    /// Per asset, the contract holds exactly what was paid in (fees, and in ETH the bonds)
    /// minus what was withdrawn.
    function invariant_balanceIsFeesInMinusWithdrawals() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(handler.held(asset), handler.feesIn(asset) - handler.withdrawn(asset), "balance");
        }
    }

    /// Per asset, what it owes plus what rounds still hold (the fees of rounds not paid out or
    /// refunded, and in ETH the bonds not yet credited) is exactly what it holds.
    function invariant_owedPlusOpenFeesIsBalance() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(arena.totalOwed(asset) + handler.openFees(asset), handler.held(asset), "owed + open fees");
        }
    }

    /// Per asset, the balances (owners, operator, challengers, verifiers) add up to `totalOwed`.
    function invariant_balancesSumToTotalOwed() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            uint256 sum;
            for (uint256 i; i < handler.accountCount(); ++i) {
                sum += arena.balanceOf(asset, handler.account(i));
            }
            assertEq(sum, arena.totalOwed(asset), "sum of balances");
        }
    }

    /// Every account is owed exactly what the payout rules, the bond rules and its withdrawals
    /// leave it, in every asset, and every withdrawal arrived whole.
    function invariant_balancesFollowThePayoutRules() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            for (uint256 i; i < handler.accountCount(); ++i) {
                address account = handler.account(i);
                assertEq(arena.balanceOf(asset, account), handler.expectedBalance(asset, account), "account");
            }
        }
        assertEq(handler.withdrawalShortfall(), 0, "withdrawals that did not arrive whole");
    }

    /// No entrant of a timed-out round loses its fee, in ETH or in a token: a stranger's cancel
    /// credits every owner the fee of each agent it entered in the round's asset, the round
    /// stays cancelled, and the operator can no longer settle it.
    function invariant_timedOutRoundsRefundEveryFee() public view {
        assertEq(handler.timeoutShortfall(), 0, "fees not refunded on timeout");
        assertEq(handler.lateSettlements(), 0, "settlements accepted after the timeout");
        for (uint256 i; i < handler.timedOutCount(); ++i) {
            (Arena.State state,,,,,,,,) = arena.roundInfo(handler.timedOut(i));
            assertEq(uint256(state), uint256(Arena.State.Cancelled), "timed-out round state");
        }
    }

    /// Per asset, the contract holds exactly `totalOwed + escrowed`, and `escrowed` is what the
    /// handler books as held by rounds (fees not paid out or refunded, bonds not credited).
    function invariant_heldIsOwedPlusEscrowed() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(handler.held(asset), arena.totalOwed(asset) + arena.escrowed(asset), "held");
            assertEq(arena.escrowed(asset), handler.openFees(asset), "escrowed");
        }
    }

    /// Bonds follow the bond rules: an upheld challenge credits the operator's bond (slashed)
    /// and the challenge bond to that round's challenger and to nobody else; a rejected one
    /// credits the challenge bond (slashed) and the settle bond to the operator; a finalized
    /// proposal returns the settle bond to the operator; an unresolved challenge returns each
    /// bond to its poster. Decided rounds stay cancelled (upheld) or settled (rejected), and the
    /// operator, challengers and verifiers are owed exactly what those rules give them.
    function invariant_slashedBondsGoOnlyToTheChallenger() public view {
        assertEq(handler.bondViolations(), 0, "bond credits against the bond rules");
        assertEq(handler.slashedToChallengers(), handler.upheldCount() * handler.SETTLE_BOND(), "settle bonds slashed");
        assertEq(
            handler.slashedToOperator(), handler.rejectedCount() * handler.CHALLENGE_BOND(), "challenge bonds slashed"
        );
        for (uint256 i; i < handler.upheldCount(); ++i) {
            uint64 id = handler.upheldRounds(i);
            (Arena.State state,,,,,,,,) = arena.roundInfo(id);
            assertEq(uint256(state), uint256(Arena.State.Cancelled), "upheld round state");
            (,, address challenger,,,) = arena.contest(id);
            assertEq(challenger, handler.challengerOf(id), "upheld round's challenger");
        }
        for (uint256 i; i < handler.rejectedCount(); ++i) {
            (Arena.State state,,,,,,,,) = arena.roundInfo(handler.rejectedRounds(i));
            assertEq(uint256(state), uint256(Arena.State.Settled), "rejected round state");
        }
        for (uint256 i; i < handler.unresolvedCount(); ++i) {
            (Arena.State state,,,,,,,,) = arena.roundInfo(handler.unresolvedRounds(i));
            assertEq(uint256(state), uint256(Arena.State.Cancelled), "unresolved round state");
        }
        // The operator (index 4), the challengers (5, 6) and the verifiers (7..9), in ETH.
        for (uint256 i = 4; i < handler.accountCount(); ++i) {
            address account = handler.account(i);
            assertEq(arena.balanceOf(address(0), account), handler.expectedBalance(address(0), account), "bond party");
        }
    }
}

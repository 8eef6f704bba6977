// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Arena} from "../solidity/Arena.sol";
import {ForgeTest} from "./Vm.sol";
import {ArenaHandler} from "./ArenaHandler.sol";

/// The accounting invariants of Arena, per asset (ETH and two tokens), over random sequences of
/// open (in any asset), enter (several agents per owner), settle, cancel by the operator, cancel by a stranger once a round timed out, withdraw
/// and the passing of time (runs and depth in foundry.toml).
contract ArenaInvariantsTest is ForgeTest {
    ArenaHandler internal handler;
    Arena internal arena;

    function setUp() public {
        handler = new ArenaHandler();
        arena = handler.arena();
        bytes4[] memory calls = new bytes4[](7);
        calls[0] = ArenaHandler.warp.selector;
        calls[1] = ArenaHandler.open.selector;
        calls[2] = ArenaHandler.enter.selector;
        calls[3] = ArenaHandler.settle.selector;
        calls[4] = ArenaHandler.cancel.selector;
        calls[5] = ArenaHandler.withdraw.selector;
        calls[6] = ArenaHandler.cancelTimedOut.selector;
        target(address(handler), calls);
    }

    /// Per asset, the contract holds exactly the fees paid in minus what was withdrawn.
    function invariant_balanceIsFeesInMinusWithdrawals() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(handler.held(asset), handler.feesIn(asset) - handler.withdrawn(asset), "balance");
        }
    }

    /// Per asset, what it owes plus the fees of open rounds is exactly what it holds.
    function invariant_owedPlusOpenFeesIsBalance() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(arena.totalOwed(asset) + handler.openFees(asset), handler.held(asset), "owed + open fees");
        }
    }

    /// Per asset, the balances add up to `totalOwed`.
    function invariant_balancesSumToTotalOwed() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            uint256 sum = arena.balanceOf(asset, address(handler));
            for (uint256 i; i < handler.ownerCount(); ++i) {
                sum += arena.balanceOf(asset, handler.owners(i));
            }
            assertEq(sum, arena.totalOwed(asset), "sum of balances");
        }
    }

    /// Every account is owed exactly what the payout rules and its withdrawals leave it, in
    /// every asset, and every withdrawal arrived whole.
    function invariant_balancesFollowThePayoutRules() public view {
        for (uint256 a; a < handler.assetCount(); ++a) {
            address asset = handler.assets(a);
            assertEq(
                arena.balanceOf(asset, address(handler)), handler.expectedBalance(asset, address(handler)), "operator"
            );
            for (uint256 i; i < handler.ownerCount(); ++i) {
                address owner = handler.owners(i);
                assertEq(arena.balanceOf(asset, owner), handler.expectedBalance(asset, owner), "owner");
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
}

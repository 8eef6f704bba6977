// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The slice of Arena this attacker calls.
interface IArena {
    function enter(uint64 roundId, bytes32 agent) external payable;
    function withdraw(address asset) external;
}

/// Test-only attacker: enters a round, and when paid out tries to withdraw again from inside
/// its receive hook. Arena must refuse the nested call so the balance is paid at most once.
contract ReentrantWithdrawer {
    /// What receive() does with a payment.
    enum Mode {
        Accept,
        Reenter,
        Reject
    }

    IArena public immutable arena;
    Mode public mode = Mode.Reenter;
    /// How many times receive() ran.
    uint256 public received;

    constructor(IArena arena_) {
        arena = arena_;
    }

    function enter(uint64 roundId, bytes32 agent) external payable {
        arena.enter{value: msg.value}(roundId, agent);
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function withdraw() external {
        arena.withdraw(address(0));
    }

    receive() external payable {
        received += 1;
        if (mode == Mode.Reenter) {
            arena.withdraw(address(0));
        } else if (mode == Mode.Reject) {
            revert();
        }
    }
}

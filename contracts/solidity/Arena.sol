// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Arena: entry fees and rewards for judged agent rounds.
/// @notice The operator (the judge's account) opens a round, agents' owners enter it by paying
/// exactly the entry fee before the deadline, and the operator settles it with the ranked list of
/// entrants and the Merkle root of the round's record. Rewards and refunds accrue to pull-payment
/// balances that only their owner can withdraw.
/// @dev Payout rules (see contracts/README.md):
///  - pot = entryFee * entrants; protocolFee = pot * protocolFeeBps / 10000 (rounded down), credited
///    to the operator; prize = pot - protocolFee.
///  - places 2..m (m = min(entrants, paid places)) get prize * splitBps[i] / 10000 (rounded down);
///  - first place gets everything else: its own share, the shares of places nobody filled, and all
///    integer-division dust. Nothing is ever left in the contract unaccounted for.
contract Arena {
    /// Life cycle of a round. `None` means the id was never opened.
    enum State {
        None,
        Open,
        Settled,
        Cancelled
    }

    /// Everything the contract keeps about one round.
    struct Round {
        State state;
        uint16 protocolFeeBps;
        uint64 deadline;
        uint128 entryFee;
        bytes32 space;
        bytes32 resultRoot;
        uint16[] splitBps;
        address[] entrants;
    }

    /// Basis points in a whole.
    uint256 public constant BPS = 10_000;
    /// At most this many entrants, so that settlement can check the ranking with one 256-bit map.
    uint256 public constant MAX_ENTRANTS = 256;
    /// At most this many paid places.
    uint256 public constant MAX_PLACES = 32;

    /// The judge's account: the only one that opens, settles and cancels rounds, and the
    /// recipient of protocol fees.
    address public immutable operator;

    mapping(uint64 => Round) private rounds;
    /// 1-based position of an entrant in `rounds[id].entrants`; 0 means not entered.
    mapping(uint64 => mapping(address => uint256)) private entrantSlot;
    /// Pull-payment balances: rewards, refunds and protocol fees waiting to be withdrawn.
    mapping(address => uint256) public balanceOf;
    /// Sum of all balances, so anyone can check the contract holds what it owes.
    uint256 public totalOwed;

    uint256 private locked = 1;

    event RoundOpened(
        uint64 indexed roundId,
        bytes32 indexed space,
        uint128 entryFee,
        uint64 deadline,
        uint16[] splitBps,
        uint16 protocolFeeBps
    );
    event Entered(uint64 indexed roundId, address indexed entrant, uint256 entrantCount);
    event RoundSettled(
        uint64 indexed roundId, bytes32 resultRoot, address[] ranking, uint256 pot, uint256 protocolFee
    );
    event RoundCancelled(uint64 indexed roundId, uint256 refunded);
    /// One credit to a pull-payment balance. `place` is 1-based for rewards, 0 for a refund and
    /// type(uint256).max for the protocol fee.
    event Credited(uint64 indexed roundId, address indexed account, uint256 amount, uint256 place);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroOperator();
    error NotOperator(address caller);
    error RoundExists(uint64 roundId);
    error RoundNotOpen(uint64 roundId, State state);
    error DeadlineNotInFuture(uint64 deadline, uint256 now_);
    error InvalidSplit(uint256 places, uint256 sumBps);
    error ProtocolFeeTooHigh(uint16 protocolFeeBps);
    error WrongEntryFee(uint256 sent, uint256 required);
    error EntriesClosed(uint64 deadline);
    error EntriesStillOpen(uint64 deadline);
    error AlreadyEntered(address entrant);
    error RoundFull(uint256 maxEntrants);
    error RankingLengthMismatch(uint256 given, uint256 entrants);
    error NotAnEntrant(address account);
    error DuplicateEntrant(address account);
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);
    error Reentrancy();

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked != 1) revert Reentrancy();
        locked = 2;
        _;
        locked = 1;
    }

    constructor(address operator_) {
        if (operator_ == address(0)) revert ZeroOperator();
        operator = operator_;
    }

    /// Opens round `roundId` (chosen by the operator, so a retried open cannot open twice).
    function open(uint64 roundId, bytes32 space, uint128 entryFee, uint64 deadline, uint16[] calldata splitBps, uint16 protocolFeeBps)
        external
        onlyOperator
        nonReentrant
    {
        Round storage r = rounds[roundId];
        if (r.state != State.None) revert RoundExists(roundId);
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline, block.timestamp);
        if (protocolFeeBps > BPS) revert ProtocolFeeTooHigh(protocolFeeBps);
        uint256 sum;
        for (uint256 i; i < splitBps.length; ++i) {
            sum += splitBps[i];
        }
        if (splitBps.length == 0 || splitBps.length > MAX_PLACES || sum != BPS) {
            revert InvalidSplit(splitBps.length, sum);
        }
        r.state = State.Open;
        r.protocolFeeBps = protocolFeeBps;
        r.deadline = deadline;
        r.entryFee = entryFee;
        r.space = space;
        r.splitBps = splitBps;
        emit RoundOpened(roundId, space, entryFee, deadline, splitBps, protocolFeeBps);
    }

    /// Enters the caller in round `roundId`; the payment must be exactly the entry fee.
    function enter(uint64 roundId) external payable nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (block.timestamp >= r.deadline) revert EntriesClosed(r.deadline);
        if (msg.value != r.entryFee) revert WrongEntryFee(msg.value, r.entryFee);
        if (entrantSlot[roundId][msg.sender] != 0) revert AlreadyEntered(msg.sender);
        uint256 count = r.entrants.length;
        if (count >= MAX_ENTRANTS) revert RoundFull(MAX_ENTRANTS);
        r.entrants.push(msg.sender);
        entrantSlot[roundId][msg.sender] = count + 1;
        emit Entered(roundId, msg.sender, count + 1);
    }

    /// Settles round `roundId` once, after its deadline: `ranking` must list every entrant exactly
    /// once, best first. Rewards are credited to balances; nothing is transferred here.
    function settle(uint64 roundId, address[] calldata ranking, bytes32 resultRoot)
        external
        onlyOperator
        nonReentrant
    {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (block.timestamp < r.deadline) revert EntriesStillOpen(r.deadline);
        uint256 n = r.entrants.length;
        if (ranking.length != n) revert RankingLengthMismatch(ranking.length, n);
        uint256 seen;
        for (uint256 i; i < n; ++i) {
            uint256 slot = entrantSlot[roundId][ranking[i]];
            if (slot == 0) revert NotAnEntrant(ranking[i]);
            uint256 bit = 1 << (slot - 1);
            if (seen & bit != 0) revert DuplicateEntrant(ranking[i]);
            seen |= bit;
        }

        r.state = State.Settled;
        r.resultRoot = resultRoot;
        uint256 pot = uint256(r.entryFee) * n;
        uint256 fee = pot * r.protocolFeeBps / BPS;
        emit RoundSettled(roundId, resultRoot, ranking, pot, fee);
        if (fee != 0) _credit(roundId, operator, fee, type(uint256).max);
        if (n == 0) return;

        uint256 prize = pot - fee;
        uint256 places = r.splitBps.length < n ? r.splitBps.length : n;
        uint256 paid;
        for (uint256 i = 1; i < places; ++i) {
            uint256 share = prize * r.splitBps[i] / BPS;
            paid += share;
            _credit(roundId, ranking[i], share, i + 1);
        }
        _credit(roundId, ranking[0], prize - paid, 1);
    }

    /// Cancels open round `roundId` and credits every entrant its entry fee back.
    function cancel(uint64 roundId) external onlyOperator nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        r.state = State.Cancelled;
        uint256 n = r.entrants.length;
        emit RoundCancelled(roundId, n);
        for (uint256 i; i < n; ++i) {
            _credit(roundId, r.entrants[i], r.entryFee, 0);
        }
    }

    /// Sends the caller its whole balance. The balance is cleared before the transfer.
    function withdraw() external nonReentrant {
        uint256 amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        balanceOf[msg.sender] = 0;
        totalOwed -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok, bytes memory reason) = msg.sender.call{value: amount}("");
        if (!ok) {
            // Pass the recipient's own error on (e.g. Reentrancy()) so the cause stays visible.
            if (reason.length != 0) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
            revert TransferFailed(msg.sender, amount);
        }
    }

    /// The state and parameters of round `roundId`.
    function roundInfo(uint64 roundId)
        external
        view
        returns (
            State state,
            bytes32 space,
            uint128 entryFee,
            uint64 deadline,
            uint16 protocolFeeBps,
            uint16[] memory splitBps,
            address[] memory entrants,
            bytes32 resultRoot
        )
    {
        Round storage r = rounds[roundId];
        return (r.state, r.space, r.entryFee, r.deadline, r.protocolFeeBps, r.splitBps, r.entrants, r.resultRoot);
    }

    /// Whether `account` entered round `roundId`.
    function isEntrant(uint64 roundId, address account) external view returns (bool) {
        return entrantSlot[roundId][account] != 0;
    }

    function _credit(uint64 roundId, address account, uint256 amount, uint256 place) private {
        balanceOf[account] += amount;
        totalOwed += amount;
        emit Credited(roundId, account, amount, place);
    }
}

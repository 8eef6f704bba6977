// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The slice of ERC-20 the arena uses to take and pay token fees.
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title Arena: entry fees and rewards for judged agent rounds.
/// @notice The operator (the judge's account) opens a round, agents' owners enter their agents
/// (one owner may enter several) by paying exactly the entry fee per agent before the deadline,
/// in native ETH or in the ERC-20 token chosen at opening (pulled with `transferFrom`),
/// and the operator settles it with the ranked list of agents and the Merkle root of the round's
/// record. If the operator has not settled by the deadline plus the round's settle window, anyone
/// can cancel it and every entry is refunded. Rewards and refunds accrue to pull-payment balances
/// that only their owner can withdraw, one per asset (the token, or address 0 for ETH); an agent's
/// reward goes to the owner that paid its entry, in the asset its fee was paid in.
/// @dev Payout rules (see contracts/README.md):
///  - pot = entryFee * entrants; protocolFee = pot * protocolFeeBps / 10000 (rounded down), credited
///    to the operator; prize = pot - protocolFee.
///  - places 2..m (m = min(entrants, paid places)) get prize * splitBps[i] / 10000 (rounded down);
///  - first place gets everything else: its own share, the shares of places nobody filled, and all
///    integer-division dust. Nothing is ever left in the contract unaccounted for.
/// Tokens that take a fee on transfer (or otherwise deliver less than asked) are refused at
/// entry, so every asset's pot is exactly entryFee * entrants.
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
        uint64 settleWindow;
        uint128 entryFee;
        /// The ERC-20 token the fee is paid in; address 0 for native ETH.
        address feeToken;
        bytes32 space;
        bytes32 resultRoot;
        uint16[] splitBps;
        /// Entered agents, in entry order, and the owner that paid for each.
        bytes32[] agents;
        address[] owners;
    }

    /// Basis points in a whole.
    uint256 public constant BPS = 10_000;
    /// At most this many entrants, so that settlement can check the ranking with one 256-bit map.
    uint256 public constant MAX_ENTRANTS = 256;
    /// At most this many paid places.
    uint256 public constant MAX_PLACES = 32;

    /// The judge's account: the only one that opens and settles rounds and cancels them before
    /// they time out, and the recipient of protocol fees.
    address public immutable operator;

    mapping(uint64 => Round) private rounds;
    /// 1-based position of an agent in `rounds[id].agents`; 0 means not entered.
    mapping(uint64 => mapping(bytes32 => uint256)) private agentSlot;
    /// Native ETH in `balanceOf` and `totalOwed`.
    address public constant NATIVE = address(0);

    /// Pull-payment balances per asset (token address, `NATIVE` for ETH): rewards, refunds and
    /// protocol fees waiting to be withdrawn.
    mapping(address asset => mapping(address account => uint256)) public balanceOf;
    /// Sum of all balances per asset, so anyone can check the contract holds what it owes.
    mapping(address asset => uint256) public totalOwed;

    uint256 private locked = 1;

    event RoundOpened(
        uint64 indexed roundId,
        bytes32 indexed space,
        address indexed feeToken,
        uint128 entryFee,
        uint64 deadline,
        uint64 settleWindow,
        uint16[] splitBps,
        uint16 protocolFeeBps
    );
    event Entered(uint64 indexed roundId, bytes32 indexed agent, address indexed owner, uint256 entrantCount);
    event RoundSettled(
        uint64 indexed roundId, bytes32 resultRoot, bytes32[] ranking, uint256 pot, uint256 protocolFee
    );
    /// `by` is the operator, or anyone once the round timed out.
    event RoundCancelled(uint64 indexed roundId, uint256 refunded, address by);
    /// One credit to a pull-payment balance, for `agent` (zero for the protocol fee). `place` is
    /// 1-based for rewards, 0 for a refund and type(uint256).max for the protocol fee. Credits of
    /// nothing (free rounds, places whose share rounds to zero) are not made.
    /// `asset` is the round's fee token (address 0 for ETH).
    event Credited(
        uint64 indexed roundId, address indexed account, address asset, bytes32 agent, uint256 amount, uint256 place
    );
    event Withdrawn(address indexed account, address indexed asset, uint256 amount);

    error ZeroOperator();
    error NotOperator(address caller);
    error RoundExists(uint64 roundId);
    error RoundNotOpen(uint64 roundId, State state);
    error DeadlineNotInFuture(uint64 deadline, uint256 now_);
    error ZeroSettleWindow();
    error InvalidSplit(uint256 places, uint256 sumBps);
    error ProtocolFeeTooHigh(uint16 protocolFeeBps);
    error WrongEntryFee(uint256 sent, uint256 required);
    error NotAToken(address token);
    error NativeSentToTokenRound(uint256 sent, address token);
    error InsufficientAllowance(address token, uint256 allowance, uint256 required);
    error InsufficientTokenBalance(address token, uint256 balance, uint256 required);
    error FeeOnTransferToken(address token, uint256 received, uint256 required);
    error TokenTransferFailed(address token, address to, uint256 amount);
    error EntriesClosed(uint64 deadline);
    error EntriesStillOpen(uint64 deadline);
    error SettleWindowOver(uint64 timedOutAt);
    error NotTimedOut(uint64 timesOutAt);
    error AlreadyEntered(bytes32 agent);
    error RoundFull(uint256 maxEntrants);
    error RankingLengthMismatch(uint256 given, uint256 entrants);
    error NotAnEntrant(bytes32 agent);
    error DuplicateEntrant(bytes32 agent);
    error NothingToWithdraw(address account, address asset);
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

    /// Opens round `roundId` (chosen by the operator, so a retried open cannot open twice), its
    /// fee paid in `feeToken` (a contract; address 0 for native ETH). The operator must settle
    /// before `deadline + settleWindow`; after that anyone can cancel.
    function open(
        uint64 roundId,
        bytes32 space,
        address feeToken,
        uint128 entryFee,
        uint64 deadline,
        uint64 settleWindow,
        uint16[] calldata splitBps,
        uint16 protocolFeeBps
    )
        external
        onlyOperator
        nonReentrant
    {
        Round storage r = rounds[roundId];
        if (r.state != State.None) revert RoundExists(roundId);
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline, block.timestamp);
        if (settleWindow == 0) revert ZeroSettleWindow();
        if (protocolFeeBps > BPS) revert ProtocolFeeTooHigh(protocolFeeBps);
        if (feeToken != NATIVE && feeToken.code.length == 0) revert NotAToken(feeToken);
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
        r.settleWindow = settleWindow;
        r.entryFee = entryFee;
        r.feeToken = feeToken;
        r.space = space;
        r.splitBps = splitBps;
        emit RoundOpened(roundId, space, feeToken, entryFee, deadline, settleWindow, splitBps, protocolFeeBps);
    }

    /// Enters `agent` in round `roundId`, paid by the caller, who receives its reward or refund.
    /// In a native round the payment must be exactly the entry fee; in a token round no ETH is
    /// sent and the fee is pulled with `transferFrom`, so the caller approves this contract for
    /// it first. An agent enters a round at most once.
    function enter(uint64 roundId, bytes32 agent) external payable nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (block.timestamp >= r.deadline) revert EntriesClosed(r.deadline);
        address token = r.feeToken;
        uint256 fee = r.entryFee;
        if (token == NATIVE) {
            if (msg.value != fee) revert WrongEntryFee(msg.value, fee);
        } else if (msg.value != 0) {
            revert NativeSentToTokenRound(msg.value, token);
        }
        if (agentSlot[roundId][agent] != 0) revert AlreadyEntered(agent);
        uint256 count = r.agents.length;
        if (count >= MAX_ENTRANTS) revert RoundFull(MAX_ENTRANTS);
        r.agents.push(agent);
        r.owners.push(msg.sender);
        agentSlot[roundId][agent] = count + 1;
        emit Entered(roundId, agent, msg.sender, count + 1);
        if (token != NATIVE && fee != 0) _pullFee(IERC20(token), fee);
    }

    /// Takes `fee` of `token` from the caller, refusing with a named error when the allowance or
    /// balance is short and when less than `fee` arrives (a fee-on-transfer token). Runs last in
    /// `enter`, under its reentrancy guard; any refusal undoes the entry.
    function _pullFee(IERC20 token, uint256 fee) private {
        uint256 allowed = token.allowance(msg.sender, address(this));
        if (allowed < fee) revert InsufficientAllowance(address(token), allowed, fee);
        uint256 held = token.balanceOf(msg.sender);
        if (held < fee) revert InsufficientTokenBalance(address(token), held, fee);
        uint256 before = token.balanceOf(address(this));
        _callToken(token, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), fee)), address(this), fee);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != fee) revert FeeOnTransferToken(address(token), received, fee);
    }

    /// Calls `token` with `data` (a transfer or transferFrom of `amount` to `to`) the way
    /// OpenZeppelin's SafeERC20 does: the call must succeed and return either nothing (tokens
    /// such as USDT) or `true`.
    function _callToken(IERC20 token, bytes memory data, address to, uint256 amount) private {
        (bool ok, bytes memory ret) = address(token).call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || !abi.decode(ret, (bool))))) {
            revert TokenTransferFailed(address(token), to, amount);
        }
    }

    /// Settles round `roundId` once, after its deadline and before it times out: `ranking` must
    /// list every entered agent exactly once, best first. Each reward is credited to the balance
    /// of the owner that paid for the agent; nothing is transferred here.
    function settle(uint64 roundId, bytes32[] calldata ranking, bytes32 resultRoot)
        external
        onlyOperator
        nonReentrant
    {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (block.timestamp < r.deadline) revert EntriesStillOpen(r.deadline);
        uint64 timeout = r.deadline + r.settleWindow;
        if (block.timestamp >= timeout) revert SettleWindowOver(timeout);
        address[] memory paidBy = _payersOf(roundId, r, ranking);

        r.state = State.Settled;
        r.resultRoot = resultRoot;
        uint256 pot = uint256(r.entryFee) * ranking.length;
        uint256 fee = pot * r.protocolFeeBps / BPS;
        emit RoundSettled(roundId, resultRoot, ranking, pot, fee);
        address asset = r.feeToken;
        _credit(roundId, asset, operator, bytes32(0), fee, type(uint256).max);
        if (ranking.length != 0) _payPlaces(roundId, asset, r.splitBps, ranking, paidBy, pot - fee);
    }

    /// The owner that paid for each agent of `ranking`, which must list every entered agent of
    /// the round exactly once.
    function _payersOf(uint64 roundId, Round storage r, bytes32[] calldata ranking)
        private
        view
        returns (address[] memory paidBy)
    {
        uint256 n = r.agents.length;
        if (ranking.length != n) revert RankingLengthMismatch(ranking.length, n);
        uint256 seen;
        paidBy = new address[](n);
        for (uint256 i; i < n; ++i) {
            uint256 slot = agentSlot[roundId][ranking[i]];
            if (slot == 0) revert NotAnEntrant(ranking[i]);
            uint256 bit = 1 << (slot - 1);
            if (seen & bit != 0) revert DuplicateEntrant(ranking[i]);
            seen |= bit;
            paidBy[i] = r.owners[slot - 1];
        }
    }

    /// Credits `prize` by the payout rules: places 2..m their share, first place the rest.
    function _payPlaces(
        uint64 roundId,
        address asset,
        uint16[] storage splitBps,
        bytes32[] calldata ranking,
        address[] memory paidBy,
        uint256 prize
    ) private {
        uint256 places = splitBps.length < ranking.length ? splitBps.length : ranking.length;
        uint256 paid;
        for (uint256 i = 1; i < places; ++i) {
            uint256 share = prize * splitBps[i] / BPS;
            paid += share;
            _credit(roundId, asset, paidBy[i], ranking[i], share, i + 1);
        }
        _credit(roundId, asset, paidBy[0], ranking[0], prize - paid, 1);
    }

    /// Cancels open round `roundId` and credits every entry's fee back to the owner that paid it,
    /// in the asset it was paid in.
    /// The operator can cancel at any time; anyone else once the round timed out (its deadline
    /// plus its settle window passed without a settlement), so fees are never locked.
    function cancel(uint64 roundId) external nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (msg.sender != operator) {
            uint64 timeout = r.deadline + r.settleWindow;
            if (block.timestamp < timeout) revert NotTimedOut(timeout);
        }
        r.state = State.Cancelled;
        uint256 n = r.agents.length;
        emit RoundCancelled(roundId, n, msg.sender);
        for (uint256 i; i < n; ++i) {
            _credit(roundId, r.feeToken, r.owners[i], r.agents[i], r.entryFee, 0);
        }
    }

    /// Sends the caller its whole balance of `asset` (a token, or `NATIVE` for ETH). The balance
    /// is cleared before the transfer.
    function withdraw(address asset) external nonReentrant {
        uint256 amount = balanceOf[asset][msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender, asset);
        balanceOf[asset][msg.sender] = 0;
        totalOwed[asset] -= amount;
        emit Withdrawn(msg.sender, asset, amount);
        if (asset != NATIVE) {
            _callToken(IERC20(asset), abi.encodeCall(IERC20.transfer, (msg.sender, amount)), msg.sender, amount);
            return;
        }
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
            address feeToken,
            uint128 entryFee,
            uint64 deadline,
            uint64 settleWindow,
            uint16 protocolFeeBps,
            uint16[] memory splitBps,
            bytes32 resultRoot
        )
    {
        Round storage r = rounds[roundId];
        return (r.state, r.space, r.feeToken, r.entryFee, r.deadline, r.settleWindow, r.protocolFeeBps, r.splitBps, r.resultRoot);
    }

    /// The agents entered in round `roundId`, in entry order, and the owner that paid for each.
    function entries(uint64 roundId) external view returns (bytes32[] memory agents, address[] memory owners) {
        Round storage r = rounds[roundId];
        return (r.agents, r.owners);
    }

    /// Whether `agent` entered round `roundId`.
    function isEntered(uint64 roundId, bytes32 agent) external view returns (bool) {
        return agentSlot[roundId][agent] != 0;
    }

    function _credit(uint64 roundId, address asset, address account, bytes32 agent, uint256 amount, uint256 place)
        private
    {
        if (amount == 0) return;
        balanceOf[asset][account] += amount;
        totalOwed[asset] += amount;
        emit Credited(roundId, account, asset, agent, amount, place);
    }
}

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
/// and the operator proposes its settlement: the ranked list of agents and the Merkle root of the
/// round's record, with a bond. If the operator has not settled by the deadline plus the round's
/// settle window, anyone can cancel it and every entry is refunded.
/// A proposed settlement pays out only after the challenge window (fixed at deployment) passed
/// unchallenged: then anyone can `finalize` it. During the window anyone can `challenge` it by
/// posting the challenge bond; a committee of verifiers fixed at deployment then votes, and
/// `threshold` votes decide. Upheld: the round is cancelled and refunded, and the challenger gets
/// both bonds (the operator's bond is slashed). Rejected: the settlement pays out and the
/// operator gets both bonds. A committee that does not decide within the resolve window lets
/// anyone cancel the round: entries are refunded and each bond goes back to its poster. Rewards and refunds accrue to pull-payment balances
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
        Proposed,
        Challenged,
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
        /// The proposed ranking, best first, and when it was proposed.
        bytes32[] ranking;
        uint64 proposedAt;
        /// The account that challenged the proposal (zero if none), when, and the votes so far.
        address challenger;
        uint64 challengedAt;
        uint16 upheldVotes;
        uint16 rejectedVotes;
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
    /// Votes of distinct verifiers that decide a challenge, either way.
    uint16 public immutable threshold;
    /// Seconds after a proposal during which it can be challenged; it pays out only after.
    uint64 public immutable challengeWindow;
    /// Seconds after a challenge within which the committee must decide it; after that anyone
    /// can cancel the round.
    uint64 public immutable resolveWindow;
    /// ETH the operator posts with each settlement, slashed to the challenger if a challenge is
    /// upheld.
    uint128 public immutable settleBond;
    /// ETH a challenger posts, paid to the operator if the challenge is rejected.
    uint128 public immutable challengeBond;
    /// The verifier committee, fixed at deployment.
    address[] private committee;
    mapping(address => bool) public isVerifier;
    /// Whether a verifier voted on a round's challenge.
    mapping(uint64 => mapping(address => bool)) public hasVoted;

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
    /// Per asset, what rounds hold that is not yet anyone's balance: the fees of rounds not yet
    /// paid out or refunded, and (in ETH) the bonds of open proposals and challenges. For every
    /// asset the contract holds exactly `totalOwed + escrowed`.
    mapping(address asset => uint256) public escrowed;

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
    /// The operator proposed a settlement; it pays out after `challengeEndsAt` unless challenged.
    event SettlementProposed(uint64 indexed roundId, bytes32 resultRoot, bytes32[] ranking, uint64 challengeEndsAt);
    /// A settlement paid out: unchallenged after its window, or with its challenge rejected.
    event RoundSettled(
        uint64 indexed roundId, bytes32 resultRoot, bytes32[] ranking, uint256 pot, uint256 protocolFee
    );
    event Challenged(uint64 indexed roundId, address indexed challenger, uint256 bond, uint64 resolveBy);
    event Voted(uint64 indexed roundId, address indexed verifier, bool upheld);
    /// The committee decided a challenge: `upheld` cancels the round and slashes the operator.
    event ChallengeResolved(uint64 indexed roundId, bool upheld);
    /// A bond credited to `account`'s ETH balance: returned to its poster, or `slashed` from the
    /// losing side of a challenge.
    event BondCredited(uint64 indexed roundId, address indexed account, uint256 amount, bool slashed);
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
    error InvalidCommittee(uint256 verifiers, uint256 threshold);
    error ZeroWindow();
    error ZeroChallengeBond();
    error WrongBond(uint256 sent, uint256 required);
    error NotProposed(uint64 roundId, State state);
    error NotChallenged(uint64 roundId, State state);
    error ChallengeWindowOpen(uint64 endsAt);
    error ChallengeWindowOver(uint64 endedAt);
    error ResolveWindowOver(uint64 endedAt);
    error NotVerifier(address caller);
    error AlreadyVoted(address verifier);
    error ChallengePending(uint64 resolveBy);
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

    /// `verifiers_` (distinct, non-zero) is the committee that decides challenges with
    /// `threshold_` votes, a strict majority so that the two outcomes cannot both be reached.
    constructor(
        address operator_,
        address[] memory verifiers_,
        uint16 threshold_,
        uint64 challengeWindow_,
        uint64 resolveWindow_,
        uint128 settleBond_,
        uint128 challengeBond_
    ) {
        if (operator_ == address(0)) revert ZeroOperator();
        uint256 n = verifiers_.length;
        if (threshold_ == 0 || threshold_ > n || 2 * uint256(threshold_) <= n || n > type(uint16).max) {
            revert InvalidCommittee(n, threshold_);
        }
        for (uint256 i; i < n; ++i) {
            address v = verifiers_[i];
            if (v == address(0) || isVerifier[v]) revert InvalidCommittee(n, threshold_);
            isVerifier[v] = true;
        }
        if (challengeWindow_ == 0 || resolveWindow_ == 0) revert ZeroWindow();
        if (challengeBond_ == 0) revert ZeroChallengeBond();
        operator = operator_;
        committee = verifiers_;
        threshold = threshold_;
        challengeWindow = challengeWindow_;
        resolveWindow = resolveWindow_;
        settleBond = settleBond_;
        challengeBond = challengeBond_;
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
        escrowed[token] += fee;
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

    /// Proposes the settlement of round `roundId`, once, after its deadline and before it times
    /// out, posting `settleBond` wei: `ranking` must list every entered agent exactly once, best
    /// first. Nothing is credited yet: the rewards follow from `finalize` once the challenge
    /// window passed, or from the committee rejecting a challenge.
    function settle(uint64 roundId, bytes32[] calldata ranking, bytes32 resultRoot)
        external
        payable
        onlyOperator
        nonReentrant
    {
        Round storage r = rounds[roundId];
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (block.timestamp < r.deadline) revert EntriesStillOpen(r.deadline);
        uint64 timeout = r.deadline + r.settleWindow;
        if (block.timestamp >= timeout) revert SettleWindowOver(timeout);
        if (msg.value != settleBond) revert WrongBond(msg.value, settleBond);
        _checkRanking(roundId, r, ranking);

        r.state = State.Proposed;
        r.resultRoot = resultRoot;
        r.ranking = ranking;
        r.proposedAt = uint64(block.timestamp);
        escrowed[NATIVE] += msg.value;
        emit SettlementProposed(roundId, resultRoot, ranking, uint64(block.timestamp) + challengeWindow);
    }

    /// Pays out an unchallenged proposal once its challenge window passed. Anyone can call it,
    /// so rewards never wait on the operator.
    function finalize(uint64 roundId) external nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Proposed) revert NotProposed(roundId, r.state);
        uint64 endsAt = r.proposedAt + challengeWindow;
        if (block.timestamp < endsAt) revert ChallengeWindowOpen(endsAt);
        _payOut(roundId, r);
        _releaseBond(roundId, operator, settleBond, false);
    }

    /// Challenges a proposed settlement within its challenge window, posting `challengeBond` wei.
    /// The round then waits for the committee's votes (or times out unresolved).
    function challenge(uint64 roundId) external payable nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state != State.Proposed) revert NotProposed(roundId, r.state);
        uint64 endsAt = r.proposedAt + challengeWindow;
        if (block.timestamp >= endsAt) revert ChallengeWindowOver(endsAt);
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        r.state = State.Challenged;
        r.challenger = msg.sender;
        r.challengedAt = uint64(block.timestamp);
        escrowed[NATIVE] += msg.value;
        emit Challenged(roundId, msg.sender, msg.value, uint64(block.timestamp) + resolveWindow);
    }

    /// A verifier's vote on a challenged round: `upheld` when the settlement does not verify.
    /// The `threshold`-th vote on one side decides: upheld cancels and refunds the round and
    /// credits both bonds to the challenger; rejected pays the settlement out and credits both
    /// bonds to the operator.
    function vote(uint64 roundId, bool upheld) external nonReentrant {
        if (!isVerifier[msg.sender]) revert NotVerifier(msg.sender);
        Round storage r = rounds[roundId];
        if (r.state != State.Challenged) revert NotChallenged(roundId, r.state);
        uint64 resolveBy = r.challengedAt + resolveWindow;
        if (block.timestamp >= resolveBy) revert ResolveWindowOver(resolveBy);
        if (hasVoted[roundId][msg.sender]) revert AlreadyVoted(msg.sender);
        hasVoted[roundId][msg.sender] = true;
        emit Voted(roundId, msg.sender, upheld);
        if (upheld) {
            if (++r.upheldVotes < threshold) return;
            emit ChallengeResolved(roundId, true);
            _refund(roundId, r);
            _releaseBond(roundId, r.challenger, challengeBond, false);
            _releaseBond(roundId, r.challenger, settleBond, true);
        } else {
            if (++r.rejectedVotes < threshold) return;
            emit ChallengeResolved(roundId, false);
            _payOut(roundId, r);
            _releaseBond(roundId, operator, settleBond, false);
            _releaseBond(roundId, operator, challengeBond, true);
        }
    }

    /// Credits the stored ranking's rewards by the payout rules and marks the round settled.
    function _payOut(uint64 roundId, Round storage r) private {
        r.state = State.Settled;
        bytes32[] storage ranking = r.ranking;
        uint256 n = ranking.length;
        address[] memory paidBy = new address[](n);
        for (uint256 i; i < n; ++i) {
            paidBy[i] = r.owners[agentSlot[roundId][ranking[i]] - 1];
        }
        uint256 pot = uint256(r.entryFee) * n;
        uint256 fee = pot * r.protocolFeeBps / BPS;
        address asset = r.feeToken;
        escrowed[asset] -= pot;
        emit RoundSettled(roundId, r.resultRoot, ranking, pot, fee);
        _credit(roundId, asset, operator, bytes32(0), fee, type(uint256).max);
        if (n != 0) _payPlaces(roundId, asset, r.splitBps, ranking, paidBy, pot - fee);
    }

    /// Refuses a `ranking` that does not list every entered agent of the round exactly once.
    function _checkRanking(uint64 roundId, Round storage r, bytes32[] calldata ranking) private view {
        uint256 n = r.agents.length;
        if (ranking.length != n) revert RankingLengthMismatch(ranking.length, n);
        uint256 seen;
        for (uint256 i; i < n; ++i) {
            uint256 slot = agentSlot[roundId][ranking[i]];
            if (slot == 0) revert NotAnEntrant(ranking[i]);
            uint256 bit = 1 << (slot - 1);
            if (seen & bit != 0) revert DuplicateEntrant(ranking[i]);
            seen |= bit;
        }
    }

    /// Credits `prize` by the payout rules: places 2..m their share, first place the rest.
    function _payPlaces(
        uint64 roundId,
        address asset,
        uint16[] storage splitBps,
        bytes32[] storage ranking,
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

    /// Cancels round `roundId` and credits every entry's fee back to the owner that paid it, in
    /// the asset it was paid in. An open round: the operator at any time, anyone else once it
    /// timed out (its deadline plus its settle window passed without a settlement), so fees are
    /// never locked. A challenged round the committee did not decide within the resolve window:
    /// anyone, and each bond goes back to its poster.
    function cancel(uint64 roundId) external nonReentrant {
        Round storage r = rounds[roundId];
        if (r.state == State.Challenged) {
            uint64 resolveBy = r.challengedAt + resolveWindow;
            if (block.timestamp < resolveBy) revert ChallengePending(resolveBy);
            _refund(roundId, r);
            _releaseBond(roundId, operator, settleBond, false);
            _releaseBond(roundId, r.challenger, challengeBond, false);
            return;
        }
        if (r.state != State.Open) revert RoundNotOpen(roundId, r.state);
        if (msg.sender != operator) {
            uint64 timeout = r.deadline + r.settleWindow;
            if (block.timestamp < timeout) revert NotTimedOut(timeout);
        }
        _refund(roundId, r);
    }

    /// Marks the round cancelled and credits every entry's fee back to its payer.
    function _refund(uint64 roundId, Round storage r) private {
        r.state = State.Cancelled;
        uint256 n = r.agents.length;
        address asset = r.feeToken;
        escrowed[asset] -= uint256(r.entryFee) * n;
        emit RoundCancelled(roundId, n, msg.sender);
        for (uint256 i; i < n; ++i) {
            _credit(roundId, asset, r.owners[i], r.agents[i], r.entryFee, 0);
        }
    }

    /// Moves `amount` of a round's escrowed bonds to `account`'s ETH balance.
    function _releaseBond(uint64 roundId, address account, uint256 amount, bool slashed) private {
        if (amount == 0) return;
        escrowed[NATIVE] -= amount;
        balanceOf[NATIVE][account] += amount;
        totalOwed[NATIVE] += amount;
        emit BondCredited(roundId, account, amount, slashed);
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

    /// The contest state of round `roundId`: its proposed ranking, when the challenge window
    /// ends, and its challenger (zero if none), when the committee must decide by, and the votes.
    function contest(uint64 roundId)
        external
        view
        returns (
            bytes32[] memory ranking,
            uint64 challengeEndsAt,
            address challenger,
            uint64 resolveBy,
            uint16 upheldVotes,
            uint16 rejectedVotes
        )
    {
        Round storage r = rounds[roundId];
        challengeEndsAt = r.proposedAt == 0 ? 0 : r.proposedAt + challengeWindow;
        resolveBy = r.challengedAt == 0 ? 0 : r.challengedAt + resolveWindow;
        return (r.ranking, challengeEndsAt, r.challenger, resolveBy, r.upheldVotes, r.rejectedVotes);
    }

    /// The verifier committee, in the order given at deployment.
    function verifiers() external view returns (address[] memory) {
        return committee;
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

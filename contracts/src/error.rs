//! Errors of the chain client, each naming what went wrong and what to do about it; contract
//! reverts are decoded into the contract's custom errors.

use std::path::PathBuf;

use alloy::primitives::{B256, TxHash};

use crate::bindings::Arena::ArenaErrors;
use crate::bindings::TestUSD::TestUSDErrors;
use crate::node_url::NodeUrl;

/// Everything that can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The anvil binary is not installed.
    #[error(
        "anvil not found at {}: run `bash scripts/install-chain-tools.sh` (or set ARENA_ANVIL to an anvil binary)",
        path.display()
    )]
    AnvilMissing { path: PathBuf },
    /// anvil was found but did not start.
    #[error("could not start anvil: {0}")]
    AnvilStart(String),
    /// A private key that does not parse.
    #[error("invalid private key ({0}): expected 32 bytes of hex, with or without 0x")]
    BadKey(String),
    /// A keystore file that is missing, malformed, or opened with the wrong password.
    #[error("keystore {}: {reason}", path.display())]
    Keystore { path: PathBuf, reason: String },
    /// The node serves another chain than the one the deployment record was made on.
    #[error(
        "the node at {url} serves chain id {node}, but {} records the Arena contract on chain id {recorded}: point --rpc at the right network, or use another data directory for this chain",
        record.display()
    )]
    ChainMismatch {
        url: String,
        record: PathBuf,
        recorded: u64,
        node: u64,
    },
    /// The recorded contract address has no code on the node's chain.
    #[error(
        "no contract code at {address} on chain id {chain_id} ({url}), as recorded in {}: the chain was reset or the record belongs elsewhere; deploy again with `arena chain deploy` or delete the record",
        record.display()
    )]
    NoContract {
        address: alloy::primitives::Address,
        chain_id: u64,
        url: String,
        record: PathBuf,
    },
    /// An RPC URL that does not parse.
    #[error("invalid RPC URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    /// The node's TLS certificate was refused.
    #[error("RPC node at {url} was refused: {message}")]
    Untrusted { url: String, message: String },
    /// The TLS configuration (a `--ca-file`) could not be made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The node did not answer or answered with an error that is not a revert.
    #[error("RPC node at {url} failed during {action}: {reason} (is the node running?)")]
    Rpc {
        url: String,
        action: String,
        reason: String,
    },
    /// The contract refused the call with one of its custom errors.
    #[error("{action} refused by the Arena contract: {reason}")]
    Reverted {
        action: String,
        reason: String,
        /// The decoded custom error, when the revert carried one (boxed: the
        /// decoded errors are large and would make every `Result` large).
        error: Option<Box<ArenaErrors>>,
    },
    /// A transaction was mined but failed.
    #[error("transaction {hash} for {action} was mined but reverted")]
    TxFailed { action: String, hash: TxHash },
    /// The transaction journal could not be read or written.
    #[error("transaction journal {}: {reason}", path.display())]
    Journal { path: PathBuf, reason: String },
    /// The deployment record could not be read or written.
    #[error("deployment record {}: {reason}", path.display())]
    Record { path: PathBuf, reason: String },
    /// The round was already settled, with a different result.
    #[error(
        "round {round_id} is already settled on chain with result root {on_chain}, not {wanted}"
    )]
    SettledDifferently {
        round_id: u64,
        on_chain: B256,
        wanted: B256,
    },
    /// The round is in a state settlement cannot change.
    #[error("round {round_id} cannot be settled: it is {state}")]
    NotSettleable { round_id: u64, state: String },
}

impl ChainError {
    /// The decoded custom error when this is a contract revert.
    pub fn revert(&self) -> Option<&ArenaErrors> {
        match self {
            ChainError::Reverted { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

/// A readable sentence for a custom error of the contract.
pub fn describe_revert(error: &ArenaErrors) -> String {
    use ArenaErrors as E;
    match error {
        E::ZeroOperator(_) => "the operator must not be the zero address".into(),
        E::NotOperator(e) => format!("{} is not the operator", e.caller),
        E::RoundExists(e) => format!("round {} already exists", e.roundId),
        E::RoundNotOpen(e) => format!(
            "round {} is not open (state {})",
            e.roundId,
            crate::client::RoundState::from_u8(e.state)
        ),
        E::DeadlineNotInFuture(e) => format!(
            "deadline {} is not after the current block time {}",
            e.deadline, e.now_
        ),
        E::ZeroSettleWindow(_) => {
            "the settle window must be at least one second after the deadline".into()
        }
        E::InvalidSplit(e) => format!(
            "reward split of {} places sums to {} basis points; it needs 1 to 32 places summing to 10000",
            e.places, e.sumBps
        ),
        E::ProtocolFeeTooHigh(e) => format!(
            "protocol fee of {} basis points is above 10000",
            e.protocolFeeBps
        ),
        E::WrongEntryFee(e) => format!(
            "paid {} wei but the entry fee is exactly {} wei",
            e.sent, e.required
        ),
        E::NotAToken(e) => format!(
            "fee token {} has no contract code on this chain: deploy the token first, or use address 0 for ETH",
            e.token
        ),
        E::NativeSentToTokenRound(e) => format!(
            "sent {} wei, but this round's fee is paid in token {}: send no ETH and approve the token instead",
            e.sent, e.token
        ),
        E::InsufficientAllowance(e) => format!(
            "the Arena contract may take {} of token {} from the entrant but the entry fee is {}: approve the contract for at least the fee first",
            e.allowance, e.token, e.required
        ),
        E::InsufficientTokenBalance(e) => format!(
            "the entrant holds {} of token {} but the entry fee is {}: fund the account with the token first",
            e.balance, e.token, e.required
        ),
        E::FeeOnTransferToken(e) => format!(
            "token {} delivered {} of a {} fee (it takes a fee on transfer); such tokens are refused: choose another token",
            e.token, e.received, e.required
        ),
        E::TokenTransferFailed(e) => format!(
            "token {} refused to transfer {} to {}",
            e.token, e.amount, e.to
        ),
        E::EntriesClosed(e) => format!("entries closed at deadline {}", e.deadline),
        E::EntriesStillOpen(e) => format!(
            "entries are open until {}; settle after the deadline",
            e.deadline
        ),
        E::SettleWindowOver(e) => format!(
            "the round timed out at {} without a settlement; it can only be cancelled (refunding every entry)",
            e.timedOutAt
        ),
        E::NotTimedOut(e) => format!(
            "only the operator can cancel before the round times out at {}; cancel again after that",
            e.timesOutAt
        ),
        E::AlreadyEntered(e) => format!("agent {} has already entered this round", e.agent),
        E::RoundFull(e) => format!("the round is full ({} entrants)", e.maxEntrants),
        E::RankingLengthMismatch(e) => format!(
            "the ranking lists {} agents but the round has {} entrants",
            e.given, e.entrants
        ),
        E::NotAnEntrant(e) => format!("agent {} did not enter this round", e.agent),
        E::DuplicateEntrant(e) => format!("agent {} appears twice in the ranking", e.agent),
        E::NothingToWithdraw(e) => format!(
            "{} has no balance in {} to withdraw",
            e.account,
            crate::client::asset_name(e.asset)
        ),
        E::TransferFailed(e) => format!("sending {} wei to {} failed", e.amount, e.to),
        E::Reentrancy(_) => "reentrant call refused".into(),
        E::InvalidCommittee(e) => format!(
            "a committee of {} verifiers with threshold {} is refused: give distinct, non-zero verifiers and a threshold that is a strict majority of them",
            e.verifiers, e.threshold
        ),
        E::ChallengePending(e) => format!(
            "the round's challenge is before the verifier committee, which has until {} to decide it; after that anyone can cancel the round and refund its entrants",
            e.resolveBy
        ),
        E::ZeroWindow(_) => {
            "the challenge and resolve windows must each be at least one second".into()
        }
        E::ZeroChallengeBond(_) => {
            "the challenge bond must not be zero, or challenges would cost nothing".into()
        }
        E::WrongBond(e) => format!(
            "sent {} wei but the bond is exactly {} wei",
            e.sent, e.required
        ),
        E::NotProposed(e) => format!(
            "round {} has no unchallenged proposed settlement (state {})",
            e.roundId,
            crate::client::RoundState::from_u8(e.state)
        ),
        E::NotChallenged(e) => format!(
            "round {} is not challenged (state {})",
            e.roundId,
            crate::client::RoundState::from_u8(e.state)
        ),
        E::ChallengeWindowOpen(e) => format!(
            "the challenge window is open until {}; finalize after that",
            e.endsAt
        ),
        E::ChallengeWindowOver(e) => format!(
            "the challenge window ended at {}; the settlement can no longer be challenged",
            e.endedAt
        ),
        E::ResolveWindowOver(e) => format!(
            "the committee's time to decide ended at {}; anyone can now cancel the round",
            e.endedAt
        ),
        E::NotVerifier(e) => format!("{} is not a verifier of this contract", e.caller),
        E::AlreadyVoted(e) => format!(
            "verifier {} has already voted on this challenge",
            e.verifier
        ),
    }
}

/// A readable sentence for a refusal of the Test USD token.
fn describe_token_revert(error: &TestUSDErrors) -> String {
    use TestUSDErrors as E;
    match error {
        E::InsufficientBalance(e) => format!(
            "{} holds {} of the token but {} are needed: fund the account first",
            e.from, e.balance, e.needed
        ),
        E::InsufficientAllowance(e) => format!(
            "{} may take {} of the token but {} are needed: approve it for more",
            e.spender, e.allowance, e.needed
        ),
        E::ZeroAddress(_) => "the token refuses to send to the zero address".into(),
    }
}

/// Turns an alloy contract error into a [`ChainError`], decoding the revert when there is one.
pub(crate) fn from_contract_error(
    err: alloy::contract::Error,
    url: &NodeUrl,
    action: &str,
) -> ChainError {
    if let Some(decoded) = err.as_decoded_interface_error::<ArenaErrors>() {
        return ChainError::Reverted {
            action: action.to_string(),
            reason: describe_revert(&decoded),
            error: Some(Box::new(decoded)),
        };
    }
    if let Some(decoded) = err.as_decoded_interface_error::<TestUSDErrors>() {
        return ChainError::Reverted {
            action: action.to_string(),
            reason: describe_token_revert(&decoded),
            error: None,
        };
    }
    if let Some(data) = err.as_revert_data() {
        return ChainError::Reverted {
            action: action.to_string(),
            reason: format!("undecoded revert data {data}"),
            error: None,
        };
    }
    ChainError::Rpc {
        url: url.to_string(),
        action: action.to_string(),
        reason: url.scrub(&err.to_string()),
    }
}

/// Turns a transport error into a [`ChainError`] naming the node.
pub(crate) fn rpc_error(err: impl std::fmt::Display, url: &NodeUrl, action: &str) -> ChainError {
    ChainError::Rpc {
        url: url.to_string(),
        action: action.to_string(),
        reason: url.scrub(&err.to_string()),
    }
}

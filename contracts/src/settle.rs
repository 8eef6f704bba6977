//! Crash-safe settlement: a round's settlement is proposed exactly once even if the client dies
//! or the node drops its transaction at any point (it then pays out once, by `finalize` or the
//! committee).
//!
//! Every send is bracketed by journal records (intent before, hash after). On every run the
//! client first asks the chain: a settled round is done; a transaction of ours that the node
//! still holds is waited for; only a round that is still open with no live transaction of ours
//! is settled again. The contract itself refuses a second settlement (`RoundNotOpen`), so even
//! a race can never pay twice.

use std::time::Duration;

use alloy::primitives::{Address, B256, TxHash};

use crate::bindings::Arena::ArenaErrors;
use crate::client::{ArenaClient, RoundState, TxOutcome};
use crate::error::ChainError;
use crate::journal::{JournalEntry, TxJournal};

/// How long to wait for a transaction of an earlier run that the node still holds.
const PENDING_WAIT: Duration = Duration::from_secs(60);
/// Rounds of check-then-send before giving up (each resend follows a dropped transaction).
const MAX_ATTEMPTS: usize = 3;

/// How a settlement ended.
#[derive(Debug, Clone)]
pub enum SettleOutcome {
    /// This run sent the transaction that settled the round.
    Sent(TxOutcome),
    /// The round was already settled by an earlier run; its transaction if the journal knows it.
    AlreadySettled { tx_hash: Option<TxHash> },
}

/// The journal key of the settlement of `round_id` on the contract at `contract`.
pub fn settle_key(contract: Address, round_id: u64) -> String {
    format!("settle/{contract}/{round_id}")
}

/// Proposes the settlement of `round_id` with `ranking` and `result_root` exactly once, using `journal` to survive
/// crashes. Safe to call again after any failure, with the same arguments.
pub async fn settle_once(
    client: &ArenaClient,
    journal: &dyn TxJournal,
    round_id: u64,
    ranking: &[B256],
    result_root: B256,
) -> Result<SettleOutcome, ChainError> {
    let key = settle_key(client.address(), round_id);
    let action = format!("settle round {round_id}");
    for _ in 0..MAX_ATTEMPTS {
        let entry = journal.lookup(&key)?;
        if let Some(done) =
            settled_on_chain(client, journal, &key, round_id, result_root, entry.as_ref()).await?
        {
            return Ok(done);
        }
        if let Some(&hash) = entry.as_ref().and_then(|e| e.sent.last())
            && client.chain().knows_transaction(hash).await?
        {
            // Our earlier transaction is mined (and failed) or still pending: wait, then ask
            // the chain again rather than sending a second one.
            if client
                .chain()
                .wait_for_receipt(hash, PENDING_WAIT)
                .await?
                .is_none()
            {
                return Err(ChainError::Rpc {
                    url: client.chain().url().to_string(),
                    action,
                    reason: format!(
                        "earlier transaction {hash} is still pending after {PENDING_WAIT:?}; run again once it is mined or dropped"
                    ),
                });
            }
            if client.round(round_id).await?.state != RoundState::Open {
                continue;
            }
        }
        journal.record_intent(&key, &format!("{action} with result root {result_root}"))?;
        let hash = match client.send_settle(round_id, ranking, result_root).await {
            Ok(hash) => hash,
            // Settled between our check and our send: the next check will see it.
            Err(e) if matches!(e.revert(), Some(ArenaErrors::RoundNotOpen(_))) => continue,
            Err(e) => return Err(e),
        };
        journal.record_sent(&key, hash)?;
        let outcome = client.confirm(hash, &action).await?;
        journal.record_confirmed(&key, Some(hash))?;
        return Ok(SettleOutcome::Sent(outcome));
    }
    Err(ChainError::Rpc {
        url: client.chain().url().to_string(),
        action,
        reason: format!("gave up after {MAX_ATTEMPTS} attempts; the journal and chain disagree"),
    })
}

/// `Some` when the chain shows the round settled with `result_root`; an error when it cannot be
/// settled at all or was settled with another result.
async fn settled_on_chain(
    client: &ArenaClient,
    journal: &dyn TxJournal,
    key: &str,
    round_id: u64,
    result_root: B256,
    entry: Option<&JournalEntry>,
) -> Result<Option<SettleOutcome>, ChainError> {
    let round = client.round(round_id).await?;
    match round.state {
        RoundState::Open => Ok(None),
        RoundState::Proposed | RoundState::Challenged | RoundState::Settled
            if round.result_root != result_root =>
        {
            Err(ChainError::SettledDifferently {
                round_id,
                on_chain: round.result_root,
                wanted: result_root,
            })
        }
        RoundState::Proposed | RoundState::Challenged | RoundState::Settled => {
            let tx_hash = match entry.and_then(|e| e.confirmed) {
                Some(confirmed) => confirmed,
                None => {
                    let hash = settling_transaction(client, entry).await?;
                    journal.record_confirmed(key, hash)?;
                    hash
                }
            };
            Ok(Some(SettleOutcome::AlreadySettled { tx_hash }))
        }
        state => Err(ChainError::NotSettleable {
            round_id,
            state: state.to_string(),
        }),
    }
}

/// Which of the journal's transactions succeeded, if any.
async fn settling_transaction(
    client: &ArenaClient,
    entry: Option<&JournalEntry>,
) -> Result<Option<TxHash>, ChainError> {
    for &hash in entry.map(|e| e.sent.as_slice()).unwrap_or_default() {
        if let Some(receipt) = client.chain().receipt(hash).await?
            && receipt.status()
        {
            return Ok(Some(hash));
        }
    }
    Ok(None)
}

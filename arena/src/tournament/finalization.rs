//! Paying out a proposed settlement once its challenge window has passed. Settlement on chain
//! is a proposal the verifier committee can be asked to overturn; rewards become withdrawable
//! only when `finalize` runs after the window (or the committee rejects a challenge).
//!
//! The tournament's own node is private to the run, so its clock is moved past the window as
//! it is past the entry deadline. On another node the run waits for a short window and leaves a
//! long one to `arena chain finalize` (anyone can send it) or to the next run.

use std::time::Duration;

use anyhow::Result;
use contracts::RoundState;
use contracts::bindings::Arena::ArenaErrors;
use judge::records::{RoundRecord, TxRecord};

use super::lifecycle::{Services, now_secs};

/// The longest challenge window a run waits out on a node whose clock it cannot move.
const LONGEST_WAIT_SECS: u64 = 60;
/// Seconds a finalization is retried while a node's clock catches up with the window's end.
const CLOCK_RETRIES: u32 = 10;

impl Services {
    /// Records when the round's challenge window ends and pays the round out if the window
    /// has passed or can be waited for; a challenged round is left to the committee.
    pub fn finalize_when_due(&self, round: &mut RoundRecord) -> Result<()> {
        let client = &self.chain.operator;
        let info = self.block_on(client.round(round.id))?;
        let contest = self.block_on(client.contest(round.id))?;
        if contest.challenge_ends_at != 0 {
            round.challenge_ends_at = Some(contest.challenge_ends_at);
        }
        match info.state {
            RoundState::Proposed => {}
            RoundState::Challenged => {
                if let Some(challenger) = contest.challenger {
                    round.challenger = Some(challenger.to_string());
                }
                tracing::warn!(
                    "round {}: settlement challenged by {}; the verifier committee decides by {}",
                    round.id,
                    contest.challenger.unwrap_or_default(),
                    contest.resolve_by
                );
                return Ok(());
            }
            _ => return Ok(()),
        }
        let now = self.block_on(client.chain().latest_timestamp())?;
        let left = contest.challenge_ends_at.saturating_sub(now);
        if self.chain.local {
            if left > 0 {
                self.block_on(client.chain().advance_time(left))?;
            }
        } else if left > LONGEST_WAIT_SECS {
            tracing::info!(
                target: "arena::settlement",
                "round {}: settlement proposed; rewards are withdrawable after the challenge window ends at {} (then `arena chain finalize {}`, or the next run, pays them)",
                round.id,
                contest.challenge_ends_at,
                round.id
            );
            return Ok(());
        } else {
            self.wait_for_chain_time(contest.challenge_ends_at)?;
        }
        let mut attempts = 0;
        loop {
            match self.block_on(client.finalize(round.id)) {
                Ok(tx) => {
                    round.transactions.push(TxRecord {
                        action: "finalize".into(),
                        hash: tx.hash.to_string(),
                    });
                    return Ok(());
                }
                // The node's clock is a little behind ours: its next block will be later.
                Err(e)
                    if matches!(e.revert(), Some(ArenaErrors::ChallengeWindowOpen(_)))
                        && attempts < CLOCK_RETRIES =>
                {
                    attempts += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
                // Someone else paid it out (anyone may) or challenged it just now.
                Err(_) if self.block_on(client.round(round.id))?.state != RoundState::Proposed => {
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Pays out the stored rounds whose settlement an earlier run proposed but left before its
    /// challenge window ended, now that the window has passed (or can be waited for).
    pub fn finalize_pending(&self) -> Result<()> {
        let rounds = self
            .store
            .rounds()
            .collect::<Result<Vec<RoundRecord>, judge::StoreError>>()?;
        let pending: Vec<RoundRecord> = rounds
            .into_iter()
            .filter(|r| {
                r.challenge_ends_at.is_some()
                    && r.challenger.is_none()
                    && !r.transactions.iter().any(|t| t.action == "finalize")
            })
            .collect();
        for mut round in pending {
            self.finalize_when_due(&mut round)?;
            self.store.put_round(&round)?;
        }
        Ok(())
    }

    /// Waits until the chain's latest block is at or after `time`, or, on a node that makes
    /// blocks only for transactions, until the wall clock has passed it (the next block then
    /// carries a later time).
    fn wait_for_chain_time(&self, time: u64) -> Result<()> {
        let chain = self.chain.operator.chain();
        while self.block_on(chain.latest_timestamp())? < time && now_secs() <= time {
            std::thread::sleep(Duration::from_secs(1));
        }
        Ok(())
    }
}

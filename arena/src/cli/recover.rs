//! `arena recover`: after the store refused a damaged database, move it
//! aside (kept as it was, never deleted) and build a new one from what can
//! be trusted. Whole rounds are copied from a salvaged copy of the damaged
//! database; a round that lost records is re-created from its seeds (the
//! answers of local agents are deterministic) and judged again, and kept
//! only if its result root equals the one the chain settled, so nothing
//! re-created differs from what was paid out. What cannot be re-created is
//! named: answers of agents on a server (`openai:` models), answers cut by
//! the round's deadline, rounds the chain cannot vouch for. Such a round is
//! kept as its record alone (prompt and agents), so its id is not reused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use agents::Agent;
use alloy::primitives::TxHash;
use anyhow::{Context, Result, bail};
use clap::Args;
use contracts::{JsonlJournal, RoundState, TxJournal, settle_key};
use judge::pairs::round_pairs;
use judge::records::{AnswerRecord, RoundRecord, RoundStatus, TxRecord};
use judge::store::JudgedRound;
use judge::store::high_water::{self, HighWater};
use judge::{Store, StoreError};

use crate::tournament::chain_link::ChainLink;
use crate::tournament::interactive::play::seat_answers;
use crate::tournament::lifecycle::{
    ModelCache, asked_of, generate_answers, judge_round, prompt_of_round,
};
use crate::tournament::result_root::result_root;
use crate::tournament::roster;
use crate::tournament::space::{self, Space};

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Directory of agent files the rounds were played with, for agents the
    /// damaged database no longer describes (default: the shipped roster).
    #[arg(long)]
    agents: Option<PathBuf>,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    spaces: Option<PathBuf>,
    /// The judge the rounds were judged with, as given to `arena tournament`.
    #[arg(long, default_value = "smollm2-135m")]
    judge: String,
    /// The answer cap the rounds were played with (`--max-tokens` of `arena tournament`).
    #[arg(long)]
    max_tokens: Option<usize>,
}

/// What became of one round.
enum Outcome {
    /// Whole in the salvaged copy, copied as it was.
    Kept,
    /// Re-created; says how.
    ReCreated(String),
    /// Not re-created; says why. Its record alone is kept.
    Lost(String),
}

pub fn run(args: RecoverArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let db = data_dir.join("db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = runtime.block_on(ChainLink::local(&data_dir.join("chain")))?;
    let on_chain = rounds_on_chain(&runtime, &chain)?;
    match Store::open(&db) {
        Ok(store) => {
            // A database that opens may still lack rounds the chain knows
            // (its directory deleted, or replaced by an older copy): the
            // tournament refuses it and sends the user here.
            let mut lacking = Vec::new();
            for id in &on_chain {
                if store.round(*id)?.is_none() {
                    lacking.push(id.to_string());
                }
            }
            if lacking.is_empty() {
                println!(
                    "database {} is whole: nothing to recover, nothing changed",
                    db.display()
                );
                return Ok(());
            }
            println!(
                "database {} lacks round(s) {} that the chain knows",
                db.display(),
                lacking.join(", ")
            );
        }
        Err(StoreError::Damaged { losses, .. }) => {
            println!("database {} has lost:", db.display());
            for loss in &losses {
                println!("  {}", loss.what);
            }
        }
        Err(e @ (StoreError::Open { .. } | StoreError::Corrupt { .. })) => {
            println!("database {} cannot be read: {e}", db.display());
        }
        Err(e) => return Err(e.into()),
    }
    // A second recovery within the same second must not collide with the first.
    let now = unix_now();
    let aside = (1..)
        .map(|n| match n {
            1 => data_dir.join(format!("db.damaged-{now}")),
            n => data_dir.join(format!("db.damaged-{now}-{n}")),
        })
        .find(|p| !p.exists())
        .expect("some name is free");
    std::fs::rename(&db, &aside)
        .with_context(|| format!("moving {} to {}", db.display(), aside.display()))?;
    println!(
        "moved it to {}, where it is kept as it was",
        aside.display()
    );
    let had = high_water::load(&high_water::path_in(&aside))
        .ok()
        .flatten()
        .unwrap_or_default();
    let scratch = data_dir.join(format!(".db.salvage-{}", std::process::id()));
    let found = Found {
        aside: &aside,
        scratch: &scratch,
        had: &had,
        on_chain: &on_chain,
    };
    let result = rebuild(&args, fetcher, &data_dir, &runtime, &chain, &found);
    let _ = std::fs::remove_dir_all(&scratch);
    drop(chain);
    result
}

/// The ids of every round the chain has (ids are given out in order from 1).
fn rounds_on_chain(runtime: &tokio::runtime::Runtime, chain: &ChainLink) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    while runtime
        .block_on(chain.operator.round(ids.len() as u64 + 1))?
        .state
        != RoundState::None
    {
        ids.push(ids.len() as u64 + 1);
    }
    Ok(ids)
}

/// What is known of the rounds before rebuilding: the damaged database
/// moved `aside` (salvaged into `scratch`), its high-water record `had`,
/// and the rounds the chain has.
struct Found<'a> {
    aside: &'a Path,
    scratch: &'a Path,
    had: &'a HighWater,
    on_chain: &'a [u64],
}

/// Builds the new database in `data_dir/db` from what was `found`, the
/// chain and the settlement journal, and reports round by round.
fn rebuild(
    args: &RecoverArgs,
    fetcher: agents::Fetcher,
    data_dir: &Path,
    runtime: &tokio::runtime::Runtime,
    chain: &ChainLink,
    found: &Found<'_>,
) -> Result<()> {
    let Found {
        aside,
        scratch,
        had,
        on_chain,
    } = *found;
    let salvaged = match Store::salvage(aside, scratch) {
        Ok(store) => Some(store),
        Err(e) => {
            println!(
                "nothing could be read from it ({e}); rounds come from the chain and seeds alone"
            );
            None
        }
    };
    let store = Store::open(&data_dir.join("db"))?;
    if let Some(old) = &salvaged {
        let n = store.copy_documents_and_versions(old)?;
        println!("copied {n} agent and space documents and agent versions");
    }
    let journal = JsonlJournal::open(data_dir.join("settle-journal.jsonl"))?;
    let mut ids: BTreeSet<u64> = had.rounds.keys().copied().collect();
    if let Some(old) = &salvaged {
        // A damaged log can fail part-way (and sled then repeats the error
        // forever): keep what reads before it.
        ids.extend(old.rounds().map_while(|r| r.ok().map(|r| r.id)));
    }
    ids.extend(on_chain);
    let rebuilder = Rebuilder {
        args,
        store: &store,
        salvaged: salvaged.as_ref(),
        survived: salvaged
            .as_ref()
            .and_then(|old| old.contents().ok())
            .unwrap_or_default(),
        had,
        chain,
        journal: &journal,
        runtime,
        models: ModelCache::new(fetcher),
        roster: roster::load(&args.agents.clone().unwrap_or_else(roster::default_dir))
            .unwrap_or_default(),
    };
    let mut lost = Vec::new();
    for id in ids {
        let outcome = rebuilder
            .round(id)
            .unwrap_or_else(|e| Outcome::Lost(format!("{e:#}")));
        match outcome {
            Outcome::Kept => println!("round {id}: whole, kept"),
            Outcome::ReCreated(how) => println!("round {id}: re-created {how}"),
            Outcome::Lost(why) => {
                println!("round {id}: CANNOT be re-created: {why}");
                lost.push(format!("round {id}: {why}"));
            }
        }
    }
    if lost.is_empty() {
        println!(
            "recovered into {}; the damaged database stays in {}",
            store.path().display(),
            aside.display()
        );
        return Ok(());
    }
    bail!(
        "recovered into {} all but what cannot be re-created (their records alone are kept, so their ids are not reused; ratings after them may differ from before):\n- {}\nThe damaged database stays in {}",
        store.path().display(),
        lost.join("\n- "),
        aside.display()
    )
}

/// What re-creating a round needs.
struct Rebuilder<'a> {
    args: &'a RecoverArgs,
    store: &'a Store,
    salvaged: Option<&'a Store>,
    /// What the salvaged copy holds.
    survived: HighWater,
    had: &'a HighWater,
    chain: &'a ChainLink,
    journal: &'a JsonlJournal,
    runtime: &'a tokio::runtime::Runtime,
    models: ModelCache,
    roster: Vec<Agent>,
}

impl Rebuilder<'_> {
    /// Copies, re-creates or (failing both) records round `id` in the new store.
    fn round(&self, id: u64) -> Result<Outcome> {
        // Records of the salvaged copy, each as far as it reads.
        let (old_round, old_answers, old_judgment) = match self.salvaged {
            Some(s) => (
                s.round(id).ok().flatten(),
                s.answers(id).unwrap_or_default(),
                s.judgment(id).ok().flatten(),
            ),
            None => (None, Vec::new(), None),
        };
        let mark = self.had.rounds.get(&id);
        if let (Some(round), Some(s), Some(now)) =
            (&old_round, self.salvaged, self.survived.rounds.get(&id))
            && mark.is_none_or(|had| now.covers(had))
            && let Ok(pairs) = s.pairs(id, id).collect::<std::result::Result<Vec<_>, _>>()
        {
            self.write(round, &old_answers, old_judgment.as_ref(), &pairs)?;
            return Ok(Outcome::Kept);
        }
        let space_name = old_round
            .as_ref()
            .map(|r| r.space.clone())
            .or_else(|| mark.map(|m| m.space.clone()));
        let Some(space_name) = space_name else {
            return Ok(Outcome::Lost(
                "the chain has it, but neither the damaged database nor its high-water record says which space and agents it had: restore a backup of the database directory (the damaged one is kept aside) and run `arena recover` again".into(),
            ));
        };
        let space = space::find(
            &self.args.spaces.clone().unwrap_or_else(space::default_dir),
            &space_name,
        )?;
        let mut round = old_round.unwrap_or_else(|| {
            let prompt = prompt_of_round(&space, id);
            RoundRecord {
                id,
                space: space.name.clone(),
                prompt: space.full_prompt(prompt),
                reference: prompt.answer.clone(),
                agents: mark.map(|m| m.agents.clone()).unwrap_or_default(),
                status: RoundStatus::Open,
                // Not kept anywhere else; 0 says unknown.
                opened_at: 0,
                result_root: None,
                transactions: Vec::new(),
                fee: None,
                matches: Vec::new(),
                challenge_ends_at: None,
                challenger: None,
            }
        });
        let info = self.runtime.block_on(self.chain.operator.round(id))?;
        match info.state {
            RoundState::None | RoundState::Open => {
                round.status = RoundStatus::Open;
                round.result_root = None;
                self.store.put_round(&round)?;
                return Ok(Outcome::ReCreated(
                    "as open: it was not settled, so `arena tournament` plays it from its entries on".into(),
                ));
            }
            RoundState::Cancelled => {
                round.status = RoundStatus::Cancelled;
                self.store.put_round(&round)?;
                return Ok(Outcome::ReCreated(
                    "as cancelled, as the chain has it".into(),
                ));
            }
            RoundState::Proposed | RoundState::Challenged | RoundState::Settled => {}
        }
        let outcome = self
            .replay(
                &space,
                &mut round,
                old_answers,
                old_judgment,
                info.result_root.0,
            )
            .unwrap_or_else(|e| Outcome::Lost(format!("{e:#}")));
        if matches!(outcome, Outcome::Lost(_)) {
            round.status = RoundStatus::Closed;
            round.result_root = Some(hex::encode(info.result_root));
            self.store.put_round(&round)?;
        }
        Ok(outcome)
    }

    /// Re-creates the answers (from seeds, unless all survived) and the
    /// judgment (unless it survived) of the settled round, and writes them
    /// if their result root is `settled`.
    fn replay(
        &self,
        space: &Space,
        round: &mut RoundRecord,
        old_answers: Vec<AnswerRecord>,
        old_judgment: Option<judge::Judgment>,
        settled: [u8; 32],
    ) -> Result<Outcome> {
        let mut how = Vec::new();
        let answers = if !round.agents.is_empty() && old_answers.len() == round.agents.len() {
            old_answers
        } else if space.interactive.is_some() {
            // The seats' answers are their moves, kept in the round's own record.
            if round.matches.is_empty() {
                return Ok(Outcome::Lost(
                    "an interactive round's transcripts were lost with its record: restore a backup of the database directory (the damaged one is kept aside)".into(),
                ));
            }
            how.push("answers taken from the round's transcripts");
            seat_answers(round)
        } else {
            let mut asked = Vec::new();
            for agent_id in &round.agents {
                let Some(agent) = self.agent(agent_id)? else {
                    return Ok(Outcome::Lost(format!(
                        "agent '{agent_id}' is described neither in the damaged database nor in the agent files: give its directory with --agents"
                    )));
                };
                if agent.endpoint.is_some() || agent.model.starts_with("openai:") {
                    return Ok(Outcome::Lost(format!(
                        "agent '{agent_id}' answered on a server ({}); its answer was not kept and a server cannot be trusted to say it again",
                        agent.model
                    )));
                }
                asked.push(asked_of(space, round.id, &agent, self.args.max_tokens));
            }
            how.push("answers generated again from their seeds");
            generate_answers(&self.models, &round.prompt, &asked, None, &mut |_, _| {})?
        };
        let judgment = match old_judgment {
            Some(j) => j,
            None => {
                how.push("judged again");
                let judge = (space.judging.llm && self.args.judge != "none")
                    .then_some(self.args.judge.as_str());
                judge_round(&self.models, judge, space, round, &answers, None)?
            }
        };
        let root = result_root(round, &answers, &judgment);
        if root != settled {
            return Ok(Outcome::Lost(
                "what was re-created does not match the result root settled on chain (an answer was cut by the round's deadline, or the round was played with other agent files, --max-tokens or --judge)".into(),
            ));
        }
        round.status = RoundStatus::Closed;
        round.result_root = Some(hex::encode(root));
        if !round.transactions.iter().any(|t| t.action == "settle")
            && let Some(hash) = self.settle_tx(round.id)?
        {
            round.transactions.push(TxRecord {
                action: "settle".into(),
                hash: hash.to_string(),
            });
        }
        let pairs = round_pairs(round, &answers, &judgment);
        self.write(round, &answers, Some(&judgment), &pairs)?;
        how.push("checked against the result root on chain");
        Ok(Outcome::ReCreated(format!(
            "({}; transactions other than settlement are not known again)",
            how.join(", ")
        )))
    }

    /// Writes `round` with its answers and judgment the way the tournament did.
    fn write(
        &self,
        round: &RoundRecord,
        answers: &[AnswerRecord],
        judgment: Option<&judge::Judgment>,
        pairs: &[judge::records::PreferencePair],
    ) -> Result<()> {
        match judgment {
            Some(judgment) => {
                self.store.commit_judged(&JudgedRound {
                    round,
                    answers,
                    judgment,
                    pairs,
                })?;
            }
            None if !answers.is_empty() => self.store.put_generated(round, answers)?,
            None => self.store.put_round(round)?,
        }
        Ok(())
    }

    /// The agent as the damaged database stored it, else from the agent files.
    fn agent(&self, id: &str) -> Result<Option<Agent>> {
        if let Some(s) = self.salvaged
            && let Ok(Some(agent)) = s.document::<Agent>("agent", id)
        {
            return Ok(Some(agent));
        }
        Ok(self.roster.iter().find(|a| a.id == id).cloned())
    }

    /// The settlement transaction of round `id`, from the journal.
    fn settle_tx(&self, id: u64) -> Result<Option<TxHash>> {
        let key = settle_key(self.chain.operator.address(), id);
        Ok(self
            .journal
            .lookup(&key)?
            .and_then(|e| e.confirmed.flatten().or(e.sent.last().copied())))
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

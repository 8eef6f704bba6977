//! The steps of a round, each safe to run again after a crash: the store
//! is updated before and after every step, and every chain action first
//! asks the chain whether it already happened.
//!
//! open on chain -> entries paid -> generation under the deadline ->
//! judging (answers, judgment, pairs, ratings in one transaction) ->
//! settlement with the result root -> closed. A round whose entries can no
//! longer be paid is cancelled and its fees refunded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agents::endpoint::parse_remote_judge;
use agents::{
    Agent, Fetcher, Generation, LanguageModel, LoadOptions, RemoteModel, Request, Sampling,
};
use alloy::primitives::{B256, keccak256};
use anyhow::{Context, Result, bail};
use contracts::{
    JsonlJournal, RoundSpec, RoundState, SettleOutcome, TxJournal, agent_key, settle_once,
};
use judge::pairs::round_pairs;
use judge::records::{AnswerRecord, RoundRecord, RoundStatus, TxRecord};
use judge::store::JudgedRound;
use judge::{
    Contest, Entry, Judge, JudgeConfig, Judgment, LlmJudge, RemoteScorer, ScoringModel, Store,
};

use super::chain_link::ChainLink;
use super::fee_tier::{self, ResolvedTier};
use super::interactive::outcome::{judge_matches, match_lines};
use super::interactive::pairing::pair_by_mmr;
use super::interactive::play::play;
use super::result_root::result_root;
use super::space::Space;
use super::worker::{Payout, Progress};

/// Time agents' owners have to pay their entry after a round opens, unless
/// the run chooses another.
pub const DEFAULT_ENTRY_WINDOW_SECS: u64 = 120;

/// Time the operator has to settle after a round's entry deadline. After it, anyone can cancel
/// the round and every entry is refunded, so a tournament that dies for good never locks the
/// fees; a day leaves room to restart and finish a round after a crash.
pub const SETTLE_WINDOW_SECS: u64 = 86_400;

/// Everything the steps need, owned by the worker thread.
pub struct Services {
    pub store: Store,
    pub chain: ChainLink,
    pub journal: JsonlJournal,
    pub runtime: tokio::runtime::Runtime,
    pub models: Arc<ModelCache>,
    /// The judge model's name, or `None` for checks only.
    pub judge_model: Option<String>,
    /// Caps every agent's answer length (for quick runs).
    pub max_tokens: Option<usize>,
    /// Seconds between a round's opening and its entry deadline.
    pub entry_window_secs: u64,
    /// The fee tier new rounds are opened in (`None`: the space's first).
    pub tier: Option<String>,
}

/// Models loaded once and shared by every agent that uses them.
pub struct ModelCache {
    fetcher: Fetcher,
    options: LoadOptions,
    loaded: Mutex<HashMap<String, Arc<LanguageModel>>>,
}

impl ModelCache {
    pub fn new(fetcher: Fetcher) -> Self {
        Self::with_options(fetcher, LoadOptions::default())
    }

    /// A cache loading its models with `options` (another kernel, say).
    pub fn with_options(fetcher: Fetcher, options: LoadOptions) -> Self {
        Self {
            fetcher,
            options,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The model named `name` (a known name or a .gguf path), loading it on first use.
    pub fn get(&self, name: &str) -> Result<Arc<LanguageModel>> {
        let mut loaded = self.loaded.lock().expect("model cache lock");
        if let Some(m) = loaded.get(name) {
            return Ok(m.clone());
        }
        let model = agents::ModelRef::parse(name).map_err(anyhow::Error::msg)?;
        let path = self
            .fetcher
            .ensure(&model, &mut |line| tracing::info!("{line}"))?;
        // The error names the file (which names the model) and the fix.
        let lm = Arc::new(LanguageModel::load(&path, self.options)?);
        loaded.insert(name.to_owned(), lm.clone());
        Ok(lm)
    }
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The space's name as the contract's 32-byte space id.
fn space_id(space: &Space) -> B256 {
    keccak256(space.name.as_bytes())
}

/// A deterministic seed per round and agent, so a round can be replayed.
pub fn seed_for(round: u64, agent: &str) -> u64 {
    agent
        .bytes()
        .fold(round.wrapping_mul(0x9e37_79b9_7f4a_7c15), |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
}

/// The prompt round `id` of `space` plays: chosen from the id, so a lost
/// round's prompt can be found again (`arena recover`).
pub fn prompt_of_round(space: &Space, id: u64) -> &super::space::Prompt {
    &space.prompts[(id as usize * 7 + space.name.len()) % space.prompts.len()]
}

/// What `agent` is asked in round `id` of `space`: its model, system
/// prompt, seed and sampling (its answer length capped by the space and by
/// `max_tokens`), with no answer yet. The tournament asks this, and
/// `arena recover` asks it again to replay a lost round.
pub fn asked_of(space: &Space, id: u64, agent: &Agent, max_tokens: Option<usize>) -> AnswerRecord {
    let cap = max_tokens.unwrap_or(space.max_tokens).min(space.max_tokens);
    AnswerRecord {
        round: id,
        agent_id: agent.id.clone(),
        model: agent.model.clone(),
        text: String::new(),
        truncated: false,
        generated_tokens: 0,
        seed: seed_for(id, &agent.id),
        system_prompt: agent.system_prompt.clone(),
        sampling: Sampling {
            max_tokens: agent.sampling.max_tokens.min(cap),
            ..agent.sampling.clone()
        },
        endpoint: agent.endpoint.clone(),
        commitment: None,
    }
}

impl Services {
    pub(super) fn block_on<T>(&self, fut: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(fut)
    }

    fn save(&self, round: &mut RoundRecord, status: RoundStatus) -> Result<()> {
        round.status = status;
        self.store.put_round(round)?;
        Ok(())
    }

    /// The fee tier this run opens rounds of `space` in, checked against the chain.
    pub fn tier_of(&self, space: &Space) -> Result<ResolvedTier> {
        self.block_on(fee_tier::resolve(space, self.tier.as_deref(), &self.chain))
    }

    /// Creates the next round of `space` for `agents` in this run's tier, stores it, then opens
    /// it on chain.
    pub fn open_round(&self, space: &Space, agents: &[&Agent]) -> Result<RoundRecord> {
        let tier = self.tier_of(space)?;
        let id = self.store.next_round_id()?;
        let prompt = prompt_of_round(space, id);
        let matches = match &space.interactive {
            Some(_) => {
                let mut rated = Vec::new();
                for agent in agents {
                    rated.push((agent.id.clone(), self.store.mmr(&space.name, &agent.id)?));
                }
                pair_by_mmr(id, &rated)
            }
            None => Vec::new(),
        };
        let mut round = RoundRecord {
            id,
            space: space.name.clone(),
            prompt: space.full_prompt(prompt),
            reference: prompt.answer.clone(),
            agents: agents.iter().map(|a| a.id.clone()).collect(),
            status: RoundStatus::Open,
            opened_at: now_secs(),
            result_root: None,
            transactions: Vec::new(),
            fee: Some(tier.record),
            matches,
            challenge_ends_at: None,
            challenger: None,
        };
        self.store.put_document("space", &space.name, space)?;
        for agent in agents {
            self.store.put_document("agent", &agent.id, agent)?;
        }
        self.store.put_round(&round)?;
        self.ensure_open(space, &mut round)?;
        Ok(round)
    }

    /// Opens the round on chain unless the chain already has it.
    pub fn ensure_open(&self, space: &Space, round: &mut RoundRecord) -> Result<()> {
        let client = &self.chain.operator;
        let info = self.block_on(client.round(round.id))?;
        if info.state != RoundState::None {
            return Ok(());
        }
        let tier = match &round.fee {
            Some(fee) => ResolvedTier::from_record(fee)?,
            None => self.tier_of(space)?,
        };
        let now = self.block_on(client.chain().latest_timestamp())?;
        let spec = RoundSpec {
            round_id: round.id,
            space: space_id(space),
            fee_token: tier.token,
            entry_fee: tier.amount,
            deadline: now + self.entry_window_secs,
            settle_window: SETTLE_WINDOW_SECS,
            split_bps: space.reward_split_bps.clone(),
            protocol_fee_bps: space.protocol_fee_bps,
        };
        let tx = self.block_on(client.open(&spec))?;
        round.transactions.push(TxRecord {
            action: "open".into(),
            hash: tx.hash.to_string(),
        });
        self.save(round, RoundStatus::Open)
    }

    /// Pays every missing entry, in the asset and amount the chain has for the round (approving
    /// a token first when needed). Returns false when the entry deadline has
    /// passed with entries missing: the round must then be cancelled.
    pub fn pay_entries(&self, round: &mut RoundRecord, roster: &[Agent]) -> Result<bool> {
        let info = self.block_on(self.chain.operator.round(round.id))?;
        let now = self.block_on(self.chain.operator.chain().latest_timestamp())?;
        for agent_id in round.agents.clone() {
            let agent = find_agent(roster, &agent_id)?;
            let key = agent_key(&agent_id);
            if info.agents.contains(&key) {
                continue;
            }
            if now >= info.deadline {
                return Ok(false);
            }
            let owner = self.chain.owner(&agent.owner)?;
            let paid =
                self.block_on(owner.pay_entry(round.id, key, info.fee_token, info.entry_fee))?;
            if let Some(approve) = paid.approve {
                round.transactions.push(TxRecord {
                    action: format!("approve {agent_id}"),
                    hash: approve.hash.to_string(),
                });
            }
            round.transactions.push(TxRecord {
                action: format!("enter {agent_id}"),
                hash: paid.enter.hash.to_string(),
            });
            self.store.put_round(round)?;
        }
        self.save(round, RoundStatus::EntriesPaid)?;
        Ok(true)
    }

    /// Every agent of the round answers (see [`generate_answers`]), or an interactive round's
    /// matches are played turn by turn ([`play`]), and the answers are stored with the round's
    /// `Generated` status.
    pub fn generate(
        &self,
        space: &Space,
        round: &mut RoundRecord,
        roster: &[Agent],
        progress: &mut Progress<'_>,
    ) -> Result<Vec<AnswerRecord>> {
        if let Some(interactive) = &space.interactive {
            return play(self, space, interactive, round, roster, progress);
        }
        let asked = round
            .agents
            .iter()
            .map(|id| {
                Ok(asked_of(
                    space,
                    round.id,
                    find_agent(roster, id)?,
                    self.max_tokens,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let time_limit = Duration::from_secs_f64(space.round_seconds);
        let answers = generate_answers(
            &self.models,
            &round.prompt,
            &asked,
            Some(time_limit),
            progress.on_token,
        )?;
        round.status = RoundStatus::Generated;
        self.store.put_generated(round, &answers)?;
        Ok(answers)
    }

    /// Judges the answers and stores answers, judgment, pairs and ratings at once.
    pub fn judge(
        &self,
        space: &Space,
        round: &mut RoundRecord,
        answers: &[AnswerRecord],
    ) -> Result<Judgment> {
        let judge = match space.judging.llm {
            true => self.judge_model.as_deref(),
            false => None,
        };
        let judgment = judge_round(&self.models, judge, space, round, answers, None)?;
        if let Some(interactive) = &space.interactive {
            for line in match_lines(interactive, round, &judgment) {
                tracing::info!(target: "arena::matches", "{line}");
            }
        }
        let pairs = round_pairs(round, answers, &judgment);
        round.status = RoundStatus::Judged;
        self.store.commit_judged(&JudgedRound {
            round,
            answers,
            judgment: &judgment,
            pairs: &pairs,
        })?;
        Ok(judgment)
    }

    /// Proposes the round's settlement on chain exactly once with its ranking of agents and
    /// result root, pays it out when its challenge window has passed (see
    /// [`Services::finalize_when_due`]), then closes it. Each agent's reward goes to the owner
    /// that paid its entry.
    pub fn settle(&self, round: &mut RoundRecord) -> Result<()> {
        let answers = self.store.answers(round.id)?;
        let judgment = self
            .store
            .judgment(round.id)?
            .context("settling a round that has no judgment")?;
        if !round.matches.is_empty() && !judgment.verdicts.iter().any(|v| v.decided().is_some()) {
            return self.refund_draw(round);
        }
        let root = result_root(round, &answers, &judgment);
        let ranking: Vec<B256> = judgment
            .ranking
            .order
            .iter()
            .map(|id| agent_key(id))
            .collect();
        self.wait_for_deadline(round.id)?;
        let outcome = self.block_on(settle_once(
            &self.chain.operator,
            &self.journal,
            round.id,
            &ranking,
            B256::from(root),
        ))?;
        if let SettleOutcome::Sent(tx) = outcome {
            round.transactions.push(TxRecord {
                action: "settle".into(),
                hash: tx.hash.to_string(),
            });
        } else if let SettleOutcome::AlreadySettled {
            tx_hash: Some(hash),
        } = outcome
            && !round.transactions.iter().any(|t| t.action == "settle")
        {
            round.transactions.push(TxRecord {
                action: "settle".into(),
                hash: hash.to_string(),
            });
        }
        round.result_root = Some(hex::encode(root));
        self.save(round, RoundStatus::Settled)?;
        self.finalize_when_due(round)?;
        self.save(round, RoundStatus::Closed)
    }

    /// Closes an interactive round in which no match was decided by refunding every entry
    /// (the operator cancels it on chain) rather than paying places: every seat drew, and the
    /// ranking would only order them by id.
    fn refund_draw(&self, round: &mut RoundRecord) -> Result<()> {
        self.cancel_on_chain(round, "refund (no match decided)")?;
        self.save(round, RoundStatus::Closed)
    }

    /// What each agent of a settled round was credited, from the chain's
    /// `Credited` events (place 1 is the ranking's first agent).
    pub fn payouts(&self, round: &RoundRecord) -> Result<Vec<Payout>> {
        let judgment = self
            .store
            .judgment(round.id)?
            .context("a settled round has no judgment")?;
        let credits = self.block_on(self.chain.operator.credits(round.id))?;
        Ok(credits
            .iter()
            .filter_map(|c| {
                let place = usize::try_from(c.place).ok()?.checked_sub(1)?;
                let agent = judgment.ranking.order.get(place)?;
                Some(Payout {
                    agent: agent.clone(),
                    wei: u128::try_from(c.amount).unwrap_or(u128::MAX),
                })
            })
            .collect())
    }

    /// Settlement is allowed once the entry deadline has passed: our own
    /// node's clock is moved forward, another node is waited for.
    fn wait_for_deadline(&self, id: u64) -> Result<()> {
        let client = &self.chain.operator;
        let info = self.block_on(client.round(id))?;
        if info.state != RoundState::Open {
            return Ok(());
        }
        loop {
            let now = self.block_on(client.chain().latest_timestamp())?;
            if now > info.deadline {
                return Ok(());
            }
            if self.chain.local {
                self.block_on(client.chain().advance_time(info.deadline - now + 1))?;
            } else {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }

    /// Cancels the round on chain (refunding every entry) and records it.
    pub fn cancel(&self, round: &mut RoundRecord) -> Result<()> {
        self.cancel_on_chain(round, "cancel")?;
        self.save(round, RoundStatus::Cancelled)
    }

    /// Cancels the round on chain unless the chain has already closed it (every entry is
    /// refunded), recording the transaction as `action`.
    fn cancel_on_chain(&self, round: &mut RoundRecord, action: &str) -> Result<()> {
        let info = self.block_on(self.chain.operator.round(round.id))?;
        if info.state == RoundState::Open {
            let tx = self.block_on(self.chain.operator.cancel(round.id))?;
            round.transactions.push(TxRecord {
                action: action.into(),
                hash: tx.hash.to_string(),
            });
        }
        Ok(())
    }

    /// Refuses to play on a store that lacks rounds the chain or the
    /// settlement journal knows (see [`check_against_chain`]).
    pub fn check_against_chain(&self) -> Result<()> {
        check_against_chain(
            &self.runtime,
            &self.chain,
            &self.journal,
            self.store.path(),
            Some(&self.store),
        )
    }

    /// Rounds of `space` that a crash left unfinished, oldest first.
    pub fn unfinished(&self, space: &str) -> Result<Vec<RoundRecord>> {
        let mut rounds = Vec::new();
        for round in self.store.rounds() {
            let round = round?;
            if round.space == space
                && !matches!(round.status, RoundStatus::Closed | RoundStatus::Cancelled)
            {
                rounds.push(round);
            }
        }
        Ok(rounds)
    }

    /// How many rounds of `space` are finished, and how often each agent played.
    pub fn history(&self, space: &str) -> Result<(usize, HashMap<String, usize>)> {
        let mut closed = 0;
        let mut played = HashMap::new();
        for round in self.store.rounds() {
            let round = round?;
            if round.space != space || round.status == RoundStatus::Cancelled {
                continue;
            }
            if round.status == RoundStatus::Closed {
                closed += 1;
            }
            for a in &round.agents {
                *played.entry(a.clone()).or_default() += 1;
            }
        }
        Ok((closed, played))
    }
}

/// Refuses to play on the database at `db` when it lacks rounds the chain
/// or the settlement journal knows: rounds missing below its last one, or
/// beyond it. `store` is `None` for a database not created yet, so that the
/// refusal comes before creating it. The store's own check
/// ([`Store::open`]) compares it with its high-water record; this catches
/// what that record cannot, such as a database directory deleted or
/// replaced by an older copy. Playing on would reuse the lost rounds' ids.
pub fn check_against_chain(
    runtime: &tokio::runtime::Runtime,
    chain: &ChainLink,
    journal: &JsonlJournal,
    db: &std::path::Path,
    store: Option<&Store>,
) -> Result<()> {
    let client = &chain.operator;
    let known_elsewhere = |id: u64| -> Result<bool> {
        let key = contracts::settle_key(client.address(), id);
        Ok(
            runtime.block_on(client.round(id))?.state != RoundState::None
                || journal.lookup(&key)?.is_some(),
        )
    };
    let mut missing = Vec::new();
    let mut next = 1;
    if let Some(store) = store {
        next = store.next_round_id()?;
        for id in 1..next {
            if store.round(id)?.is_none() && known_elsewhere(id)? {
                missing.push(id);
            }
        }
    }
    let mut id = next;
    while known_elsewhere(id)? {
        missing.push(id);
        id += 1;
    }
    if missing.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = missing.iter().map(u64::to_string).collect();
    bail!(
        "the database {} has lost round(s) {} that the chain or the settlement journal {} knows; nothing was played or changed. Run `arena recover` to re-create them from their seeds and the chain",
        db.display(),
        ids.join(", "),
        journal.path().display()
    )
}

/// Answers `prompt` for each of `asked` (agent, model, system prompt,
/// sampling, seed and server taken from it; its text is ignored), sorted by
/// agent id: [`generate_each`] with one prompt for all. The tournament and
/// `arena verify` both generate through here, so a replay is computed the
/// same way.
pub fn generate_answers(
    models: &ModelCache,
    prompt: &str,
    asked: &[AnswerRecord],
    time_limit: Option<Duration>,
    on_token: &mut dyn FnMut(&str, &str),
) -> Result<Vec<AnswerRecord>> {
    let each: Vec<Asked<'_>> = asked.iter().map(|a| (prompt, a)).collect();
    generate_each(models, &each, time_limit, on_token)
}

/// A prompt and what an agent is asked for it (its text ignored): one request of
/// [`generate_each`].
pub type Asked<'a> = (&'a str, &'a AnswerRecord);

/// Answers each `(prompt, asked)` (an interactive round's seats each see their own prompt),
/// sorted by agent id, so each agent may be asked once. Agents on a server answer each on its
/// own thread, all at once, while the local agents generate: those on the same model together
/// in one batch (one weight read per step for all). With a `time_limit`, the servers' answers
/// and each local model's batch get it in full from their own start, so agents on the model
/// that runs second are not cut short. Tokens go to `on_token` from the calling thread.
pub fn generate_each(
    models: &ModelCache,
    asked: &[Asked<'_>],
    time_limit: Option<Duration>,
    on_token: &mut dyn FnMut(&str, &str),
) -> Result<Vec<AnswerRecord>> {
    let (served, local): (Vec<Asked<'_>>, Vec<Asked<'_>>) =
        asked.iter().partition(|(_, a)| a.endpoint.is_some());
    let served_deadline = time_limit.map(|t| Instant::now() + t);
    let (pieces_tx, pieces) = mpsc::channel::<(usize, String)>();
    let mut answers = std::thread::scope(|scope| -> Result<Vec<AnswerRecord>> {
        let threads: Vec<_> = served
            .iter()
            .enumerate()
            .map(|(i, &(prompt, asked))| {
                let pieces_tx = pieces_tx.clone();
                scope.spawn(move || {
                    answer_on_server(asked, prompt, served_deadline, &mut |piece| {
                        let _ = pieces_tx.send((i, piece.to_owned()));
                    })
                })
            })
            .collect();
        drop(pieces_tx);
        let local_answers = generate_locally(models, &local, time_limit, &mut |id, piece| {
            on_token(id, piece);
            for (i, piece) in pieces.try_iter() {
                on_token(&served[i].1.agent_id, &piece);
            }
        });
        for (i, piece) in pieces.iter() {
            on_token(&served[i].1.agent_id, &piece);
        }
        let mut answers = local_answers?;
        for thread in threads {
            answers.push(thread.join().expect("a server agent's thread panicked")?);
        }
        Ok(answers)
    })?;
    answers.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    Ok(answers)
}

/// The local agents' answers, one batch per model, one model after the other.
fn generate_locally(
    models: &ModelCache,
    asked: &[Asked<'_>],
    time_limit: Option<Duration>,
    on_token: &mut dyn FnMut(&str, &str),
) -> Result<Vec<AnswerRecord>> {
    let mut model_names: Vec<&str> = asked.iter().map(|(_, a)| a.model.as_str()).collect();
    model_names.sort();
    model_names.dedup();
    let mut answers = Vec::new();
    for model_name in model_names {
        let group: Vec<Asked<'_>> = asked
            .iter()
            .copied()
            .filter(|(_, a)| a.model == model_name)
            .collect();
        let model = models.get(model_name)?;
        let deadline = time_limit.map(|t| Instant::now() + t);
        let requests: Vec<Request> = group
            .iter()
            .map(|&(prompt, a)| request_of(a, prompt, deadline))
            .collect();
        let generations = model.generate_batch(&requests, &mut |i, piece| {
            on_token(&group[i].1.agent_id, piece)
        })?;
        for ((_, a), generation) in group.into_iter().zip(generations) {
            answers.push(answered(a, generation));
        }
    }
    Ok(answers)
}

/// One agent's answer from its server.
fn answer_on_server(
    asked: &AnswerRecord,
    prompt: &str,
    deadline: Option<Instant>,
    on_text: &mut dyn FnMut(&str),
) -> Result<AnswerRecord> {
    let endpoint = asked
        .endpoint
        .as_ref()
        .context("a served agent has its endpoint")?;
    let name = match agents::ModelRef::parse(&asked.model).map_err(anyhow::Error::msg)? {
        agents::ModelRef::Remote(name) => name,
        other => bail!(
            "agent '{}' has an endpoint but the local model {other}: fix its agent file",
            asked.agent_id
        ),
    };
    let generation = RemoteModel::new(&name, endpoint)
        .and_then(|model| model.generate(&request_of(asked, prompt, deadline), on_text))
        .with_context(|| format!("agent '{}' on {}", asked.agent_id, asked.model))?;
    Ok(answered(asked, generation))
}

/// The request `asked` was (or is to be) generated for.
pub(crate) fn request_of<'a>(
    asked: &'a AnswerRecord,
    prompt: &'a str,
    deadline: Option<Instant>,
) -> Request<'a> {
    Request {
        system: &asked.system_prompt,
        prompt,
        sampling: &asked.sampling,
        seed: asked.seed,
        deadline,
    }
}

/// `asked` with its answer filled in.
fn answered(asked: &AnswerRecord, generation: Generation) -> AnswerRecord {
    AnswerRecord {
        truncated: generation.truncated(),
        text: generation.text,
        generated_tokens: generation.generated_tokens,
        commitment: generation.commitment,
        ..asked.clone()
    }
}

/// Judges a round of `space`: its matches ([`judge_matches`]) if the space is interactive,
/// else its answers ([`judge_answers`]). The tournament, `arena verify` and `arena recover`
/// judge through here. `own_answer` is the judge's own answer recorded by an
/// earlier judgment of the round (`arena verify` reads the same text);
/// `None`: the judge writes its own where it needs one.
pub fn judge_round(
    models: &ModelCache,
    judge: Option<&str>,
    space: &Space,
    round: &RoundRecord,
    answers: &[AnswerRecord],
    own_answer: Option<&str>,
) -> Result<Judgment> {
    match &space.interactive {
        Some(interactive) => judge_matches(models, judge, interactive, round, answers),
        None => judge_answers(models, judge, space, round, answers, own_answer),
    }
}

/// Judges `answers` to `round` under `space`'s rules, with the model named
/// `judge`: local, or `openai:<model>@<url>` on a server (None: verifiable
/// checks only). Used by the tournament and by
/// `arena verify`, so a re-judged round is judged the same way.
pub fn judge_answers(
    models: &ModelCache,
    judge: Option<&str>,
    space: &Space,
    round: &RoundRecord,
    answers: &[AnswerRecord],
    own_answer: Option<&str>,
) -> Result<Judgment> {
    let prompt = space
        .prompts
        .iter()
        .find(|p| space.full_prompt(p) == round.prompt)
        .context("the round's prompt is no longer in its space file: restore the space file")?;
    let checks = space.checks_for(prompt);
    let entries: Vec<Entry> = answers
        .iter()
        .map(|a| Entry {
            agent_id: a.agent_id.clone(),
            model: a.model.clone(),
            text: a.text.clone(),
        })
        .collect();
    let contest = Contest {
        question: &round.prompt,
        reference: round.reference.as_deref(),
        checks: &checks,
        entries: &entries,
        own_answer,
    };
    with_judge(models, judge, |judge| judge.judge(&contest))
}

/// Runs `job` with the judge named `spec`: a local model, or
/// `openai:<model>@<url>` on a server (None: verifiable checks only). The
/// one place a judge is built from its name, for rounds, `arena verify` and
/// `arena judge eval` alike.
pub fn with_judge<T>(
    models: &ModelCache,
    spec: Option<&str>,
    job: impl FnOnce(&Judge<'_>) -> Result<T>,
) -> Result<T> {
    let Some(name) = spec else {
        return job(&Judge::checks_only());
    };
    let config = judge_config(spec)?;
    let with =
        |model: &dyn ScoringModel| job(&Judge::with_model(LlmJudge::new(model, name), config));
    match parse_remote_judge(name).map_err(anyhow::Error::msg)? {
        Some((model, endpoint)) => {
            let scorer = RemoteScorer::new(RemoteModel::new(&model, &endpoint)?);
            scorer.check_alignment()?;
            with(&scorer)
        }
        None => with(models.get(name)?.as_ref()),
    }
}

/// The layers and margins of the judge named `spec`: every layer for a
/// served judge, the default for a local one, none without a model.
/// `arena verify` re-derives stored verdicts with them.
pub fn judge_config(spec: Option<&str>) -> Result<JudgeConfig> {
    let Some(name) = spec else {
        return Ok(JudgeConfig::checks_only());
    };
    Ok(
        match parse_remote_judge(name).map_err(anyhow::Error::msg)? {
            Some(_) => JudgeConfig::all_layers(),
            None => JudgeConfig::default(),
        },
    )
}

pub(crate) fn find_agent<'a>(roster: &'a [Agent], id: &str) -> Result<&'a Agent> {
    match roster.iter().find(|a| a.id == id) {
        Some(a) => Ok(a),
        None => bail!(
            "agent '{id}' of a stored round is not in the roster: restore its agent file to finish the round"
        ),
    }
}

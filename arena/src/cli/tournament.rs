//! `arena tournament`: timed rounds of one space, headless on bevy's
//! `MinimalPlugins`, with a progress bar per round and a leaderboard at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agents::Agent;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use bevy::MinimalPlugins;
use bevy::app::{App, PluginGroup, ScheduleRunnerPlugin, Update};
use bevy::ecs::system::{Local, Res};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::committee::CommitteeArgs;
use super::signer::SignerArgs;
use crate::tournament::chain_link::{ChainAccess, ChainLink};
use crate::tournament::engine::{Phase, Tournament, TournamentPlugin};
use crate::tournament::lifecycle::{
    DEFAULT_ENTRY_WINDOW_SECS, ModelCache, Services, check_against_chain,
};
use crate::tournament::space::Space;
use crate::tournament::worker::Worker;
use crate::tournament::{roster, space};

#[derive(Debug, Args)]
pub struct TournamentArgs {
    #[command(flatten)]
    lineup: LineupArgs,
    /// Play until the space has this many finished rounds (a rerun after a crash finishes the job).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    #[command(flatten)]
    play: PlayArgs,
}

/// Which space is played and by whom; shared by `arena tournament` and `arena gui`.
#[derive(Debug, Args)]
pub struct LineupArgs {
    /// The space to play (see `arena spaces list`).
    #[arg(long, default_value = "arithmetic")]
    pub space: String,
    /// Directory of agent files (default: the shipped roster). Agents entered
    /// in the GUI (DATA_DIR/agents) play as well.
    #[arg(long)]
    agents: Option<PathBuf>,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    pub spaces: Option<PathBuf>,
}

/// A prepared run: the engine (its worker owns the store and the chain
/// node), plus what a viewer needs to show it.
pub struct Prepared {
    pub tournament: Tournament,
    pub space: Space,
    pub roster: Vec<Agent>,
    /// A second handle on the database, for reading while the worker writes.
    pub store: judge::Store,
    /// How to reach the chain again (for a wallet view).
    pub chain_access: ChainAccess,
}

/// How rounds are played: the chain they settle on, the judge, answer length.
/// Shared by `arena tournament` and `arena evolve`.
#[derive(Debug, Args)]
pub struct PlayArgs {
    /// Settle on this RPC node (any EVM chain) instead of starting a local anvil; the
    /// operator signs with --keystore or ARENA_PRIVATE_KEY.
    #[arg(long, alias = "rpc-url")]
    rpc: Option<String>,
    #[command(flatten)]
    signer: SignerArgs,
    /// File with the agent owners' private keys, one per line, for --rpc. Only agents whose
    /// owner is the operator or has a key here can pay entries on such a chain.
    #[arg(long)]
    owner_keys: Option<PathBuf>,
    /// Blocks to wait for on every transaction [default: 1 on the local anvil, 3 with --rpc].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    confirmations: Option<u64>,
    /// Seconds owners have to pay their entries after a round opens; settlement waits for
    /// this deadline on a chain whose clock we cannot move.
    #[arg(long, default_value_t = DEFAULT_ENTRY_WINDOW_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    entry_window: u64,
    /// Judge model (smollm2-135m, gemma3-270m or a .gguf path), or
    /// openai:<model>@<url> on an OpenAI-compatible server that returns
    /// log-probabilities (API key, if any, in ARENA_JUDGE_API_KEY); "none" for checks only.
    #[arg(long, default_value = "smollm2-135m")]
    judge: String,
    /// Cap every answer at this many tokens (quick runs).
    #[arg(long)]
    max_tokens: Option<usize>,
    /// The space's fee tier to open rounds in: "eth" (its entry_fee_wei, the default) or one
    /// of its [[tiers]], e.g. "free" or "usd-1" (the test stablecoin; see `arena spaces list`).
    #[arg(long)]
    tier: Option<String>,
    /// Who contests settlements of the contract this run deploys on the --rpc node when the
    /// data directory has no deployment record.
    #[command(flatten)]
    committee: CommitteeArgs,
}

/// Confirmations on a chain we did not start: a public chain's latest block can be replaced.
const REMOTE_CONFIRMATIONS: u64 = 3;

impl PlayArgs {
    /// The fee tier asked for with --tier, if any.
    pub fn tier(&self) -> Option<&str> {
        self.tier.as_deref()
    }

    /// The operator's signer for --rpc (read once: a keystore may ask for its
    /// password), `None` on the local anvil; also checks the other flags.
    pub fn operator(&self) -> Result<Option<PrivateKeySigner>> {
        if self.max_tokens == Some(0) {
            bail!("--max-tokens must be at least 1");
        }
        agents::endpoint::parse_remote_judge(&self.judge).map_err(anyhow::Error::msg)?;
        if self.rpc.is_none() {
            if self.owner_keys.is_some()
                || self.confirmations.is_some_and(|c| c > 1)
                || self.committee.names_verifiers()
            {
                bail!(
                    "--owner-keys, --confirmations and --verifier apply to --rpc; the local anvil uses its own accounts, mines instantly and makes its last three accounts the verifier committee"
                );
            }
            return Ok(None);
        }
        Ok(Some(self.signer.required("--rpc")?))
    }

    /// The chain (our own anvil with state in `chain_dir`, or the --rpc node
    /// signed by `operator` from [`PlayArgs::operator`]), checked before
    /// anything is written.
    pub fn connect(
        &self,
        runtime: &tokio::runtime::Runtime,
        chain_dir: &Path,
        operator: Option<&PrivateKeySigner>,
    ) -> Result<ChainLink> {
        let Some(url) = &self.rpc else {
            return runtime.block_on(ChainLink::local(chain_dir));
        };
        let signer = operator.context("--rpc needs the operator's signer")?;
        let owner_keys = match &self.owner_keys {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading owner keys {}", path.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        let confirmations = self.confirmations.unwrap_or(REMOTE_CONFIRMATIONS);
        let committee = self.committee.committee(&[signer.address()])?;
        runtime.block_on(ChainLink::remote(
            url,
            signer.clone(),
            &owner_keys,
            confirmations,
            chain_dir,
            &committee,
        ))
    }

    /// The services of a run over `data_dir` on `chain`, sharing loaded `models`.
    pub fn services(
        &self,
        data_dir: &Path,
        chain: ChainLink,
        runtime: tokio::runtime::Runtime,
        models: Arc<ModelCache>,
    ) -> Result<Services> {
        let db = data_dir.join("db");
        let journal = contracts::JsonlJournal::open(data_dir.join("settle-journal.jsonl"))?;
        if !db.exists() {
            // Refuse before opening creates the database.
            check_against_chain(&runtime, &chain, &journal, &db, None)?;
        }
        let services = Services {
            store: judge::Store::open(&db)?,
            journal,
            chain,
            runtime,
            models,
            judge_model: (self.judge != "none").then(|| self.judge.clone()),
            max_tokens: self.max_tokens,
            entry_window_secs: self.entry_window,
            tier: self.tier.clone(),
        };
        services.check_against_chain()?;
        services.finalize_pending()?;
        Ok(services)
    }
}

/// The agents of `roster` whose owners can pay entries on `chain`. On our own anvil that is
/// everyone; on another chain an owner pays from its own key (the contract enters the
/// sender), so agents of owners without a key here are left out, with a note.
pub fn payable_roster(chain: &ChainLink, roster: Vec<Agent>, space: &Space) -> Result<Vec<Agent>> {
    let (payable, left_out): (Vec<Agent>, Vec<Agent>) = roster
        .into_iter()
        .partition(|a| chain.can_sign_for(&a.owner));
    if !left_out.is_empty() {
        let ids: Vec<&str> = left_out.iter().map(|a| a.id.as_str()).collect();
        eprintln!(
            "note: no key for the owners of {}: they sit out (add their keys to --owner-keys)",
            ids.join(", ")
        );
    }
    if payable.len() < space.agents_per_round {
        bail!(
            "space '{}' needs {} agents per round but only {} have an owner key on this chain: add owner keys with --owner-keys",
            space.name,
            space.agents_per_round,
            payable.len()
        );
    }
    Ok(payable)
}

pub fn run(args: TournamentArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let prepared = prepare(&args.lineup, &args.play, fetcher, &data_dir, args.rounds)?;
    println!("{}", run_headless(prepared.tournament)?);
    Ok(())
}

/// The agents of `agents` (default: the shipped roster) and those entered
/// by players in `data_dir`.
pub fn full_roster(agents: Option<&Path>, data_dir: &Path) -> Result<Vec<Agent>> {
    let mut roster = roster::load(&agents.map_or_else(roster::default_dir, Path::to_owned))?;
    let entered = entered_agents_dir(data_dir);
    if entered.is_dir() {
        roster.extend(roster::load(&entered)?);
        roster::check_unique(&mut roster, &entered)?;
    }
    Ok(roster)
}

/// The agents entered by players, kept in the data directory.
pub fn entered_agents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("agents")
}

/// Loads the space and roster, starts (or connects to) the chain, opens the
/// store and starts the engine's worker, to play until the space has
/// `target` finished rounds. Call from the main thread (see [`ChainLink::local`]).
pub fn prepare(
    lineup: &LineupArgs,
    play: &PlayArgs,
    fetcher: agents::Fetcher,
    data_dir: &Path,
    target: usize,
) -> Result<Prepared> {
    let spaces_dir = lineup.spaces.clone().unwrap_or_else(space::default_dir);
    let space = space::find(&spaces_dir, &lineup.space)?;
    let roster = full_roster(lineup.agents.as_deref(), data_dir)?;
    if roster.len() < space.agents_per_round {
        bail!(
            "space '{}' needs {} agents per round; the roster has {}",
            space.name,
            space.agents_per_round,
            roster.len()
        );
    }
    let operator = play.operator()?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = play.connect(&runtime, &data_dir.join("chain"), operator.as_ref())?;
    let roster = payable_roster(&chain, roster, &space)?;
    let chain_access = chain.access();
    let models = Arc::new(ModelCache::new(fetcher));
    let services = play.services(data_dir, chain, runtime, models)?;
    // A tier the space lacks, or a token not on this chain, is refused before any round opens.
    services.tier_of(&space)?;
    let store = services.store.clone();
    let worker = Worker::start(services, space.clone(), roster.clone());
    Ok(Prepared {
        tournament: Tournament::new(worker, target),
        space,
        roster,
        store,
        chain_access,
    })
}

/// Plays rounds of `space` with `roster` until the space has `target` finished rounds, on the
/// bevy engine with a progress bar, and returns the leaderboard. The worker owns `services`
/// and releases them (store, node) before this returns.
pub fn play(services: Services, space: Space, roster: Vec<Agent>, target: usize) -> Result<String> {
    let worker = Worker::start(services, space, roster);
    run_headless(Tournament::new(worker, target))
}

/// Runs `tournament` to its end on bevy's `MinimalPlugins` with a progress
/// bar, and returns its summary.
fn run_headless(tournament: Tournament) -> Result<String> {
    let outcome = tournament.outcome.clone();
    // Running the app consumes it; when it returns, the engine and its
    // worker are dropped, which closes the store and stops the node.
    App::new()
        .add_plugins(MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::from_millis(20))))
        .add_plugins(TournamentPlugin)
        .insert_resource(tournament)
        .add_systems(Update, show_progress)
        .run();
    let outcome = outcome.lock().expect("outcome lock").take();
    match outcome {
        Some(Ok(summary)) => Ok(summary),
        Some(Err(e)) => bail!(
            "{e}\nThe database and chain are consistent: run the same command again to resume."
        ),
        None => {
            bail!("the tournament stopped before finishing; run the same command again to resume")
        }
    }
}

/// One progress bar per round, showing the phase and the tokens streamed.
fn show_progress(tournament: Res<Tournament>, mut bar: Local<Option<(u64, ProgressBar)>>) {
    let Some(round) = &tournament.view.round else {
        return;
    };
    if bar.as_ref().is_none_or(|(id, _)| *id != round.id) {
        if let Some((_, old)) = bar.take() {
            old.finish();
        }
        let new = ProgressBar::new(7);
        new.set_style(
            ProgressStyle::with_template("round {prefix:>3} [{bar:14}] {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        new.set_prefix(round.id.to_string());
        *bar = Some((round.id, new));
    }
    let Some((_, bar)) = bar.as_ref() else { return };
    let step = match tournament.phase {
        Phase::Opening | Phase::Resuming | Phase::Requesting | Phase::Idle => 1,
        Phase::PayingEntries => 2,
        Phase::Generating => 3,
        Phase::Judging => 4,
        Phase::Settling | Phase::Cancelling => 5,
        Phase::Summarizing | Phase::Done => 7,
    };
    bar.set_position(step);
    let chars: usize = tournament.view.answers.values().map(|a| a.len()).sum();
    let winner = tournament
        .view
        .judgment
        .as_ref()
        .and_then(|j| j.ranking.order.first().cloned());
    bar.set_message(format!(
        "{:?} | {} agents | {chars} chars streamed{}",
        tournament.phase,
        round.agents.len(),
        winner.map(|w| format!(" | winner {w}")).unwrap_or_default()
    ));
}

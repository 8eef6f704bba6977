//! `arena tournament`: timed rounds of one space, headless on bevy's
//! `MinimalPlugins`, with a progress bar per round and a leaderboard at the end.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bevy::MinimalPlugins;
use bevy::app::{App, PluginGroup, ScheduleRunnerPlugin, Update};
use bevy::ecs::system::{Local, Res};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::tournament::chain_link::ChainLink;
use crate::tournament::engine::{Phase, Tournament, TournamentPlugin};
use crate::tournament::lifecycle::{ModelCache, Services};
use crate::tournament::worker::Worker;
use crate::tournament::{roster, space};

#[derive(Debug, Args)]
pub struct TournamentArgs {
    /// The space to play (see `arena spaces list`).
    #[arg(long)]
    space: String,
    /// Play until the space has this many finished rounds (a rerun after a crash finishes the job).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Directory of agent files (default: the shipped roster).
    #[arg(long)]
    agents: Option<PathBuf>,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    spaces: Option<PathBuf>,
    /// Use this RPC node instead of starting anvil.
    #[arg(long, requires = "key")]
    rpc: Option<String>,
    /// Operator private key for --rpc.
    #[arg(long, env = "ARENA_OPERATOR_KEY", hide_env_values = true)]
    key: Option<String>,
    /// File with the agent owners' private keys, one per line, for --rpc.
    #[arg(long)]
    owner_keys: Option<PathBuf>,
    /// Judge model (smollm2-135m, gemma3-270m or a .gguf path), or
    /// openai:<model>@<url> on an OpenAI-compatible server that returns
    /// log-probabilities (API key, if any, in ARENA_JUDGE_API_KEY); "none" for checks only.
    #[arg(long, default_value = "smollm2-135m")]
    judge: String,
    /// Cap every answer at this many tokens (quick runs).
    #[arg(long)]
    max_tokens: Option<usize>,
}

pub fn run(args: TournamentArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let space = space::find(&args.spaces.unwrap_or_else(space::default_dir), &args.space)?;
    let roster = roster::load(&args.agents.unwrap_or_else(roster::default_dir))?;
    if roster.len() < space.agents_per_round {
        bail!(
            "space '{}' needs {} agents per round; the roster has {}",
            space.name,
            space.agents_per_round,
            roster.len()
        );
    }
    agents::endpoint::parse_remote_judge(&args.judge).map_err(anyhow::Error::msg)?;
    if args.max_tokens == Some(0) {
        bail!("--max-tokens must be at least 1");
    }
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain_dir = data_dir.join("chain");
    let chain = match &args.rpc {
        None => runtime.block_on(ChainLink::local(&chain_dir))?,
        Some(url) => {
            let key = args.key.as_deref().context("--rpc needs --key")?;
            let owner_keys = match &args.owner_keys {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                None => Vec::new(),
            };
            runtime.block_on(ChainLink::connect(url, key, &owner_keys, &chain_dir))?
        }
    };
    let services = Services {
        store: judge::Store::open(&data_dir.join("db"))?,
        journal: contracts::JsonlJournal::open(data_dir.join("settle-journal.jsonl"))?,
        chain,
        runtime,
        models: ModelCache::new(fetcher),
        judge_model: (args.judge != "none").then(|| args.judge.clone()),
        max_tokens: args.max_tokens,
    };
    let worker = Worker::start(services, space.clone(), roster);
    let tournament = Tournament::new(worker, args.rounds);
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
        Some(Ok(summary)) => {
            println!("{summary}");
            Ok(())
        }
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
        Phase::Opening | Phase::Resuming | Phase::Idle => 1,
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

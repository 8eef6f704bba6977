//! `arena train`: DPO of an agent's model on the preference pairs its space
//! produced, with a progress bar; the trained model becomes the agent's
//! new version (origin `dpo`). An interrupted run resumes from its
//! checkpoint when run again with the same flags.

use std::path::{Path, PathBuf};

use agents::training::Progress;
use agents::training::dpo::DpoSettings;
use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use judge::records::VersionStatus;

use super::export::{check_space, parse_range};
use super::tournament::full_roster;
use crate::evolution::dpo::{
    Base, DEFAULT_BATCH, DEFAULT_BETA, DEFAULT_LR, DEFAULT_MAX_LEN, DEFAULT_RANK, DEFAULT_STEPS,
    Plan, TrainOptions,
};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The agent to train.
    #[arg(long)]
    agent: String,
    /// The space whose preference pairs it trains on.
    #[arg(long)]
    space: String,
    /// Only pairs of rounds FIRST..LAST (either side may be empty).
    #[arg(long, value_name = "FIRST..LAST", allow_hyphen_values = true)]
    rounds: Option<String>,
    /// Only pairs whose chosen answer passed every check of its round.
    #[arg(long)]
    verified_only: bool,
    /// Leave out pairs with an answer from a model of another tokenizer
    /// (refused otherwise).
    #[arg(long)]
    own_tokenizer_only: bool,
    /// Optimizer steps.
    #[arg(long, default_value_t = DEFAULT_STEPS as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    steps: u64,
    /// DPO's beta: larger keeps the model closer to the untrained one.
    #[arg(long, default_value_t = DEFAULT_BETA)]
    beta: f64,
    /// Rank of the LoRA adapters.
    #[arg(long, default_value_t = DEFAULT_RANK as u64, value_parser = clap::value_parser!(u64).range(1..=256))]
    rank: u64,
    /// AdamW's learning rate.
    #[arg(long, default_value_t = DEFAULT_LR)]
    lr: f64,
    /// Pairs per step.
    #[arg(long, default_value_t = DEFAULT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=256))]
    batch: u64,
    /// Longest prompt plus answer, in tokens (longer answers are cut).
    #[arg(long, default_value_t = DEFAULT_MAX_LEN as u64, value_parser = clap::value_parser!(u64).range(16..=8192))]
    max_len: u64,
    /// Seed of the order pairs are visited in.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Discard the checkpoint of an earlier run of the same training.
    #[arg(long)]
    restart: bool,
    /// Directory of agent files (default: the shipped roster); agents
    /// entered in the GUI (DATA_DIR/agents) count too.
    #[arg(long)]
    agents: Option<PathBuf>,
}

pub fn run(args: TrainArgs, fetcher: agents::Fetcher, data_dir: &Path) -> Result<()> {
    for (flag, value) in [("--beta", args.beta), ("--lr", args.lr)] {
        if !(value.is_finite() && value > 0.0) {
            bail!(
                "{flag} {value}: use a positive number, for example 0.1 for --beta or 5e-4 for --lr"
            );
        }
    }
    let (first_round, last_round) = match &args.rounds {
        Some(range) => parse_range(range)?,
        None => (None, None),
    };
    let roster = full_roster(args.agents.as_deref(), data_dir)?;
    let Some(agent) = roster.iter().find(|a| a.id == args.agent) else {
        let ids: Vec<&str> = roster.iter().map(|a| a.id.as_str()).collect();
        bail!(
            "--agent {}: no such agent in the roster; agents: {}",
            args.agent,
            ids.join(", ")
        );
    };
    let options = TrainOptions {
        first_round,
        last_round,
        verified_only: args.verified_only,
        own_tokenizer_only: args.own_tokenizer_only,
        settings: DpoSettings {
            beta: args.beta,
            learning_rate: args.lr,
            batch_pairs: args.batch as usize,
            seed: args.seed,
        },
        rank: args.rank as usize,
        steps: args.steps as usize,
        max_len: args.max_len as usize,
    };
    let plan = {
        let store = super::open_store(data_dir)?;
        check_space(&store, &args.space)?;
        let base = Base::current(&store, &args.space, agent)?;
        Plan::new(&store, &fetcher, data_dir, agent, base, options)?
    };
    eprintln!(
        "training {} (v{} on {}) on {} pairs of space '{}'",
        agent.id,
        plan.base.version,
        plan.model.display(),
        plan.examples.len(),
        args.space
    );
    // The database stays closed while training, for tournaments to use.
    let bar = ProgressBar::new(0);
    let mut stepping = false;
    let outcome = plan.train(args.restart, &mut |p| show(&bar, &mut stepping, p))?;
    bar.finish_and_clear();
    let store = super::open_store(data_dir)?;
    let versions = plan.versions(
        &outcome,
        VersionStatus::Kept,
        store.mmr(&args.space, &agent.id)?,
    );
    store
        .put_agent_versions(&versions)
        .context("recording the trained version")?;
    let version = versions.last().expect("the new version");
    println!(
        "{} v{} (origin dpo): {}",
        agent.id, version.version, version.note
    );
    println!("model {} sha256 {}", outcome.path.display(), outcome.sha256);
    println!(
        "loss {:.4} -> {:.4}, chosen-over-rejected log-ratio {:.4} -> {:.4}",
        outcome.before.loss, outcome.after.loss, outcome.before.log_ratio, outcome.after.log_ratio
    );
    println!(
        "{} steps in {:.1} s ({:.1} s per 100 pairs); `arena evolve` plays the agent with it, and an agent file with model = \"{}\" plays it in `arena tournament`",
        outcome.steps_run,
        outcome.train_secs,
        per_hundred_pairs(
            outcome.train_secs,
            outcome.steps_run,
            plan.options.settings.batch_pairs
        ),
        outcome.path.display()
    );
    Ok(())
}

/// Seconds per 100 pairs seen, from `secs` for `steps` of `batch` pairs.
fn per_hundred_pairs(secs: f64, steps: usize, batch: usize) -> f64 {
    secs * 100.0 / (steps * batch).max(1) as f64
}

/// Updates the bar; `stepping` says whether it shows steps yet.
fn show(bar: &ProgressBar, stepping: &mut bool, progress: Progress) {
    let style = |template: &str| ProgressStyle::with_template(template).expect("a valid template");
    match progress {
        Progress::Reference { done, total } => {
            if done == 0 {
                bar.set_style(style("reference log-probs {bar:30} {pos}/{len} pairs"));
                bar.set_length(total as u64);
            }
            bar.set_position(done as u64);
        }
        Progress::Step { done, total, stats } => {
            if !*stepping {
                *stepping = true;
                bar.set_style(style("DPO {bar:30} {pos}/{len} steps ({eta}) {msg}"));
                bar.set_length(total as u64);
            }
            bar.set_position(done as u64);
            bar.set_message(format!(
                "loss {:.3} reward margin {:+.3} accuracy {:.2}",
                stats.loss, stats.reward_margin, stats.accuracy
            ));
        }
        Progress::Writing => {
            bar.set_style(style("{spinner} merging adapters and writing the model"));
            bar.tick();
        }
    }
}

//! `arena evolve`: generations of tournament rounds between evolving agents
//! and a fixed baseline roster; after each generation the losing evolving
//! agents get candidate versions (see [`crate::evolution`]). Prints, per
//! generation, the mean MMR of both groups and every keep, rollback and new
//! candidate.

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use judge::Store;
use judge::records::{RoundId, RoundStatus};

use super::tournament::{PlayArgs, payable_roster, play};
use crate::evolution::dpo::DEFAULT_STEPS;
use crate::evolution::step::{
    Evolver, GenerationReport, Mutator, Training, as_version, current_versions, elo_gap, mean_mmr,
};
use crate::tournament::lifecycle::ModelCache;
use crate::tournament::{roster, space};

#[derive(Debug, Args)]
pub struct EvolveArgs {
    /// The space to play (see `arena spaces list`).
    #[arg(long)]
    space: String,
    /// Directory of the agents that evolve.
    #[arg(long)]
    agents: PathBuf,
    /// Directory of the baseline agents, which never change.
    #[arg(long)]
    baseline: PathBuf,
    /// Generations to play; each ends with an evolution step.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    generations: u32,
    /// Rounds per generation.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds_per_generation: u32,
    /// How candidate system prompts are made.
    #[arg(long, value_enum, default_value_t = Mutator::Imitate)]
    mutator: Mutator,
    /// The model that rewrites prompts.
    #[arg(long, default_value = "smollm2-135m")]
    rewriter: String,
    /// DPO steps per trained candidate (--mutator dpo).
    #[arg(long, default_value_t = DEFAULT_STEPS as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    train_steps: u64,
    /// Seed of the mutations, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    spaces: Option<PathBuf>,
    #[command(flatten)]
    play: PlayArgs,
}

pub fn run(args: EvolveArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let space = space::find(&args.spaces.unwrap_or_else(space::default_dir), &args.space)?;
    if args.agents == args.baseline {
        bail!(
            "--agents and --baseline are the same directory ({}): give the evolving agents and the fixed baseline a directory each",
            args.agents.display()
        );
    }
    let evolving = roster::load(&args.agents)?;
    let baseline = roster::load(&args.baseline)?;
    if evolving.is_empty() {
        bail!(
            "no evolving agents in {}: add agent files there",
            args.agents.display()
        );
    }
    if let Some(both) = evolving
        .iter()
        .find(|e| baseline.iter().any(|b| b.id == e.id))
    {
        bail!(
            "agent '{}' is both evolving ({}) and baseline ({}): an agent is one or the other",
            both.id,
            args.agents.display(),
            args.baseline.display()
        );
    }
    if evolving.len() + baseline.len() < space.agents_per_round {
        bail!(
            "space '{}' needs {} agents per round; evolving and baseline agents together are {}",
            space.name,
            space.agents_per_round,
            evolving.len() + baseline.len()
        );
    }
    let operator = args.play.operator()?;
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let models = Arc::new(ModelCache::new(fetcher.clone()));
    let evolver = Evolver {
        space: &space,
        models: &models,
        mutator: args.mutator,
        rewriter: &args.rewriter,
        seed: args.seed,
        training: Training {
            fetcher: &fetcher,
            data_dir: &data_dir,
            steps: args.train_steps as usize,
        },
    };
    let db = data_dir.join("db");
    let start = {
        let store = Store::open(&db)?;
        current_versions(&store, &space.name, &evolving)?;
        (
            mean_mmr(&store, &space.name, &evolving)?,
            mean_mmr(&store, &space.name, &baseline)?,
        )
    };
    let mut reports = Vec::new();
    for generation in 1..=args.generations {
        let (roster, target, first_round) = {
            let store = Store::open(&db)?;
            let currents = current_versions(&store, &space.name, &evolving)?;
            let mut roster = baseline.clone();
            for (agent, version) in evolving.iter().zip(&currents) {
                roster.push(as_version(agent, version)?);
            }
            roster.sort_by(|a, b| a.id.cmp(&b.id));
            let closed = closed_rounds(&store, &space.name)?;
            (
                roster,
                closed + args.rounds_per_generation as usize,
                store.next_round_id()?,
            )
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let chain = args
            .play
            .connect(&runtime, &data_dir.join("chain"), operator.as_ref())?;
        let roster = payable_roster(&chain, roster, &space)?;
        let services = args
            .play
            .services(&data_dir, chain, runtime, models.clone())?;
        play(services, space.clone(), roster, target)?;
        let store = Store::open(&db)?;
        let rounds = played_rounds(&store, &space.name, first_round)?;
        let report = evolver.after_generation(&store, &evolving, &baseline, &rounds)?;
        println!("{}", show_generation(generation, &report));
        reports.push(report);
    }
    println!("{}", summary(&space.name, start, &reports));
    Ok(())
}

/// Finished rounds of `space`.
fn closed_rounds(store: &Store, space: &str) -> Result<usize> {
    let mut closed = 0;
    for round in store.rounds() {
        let round = round?;
        closed += usize::from(round.space == space && round.status == RoundStatus::Closed);
    }
    Ok(closed)
}

/// Closed rounds of `space` from round `first` on, oldest first.
fn played_rounds(store: &Store, space: &str, first: RoundId) -> Result<Vec<RoundId>> {
    let mut ids = Vec::new();
    for round in store.rounds() {
        let round = round?;
        if round.id >= first && round.space == space && round.status == RoundStatus::Closed {
            ids.push(round.id);
        }
    }
    Ok(ids)
}

fn show_generation(generation: u32, r: &GenerationReport) -> String {
    let (score, games) = r.vs_baseline;
    let mut out = format!(
        "generation {generation} (rounds {}-{}): evolving mean MMR {:.1}, baseline mean MMR {:.1}; evolving vs baseline {score}/{games}, Elo {}",
        r.first_round,
        r.last_round,
        r.evolving_mmr,
        r.baseline_mmr,
        show_gap(elo_gap(score, games))
    );
    for d in &r.decisions {
        let _ = write!(out, "\n  {d}");
    }
    out
}

/// The per-generation table of the run, before and after: mean MMR of
/// both groups, and the evolving agents' score against the fixed baseline
/// in that generation's rounds with its Elo equivalent.
fn summary(space: &str, start: (f64, f64), reports: &[GenerationReport]) -> String {
    let mut out = format!(
        "Evolution in space '{space}' per generation\n{:<10} {:>12} {:>12} {:>16} {:>9}\n{:<10} {:>12.1} {:>12.1} {:>16} {:>9}",
        "generation",
        "evolving MMR",
        "baseline MMR",
        "vs baseline",
        "Elo",
        "start",
        start.0,
        start.1,
        "-",
        "-"
    );
    for (i, r) in reports.iter().enumerate() {
        let (score, games) = r.vs_baseline;
        let _ = write!(
            out,
            "\n{:<10} {:>12.1} {:>12.1} {:>16} {:>9}",
            i + 1,
            r.evolving_mmr,
            r.baseline_mmr,
            format!("{score}/{games}"),
            show_gap(elo_gap(score, games))
        );
    }
    out.push_str("\nSee each agent's versions with `arena agents history ID`.");
    out
}

fn show_gap(gap: Option<f64>) -> String {
    gap.map_or("-".into(), |g| format!("{g:+.0}"))
}

//! `arena agents add|list|show|history` and `arena spaces list`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use agents::Agent;

use crate::tournament::{roster, space};

#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Validate an agent file and add it to the roster directory.
    Add {
        file: PathBuf,
        /// Roster directory (default: the shipped roster).
        #[arg(long)]
        agents: Option<PathBuf>,
    },
    /// List the roster.
    List {
        #[arg(long)]
        agents: Option<PathBuf>,
    },
    /// Show one agent's definition.
    Show {
        id: String,
        #[arg(long)]
        agents: Option<PathBuf>,
    },
    /// Show the versions `arena evolve` and `arena train` made of an agent, with their ratings.
    History {
        id: String,
        /// Only this space.
        #[arg(long)]
        space: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpacesCommand {
    /// List the spaces with their rules.
    List {
        #[arg(long)]
        spaces: Option<PathBuf>,
    },
}

pub fn agents(command: AgentsCommand, data_dir: &Path) -> Result<()> {
    let dir = |d: Option<PathBuf>| d.unwrap_or_else(roster::default_dir);
    match command {
        AgentsCommand::Add { file, agents } => {
            let dir = dir(agents);
            let agent = Agent::load(&file)?;
            let existing = roster::load(&dir)?;
            if existing.iter().any(|a| a.id == agent.id) {
                bail!(
                    "the roster in {} already has an agent '{}': choose another id",
                    dir.display(),
                    agent.id
                );
            }
            let target = dir.join(format!("{}.toml", agent.id));
            std::fs::copy(&file, &target)
                .with_context(|| format!("copying to {}", target.display()))?;
            println!("added {} ({}) to {}", agent.id, agent.name, dir.display());
        }
        AgentsCommand::List { agents } => {
            println!(
                "{:<12} {:<16} {:<14} {:>5} owner",
                "id", "name", "model", "temp"
            );
            for a in roster::load(&dir(agents))? {
                println!(
                    "{:<12} {:<16} {:<14} {:>5.2} {}",
                    a.id, a.name, a.model, a.sampling.temperature, a.owner
                );
            }
        }
        AgentsCommand::Show { id, agents } => {
            let roster = roster::load(&dir(agents))?;
            let agent = roster
                .iter()
                .find(|a| a.id == id)
                .with_context(|| format!("no agent '{id}' in the roster"))?;
            print!("{}", toml::to_string_pretty(agent)?);
        }
        AgentsCommand::History { id, space } => history(&id, space.as_deref(), data_dir)?,
    }
    Ok(())
}

/// Prints every stored version of agent `id`: lineage, status, form and
/// MMR, sampling, prompt and what changed.
fn history(id: &str, space: Option<&str>, data_dir: &Path) -> Result<()> {
    let store = super::open_store(data_dir)?;
    let versions: Vec<_> = store
        .agent_history(id)?
        .into_iter()
        .filter(|v| space.is_none_or(|s| v.space == s))
        .collect();
    if versions.is_empty() {
        bail!(
            "no versions of agent '{id}' in {}: they are made by `arena evolve` and `arena train` (check --data-dir and the id)",
            data_dir.display()
        );
    }
    let number = |x: Option<f64>, digits: usize| x.map_or("-".into(), |x| format!("{x:.digits$}"));
    for v in versions {
        println!(
            "{} v{} ({:?}, {:?}) parent {} after round {}: form {} (share of opponents outranked), {} rounds, MMR {}",
            v.space,
            v.version,
            v.origin,
            v.status,
            v.parent.map_or("-".into(), |p| format!("v{p}")),
            v.created_after_round.map_or("-".into(), |r| r.to_string()),
            number(v.form, 2),
            v.rounds_played,
            number(v.mmr, 1)
        );
        println!(
            "  temperature {} top_p {} max_tokens {}",
            v.sampling.temperature, v.sampling.top_p, v.sampling.max_tokens
        );
        if let Some(model) = &v.model {
            println!("  model: {} (sha256 {})", model.path, model.sha256);
        }
        println!("  prompt: {}", v.system_prompt);
        println!("  note: {}", v.note);
    }
    Ok(())
}

pub fn spaces(command: SpacesCommand) -> Result<()> {
    let SpacesCommand::List { spaces } = command;
    for s in space::load_all(&spaces.unwrap_or_else(space::default_dir))? {
        println!("{}: {}", s.name, s.description);
        println!(
            "  {} agents/round, {}s, {} tokens, fee {} wei, split {:?} bps, {} prompts, checks: {:?}{}",
            s.agents_per_round,
            s.round_seconds,
            s.max_tokens,
            s.entry_fee_wei,
            s.reward_split_bps,
            s.prompts.len(),
            s.judging.answer_check,
            if s.judging.llm { " + LLM judge" } else { "" }
        );
        let tiers: Vec<String> = s
            .all_tiers()
            .iter()
            .map(|t| match (t.fee.trim_start_matches('0'), &t.token) {
                ("", _) => format!("{} (free)", t.name),
                (_, None) => format!("{} ({} wei)", t.name, t.fee),
                (_, Some(token)) => format!("{} ({} units of {token})", t.name, t.fee),
            })
            .collect();
        println!("  tiers (--tier): {}", tiers.join(", "));
    }
    Ok(())
}

//! Command-line parsing and dispatch, one module per subcommand.

mod bench;
mod generate;
mod models;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Small local LLM agents compete in timed rounds; a judge ranks them.
#[derive(Debug, Parser)]
#[command(name = "arena", version, about)]
pub struct Cli {
    /// Directory where models are cached (default: $ARENA_MODEL_DIR or the user cache dir).
    #[arg(long, global = true, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer one prompt with an agent or a model, streaming the answer.
    Generate(generate::GenerateArgs),
    /// Fetch and verify models.
    Models {
        #[command(subcommand)]
        command: models::ModelsCommand,
    },
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let fetcher = agents::Fetcher::from_env(cli.model_dir);
    match cli.command {
        Command::Generate(args) => generate::run(args, &fetcher),
        Command::Models { command } => models::run(command, &fetcher),
        Command::Bench { command } => bench::run(command, &fetcher),
    }
}

/// Makes a model available, showing download progress on stderr.
fn ensure_model(
    fetcher: &agents::Fetcher,
    model: &agents::ModelRef,
) -> anyhow::Result<std::path::PathBuf> {
    Ok(fetcher.ensure(model, &mut |line| eprintln!("{line}"))?)
}

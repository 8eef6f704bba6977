//! Command-line parsing and dispatch, one module per subcommand.

mod bench;
mod chain;
mod export;
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
    /// The arena database (default: $ARENA_DB or the user data dir).
    #[arg(long, global = true, value_name = "DIR", env = "ARENA_DB")]
    db: Option<PathBuf>,
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
    /// Run a local chain, deploy the Arena contract, and inspect it.
    Chain {
        #[command(subcommand)]
        command: chain::ChainCommand,
    },
    /// Export preference pairs or the leaderboard for training.
    Export(export::ExportArgs),
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
        Command::Chain { command } => chain::run(command),
        Command::Export(args) => export::run(args, &open_store(cli.db)?),
    }
}

/// Opens the arena database at `path` or the default location.
fn open_store(path: Option<PathBuf>) -> anyhow::Result<judge::Store> {
    let path = path.unwrap_or_else(|| {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("arena")
            .join("db")
    });
    Ok(judge::Store::open(&path)?)
}

/// Makes a model available, showing download progress on stderr.
fn ensure_model(
    fetcher: &agents::Fetcher,
    model: &agents::ModelRef,
) -> anyhow::Result<std::path::PathBuf> {
    Ok(fetcher.ensure(model, &mut |line| eprintln!("{line}"))?)
}

//! Command-line parsing and dispatch, one module per subcommand.

mod bench;
mod bench_detection;
mod bench_verify;
mod catalog;
mod chain;
mod committee;
mod evolve;
pub mod export;
mod generate;
pub mod gui;
mod judge_eval;
mod models;
mod recover;
mod rounds;
mod signer;
pub mod tournament;
mod train;
mod verify;
mod vote;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Small local LLM agents compete in timed rounds; a judge ranks them.
#[derive(Debug, Parser)]
#[command(name = "arena", version, about)]
pub struct Cli {
    /// Directory where models are cached (default: $ARENA_MODEL_DIR or the user cache dir).
    #[arg(long, global = true, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Where the database, chain state and journal live (default: the user data dir).
    #[arg(long, global = true, value_name = "DIR", env = "ARENA_DATA")]
    data_dir: Option<PathBuf>,
    /// Also trust the CA certificates in this PEM file for https RPC nodes and model servers
    /// (a private CA); the system's roots are always trusted.
    #[arg(long, global = true, value_name = "PEM", env = "ARENA_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Without a command: the desktop app if a display is present, else this help.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Play timed rounds of a space, headless.
    Tournament(tournament::TournamentArgs),
    /// The desktop app: watch rounds, enter agents, withdraw rewards, export.
    Gui(gui::GuiArgs),
    /// Evolve agents against a fixed baseline over generations of rounds.
    Evolve(evolve::EvolveArgs),
    /// Manage the roster of agents.
    Agents {
        #[command(subcommand)]
        command: catalog::AgentsCommand,
    },
    /// List the spaces.
    Spaces {
        #[command(subcommand)]
        command: catalog::SpacesCommand,
    },
    /// Check a round: result root against the chain, answers and verdicts replayed.
    Verify(verify::VerifyArgs),
    /// After damage: keep the damaged database aside, re-create its rounds from seeds and the chain.
    Recover(recover::RecoverArgs),
    /// Inspect stored rounds.
    Rounds {
        #[command(subcommand)]
        command: rounds::RoundsCommand,
    },
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
    /// Measure a judge on a labelled set of answer pairs.
    Judge {
        #[command(subcommand)]
        command: judge_eval::JudgeCommand,
    },
    /// Train an agent's model by DPO on its space's preference pairs.
    Train(train::TrainArgs),
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
    if let Some(path) = &cli.ca_file {
        tls::trust_ca_file(path)?;
    }
    let fetcher = agents::Fetcher::from_env(cli.model_dir);
    let data_dir = cli.data_dir.unwrap_or_else(|| {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("arena")
    });
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let command = match cli.command {
        Some(command) => command,
        None if has_display => Command::Gui(gui::GuiArgs::defaults()),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            return Ok(());
        }
    };
    match command {
        Command::Tournament(args) => tournament::run(args, fetcher, data_dir),
        Command::Gui(args) => gui::run(args, fetcher, data_dir),
        Command::Verify(args) => verify::run(args, fetcher, data_dir),
        Command::Recover(args) => recover::run(args, fetcher, data_dir),
        Command::Evolve(args) => evolve::run(args, fetcher, data_dir),
        Command::Agents { command } => catalog::agents(command, &data_dir),
        Command::Spaces { command } => catalog::spaces(command),
        Command::Rounds { command } => rounds::run(command, &open_store(&data_dir)?),
        Command::Generate(args) => generate::run(args, &fetcher),
        Command::Models { command } => models::run(command, &fetcher),
        Command::Bench { command } => bench::run(command, &fetcher),
        Command::Chain { command } => chain::run(command),
        Command::Judge { command } => judge_eval::run(command, fetcher),
        Command::Export(args) => export::run(args, &data_dir),
        Command::Train(args) => train::run(args, fetcher, &data_dir),
    }
}

/// Opens the arena database in `data_dir` for a command that reads it;
/// refuses a data directory without one rather than creating it there.
fn open_store(data_dir: &std::path::Path) -> anyhow::Result<judge::Store> {
    let db = data_dir.join("db");
    if !db.exists() {
        anyhow::bail!(
            "no arena database in {}: nothing was played there yet. Run `arena tournament` first, or point --data-dir (or ARENA_DATA) at the data directory of a tournament",
            data_dir.display()
        );
    }
    Ok(judge::Store::open(&db)?)
}

/// Makes a model available, showing download progress on stderr.
fn ensure_model(
    fetcher: &agents::Fetcher,
    model: &agents::ModelRef,
) -> anyhow::Result<std::path::PathBuf> {
    Ok(fetcher.ensure(model, &mut |line| eprintln!("{line}"))?)
}

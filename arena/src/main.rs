//! `arena`: the command line of the Arena game.

mod cli;
mod evolution;
mod gui;
mod tournament;

/// The shipped assets (spaces, agents): `$ARENA_ASSETS`, else the
/// repository's `assets/` folder.
pub fn assets_dir() -> std::path::PathBuf {
    std::env::var_os("ARENA_ASSETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"))
}

use clap::Parser;

fn main() -> std::process::ExitCode {
    quiet_library_backtraces();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "warn,contracts::chain=info,arena::matches=info,arena::settlement=info".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Errors are messages for the user, never backtraces: candle puts a
/// captured backtrace into the text of its errors (a junk `.gguf` would
/// print one) whenever backtraces are enabled, and `RUST_BACKTRACE=1` is
/// common in developers' shells. `RUST_LIB_BACKTRACE=0` turns off that
/// capture for errors while panics still follow `RUST_BACKTRACE`; a value
/// the user set is kept.
fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

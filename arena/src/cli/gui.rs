//! `arena gui`: the desktop app (see [`crate::gui`]).

use std::path::PathBuf;

use clap::Parser;

use super::tournament::{LineupArgs, PlayArgs};
use crate::gui::{Capture, Moment};

#[derive(Debug, Parser)]
pub struct GuiArgs {
    #[command(flatten)]
    pub lineup: LineupArgs,
    #[command(flatten)]
    pub play: PlayArgs,
    /// Start playing rounds at once instead of waiting for Start.
    #[arg(long)]
    autostart: bool,
    /// Play one round with a fixed time step, save a PNG of the window to
    /// FILE after --frames frames, and exit.
    #[arg(long, value_name = "FILE")]
    screenshot: Option<PathBuf>,
    /// Frames rendered before the screenshot (after the last --at moment).
    #[arg(long, default_value_t = 60, requires = "screenshot")]
    frames: u32,
    /// Also save FILE-<moment>.png when the round reaches this moment
    /// (repeat for several, in the order they happen).
    #[arg(long = "at", value_enum, requires = "screenshot")]
    moments: Vec<Moment>,
}

impl GuiArgs {
    /// The app as `arena` alone starts it: every option at its default.
    pub fn defaults() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().get_matches_from(["gui"]);
        Self::from_arg_matches(&matches).expect("the defaults of `arena gui` parse")
    }
}

pub fn run(args: GuiArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> anyhow::Result<()> {
    if args.frames == 0 {
        anyhow::bail!("--frames must be at least 1");
    }
    let capture = args.screenshot.map(|path| Capture {
        path,
        frames: args.frames,
        moments: args.moments,
    });
    crate::gui::run(
        &args.lineup,
        &args.play,
        fetcher,
        data_dir,
        capture,
        args.autostart,
    )
}

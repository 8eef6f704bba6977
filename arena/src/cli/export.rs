//! `arena export`: preference pairs or the leaderboard, streamed to a file.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use judge::Store;
use judge::export::{Filter, Format, export};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// trl, trl-conversational, openai, leaderboard-csv or leaderboard-jsonl.
    #[arg(long, default_value = "trl")]
    format: String,
    /// Output file (written next to it first, then renamed into place).
    #[arg(long)]
    out: PathBuf,
    /// Only this space.
    #[arg(long)]
    space: Option<String>,
    /// Only rounds in FIRST..LAST (either side may be empty).
    #[arg(long, value_name = "FIRST..LAST", allow_hyphen_values = true)]
    rounds: Option<String>,
    /// Only pairs whose judge margin is at least this.
    #[arg(long, allow_negative_numbers = true)]
    min_margin: Option<f64>,
    /// Only verdicts of this judge.
    #[arg(long)]
    judge: Option<String>,
    /// Only pairs whose chosen answer passed every check of its round
    /// (rounds of spaces without checks give none). Pair formats only.
    #[arg(long)]
    verified_only: bool,
}

/// Checks every flag, then opens the database in `data_dir` and exports:
/// a refused flag leaves the data directory and the output untouched.
pub fn run(args: ExportArgs, data_dir: &Path) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).map_err(anyhow::Error::msg)?;
    let (first_round, last_round) = match &args.rounds {
        Some(range) => parse_range(range)?,
        None => (None, None),
    };
    if let Some(m) = args.min_margin
        && !(0.0..=1.0).contains(&m)
    {
        bail!("--min-margin {m}: a judge margin is between 0 and 1; use a number in that range");
    }
    check_out(&args.out)?;
    let store = super::open_store(data_dir)?;
    if let Some(space) = &args.space {
        check_space(&store, space)?;
    }
    let filter = Filter {
        space: args.space,
        first_round,
        last_round,
        min_margin: args.min_margin,
        judge: args.judge,
        verified_only: args.verified_only,
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {pos} records exported ({per_sec})",
    )?);
    let written = export_file(&store, format, &filter, &args.out, &mut |n| {
        bar.set_position(n)
    })?;
    bar.finish_and_clear();
    println!("{written} records written to {}", args.out.display());
    Ok(())
}

/// Exports to `path`, written beside it first and renamed into place, so a
/// crash never leaves a half file under the name. `progress` gets the
/// records written so far. Returns their number.
pub fn export_file(
    store: &Store,
    format: Format,
    filter: &Filter,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let partial = path.with_extension("partial");
    let file = File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let mut out = BufWriter::new(file);
    let written = export(store, format, filter, &mut out, progress);
    drop(out);
    let written = written.inspect_err(|_| {
        // Nothing half-written stays behind; the error says what went wrong.
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(written)
}

/// Refuses an output path that cannot be written: a directory, or a file
/// in a directory that does not exist.
fn check_out(out: &Path) -> anyhow::Result<()> {
    if out.is_dir() {
        bail!(
            "--out {}: that is a directory; give a file name, for example {}",
            out.display(),
            out.join("pairs.jsonl").display()
        );
    }
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir
        && !dir.is_dir()
    {
        bail!(
            "--out {}: the directory {} does not exist; create it first or choose another path",
            out.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Refuses a space no stored round was played in (a typo would otherwise
/// export nothing), naming the spaces that have rounds.
pub(crate) fn check_space(store: &Store, space: &str) -> anyhow::Result<()> {
    let mut spaces = BTreeSet::new();
    for round in store.rounds() {
        spaces.insert(round?.space);
    }
    if !spaces.contains(space) {
        let known: Vec<&str> = spaces.iter().map(String::as_str).collect();
        bail!(
            "--space {space}: no round of that space in {}; spaces with rounds: {}",
            store.path().display(),
            if known.is_empty() {
                "none yet".into()
            } else {
                known.join(", ")
            }
        );
    }
    Ok(())
}

/// Parses a round range `FIRST..LAST` (either side may be empty; FIRST may
/// not be after LAST).
pub fn parse_range(text: &str) -> anyhow::Result<(Option<u64>, Option<u64>)> {
    let (a, b) = text
        .split_once("..")
        .with_context(|| format!("--rounds '{text}': use FIRST..LAST, for example 3..10 or 5.."))?;
    let num = |s: &str| -> anyhow::Result<Option<u64>> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse()
                .map(Some)
                .with_context(|| format!("--rounds '{text}': '{s}' is not a round number"))
        }
    };
    let (first, last) = (num(a)?, num(b)?);
    if let (Some(first), Some(last)) = (first, last)
        && first > last
    {
        bail!(
            "--rounds '{text}': the first round is after the last, so no round is in it; use FIRST..LAST with FIRST at most LAST, for example {last}..{first}"
        );
    }
    Ok((first, last))
}

//! `arena judge eval`: a judge's agreement, ties and flips on a labelled
//! set of answer pairs, so users can measure the judge they play with.

use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use judge::eval::{evaluate, load_set, render};

use crate::tournament::lifecycle::{ModelCache, with_judge};

#[derive(Debug, Subcommand)]
pub enum JudgeCommand {
    /// Judge every pair of a labelled JSONL set in both orders and report
    /// agreement on decided pairs, tie rate and flip rate, overall, per
    /// kind and per attack.
    Eval {
        /// JSON lines of {prompt, better, worse, kind[, attack, checks, reference]}
        /// (see judge/evals/README.md).
        #[arg(long)]
        set: PathBuf,
        /// Judge model (smollm2-135m, gemma3-270m or a .gguf path), or
        /// openai:<model>@<url>; "none" for checks and integrity rules only.
        #[arg(long, default_value = "smollm2-135m")]
        judge: String,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: JudgeCommand, fetcher: agents::Fetcher) -> anyhow::Result<()> {
    let JudgeCommand::Eval { set, judge, json } = command;
    let items = load_set(&set)?;
    let spec = (judge != "none").then_some(judge.as_str());
    let models = ModelCache::new(fetcher);
    let bar = ProgressBar::new(items.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} pairs judged ({per_sec}, {eta} left)",
    )?);
    let report = with_judge(&models, spec, |judge| {
        evaluate(judge, &items, &mut |done| bar.set_position(done as u64))
    })?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

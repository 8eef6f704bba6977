//! Training an agent's model on preference pairs: DPO with LoRA adapters on
//! the dequantized weights ([`lora_model`], [`dpo`]), a checkpoint after
//! every step ([`checkpoint`]), and the adapters merged into a new GGUF file
//! ([`gguf_writer`]). Takes plain (prompt, chosen, rejected) texts: where
//! they come from (the judge's store) is the caller's business.

pub mod checkpoint;
pub mod dpo;
pub mod gguf_writer;
pub mod lora_model;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use serde::Serialize;

use crate::language_model::LanguageModel;
use crate::transformer::LoadOptions;
use checkpoint::Resumed;
use dpo::{DpoSettings, Evaluation, Preference, StepStats, Trainer};
use lora_model::LoraModel;

/// Everything a run depends on.
pub struct Run<'a> {
    /// The GGUF file of the model to train (the reference model too).
    pub model: &'a Path,
    /// The system prompt the agent plays with, which every prompt is
    /// rendered under.
    pub system_prompt: &'a str,
    pub examples: &'a [Preference],
    pub settings: DpoSettings,
    pub rank: usize,
    /// Optimizer steps in all (a resumed run does the rest).
    pub steps: usize,
    /// Longest prompt-plus-answer, in tokens; longer answers are cut.
    pub max_len: usize,
    /// Where the checkpoint lives.
    pub checkpoint: &'a Path,
    /// Where the trained model is written; see [`gguf_writer`].
    pub out: &'a Path,
}

/// Where a run is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Pairs the reference model has scored, of the total.
    Reference { done: usize, total: usize },
    /// Steps done (resumed ones included) of the total, and the figures of
    /// the last one.
    Step {
        done: usize,
        total: usize,
        stats: StepStats,
    },
    /// Merging the adapters and writing the file.
    Writing,
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub path: PathBuf,
    /// SHA-256 of the new file, hex: what its answers commit to.
    pub sha256: String,
    /// Figures of every step, resumed ones included.
    pub steps: Vec<StepStats>,
    /// Steps this invocation ran (not resumed).
    pub steps_run: usize,
    /// The untrained model (the reference itself: loss log 2) and the
    /// trained one on all pairs of the run.
    pub before: Evaluation,
    pub after: Evaluation,
    /// Seconds spent on steps in this invocation.
    pub train_secs: f64,
}

/// The inputs that make a checkpoint resumable, hashed into its digest.
#[derive(Serialize)]
struct Fingerprint<'a> {
    model_sha256: &'a str,
    system_prompt: &'a str,
    examples: &'a [Preference],
    settings: DpoSettings,
    rank: usize,
    max_len: usize,
}

/// Seed of the adapters' initial values, fixed so a run is repeatable.
const ADAPTER_SEED: u64 = 18;

/// Runs DPO as `run` says, resuming from its checkpoint if there is one,
/// checkpointing after every step, then writes the merged model and
/// removes the checkpoint.
pub fn train(run: &Run<'_>, progress: &mut dyn FnMut(Progress)) -> Result<Outcome> {
    let language_model = LanguageModel::load(run.model, LoadOptions::default())?;
    let pairs = run
        .examples
        .iter()
        .map(|e| dpo::tokenize(&language_model, run.system_prompt, e, run.max_len))
        .collect::<Result<Vec<_>>>()?;
    let digest = checkpoint::digest(&Fingerprint {
        model_sha256: language_model.sha256(),
        system_prompt: run.system_prompt,
        examples: run.examples,
        settings: run.settings,
        rank: run.rank,
        max_len: run.max_len,
    })?;
    drop(language_model);
    let mut reader = BufReader::new(
        File::open(run.model).with_context(|| format!("opening {}", run.model.display()))?,
    );
    let content = Content::read(&mut reader)
        .with_context(|| format!("reading {} as GGUF", run.model.display()))?;
    let model = LoraModel::load(&content, &mut reader, run.rank, ADAPTER_SEED, run.max_len)
        .with_context(|| format!("loading {} for training", run.model.display()))?;
    let batch = run.settings.batch_pairs;
    let mut state = match checkpoint::load(run.checkpoint, &model, &digest)? {
        Some(resumed) => resumed,
        None => {
            let total = pairs.len();
            progress(Progress::Reference { done: 0, total });
            let reference = dpo::reference_log_probs(&model, &pairs, batch, &mut |done| {
                progress(Progress::Reference { done, total })
            })?;
            Resumed {
                reference,
                steps: Vec::new(),
            }
        }
    };
    if state.steps.len() > run.steps {
        bail!(
            "checkpoint {} has {} steps done, more than the {} asked for: ask for at least {} steps, or pass --restart to start over",
            run.checkpoint.display(),
            state.steps.len(),
            run.steps,
            state.steps.len()
        );
    }
    let before = Evaluation {
        loss: dpo::dpo_loss(0.0),
        log_ratio: state
            .reference
            .iter()
            .map(|[c, r]| f64::from(c - r))
            .sum::<f64>()
            / state.reference.len().max(1) as f64,
    };
    let reference = state.reference.clone();
    let mut trainer = Trainer::new(&model, &pairs, &reference, run.settings)?;
    let started = Instant::now();
    let first = state.steps.len();
    for step in first..run.steps {
        let stats = trainer.step(step)?;
        state.steps.push(stats);
        checkpoint::save(run.checkpoint, &model, &digest, &state)?;
        progress(Progress::Step {
            done: step + 1,
            total: run.steps,
            stats,
        });
    }
    let train_secs = started.elapsed().as_secs_f64();
    let after = dpo::evaluate(&model, &pairs, &reference, run.settings.beta, batch)?;
    progress(Progress::Writing);
    let sha256 = gguf_writer::write_merged(run.model, &model.merged()?, run.out)?;
    if run.checkpoint.exists() {
        std::fs::remove_file(run.checkpoint)
            .with_context(|| format!("removing checkpoint {}", run.checkpoint.display()))?;
    }
    Ok(Outcome {
        path: run.out.to_owned(),
        sha256,
        steps_run: state.steps.len() - first,
        steps: state.steps,
        before,
        after,
        train_secs,
    })
}

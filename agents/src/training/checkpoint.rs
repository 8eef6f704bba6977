//! A training run's state on disk after every step, so an interrupted run
//! resumes where it stopped: the adapters, the reference log-probabilities
//! (computed once), the steps done with their figures, and a digest of
//! everything the run depends on, in one safetensors file written beside
//! its place and renamed into it (a crash leaves the previous step's file).
//!
//! AdamW's moments are not saved (candle-nn keeps them private): a resumed
//! run restarts them, as a warm restart would, and otherwise continues
//! with the same pairs in the same order.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::dpo::StepStats;
use super::lora_model::LoraModel;

const STEPS: &str = "run.steps";
const DIGEST: &str = "run.settings_digest";
const REFERENCE: &str = "run.reference_log_probs";

/// What a checkpoint restores besides the adapters.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    /// The reference model's (chosen, rejected) log-probabilities per pair.
    pub reference: Vec<[f32; 2]>,
    /// Figures of the steps done, in order.
    pub steps: Vec<StepStats>,
}

/// SHA-256 of the JSON of `settings`, hex: what a checkpoint must have
/// been made with to be resumed.
pub fn digest(settings: &impl Serialize) -> Result<String> {
    let json = serde_json::to_vec(settings)?;
    Ok(hex::encode(Sha256::digest(json)))
}

/// Writes the state after `resumed.steps.len()` steps to `path`.
pub fn save(path: &Path, model: &LoraModel, digest: &str, resumed: &Resumed) -> Result<()> {
    let dev = Device::Cpu;
    let mut tensors: HashMap<String, Tensor> = model
        .adapters()
        .into_iter()
        .map(|(name, var)| (name, var.as_tensor().clone()))
        .collect();
    let stats: Vec<f32> = resumed
        .steps
        .iter()
        .flat_map(|s| [s.loss as f32, s.reward_margin as f32, s.accuracy as f32])
        .collect();
    tensors.insert(
        STEPS.into(),
        Tensor::from_vec(stats, (resumed.steps.len(), 3), &dev)?,
    );
    tensors.insert(DIGEST.into(), Tensor::new(digest.as_bytes(), &dev)?);
    let reference: Vec<f32> = resumed.reference.iter().flatten().copied().collect();
    tensors.insert(
        REFERENCE.into(),
        Tensor::from_vec(reference, (resumed.reference.len(), 2), &dev)?,
    );
    let partial = path.with_extension("partial");
    candle_core::safetensors::save(&tensors, &partial)
        .with_context(|| format!("writing checkpoint {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("writing checkpoint {}", path.display()))?;
    Ok(())
}

/// Restores the checkpoint at `path` into `model`'s adapters; `None` when
/// there is none. Refuses one made with other settings (`digest`), naming
/// the fix, and leaves it in place.
pub fn load(path: &Path, model: &LoraModel, digest: &str) -> Result<Option<Resumed>> {
    if !path.exists() {
        return Ok(None);
    }
    let unusable = |why: &str| {
        anyhow::anyhow!(
            "checkpoint {} {why}: rerun with the settings and pairs it was made with, or pass --restart to discard it and start over",
            path.display()
        )
    };
    let mut tensors = candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| unusable(&format!("cannot be read ({e})")))?;
    let stored = tensors
        .remove(DIGEST)
        .ok_or_else(|| unusable("has no settings digest"))?
        .to_vec1::<u8>()?;
    if stored != digest.as_bytes() {
        return Err(unusable(
            "was made with other settings or pairs (model, system prompt, rounds, beta, rank, learning rate, batch, length or seed)",
        ));
    }
    for (name, var) in model.adapters() {
        let saved = tensors
            .remove(&name)
            .ok_or_else(|| unusable(&format!("has no adapter {name}")))?;
        if saved.dims() != var.dims() {
            return Err(unusable(&format!("has adapter {name} of another shape")));
        }
        var.set(&saved)?;
    }
    let steps = tensors
        .remove(STEPS)
        .ok_or_else(|| unusable("has no step figures"))?
        .to_vec2::<f32>()?
        .into_iter()
        .map(|s| StepStats {
            loss: f64::from(s[0]),
            reward_margin: f64::from(s[1]),
            accuracy: f64::from(s[2]),
        })
        .collect();
    let reference = tensors
        .remove(REFERENCE)
        .ok_or_else(|| unusable("has no reference log-probabilities"))?
        .to_vec2::<f32>()?
        .into_iter()
        .map(|r| [r[0], r[1]])
        .collect();
    Ok(Some(Resumed { reference, steps }))
}

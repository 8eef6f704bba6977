//! Direct preference optimisation (Rafailov et al., 2023) of a
//! [`LoraModel`]'s adapters: for each pair, the policy's log-ratio of the
//! chosen over the rejected answer, minus the reference model's, scaled by
//! beta, is pushed up through `-log sigmoid`. The reference is the same
//! model without adapters, whose log-probabilities are computed once.

use anyhow::{Result, bail};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::lora_model::{LoraModel, Scored};
use crate::language_model::LanguageModel;

/// A preference example as text: what the trainer takes, whatever stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preference {
    /// The prompt as the agents saw it (without the system prompt).
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
}

/// A preference example as tokens: both answers after the same prompt.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub chosen: Scored,
    pub rejected: Scored,
}

/// Tokenizes `example` as `model` will see it when it plays: the prompt in
/// the model's chat template under `system`, the answer followed by the
/// end-of-turn token (so the model also learns where to stop), cut to
/// `max_len` tokens in all. Refuses a prompt that leaves no room for an
/// answer.
pub fn tokenize(
    model: &LanguageModel,
    system: &str,
    example: &Preference,
    max_len: usize,
) -> Result<TokenPair> {
    let prompt = model
        .tokenizer()
        .encode_prompt(&model.render_prompt(system, &example.prompt)?)?;
    if prompt.len() + 1 > max_len {
        bail!(
            "a prompt is {} tokens with the system prompt, so no answer fits in --max-len {max_len}: raise --max-len",
            prompt.len()
        );
    }
    let sequence = |answer: &str| -> Result<Scored> {
        let mut tokens = prompt.clone();
        tokens.extend(model.tokenizer().encode(answer)?);
        tokens.push(model.tokenizer().eos());
        tokens.truncate(max_len);
        Ok(Scored {
            tokens,
            prompt_len: prompt.len(),
        })
    };
    Ok(TokenPair {
        chosen: sequence(&example.chosen)?,
        rejected: sequence(&example.rejected)?,
    })
}

/// How DPO runs (the adapter rank is the model's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DpoSettings {
    /// Strength of the pull towards the reference model: larger keeps the
    /// policy closer.
    pub beta: f64,
    pub learning_rate: f64,
    /// Pairs per optimizer step.
    pub batch_pairs: usize,
    /// Seed of the order pairs are visited in.
    pub seed: u64,
}

/// One step's figures, over its batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// Mean DPO loss (log 2 = 0.693 at the start).
    pub loss: f64,
    /// Mean of beta times the policy's chosen-over-rejected log-ratio
    /// minus the reference's: the implicit reward margin.
    pub reward_margin: f64,
    /// Share of pairs whose reward margin is positive.
    pub accuracy: f64,
}

/// The reference model's log-probabilities of each pair's (chosen,
/// rejected) answer, `batch_pairs` pairs per pass; `done` gets the number
/// of pairs scored so far.
pub fn reference_log_probs(
    model: &LoraModel,
    pairs: &[TokenPair],
    batch_pairs: usize,
    done: &mut dyn FnMut(usize),
) -> Result<Vec<[f32; 2]>> {
    let mut all = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(batch_pairs.max(1)) {
        let scored = model.answer_log_probs(&sequences(chunk.iter()), false)?;
        all.extend(pairs_of(&scored.to_vec1::<f32>()?));
        done(all.len());
    }
    Ok(all)
}

/// How the policy does on a set of pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean DPO loss against the reference.
    pub loss: f64,
    /// Mean chosen-over-rejected log-ratio of the policy: what DPO raises
    /// (relative to the reference's).
    pub log_ratio: f64,
}

/// [`Evaluation`] of the policy (the model with its adapters) on `pairs`,
/// whose reference log-probabilities are `reference`.
pub fn evaluate(
    model: &LoraModel,
    pairs: &[TokenPair],
    reference: &[[f32; 2]],
    beta: f64,
    batch_pairs: usize,
) -> Result<Evaluation> {
    let (mut loss, mut log_ratio) = (0.0, 0.0);
    let size = batch_pairs.max(1);
    for (chunk, refs) in pairs.chunks(size).zip(reference.chunks(size)) {
        let scored = model.answer_log_probs(&sequences(chunk.iter()), true)?;
        for ([c, r], [rc, rr]) in pairs_of(&scored.to_vec1::<f32>()?).zip(refs) {
            let ratio = f64::from(c - r);
            loss += dpo_loss(beta * (ratio - f64::from(rc - rr)));
            log_ratio += ratio;
        }
    }
    let n = pairs.len().max(1) as f64;
    Ok(Evaluation {
        loss: loss / n,
        log_ratio: log_ratio / n,
    })
}

/// `-log sigmoid(margin)`, finite for any margin.
pub fn dpo_loss(margin: f64) -> f64 {
    (-margin).max(0.0) + (-margin.abs()).exp().ln_1p()
}

/// Chosen then rejected of each pair, alternating.
fn sequences<'a>(pairs: impl Iterator<Item = &'a TokenPair>) -> Vec<Scored> {
    pairs
        .flat_map(|p| [p.chosen.clone(), p.rejected.clone()])
        .collect()
}

fn pairs_of(values: &[f32]) -> impl Iterator<Item = [f32; 2]> + '_ {
    values.chunks_exact(2).map(|c| [c[0], c[1]])
}

/// The optimizer and the data of a run.
pub struct Trainer<'m> {
    model: &'m LoraModel,
    pairs: &'m [TokenPair],
    reference: &'m [[f32; 2]],
    settings: DpoSettings,
    optimizer: AdamW,
}

impl<'m> Trainer<'m> {
    /// A trainer of `model`'s adapters with AdamW (no weight decay: the
    /// reference term already holds the policy back).
    pub fn new(
        model: &'m LoraModel,
        pairs: &'m [TokenPair],
        reference: &'m [[f32; 2]],
        settings: DpoSettings,
    ) -> Result<Self> {
        if pairs.is_empty() || pairs.len() != reference.len() {
            bail!(
                "DPO needs pairs and one reference score per pair (got {} and {})",
                pairs.len(),
                reference.len()
            );
        }
        let vars = model.adapters().into_iter().map(|(_, v)| v).collect();
        let optimizer = AdamW::new(
            vars,
            ParamsAdamW {
                lr: settings.learning_rate,
                weight_decay: 0.0,
                ..ParamsAdamW::default()
            },
        )?;
        Ok(Self {
            model,
            pairs,
            reference,
            settings,
            optimizer,
        })
    }

    /// The pairs of step `step` (counting from 0): epochs of the pairs in
    /// a seeded order, each epoch its own, so a resumed run visits the same
    /// pairs as an uninterrupted one.
    pub fn batch_of(&self, step: usize) -> Vec<usize> {
        let n = self.pairs.len();
        let size = self.settings.batch_pairs.clamp(1, n);
        (step * size..(step + 1) * size)
            .map(|i| {
                let epoch = (i / n) as u64;
                let mut order: Vec<usize> = (0..n).collect();
                order.shuffle(&mut StdRng::seed_from_u64(self.settings.seed ^ epoch));
                order[i % n]
            })
            .collect()
    }

    /// Runs optimizer step `step` and returns its figures (measured before
    /// the update).
    pub fn step(&mut self, step: usize) -> Result<StepStats> {
        let batch = self.batch_of(step);
        let policy = self
            .model
            .answer_log_probs(&sequences(batch.iter().map(|&i| &self.pairs[i])), true)?;
        let reference: Vec<f32> = batch.iter().flat_map(|&i| self.reference[i]).collect();
        let n = batch.len();
        let shifted =
            (policy - Tensor::from_vec(reference, 2 * n, &Device::Cpu)?)?.reshape((n, 2))?;
        let margin = ((shifted.narrow(1, 0, 1)? - shifted.narrow(1, 1, 1)?)?.squeeze(1)?
            * self.settings.beta)?;
        // -log sigmoid(m) = softplus(-m), written to stay finite for any m.
        let z = margin.neg()?;
        let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
        let loss = softplus.mean_all()?;
        self.optimizer.backward_step(&loss)?;
        let margins = margin.to_vec1::<f32>()?;
        Ok(StepStats {
            loss: f64::from(loss.to_scalar::<f32>()?),
            reward_margin: margins.iter().map(|&m| f64::from(m)).sum::<f64>() / n as f64,
            accuracy: margins.iter().filter(|&&m| m > 0.0).count() as f64 / n as f64,
        })
    }
}

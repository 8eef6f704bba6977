//! Sampling settings of an agent and the seeded sampler built from them.

use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling as Strategy};
use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// How an agent picks its next token and when it stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    /// Softmax temperature; 0 picks the most likely token every time.
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose mass reaches this.
    pub top_p: f64,
    /// Keep only the k most likely tokens; 0 keeps all.
    pub top_k: usize,
    /// Divides (or multiplies, if negative) the logits of recently generated tokens.
    pub repetition_penalty: f32,
    /// Upper bound on generated tokens.
    pub max_tokens: usize,
    /// Generation stops before the first occurrence of any of these.
    pub stop: Vec<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: 0.7,
            top_p: 0.9,
            top_k: 40,
            repetition_penalty: 1.1,
            max_tokens: 128,
            stop: Vec::new(),
        }
    }
}

/// How many recent generated tokens the repetition penalty looks at.
pub const REPEAT_WINDOW: usize = 64;
/// Largest accepted `max_tokens`.
pub const MAX_TOKENS_LIMIT: usize = 4096;

impl Sampling {
    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        let err = |field: &'static str, message: String| Err(FieldError { field, message });
        if !(0.0..=2.0).contains(&self.temperature) {
            return err(
                "sampling.temperature",
                format!("{} is out of range: use 0.0 to 2.0", self.temperature),
            );
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return err(
                "sampling.top_p",
                format!("{} is out of range: use a value in (0, 1]", self.top_p),
            );
        }
        if !(1.0..=2.0).contains(&self.repetition_penalty) {
            return err(
                "sampling.repetition_penalty",
                format!(
                    "{} is out of range: use 1.0 (off) to 2.0",
                    self.repetition_penalty
                ),
            );
        }
        if !(1..=MAX_TOKENS_LIMIT).contains(&self.max_tokens) {
            return err(
                "sampling.max_tokens",
                format!(
                    "{} is out of range: use 1 to {MAX_TOKENS_LIMIT}",
                    self.max_tokens
                ),
            );
        }
        if self.stop.iter().any(String::is_empty) || self.stop.len() > 8 {
            return err(
                "sampling.stop",
                "use at most 8 stop strings, none of them empty".into(),
            );
        }
        Ok(())
    }

    /// A sampler seeded with `seed`: equal seeds give equal choices.
    pub fn sampler(&self, seed: u64) -> Sampler {
        let strategy = if self.temperature <= 0.0 {
            Strategy::ArgMax
        } else {
            let temperature = self.temperature;
            match (self.top_k, self.top_p < 1.0) {
                (0, false) => Strategy::All { temperature },
                (0, true) => Strategy::TopP {
                    p: self.top_p,
                    temperature,
                },
                (k, false) => Strategy::TopK { k, temperature },
                (k, true) => Strategy::TopKThenTopP {
                    k,
                    p: self.top_p,
                    temperature,
                },
            }
        };
        Sampler {
            processor: LogitsProcessor::from_sampling(seed, strategy),
            penalty: self.repetition_penalty,
        }
    }
}

/// Picks tokens from logits under one agent's settings.
pub struct Sampler {
    processor: LogitsProcessor,
    penalty: f32,
}

impl Sampler {
    /// Chooses the next token, penalising the last [`REPEAT_WINDOW`] of `generated`.
    pub fn next(&mut self, logits: &Tensor, generated: &[u32]) -> candle_core::Result<u32> {
        if self.penalty == 1.0 || generated.is_empty() {
            return self.processor.sample(logits);
        }
        let recent = &generated[generated.len().saturating_sub(REPEAT_WINDOW)..];
        let logits =
            candle_transformers::utils::apply_repeat_penalty(logits, self.penalty, recent)?;
        self.processor.sample(&logits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_fields_by_name() {
        let bad = |f: fn(&mut Sampling)| {
            let mut s = Sampling::default();
            f(&mut s);
            s.validate().unwrap_err().field
        };
        assert_eq!(bad(|s| s.temperature = 3.0), "sampling.temperature");
        assert_eq!(bad(|s| s.top_p = 0.0), "sampling.top_p");
        assert_eq!(
            bad(|s| s.repetition_penalty = 0.5),
            "sampling.repetition_penalty"
        );
        assert_eq!(bad(|s| s.max_tokens = 0), "sampling.max_tokens");
        assert_eq!(bad(|s| s.stop = vec![String::new()]), "sampling.stop");
        assert!(Sampling::default().validate().is_ok());
    }

    #[test]
    fn same_seed_same_choices() {
        let logits =
            Tensor::new(&[1.0f32, 1.1, 0.9, 1.05, 0.2], &candle_core::Device::Cpu).unwrap();
        let s = Sampling {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            ..Sampling::default()
        };
        let draw = |seed| {
            let mut sampler = s.sampler(seed);
            (0..32)
                .map(|_| sampler.next(&logits, &[]).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}

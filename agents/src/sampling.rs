//! Sampling settings of an agent and the seeded sampler built from them.
//!
//! The sampler works on the raw logits: it keeps the `top_k` largest first
//! (one pass over the vocabulary), then takes the softmax of those alone.
//! Taking the softmax of the whole vocabulary first, as candle's
//! `LogitsProcessor` does, cost more than a batched decoding step of all
//! the agents of a round with Gemma 3's 262k-token vocabulary. As in
//! llama.cpp, `top_p` applies to the probabilities renormalized over the
//! `top_k` kept tokens.

use candle_core::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
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
        Sampler {
            rng: StdRng::seed_from_u64(seed),
            temperature: self.temperature as f32,
            top_k: self.top_k,
            top_p: self.top_p as f32,
            penalty: self.repetition_penalty,
            candidates: Vec::new(),
        }
    }
}

/// Picks tokens from logits under one agent's settings.
pub struct Sampler {
    rng: StdRng,
    temperature: f32,
    top_k: usize,
    top_p: f32,
    penalty: f32,
    /// (logit, token) pairs still in the running, reused between tokens.
    candidates: Vec<(f32, u32)>,
}

/// How a recorded token relates to what a sampler could draw
/// ([`Sampler::check`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    /// The seeded draw on these logits gives the token.
    Exact,
    /// The seeded draw lands this share of the probability mass away from
    /// the token's interval (or the token lies just outside the top-k or
    /// top-p set, within the tolerance): logits that differ slightly
    /// (another kernel) move a draw across a boundary.
    Near(f32),
    /// The settings and seed could not have drawn the token; why.
    Implausible(String),
}

impl Sampler {
    /// Chooses the next token, penalising the last [`REPEAT_WINDOW`] of `generated`.
    pub fn next(&mut self, logits: &Tensor, generated: &[u32]) -> candle_core::Result<u32> {
        let mut logits: Vec<f32> = logits.to_vec1()?;
        self.penalize(&mut logits, generated);
        Ok(self.pick(&logits).0)
    }

    /// Checks that `token` could follow `generated` under these settings
    /// and seed, given `logits` that may differ from the generator's by
    /// numeric noise. It draws as [`Sampler::next`] does, so the seeded
    /// draws stay in step: a token outside the greedy, top-k or top-p set
    /// by more than `logit_tolerance`, or one whose interval the seeded draw
    /// misses by more than the noise allows, is
    /// implausible. Tokens within `logit_tolerance` of each other may have
    /// stood in the other order for the generator, so the token's interval
    /// may lie anywhere among theirs. The miss allowed beyond that is what
    /// moving every logit by `draw_noise` can shift an interval's boundary:
    /// `e^(2 draw_noise / T) - 1` of the mass, so a cold sampler allows more.
    pub fn check(
        &mut self,
        logits: &[f32],
        generated: &[u32],
        token: u32,
        logit_tolerance: f32,
        draw_noise: f32,
    ) -> Draw {
        let mass_tolerance = (2.0 * draw_noise / self.temperature).exp() - 1.0;
        let mut logits = logits.to_vec();
        self.penalize(&mut logits, generated);
        let (drawn, point) = self.pick(&logits);
        if drawn == token {
            return Draw::Exact;
        }
        let Some(&own) = logits.get(token as usize) else {
            return Draw::Implausible(format!("token {token} is outside the vocabulary"));
        };
        let floor = own + logit_tolerance;
        if self.temperature <= 0.0 {
            let max = logits[drawn as usize];
            if floor < max {
                return Draw::Implausible(format!(
                    "token {token} is {:.2} logits below the most likely one, which temperature 0 picks",
                    max - own
                ));
            }
            return Draw::Near(0.0);
        }
        let above = logits.iter().filter(|&&l| l > floor).count();
        if self.top_k > 0 && above >= self.top_k {
            return Draw::Implausible(format!(
                "token {token} is not among the top_k {}: {above} tokens are clearly more likely",
                self.top_k
            ));
        }
        // `pick` left the kept set, weights normalised, in `candidates`,
        // most likely first. Tokens within the tolerance of this one may
        // stand in the other order on the generator's logits, so its
        // interval starts after the tokens clearly more likely, and ends
        // at the latest after those near it.
        if let Some(&(weight, _)) = self.candidates.iter().find(|c| c.1 == token) {
            let (mut clearly_above, mut near) = (0.0, 0.0);
            for &(w, candidate) in self.candidates.iter().filter(|c| c.1 != token) {
                let logit = logits[candidate as usize];
                if logit > floor {
                    clearly_above += w;
                } else if logit >= own - logit_tolerance {
                    near += w;
                }
            }
            let end = clearly_above + near + weight;
            let miss = (clearly_above - point).max(point - end).max(0.0);
            if miss > mass_tolerance {
                return Draw::Implausible(format!(
                    "the seeded draw lands {miss:.3} of the probability mass away from token {token}"
                ));
            }
            return Draw::Near(miss);
        }
        // Outside the kept set: the tokens clearly more likely than it must
        // hold less than top_p of the top-k mass (give or take what the
        // noise moves), and the draw must land near the end of the set.
        let miss = 1.0 - point;
        self.keep_top_k(&logits);
        let max = self.candidates[0].0;
        let weight = |l: f32| ((l - max) / self.temperature).exp();
        let total: f32 = self.candidates.iter().map(|c| weight(c.0)).sum();
        let before: f32 = self
            .candidates
            .iter()
            .filter(|c| c.0 > floor)
            .map(|c| weight(c.0))
            .sum::<f32>()
            / total;
        if before >= self.top_p + mass_tolerance || miss > mass_tolerance {
            return Draw::Implausible(format!(
                "token {token} is outside top_p {}: the clearly more likely tokens hold {before:.3} of the mass, and the seeded draw lands {miss:.3} of it from the set's end",
                self.top_p
            ));
        }
        Draw::Near(miss)
    }

    /// Applies the repetition penalty to the tokens of the recent window.
    fn penalize(&self, logits: &mut [f32], generated: &[u32]) {
        penalize(
            logits,
            &generated[generated.len().saturating_sub(REPEAT_WINDOW)..],
            self.penalty,
        );
    }

    /// The seeded draw from penalised logits: the token, and where the draw
    /// fell as a share of the kept mass.
    /// Leaves the kept set in `candidates`, its weights summing to 1 (greedy
    /// draws nothing: the share is 0, the set empty).
    fn pick(&mut self, logits: &[f32]) -> (u32, f32) {
        if self.temperature <= 0.0 {
            self.candidates.clear();
            return (argmax(logits), 0.0);
        }
        self.keep_top_k(logits);
        let candidates = &mut self.candidates;
        let inverse_temperature = 1.0 / self.temperature;
        let max = candidates[0].0;
        let mut total = 0.0;
        for (logit, _) in candidates.iter_mut() {
            *logit = ((*logit - max) * inverse_temperature).exp();
            total += *logit;
        }
        // The smallest prefix (most likely first) whose mass reaches top_p.
        let mut kept = candidates.len();
        if self.top_p < 1.0 {
            let mut mass = 0.0;
            for (i, (weight, _)) in candidates.iter().enumerate() {
                mass += weight / total;
                if mass >= self.top_p {
                    kept = i + 1;
                    break;
                }
            }
        }
        candidates.truncate(kept);
        let kept_total: f32 = candidates.iter().map(|(w, _)| w).sum();
        let drawn = self.rng.random::<f32>() * kept_total;
        let mut point = drawn;
        let mut token = candidates[kept - 1].1;
        for (weight, candidate) in candidates.iter() {
            if point < *weight {
                token = *candidate;
                break;
            }
            point -= weight;
        }
        for (weight, _) in candidates.iter_mut() {
            *weight /= kept_total;
        }
        (token, drawn / kept_total)
    }

    /// Fills `candidates` with the `top_k` largest logits (all when 0),
    /// largest first, ties by token id; when every token stays and top_p
    /// cuts nothing, only the largest is moved first.
    fn keep_top_k(&mut self, logits: &[f32]) {
        let k = if self.top_k == 0 {
            logits.len()
        } else {
            self.top_k.min(logits.len())
        };
        let order = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let candidates = &mut self.candidates;
        candidates.clear();
        if k == logits.len() && self.top_p >= 1.0 {
            // Every token stays: no order needed but the largest first.
            candidates.extend(logits.iter().enumerate().map(|(t, l)| (*l, t as u32)));
            let first = argmax(logits) as usize;
            candidates.swap(0, first);
            return;
        }
        // Collect everything above the k-th largest seen so far; trim to k
        // whenever the buffer holds 2k, which keeps the pass linear.
        let mut floor = f32::NEG_INFINITY;
        for (token, &logit) in logits.iter().enumerate() {
            if candidates.len() < k || logit >= floor {
                candidates.push((logit, token as u32));
                if candidates.len() >= 2 * k.max(32) {
                    candidates.select_nth_unstable_by(k - 1, order);
                    candidates.truncate(k);
                    floor = candidates.iter().map(|c| c.0).fold(f32::INFINITY, f32::min);
                }
            }
        }
        candidates.sort_unstable_by(order);
        candidates.truncate(k);
    }
}

/// Divides (or multiplies, if negative) the logits of the tokens in
/// `recent` by `penalty`, once per distinct token; 1 leaves them.
pub fn penalize(logits: &mut [f32], recent: &[u32], penalty: f32) {
    if penalty == 1.0 {
        return;
    }
    let mut seen = Vec::with_capacity(recent.len());
    for &token in recent {
        if seen.contains(&token) {
            continue;
        }
        seen.push(token);
        if let Some(logit) = logits.get_mut(token as usize) {
            *logit = if *logit >= 0.0 {
                *logit / penalty
            } else {
                *logit * penalty
            };
        }
    }
}

/// The index of the largest logit, the first one on ties.
fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, logit) in logits.iter().enumerate() {
        if *logit > logits[best] {
            best = i;
        }
    }
    best as u32
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

    fn tensor(values: &[f32]) -> Tensor {
        Tensor::new(values, &candle_core::Device::Cpu).unwrap()
    }

    fn counts(s: &Sampling, logits: &[f32], draws: usize) -> Vec<usize> {
        let mut sampler = s.sampler(3);
        let logits = tensor(logits);
        let mut counts = vec![0; 3];
        for _ in 0..draws {
            counts[sampler.next(&logits, &[]).unwrap() as usize] += 1;
        }
        counts
    }

    #[test]
    fn draws_follow_the_softmax_and_top_p_cuts_the_tail() {
        let logits = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let all = Sampling {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            ..Sampling::default()
        };
        let c = counts(&all, &logits, 20_000);
        for (count, p) in c.iter().zip([0.5, 0.3, 0.2]) {
            assert!((*count as f64 / 20_000.0 - p).abs() < 0.02, "{c:?}");
        }
        // 0.5 < 0.6 <= 0.5 + 0.3: the third token is cut.
        let nucleus = Sampling {
            top_p: 0.6,
            ..all.clone()
        };
        let c = counts(&nucleus, &logits, 5_000);
        assert_eq!(c[2], 0, "{c:?}");
        assert!((c[0] as f64 / 5_000.0 - 0.5 / 0.8).abs() < 0.03, "{c:?}");
        let greedy_k = Sampling { top_k: 1, ..all };
        assert_eq!(counts(&greedy_k, &logits, 100), vec![100, 0, 0]);
    }

    /// Two near-tied tokens in the other order on the verifier's logits
    /// (another kernel) swap their intervals: every seeded draw still
    /// checks, while a token far less likely than the draw does not.
    #[test]
    fn a_draw_checks_when_near_ties_swap_order() {
        let settings = Sampling {
            temperature: 0.9,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            ..Sampling::default()
        };
        let generator = [1.9f32, 2.0, -1.0, -3.0];
        let verifier = [2.0f32, 1.9, -1.0, -3.0];
        for seed in 0..200 {
            let token = settings.sampler(seed).pick(&generator).0;
            let draw = settings
                .sampler(seed)
                .check(&verifier, &[], token, 0.5, 0.1);
            assert!(
                !matches!(draw, Draw::Implausible(_)),
                "seed {seed}: {draw:?}"
            );
            // A draw in the first interval lies far from the last one's.
            if token == 1 {
                let other = settings.sampler(seed).check(&verifier, &[], 3, 0.5, 0.1);
                assert!(
                    matches!(other, Draw::Implausible(_)),
                    "seed {seed}: {other:?}"
                );
            }
        }
    }

    #[test]
    fn top_k_keeps_the_largest_logits_with_ties_by_token() {
        let logits: Vec<f32> = (0..5000u32).map(|i| ((i * 7919) % 997) as f32).collect();
        let s = Sampling {
            top_k: 40,
            ..Sampling::default()
        };
        let mut sampler = s.sampler(0);
        sampler.keep_top_k(&logits);
        let mut expected: Vec<(f32, u32)> = logits
            .iter()
            .enumerate()
            .map(|(i, l)| (*l, i as u32))
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        expected.truncate(40);
        assert_eq!(sampler.candidates, expected);
    }

    #[test]
    fn the_repetition_penalty_lowers_generated_tokens() {
        let greedy = Sampling {
            temperature: 0.0,
            repetition_penalty: 2.0,
            ..Sampling::default()
        };
        let logits = tensor(&[1.0, 0.9, -3.0]);
        let mut sampler = greedy.sampler(0);
        assert_eq!(sampler.next(&logits, &[]).unwrap(), 0);
        assert_eq!(sampler.next(&logits, &[0]).unwrap(), 1);
        assert_eq!(sampler.next(&logits, &[0, 1, 0]).unwrap(), 0);
    }
}

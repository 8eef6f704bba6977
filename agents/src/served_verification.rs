//! Checking answers a server gave against the model the server claims to
//! run ([`crate::Endpoint::claimed_model`]), with one batched prefill of
//! that model here ([`crate::prefill`]). A server shows no hidden states
//! and draws with its own random numbers, so what can be checked is what
//! the text says about the model that wrote it: every token must be one the
//! recorded sampling could pick from the claimed model's logits (the
//! greedy token, or one inside the top-k and top-p sets, within a
//! tolerance), and the answer's log-likelihood under the sampling
//! distribution must lie where honest draws put it. Another model's text
//! fails both: its tokens are not the claimed model's likely ones.
//!
//! Servers differ in what they apply beyond the OpenAI fields they are sent
//! (llama.cpp penalises repeats over the last 64 tokens of the whole
//! context, prompt included; the local sampler over the answer alone), so
//! a token passes when it is plausible with the repetition penalty applied
//! either way or not at all.

use anyhow::Result;

use crate::language_model::{LanguageModel, Request};
use crate::log_probs::log_sum_exp;
use crate::prefill::tail_passes;
use crate::sampling::{REPEAT_WINDOW, Sampling, penalize};

/// How far (in logits) a served token may fall short of the greedy token,
/// or of the top-k or top-p set, and still count as drawn from it: absorbs
/// the difference between the server's numerics and this machine's.
/// Calibrated against llama-cpp-python's server (BENCHMARKS.md).
pub const SERVED_LOGIT_TOLERANCE: f32 = 1.0;

/// How many standard deviations below what honest draws give an answer's
/// log-likelihood under its sampling may lie.
pub const LIKELIHOOD_Z_LIMIT: f32 = 4.0;

/// Numeric noise allowed per token in the log-likelihood (nats), added to
/// the variance of honest draws, so nearly certain tokens do not make the
/// test sharper than the numerics are.
pub const LOGPROB_NOISE: f32 = 0.5;

/// Candidates weighed when an agent keeps every token (top_k 0): beyond
/// them the mass is negligible, and weighing a 262k vocabulary per token
/// would cost more than the prefill.
const ALL_TOKENS_CAP: usize = 1024;

/// One answer a server gave: what its agent asked, and the text.
pub struct ServedClaim<'a> {
    /// The request as the server got it (its deadline is ignored).
    pub request: Request<'a>,
    pub text: &'a str,
}

/// What checking one served answer found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServedCheck {
    /// What differs from the claim, in words; empty when it holds.
    pub problems: Vec<String>,
    /// Tokens of the answer under the claimed model's tokenizer.
    pub tokens: usize,
    /// Mean log-probability per token under the model (temperature 1).
    pub mean_logprob: f32,
    /// How many standard deviations the log-likelihood under the recorded
    /// sampling lies from what honest draws give (negative: less likely);
    /// none for greedy sampling or an empty answer.
    pub likelihood_z: Option<f32>,
    /// Largest shortfall (logits) of a token from the set it must be in.
    pub largest_gap: f32,
}

impl LanguageModel {
    /// Checks every served answer (all claimed to come from this model)
    /// with one batched prefill of the prompts and the answers' tokens.
    pub fn check_served(&self, claims: &[ServedClaim<'_>]) -> Result<Vec<ServedCheck>> {
        let mut checks = vec![ServedCheck::default(); claims.len()];
        let (mut sequences, mut tails, mut answers, mut checked) = (vec![], vec![], vec![], vec![]);
        for (i, claim) in claims.iter().enumerate() {
            let tokens = self.tokenizer().encode(claim.text)?;
            if tokens.is_empty() {
                continue;
            }
            let prompt = self.prompt_ids(&claim.request)?;
            let mut sequence = prompt;
            sequence.extend_from_slice(&tokens);
            sequence.pop();
            sequences.push(sequence);
            tails.push(tokens.len());
            answers.push(tokens);
            checked.push(i);
        }
        let mut tallies: Vec<Tally> = checked.iter().map(|_| Tally::default()).collect();
        tail_passes(self.transformer(), &sequences, &tails, &mut |pass| {
            let mut row = 0;
            for s in pass.sequences {
                let sampling = claims[checked[s]].request.sampling;
                let prompt_len = sequences[s].len() + 1 - tails[s];
                for position in 0..tails[s] {
                    let logits = pass.logits.get(row)?.to_vec1::<f32>()?;
                    let context = &sequences[s][..prompt_len + position];
                    let answer_so_far = &answers[s][..position];
                    let token = answers[s][position];
                    tallies[s].add(
                        position,
                        token,
                        standing(&logits, token, sampling, context, answer_so_far),
                    );
                    row += 1;
                }
            }
            Ok(())
        })?;
        for (s, tally) in tallies.into_iter().enumerate() {
            let claim = &claims[checked[s]];
            tally.into_check(
                self,
                &answers[s],
                claim.request.sampling,
                &mut checks[checked[s]],
            );
        }
        Ok(checks)
    }
}

/// Where one token stands among the claimed model's logits.
#[derive(Debug, Clone, Copy)]
struct Standing {
    /// Shortfall (logits) from the set the sampling draws from; 0 inside.
    gap: f32,
    /// Log-probability under the sampling distribution (temperature, top-k).
    logq: f32,
    /// Expectation and variance of that log-probability for a token drawn
    /// honestly from the same distribution.
    expected: f32,
    variance: f32,
    /// Log-probability at temperature 1 over the whole vocabulary.
    logprob: f32,
}

/// The token's standing without penalty, with the penalty over the answer
/// alone and over the whole context: the most favourable of the three.
fn standing(
    logits: &[f32],
    token: u32,
    sampling: &Sampling,
    context: &[u32],
    answer: &[u32],
) -> Standing {
    let mut best = standing_in(logits, token, sampling);
    if sampling.repetition_penalty != 1.0 {
        for recent in [
            &answer[answer.len().saturating_sub(REPEAT_WINDOW)..],
            &context[context.len().saturating_sub(REPEAT_WINDOW)..],
        ] {
            let mut penalized = logits.to_vec();
            penalize(&mut penalized, recent, sampling.repetition_penalty);
            let other = standing_in(&penalized, token, sampling);
            if other.gap < best.gap || (other.gap == best.gap && other.logq > best.logq) {
                best = other;
            }
        }
    }
    best
}

fn standing_in(logits: &[f32], token: u32, sampling: &Sampling) -> Standing {
    let own = logits
        .get(token as usize)
        .copied()
        .unwrap_or(f32::NEG_INFINITY);
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let logprob = own - log_sum_exp(logits);
    let temperature = sampling.temperature as f32;
    if temperature <= 0.0 {
        return Standing {
            gap: max - own,
            logq: 0.0,
            expected: 0.0,
            variance: 0.0,
            logprob,
        };
    }
    let k = match sampling.top_k {
        0 => ALL_TOKENS_CAP,
        k => k,
    }
    .min(logits.len());
    let mut top = logits.to_vec();
    if k < top.len() {
        top.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        top.truncate(k);
    }
    top.sort_unstable_by(|a, b| b.total_cmp(a));
    let weights: Vec<f32> = top
        .iter()
        .map(|l| ((l - max) / temperature).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let mut gap = 0.0f32;
    if sampling.top_k > 0 && sampling.top_k < logits.len() {
        gap = gap.max(top[k - 1] - own);
    }
    if sampling.top_p < 1.0 {
        let mut mass = 0.0;
        for (logit, weight) in top.iter().zip(&weights) {
            mass += weight / total;
            if mass >= sampling.top_p as f32 {
                gap = gap.max(logit - own);
                break;
            }
        }
    }
    let (mut expected, mut second) = (0.0f32, 0.0f32);
    for weight in &weights {
        let q = weight / total;
        if q > 0.0 {
            expected += q * q.ln();
            second += q * q.ln() * q.ln();
        }
    }
    Standing {
        gap: gap.max(0.0),
        logq: (own - max) / temperature - total.ln(),
        expected,
        variance: (second - expected * expected).max(0.0),
        logprob,
    }
}

/// What the prefill found about one answer, token by token.
#[derive(Default)]
struct Tally {
    /// (position, token, gap) of tokens beyond [`SERVED_LOGIT_TOLERANCE`].
    outside: Vec<(usize, u32, f32)>,
    largest_gap: f32,
    logq: f32,
    expected: f32,
    variance: f32,
    logprob: f32,
    tokens: usize,
}

impl Tally {
    fn add(&mut self, position: usize, token: u32, standing: Standing) {
        self.tokens += 1;
        self.largest_gap = self.largest_gap.max(standing.gap);
        if standing.gap > SERVED_LOGIT_TOLERANCE {
            self.outside.push((position, token, standing.gap));
        }
        self.logq += standing.logq;
        self.expected += standing.expected;
        self.variance += standing.variance;
        self.logprob += standing.logprob;
    }

    fn into_check(
        self,
        model: &LanguageModel,
        answer: &[u32],
        sampling: &Sampling,
        check: &mut ServedCheck,
    ) {
        check.tokens = self.tokens;
        check.largest_gap = self.largest_gap;
        check.mean_logprob = self.logprob / self.tokens.max(1) as f32;
        if let Some((position, token, gap)) = self.outside.first() {
            let text = model.tokenizer().decode(&[*token]).unwrap_or_default();
            let set = if sampling.temperature <= 0.0 {
                "the most likely token, which temperature 0 picks".to_owned()
            } else {
                format!(
                    "the tokens its sampling picks from (top_k {}, top_p {})",
                    sampling.top_k, sampling.top_p
                )
            };
            check.problems.push(format!(
                "{} of its {} tokens are not ones the claimed model's sampling would pick (first at token {position}, {text:?}: {gap:.2} logits short of {set}; tolerance {SERVED_LOGIT_TOLERANCE})",
                self.outside.len(),
                answer.len()
            ));
        }
        if sampling.temperature > 0.0 {
            let spread =
                (self.variance + self.tokens as f32 * LOGPROB_NOISE * LOGPROB_NOISE).sqrt();
            let z = (self.logq - self.expected) / spread;
            check.likelihood_z = Some(z);
            if z < -LIKELIHOOD_Z_LIMIT {
                check.problems.push(format!(
                    "its tokens are far less likely under the claimed model than its sampling draws: log-likelihood {:.1} against {:.1} ± {spread:.1} for honest draws (z = {z:.1}, limit -{LIKELIHOOD_Z_LIMIT})",
                    self.logq, self.expected
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(temperature: f64, top_k: usize, top_p: f64) -> Sampling {
        Sampling {
            temperature,
            top_k,
            top_p,
            repetition_penalty: 1.0,
            ..Sampling::default()
        }
    }

    #[test]
    fn a_greedy_token_stands_by_its_distance_from_the_largest_logit() {
        let logits = [1.0, 3.0, 2.0];
        assert_eq!(standing_in(&logits, 1, &sampling(0.0, 40, 1.0)).gap, 0.0);
        assert_eq!(standing_in(&logits, 2, &sampling(0.0, 40, 1.0)).gap, 1.0);
    }

    #[test]
    fn a_sampled_token_must_be_in_the_top_k_and_top_p_sets() {
        let logits = [1.0, 3.0, 2.0, 0.0];
        // top_k 2 keeps 3.0 and 2.0: the token at 1.0 is 1 logit short.
        assert_eq!(standing_in(&logits, 0, &sampling(1.0, 2, 1.0)).gap, 1.0);
        assert_eq!(standing_in(&logits, 2, &sampling(1.0, 2, 1.0)).gap, 0.0);
        // A top_p smaller than the largest token's share keeps it alone.
        assert_eq!(standing_in(&logits, 2, &sampling(1.0, 0, 0.1)).gap, 1.0);
        assert_eq!(standing_in(&logits, 1, &sampling(1.0, 0, 0.1)).gap, 0.0);
    }

    #[test]
    fn uniform_logits_give_the_log_likelihood_of_a_uniform_draw() {
        let logits = [0.5; 8];
        let s = standing_in(&logits, 3, &sampling(0.7, 0, 1.0));
        assert!((s.logq - (1.0f32 / 8.0).ln()).abs() < 1e-5, "{s:?}");
        assert!(
            (s.expected - s.logq).abs() < 1e-5 && s.variance < 1e-5,
            "{s:?}"
        );
        assert!((s.logprob - s.logq).abs() < 1e-5, "{s:?}");
    }
}

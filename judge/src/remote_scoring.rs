//! The LLM judge on a model served over HTTP (`--judge openai:<model>@<url>`):
//! the same log-probabilities as a local judge reads, asked of the server.
//!
//! - One-word replies (rubric Yes/No, pairwise A/B): chat completions with
//!   `logprobs: true, top_logprobs: 20` for one token; a word outside the
//!   top 20 counts as probability 0.
//! - Answer log-probabilities (relevance): the completions endpoint with
//!   `echo: true`, which scores the prompt's own tokens. The server cannot
//!   apply the model's chat template there, so question and answer are
//!   written as plain `Question: ...\nAnswer: ...` text; relevance stays a
//!   difference between two questions under the same format.
//!
//! llama-cpp-python (0.3.x) echoes prompt log-probabilities shifted by one
//! token when the model adds no BOS token (SmolLM2 does not; Gemma does),
//! which would make relevance noise. Before the first answer is scored, a
//! counting sequence is scored as a probe: an aligned server finds it easy,
//! a shifted one does not, and is refused with the way out.
//!
//! A server that returns no log-probabilities is refused with
//! [`agents::remote::RemoteError::NoLogprobs`], which says how to get them.

use std::sync::Mutex;

use agents::remote::RemoteError;
use agents::{Generation, RemoteModel};
use anyhow::{Result, bail};

use crate::own_answer;
use crate::scoring::{AnswerLogProb, ScoringModel};

/// How many top tokens the server is asked for when a one-word reply is read.
const TOP_LOGPROBS: usize = 20;
/// A text any language model continues with ease once it has started.
const ALIGNMENT_PROBE: &str = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16";
/// Lowest mean log-probability of the probe's second half from an aligned
/// server. Measured with SmolLM2-135M on llama-cpp-python 0.3.36: about
/// -0.1 aligned (a BOS token in front) and about -13 shifted.
const ALIGNED_PROBE_LOGPROB: f64 = -3.0;

/// A judge model on a server.
pub struct RemoteScorer {
    model: RemoteModel,
    /// The probe's verdict on the echoed log-probabilities (an error
    /// message when they are shifted); unset until the first answer is scored.
    aligned: Mutex<Option<Result<(), String>>>,
}

impl RemoteScorer {
    pub fn new(model: RemoteModel) -> Self {
        Self {
            model,
            aligned: Mutex::new(None),
        }
    }

    /// The log-probability of the tokens of `text` that end past its
    /// first `from_char` characters.
    fn logprob_from(&self, text: &str, from_char: usize) -> Result<Option<AnswerLogProb>> {
        let end = text.chars().count();
        let tokens = self.model.prompt_logprobs(text)?;
        let mut values = Vec::new();
        for token in &tokens {
            if token.offset + token.token.chars().count() <= from_char || token.offset >= end {
                continue;
            }
            match token.logprob {
                Some(value) => values.push(value),
                None => {
                    return Err(RemoteError::NoLogprobs {
                        url: self.model.url().to_owned(),
                        detail: format!(
                            "the echoed token {:?} has no log-probability",
                            token.token
                        ),
                    }
                    .into());
                }
            }
        }
        Ok((!values.is_empty()).then(|| AnswerLogProb {
            total: values.iter().sum(),
            tokens: values.len(),
        }))
    }

    /// Refuses a server that gives no log-probabilities or gives them
    /// shifted; the probe runs once (a failed request is not remembered).
    /// Scoring an answer runs it first; the arena also runs it before every
    /// judgment, so a judge server that cannot judge is refused even when
    /// the checks and the prompt's rules happen to decide every pair.
    pub fn check_alignment(&self) -> Result<()> {
        let mut verdict = self.aligned.lock().expect("alignment lock");
        if verdict.is_none() {
            *verdict = Some(self.probe()?);
        }
        match verdict.as_ref() {
            Some(Err(message)) => bail!("{message}"),
            _ => Ok(()),
        }
    }

    /// Scores the probe: `Ok(Err(why))` when the server is shifted.
    fn probe(&self) -> Result<Result<(), String>> {
        let half = ALIGNMENT_PROBE.chars().count() / 2;
        let mean = self
            .logprob_from(ALIGNMENT_PROBE, half)?
            .map_or(f64::NEG_INFINITY, AnswerLogProb::mean);
        if mean >= ALIGNED_PROBE_LOGPROB {
            return Ok(Ok(()));
        }
        Ok(Err(format!(
            "the judge server at {} returns prompt log-probabilities shifted by one token (it scores a counting sequence at {mean:.1} nats per token; an aligned server gives about -0.5), so relevance cannot be measured there. llama-cpp-python does this for models that add no BOS token: serve one that does (gemma3-270m), use vLLM, or judge with a local model (--judge smollm2-135m)",
            self.model.url()
        )))
    }
}

impl ScoringModel for RemoteScorer {
    fn own_answer(&self, question: &str) -> Result<Generation> {
        let sampling = own_answer::sampling();
        Ok(self
            .model
            .generate(&own_answer::request(question, &sampling), &mut |_| {})?)
    }

    fn answer_logprob(&self, question: &str, answer: &str) -> Result<Option<AnswerLogProb>> {
        let answer = answer.trim();
        if answer.is_empty() {
            return Ok(None);
        }
        self.check_alignment()?;
        let context = format!("Question: {question}\nAnswer:");
        let text = format!("{context} {answer}");
        match self.logprob_from(&text, context.chars().count())? {
            Some(scored) => Ok(Some(scored)),
            None => bail!(
                "the judge server at {} returned no tokens for the answer {answer:?}",
                self.model.url()
            ),
        }
    }

    fn reply_mass(&self, system: &str, user: &str, words: [&str; 2]) -> Result<[f64; 2]> {
        let top = self
            .model
            .first_token_logprobs(system, user, TOP_LOGPROBS)?;
        let mass = |word: &str| -> f64 {
            top.iter()
                .filter(|(token, _)| token == word || token.strip_prefix(' ') == Some(word))
                .map(|(_, logprob)| logprob.exp())
                .sum()
        };
        Ok([mass(words[0]), mass(words[1])])
    }
}

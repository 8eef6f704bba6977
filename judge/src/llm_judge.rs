//! Signals from a local language model, read from log-probabilities rather
//! than from generated text, so they are deterministic and cheap:
//! - relevance: how much more likely the answer is after the question than
//!   after an unrelated one (pointwise mutual information), which even a
//!   135M model measures well and which has no position to be biased by;
//! - rubric: the probability of "Yes" to "is this answer correct?";
//! - pairwise preference: the probability of "A" over "B", asked in both
//!   orders so that position bias shows up as disagreement.

use agents::LanguageModel;
use agents::transformer::{log_probs, log_probs_rows};
use anyhow::Result;

/// Relevance of an empty answer: far below any real answer's, and finite,
/// so the judgment stays a valid JSON record (infinities and NaN are not).
pub const EMPTY_ANSWER_RELEVANCE: f64 = -100.0;

/// A question none of the arena's prompts is about, as the baseline for relevance.
const NEUTRAL_QUESTION: &str = "Say something.";

/// The judge model and its identity, recorded with every verdict.
pub struct LlmJudge<'m> {
    model: &'m LanguageModel,
    id: String,
}

impl<'m> LlmJudge<'m> {
    /// Wraps a loaded model; `id` names it in judgments and exported pairs.
    pub fn new(model: &'m LanguageModel, id: impl Into<String>) -> Self {
        Self {
            model,
            id: id.into(),
        }
    }

    /// The judge's identity.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Mean log-probability per token of `answer` after `question`, minus the
    /// same after a neutral question: positive when the answer is about the question.
    /// An empty answer scores [`EMPTY_ANSWER_RELEVANCE`].
    pub fn relevance(&self, question: &str, answer: &str) -> Result<f64> {
        if self.model.tokenizer().encode(answer.trim())?.is_empty() {
            return Ok(EMPTY_ANSWER_RELEVANCE);
        }
        let on_topic = self.mean_logprob(question, answer)?;
        let baseline = self.mean_logprob(NEUTRAL_QUESTION, answer)?;
        Ok(on_topic - baseline)
    }

    /// Probability that the judge answers "Yes" to whether `answer` correctly
    /// answers `question` (given the `reference` answer when there is one).
    pub fn rubric(&self, question: &str, answer: &str, reference: Option<&str>) -> Result<f64> {
        let mut prompt = format!("Question: {question}\nProposed answer: {answer}\n");
        if let Some(r) = reference {
            prompt.push_str(&format!("Correct answer: {r}\n"));
        }
        prompt.push_str("Is the proposed answer correct and on topic? Reply Yes or No.");
        self.choice(&prompt, ["Yes", "No"])
    }

    /// Probability that the judge prefers the first answer shown.
    pub fn prefer_first(
        &self,
        question: &str,
        first: &str,
        second: &str,
        reference: Option<&str>,
    ) -> Result<f64> {
        let mut prompt = format!("Question: {question}\n");
        if let Some(r) = reference {
            prompt.push_str(&format!("Reference answer: {r}\n"));
        }
        prompt.push_str(&format!(
            "Answer A: {first}\nAnswer B: {second}\nWhich answer is better? Reply A or B."
        ));
        self.choice(&prompt, ["A", "B"])
    }

    /// P(first option) among two one-word replies, from the next-token
    /// distribution (with and without a leading space, which base models use).
    fn choice(&self, user_prompt: &str, options: [&str; 2]) -> Result<f64> {
        let text = self
            .model
            .render_prompt("You are a strict, fair judge of answers.", user_prompt)?;
        let ids = self.model.tokenizer().encode_prompt(&text)?;
        let transformer = self.model.transformer();
        let mut cache = transformer.new_cache();
        let lp = log_probs(&transformer.forward(&ids, &mut cache)?)?;
        let mass = |word: &str| -> Result<f64> {
            let mut total = 0.0;
            for variant in [word.to_owned(), format!(" {word}")] {
                if let Some(id) = self.model.tokenizer().encode(&variant)?.first() {
                    total += f64::from(lp[*id as usize]).exp();
                }
            }
            Ok(total)
        };
        let (a, b) = (mass(options[0])?, mass(options[1])?);
        Ok(if a + b > 0.0 { a / (a + b) } else { 0.5 })
    }

    /// Mean log-probability of the answer's tokens after the question, from
    /// one forward pass over question and answer.
    fn mean_logprob(&self, question: &str, answer: &str) -> Result<f64> {
        let context = self.model.render_prompt("", question)?;
        let mut ids = self.model.tokenizer().encode_prompt(&context)?;
        let answer_ids = self.model.tokenizer().encode(answer.trim())?;
        let transformer = self.model.transformer();
        let room = transformer.max_context().saturating_sub(ids.len());
        let answer_ids = &answer_ids[..answer_ids.len().min(room)];
        if answer_ids.is_empty() {
            anyhow::bail!(
                "the judge's context has no room left for the answer: shorten the prompt"
            );
        }
        // Logits after the last context token and after every answer token
        // but the last predict the answer's tokens.
        ids.extend_from_slice(&answer_ids[..answer_ids.len() - 1]);
        let mut cache = transformer.new_cache();
        let logits = transformer.forward_tail(&ids, &mut cache, answer_ids.len())?;
        let lp = log_probs_rows(&logits)?;
        let total: f64 = answer_ids
            .iter()
            .zip(&lp)
            .map(|(id, row)| f64::from(row[*id as usize]))
            .sum();
        Ok(total / answer_ids.len() as f64)
    }
}

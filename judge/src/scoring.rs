//! What the LLM judge reads from a model: log-probabilities of an answer
//! and of one-word replies. A trait, so the judging logic in
//! [`crate::llm_judge`] is written once for a local model (here) and for a
//! model on a server ([`crate::remote_scoring`]).

use agents::LanguageModel;
use agents::transformer::{log_probs, log_probs_rows};
use anyhow::Result;

/// A model the judge can read log-probabilities from.
pub trait ScoringModel {
    /// Mean log-probability per token of `answer` as the reply to
    /// `question`; `None` when the answer has no tokens.
    fn answer_logprob(&self, question: &str, answer: &str) -> Result<Option<f64>>;

    /// Probability of each of two one-word replies as the first token of the
    /// reply to `user` under `system`, counting the word with and without a
    /// leading space (base models use both).
    fn reply_mass(&self, system: &str, user: &str, words: [&str; 2]) -> Result<[f64; 2]>;
}

impl ScoringModel for LanguageModel {
    /// From one forward pass over the chat-formatted question and the answer.
    fn answer_logprob(&self, question: &str, answer: &str) -> Result<Option<f64>> {
        let answer_ids = self.tokenizer().encode(answer.trim())?;
        if answer_ids.is_empty() {
            return Ok(None);
        }
        let context = self.render_prompt("", question)?;
        let mut ids = self.tokenizer().encode_prompt(&context)?;
        let transformer = self.transformer();
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
        Ok(Some(total / answer_ids.len() as f64))
    }

    /// From the next-token distribution after the rendered chat prompt.
    fn reply_mass(&self, system: &str, user: &str, words: [&str; 2]) -> Result<[f64; 2]> {
        let text = self.render_prompt(system, user)?;
        let ids = self.tokenizer().encode_prompt(&text)?;
        let transformer = self.transformer();
        let mut cache = transformer.new_cache();
        let lp = log_probs(&transformer.forward(&ids, &mut cache)?)?;
        let mass = |word: &str| -> Result<f64> {
            let mut total = 0.0;
            for variant in [word.to_owned(), format!(" {word}")] {
                if let Some(id) = self.tokenizer().encode(&variant)?.first() {
                    total += f64::from(lp[*id as usize]).exp();
                }
            }
            Ok(total)
        };
        Ok([mass(words[0])?, mass(words[1])?])
    }
}

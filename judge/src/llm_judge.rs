//! Signals from a local language model, read from log-probabilities rather
//! than from generated text, so they are deterministic and cheap:
//! - relevance: how much more likely the answer's tokens are after the
//!   question than after an unrelated one, summed over the tokens
//!   (pointwise mutual information, in nats): what the answer tells about
//!   the question; it has no position to be biased by;
//! - reconstruction: for a summary, how likely its passage is after it,
//!   asked as "write the full text this summary describes";
//! - rubric: the probability of "Yes" to "is this answer correct?";
//! - pairwise preference: the probability of "A" over "B", asked in both
//!   orders so that position bias shows up as disagreement.
//!
//! The model is read through [`ScoringModel`], so the same judging runs on
//! a local model ([`crate::scoring`]) or on a server ([`crate::remote_scoring`]).

use anyhow::Result;

use crate::scoring::{AnswerLogProb, ScoringModel};

/// Relevance of an empty answer: far below any real answer's, and finite,
/// so the judgment stays a valid JSON record (infinities and NaN are not).
pub const EMPTY_ANSWER_RELEVANCE: f64 = -1.0e6;

/// A question none of the arena's prompts is about, as the baseline for relevance.
const NEUTRAL_QUESTION: &str = "Say something.";

/// The question after which a summary's passage is scored
/// ([`LlmJudge::reconstructions`]).
const RECONSTRUCTION_QUESTION: &str =
    "Here is a summary: {summary}\n\nWrite the full text that this summary describes.";

/// The system prompt of every question put to the judge.
pub const JUDGE_SYSTEM_PROMPT: &str = "You are a strict, fair judge of answers.";

/// The judge model and its identity, recorded with every verdict.
pub struct LlmJudge<'m> {
    model: &'m dyn ScoringModel,
    id: String,
}

impl<'m> LlmJudge<'m> {
    /// Wraps a model; `id` names it in judgments and exported pairs.
    pub fn new(model: &'m dyn ScoringModel, id: impl Into<String>) -> Self {
        Self {
            model,
            id: id.into(),
        }
    }

    /// The judge's identity.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The log-probability of `answer`'s tokens after `question` minus the
    /// same after a neutral question, summed over the tokens: the nats of
    /// information the answer carries about the question. A sum, not a
    /// mean, so that a right answer's specific detail (the minutes an egg
    /// boils, the key that takes a screenshot) counts for it rather than
    /// against it: a mean per token prefers a short, generic answer, and on
    /// the eval sets preferred the worse how-to in 27 of 44 judgments
    /// (BENCHMARKS.md, "Relevance summed over the answer"). Padding does
    /// not pay: a wrong answer repeated, closed with a stock line or with
    /// the question restated won fewer judgments than as it was (same
    /// section). An empty answer scores [`EMPTY_ANSWER_RELEVANCE`].
    pub fn relevance(&self, question: &str, answer: &str) -> Result<f64> {
        Ok(self.relevances(question, &[answer])?[0])
    }

    /// [`LlmJudge::relevance`] of every answer to `question`, scored in batches.
    /// Agents on one model often give the same answer: each distinct text is
    /// scored once, and the same text always gets the same score.
    pub fn relevances(&self, question: &str, answers: &[&str]) -> Result<Vec<f64>> {
        let (distinct, slots) = distinct_texts(answers);
        // One call for both questions, so a local judge runs them in the same passes.
        let asked: Vec<(&str, &str)> = [question, NEUTRAL_QUESTION]
            .iter()
            .flat_map(|q| distinct.iter().map(move |a| (*q, *a)))
            .collect();
        let scores = self.model.answer_logprobs(&asked)?;
        let (on_topic, baseline) = scores.split_at(distinct.len());
        Ok(slots
            .iter()
            .map(|&slot| match (on_topic[slot], baseline[slot]) {
                (Some(on), Some(base)) => on.total - base.total,
                _ => EMPTY_ANSWER_RELEVANCE,
            })
            .collect())
    }

    /// How much of `passage` each summary carries: the passage's mean
    /// log-probability per token when the model is asked to write the full
    /// text a summary describes ([`RECONSTRUCTION_QUESTION`]). The passage
    /// is the same for every summary, so the scores compare directly; a
    /// summary that misstates the passage makes it less likely
    /// ([`crate::source`]). Each distinct text is scored once.
    pub fn reconstructions(&self, passage: &str, summaries: &[&str]) -> Result<Vec<f64>> {
        let (distinct, slots) = distinct_texts(summaries);
        let questions: Vec<String> = distinct
            .iter()
            .map(|s| RECONSTRUCTION_QUESTION.replace("{summary}", s))
            .collect();
        let asked: Vec<(&str, &str)> = questions.iter().map(|q| (q.as_str(), passage)).collect();
        let scores = self.model.answer_logprobs(&asked)?;
        Ok(slots
            .iter()
            .map(|&slot| scores[slot].map_or(EMPTY_ANSWER_RELEVANCE, AnswerLogProb::mean))
            .collect())
    }

    /// The judge model's own short answer to `question`
    /// ([`crate::own_answer`]).
    pub fn own_answer(&self, question: &str) -> Result<agents::Generation> {
        self.model.own_answer(question)
    }

    /// Probability that the judge answers "Yes" to whether `answer`
    /// correctly answers `question` (given the `reference` answer when there is one).
    pub fn rubric(&self, question: &str, answer: &str, reference: Option<&str>) -> Result<f64> {
        Ok(self.rubrics(question, &[answer], reference)?[0])
    }

    /// [`LlmJudge::rubric`] of every answer, in batches: the probability that the judge answers "Yes" to whether each answer
    /// correctly answers `question` (given the `reference` answer when there is one).
    pub fn rubrics(
        &self,
        question: &str,
        answers: &[&str],
        reference: Option<&str>,
    ) -> Result<Vec<f64>> {
        let prompts: Vec<String> = answers
            .iter()
            .map(|answer| {
                let mut prompt = format!("Question: {question}\nProposed answer: {answer}\n");
                if let Some(r) = reference {
                    prompt.push_str(&format!("Correct answer: {r}\n"));
                }
                prompt.push_str("Is the proposed answer correct and on topic? Reply Yes or No.");
                prompt
            })
            .collect();
        self.choices(&prompts, ["Yes", "No"])
    }

    /// Probability that the judge prefers the first answer shown.
    pub fn prefer_first(
        &self,
        question: &str,
        first: &str,
        second: &str,
        reference: Option<&str>,
    ) -> Result<f64> {
        Ok(self.prefer_first_of(question, &[(first, second)], reference)?[0])
    }

    /// [`LlmJudge::prefer_first`] of every (first, second) pair, in batches.
    pub fn prefer_first_of(
        &self,
        question: &str,
        pairs: &[(&str, &str)],
        reference: Option<&str>,
    ) -> Result<Vec<f64>> {
        let prompts: Vec<String> = pairs
            .iter()
            .map(|(first, second)| {
                let mut prompt = format!("Question: {question}\n");
                if let Some(r) = reference {
                    prompt.push_str(&format!("Reference answer: {r}\n"));
                }
                prompt.push_str(&format!(
                    "Answer A: {first}\nAnswer B: {second}\nWhich answer is better? Reply A or B."
                ));
                prompt
            })
            .collect();
        self.choices(&prompts, ["A", "B"])
    }

    /// P(first option) among two one-word replies to each prompt.
    fn choices(&self, user_prompts: &[String], options: [&str; 2]) -> Result<Vec<f64>> {
        Ok(self
            .model
            .reply_masses(JUDGE_SYSTEM_PROMPT, user_prompts, options)?
            .into_iter()
            .map(|[a, b]| if a + b > 0.0 { a / (a + b) } else { 0.5 })
            .collect())
    }
}

/// The distinct texts among `texts`, and for each text its slot among them:
/// agents on one model often give the same answer, and the same text must
/// get the same score.
fn distinct_texts<'t>(texts: &[&'t str]) -> (Vec<&'t str>, Vec<usize>) {
    let mut distinct: Vec<&str> = Vec::new();
    let slots = texts
        .iter()
        .map(|text| match distinct.iter().position(|d| d == text) {
            Some(slot) => slot,
            None => {
                distinct.push(*text);
                distinct.len() - 1
            }
        })
        .collect();
    (distinct, slots)
}

//! The record of one round's judging: every answer's scores and every pair's
//! verdict, each with the layer that decided it.

use serde::{Deserialize, Serialize};

use crate::checks::CheckOutcome;
use crate::integrity::Flag;

/// One agent's answer as it enters judging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub agent_id: String,
    /// The model that produced the answer (recorded in preference pairs).
    pub model: String,
    pub text: String,
}

/// Pointwise scores of one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerScores {
    pub agent_id: String,
    /// Fraction of verifiable checks passed; `None` when the space has none.
    pub check_score: Option<f64>,
    pub checks: Vec<CheckOutcome>,
    /// Integrity flags ([`crate::integrity`]); none in records judged before
    /// they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// Pointwise mutual information with the question (nats per token) of
    /// what the answer adds to the prompt ([`crate::copying::novel_part`]).
    pub relevance: Option<f64>,
    /// Judge's probability that the answer is correct.
    pub rubric: Option<f64>,
    /// Answer length in characters, for the length-bias report.
    pub length: usize,
}

/// Which layer decided a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// One answer had an integrity flag and the other none.
    Integrity,
    /// Verifiable checks differed.
    Checks,
    /// The pairwise LLM judge agreed with itself in both orders.
    Pairwise,
    /// Pointwise LLM scores differed clearly.
    Pointwise,
    /// Nothing separated the answers.
    Tie,
}

/// The verdict on one pair of answers (`a` sorts before `b` by agent id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairVerdict {
    pub a: String,
    pub b: String,
    /// 1 when `a` is better, 0 when `b` is, 0.5 for a tie.
    pub score_a: f64,
    /// How clearly the winner won, in [0, 1]; 0 for ties.
    pub margin: f64,
    pub layer: Layer,
    /// P(a better) with `a` shown first, and with `a` shown second.
    pub pairwise: Option<(f64, f64)>,
}

impl PairVerdict {
    /// The winner and loser, unless tied.
    pub fn decided(&self) -> Option<(&str, &str)> {
        if self.score_a > 0.5 {
            Some((&self.a, &self.b))
        } else if self.score_a < 0.5 {
            Some((&self.b, &self.a))
        } else {
            None
        }
    }

    /// Whether the pairwise LLM layer changed its mind with the order.
    pub fn pairwise_flipped(&self) -> Option<bool> {
        self.pairwise
            .map(|(first, second)| (first > 0.5) != (second > 0.5))
    }
}

/// The final order with a confidence per position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Agent ids, best first.
    pub order: Vec<String>,
    /// Bradley-Terry strength of each, in `order`.
    pub strengths: Vec<f64>,
    /// Share of bootstrap resamples in which each kept its position.
    pub confidence: Vec<f64>,
    /// Length-controlled strengths, in `order`.
    pub length_controlled: Vec<f64>,
}

/// How much answer length sways the verdicts of a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthBias {
    /// Decided pairs whose answers differ in length.
    pub decided: usize,
    /// Of those, how many the longer answer won.
    pub longer_won: usize,
    /// Fitted length effect on the logit scale (0 = none).
    pub effect: f64,
}

/// Everything judging produced for one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgment {
    /// The judge model's identity, or "checks" when no model was used.
    pub judge: String,
    pub answers: Vec<AnswerScores>,
    pub verdicts: Vec<PairVerdict>,
    pub ranking: Ranking,
    pub length_bias: LengthBias,
}

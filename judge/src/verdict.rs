//! The record of one round's judging: every answer's scores and every pair's
//! verdict, each with the layer that decided it.

use agents::commitment::Commitment;
use serde::{Deserialize, Serialize};

use crate::checks::CheckOutcome;
use crate::integrity::Flag;
use crate::judging::JudgeConfig;
use crate::ranking::rank;

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
    /// The rules the prompt states, and the finished-answer rule
    /// ([`crate::instructions`]); none in records judged before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<CheckOutcome>,
    /// Integrity flags ([`crate::integrity`]); none in records judged before
    /// they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// The judge model's relevance ([`crate::llm_judge::LlmJudge::relevance`]:
    /// pointwise mutual information with the question, summed over the
    /// tokens, in nats) of what the answer adds to the prompt
    /// ([`crate::copying::novel_part`]).
    pub relevance: Option<f64>,
    /// For a summary, the mean log-probability per token of its passage
    /// after it ([`crate::llm_judge::LlmJudge::reconstructions`]); none for
    /// other prompts, or in records judged before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<f64>,
    /// Judge's probability that the answer is correct.
    pub rubric: Option<f64>,
    /// Agreement with the judge's own answer ([`crate::own_answer::agreement`]:
    /// the share of content words it shares, plus one for stating a number
    /// it recalls); none when the contest had a reference, or in
    /// records judged before the judge wrote its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<f64>,
    /// Answer length in characters, for the length-bias report.
    pub length: usize,
}

impl AnswerScores {
    /// Fraction of the prompt's stated rules followed; `None` when none
    /// were read (records judged before the rules existed).
    pub fn instruction_score(&self) -> Option<f64> {
        (!self.instructions.is_empty()).then(|| {
            let passed = self.instructions.iter().filter(|o| o.passed).count();
            passed as f64 / self.instructions.len() as f64
        })
    }
}

/// Which layer decided a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// One answer had an integrity flag and the other none.
    Integrity,
    /// Verifiable checks differed.
    Checks,
    /// The answers followed different shares of the prompt's stated rules.
    Instructions,
    /// Two summaries carried clearly different amounts of their passage.
    Source,
    /// The pairwise LLM judge agreed with itself in both orders.
    Pairwise,
    /// The answers agreed clearly differently with the judge's own answer.
    OwnAnswer,
    /// Pointwise LLM scores differed clearly.
    Pointwise,
    /// The rule of an interactive space decided the match from its transcript (a
    /// negotiation's payoffs, a game's winner).
    Rule,
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
    /// The judge model's own answer, when it wrote one
    /// ([`crate::own_answer`]), so that anyone can recompute each answer's
    /// agreement with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_answer: Option<String>,
    /// What a local judge's own answer commits to ([`agents::commitment`]),
    /// so that `arena verify` checks it was the model's greedy answer with
    /// one prefill; none from a served judge or when the answer was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_answer_commitment: Option<Commitment>,
}

/// Largest difference between two judgings' per-answer scores (check
/// score, reconstruction, rubric, agreement) that still counts as the same
/// judgment: other numerics (another machine's) move a judge's
/// log-probabilities slightly; every kernel of one machine computes the
/// same bits. Measured when the portable kernel still summed in another
/// order: it moved a mean log-probability by 0.053,
/// the two-block AVX2 kernel one of a short answer by 0.147 (e2e_verify,
/// 2026-12-02); about twice the largest seen, as for the hidden states.
pub const SCORE_TOLERANCE: f64 = 0.3;

/// The [`SCORE_TOLERANCE`] of a relevance, which is a sum over the
/// answer's tokens, so rounding moves it more in a longer answer: twice
/// the largest move measured, 1 nat plus 0.02 per character of the answer
/// (avx512-vnni against portable over the 436 answers of
/// `judge/evals/clean.jsonl` and `clean-fresh-5.jsonl`, 2026-12-07; avx2
/// moved none).
pub fn relevance_tolerance(answer_chars: usize) -> f64 {
    2.0 * (1.0 + 0.02 * answer_chars as f64)
}

impl Judgment {
    /// The verdict between the two agents of `seats` (a match of an interactive round).
    pub fn verdict_between(&self, seats: &[String]) -> Option<&PairVerdict> {
        self.verdicts
            .iter()
            .find(|v| seats.contains(&v.a) && seats.contains(&v.b))
    }

    /// How `again` (the same answers judged a second time, perhaps on
    /// another machine, by a judge of `config`) differs from this judgment,
    /// in words: a score beyond its tolerance ([`SCORE_TOLERANCE`],
    /// [`relevance_tolerance`]), a pair decided
    /// otherwise, or a stored ranking that its verdicts do not give. Empty
    /// when it reproduces.
    ///
    /// Another kernel's rounding can move a model's score across a layer's
    /// margin, so a pair decided by the model's scores may be decided
    /// otherwise when judged again. That counts as the same judgment when
    /// the stored verdict is the one the stored scores give
    /// ([`JudgeConfig::verdict`]), since the scores themselves are held to
    /// the tolerance; a verdict its scores do not give is reported.
    pub fn differences(&self, again: &Judgment, config: &JudgeConfig) -> Vec<String> {
        let mut found = Vec::new();
        let ids: Vec<String> = self.answers.iter().map(|a| a.agent_id.clone()).collect();
        let lengths: Vec<usize> = self.answers.iter().map(|a| a.length).collect();
        let derived = rank(&ids, &lengths, &self.verdicts).0.order;
        if self.ranking.order != derived {
            found.push(format!(
                "the stored ranking {} is not what its verdicts give ({})",
                self.ranking.order.join(" > "),
                derived.join(" > ")
            ));
        }
        for stored in &self.verdicts {
            let same = again
                .verdicts
                .iter()
                .find(|v| v.a == stored.a && v.b == stored.b);
            match same {
                None => found.push(format!(
                    "the pair {} / {} was not judged again",
                    stored.a, stored.b
                )),
                Some(v)
                    if v.decided() != stored.decided()
                        && !self.crossed_a_margin(stored, v, config) =>
                {
                    found.push(format!(
                        "the pair {} / {}: stored {}, judged again {}",
                        stored.a,
                        stored.b,
                        outcome(stored),
                        outcome(v)
                    ))
                }
                Some(_) => {}
            }
        }
        if self.own_answer != again.own_answer {
            found.push(format!(
                "the judge's own answer: stored {:?}, written again {:?}",
                self.own_answer, again.own_answer
            ));
        }
        for stored in &self.answers {
            let Some(other) = again.answers.iter().find(|a| a.agent_id == stored.agent_id) else {
                found.push(format!(
                    "the answer of {} was not judged again",
                    stored.agent_id
                ));
                continue;
            };
            for (name, a, b, tolerance) in [
                (
                    "check score",
                    stored.check_score,
                    other.check_score,
                    SCORE_TOLERANCE,
                ),
                (
                    "relevance",
                    stored.relevance,
                    other.relevance,
                    relevance_tolerance(stored.length),
                ),
                (
                    "reconstruction of the summarised passage",
                    stored.reconstruction,
                    other.reconstruction,
                    SCORE_TOLERANCE,
                ),
                ("rubric", stored.rubric, other.rubric, SCORE_TOLERANCE),
                (
                    "agreement with the judge's own answer",
                    stored.agreement,
                    other.agreement,
                    SCORE_TOLERANCE,
                ),
            ] {
                let close = match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() <= tolerance,
                    (a, b) => a == b,
                };
                if !close {
                    found.push(format!(
                        "the {name} of {}: stored {a:?}, judged again {b:?}",
                        stored.agent_id
                    ));
                }
            }
        }
        found
    }

    /// Whether a pair decided otherwise when judged `again` differs only
    /// because the model's scores moved across a layer's margin: one of the
    /// two verdicts is a tie (a winner turned loser is more than a margin
    /// crossed), both come from scores a kernel's rounding moves (the
    /// passage a summary carries, relevance, the pairwise question, or
    /// none), and the stored verdict is the one the stored scores give.
    fn crossed_a_margin(
        &self,
        stored: &PairVerdict,
        again: &PairVerdict,
        config: &JudgeConfig,
    ) -> bool {
        let moved_by_rounding = |layer: Layer| {
            matches!(
                layer,
                Layer::Source | Layer::Pointwise | Layer::Pairwise | Layer::Tie
            )
        };
        let scores = |id: &str| self.answers.iter().find(|a| a.agent_id == id);
        let (Some(a), Some(b)) = (scores(&stored.a), scores(&stored.b)) else {
            return false;
        };
        let derived = config.verdict(a, b, stored.pairwise);
        (stored.decided().is_none() || again.decided().is_none())
            && moved_by_rounding(stored.layer)
            && moved_by_rounding(again.layer)
            && derived.decided() == stored.decided()
            && derived.layer == stored.layer
    }
}

/// A verdict in words: who won, or a tie.
fn outcome(verdict: &PairVerdict) -> String {
    match verdict.decided() {
        Some((winner, _)) => format!("{winner} won"),
        None => "a tie".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(id: &str, relevance: f64) -> AnswerScores {
        AnswerScores {
            agent_id: id.into(),
            check_score: None,
            checks: Vec::new(),
            instructions: Vec::new(),
            flags: Vec::new(),
            relevance: Some(relevance),
            reconstruction: None,
            rubric: None,
            agreement: None,
            length: 20,
        }
    }

    /// Two answers with these relevances, judged by the default config.
    fn judged(relevance_a: f64, relevance_b: f64) -> Judgment {
        let config = JudgeConfig::default();
        let answers = vec![scores("a", relevance_a), scores("b", relevance_b)];
        let verdicts = vec![config.verdict(&answers[0], &answers[1], None)];
        let (ranking, length_bias) = rank(&["a".into(), "b".into()], &[20, 20], &verdicts);
        Judgment {
            judge: "smollm2-135m".into(),
            answers,
            verdicts,
            ranking,
            length_bias,
            own_answer: None,
            own_answer_commitment: None,
        }
    }

    #[test]
    fn a_margin_crossed_by_rounding_is_the_same_judgment() {
        let config = JudgeConfig::default();
        // Level at the 0.5 margin when stored, just past it judged again.
        let stored = judged(-1.0, -1.4);
        let again = judged(-0.95, -1.5);
        assert_eq!(stored.verdicts[0].layer, Layer::Tie);
        assert_eq!(again.verdicts[0].layer, Layer::Pointwise);
        assert_eq!(stored.differences(&again, &config), Vec::<String>::new());
        assert_eq!(again.differences(&stored, &config), Vec::<String>::new());
    }

    #[test]
    fn a_verdict_or_ranking_its_scores_do_not_give_is_reported() {
        let config = JudgeConfig::default();
        let honest = judged(-1.0, -1.4);
        let mut forged = honest.clone();
        forged.verdicts[0].score_a = 1.0;
        forged.verdicts[0].layer = Layer::Pointwise;
        let found = forged.differences(&honest, &config);
        assert!(
            found.iter().any(|d| d.contains("the pair a / b")),
            "{found:?}"
        );

        let clear = judged(-1.0, -2.0);
        let mut reordered = clear.clone();
        reordered.ranking.order.reverse();
        let found = reordered.differences(&clear, &config);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("is not what its verdicts give"),
            "{found:?}"
        );
    }

    #[test]
    fn a_longer_answer_s_relevance_may_move_further() {
        let config = JudgeConfig::default();
        let (mut stored, mut again) = (judged(-1.0, -6.0), judged(-4.0, -6.0));
        // 20 characters allow a move of 2.8 nats, 200 characters 10.
        let found = stored.differences(&again, &config);
        assert!(
            found.iter().any(|d| d.contains("the relevance of a")),
            "{found:?}"
        );
        for answer in stored.answers.iter_mut().chain(again.answers.iter_mut()) {
            answer.length = 200;
        }
        assert_eq!(stored.differences(&again, &config), Vec::<String>::new());
    }

    #[test]
    fn scores_beyond_the_tolerance_are_reported() {
        let config = JudgeConfig::default();
        let found = judged(-1.0, -6.0).differences(&judged(-6.0, -1.0), &config);
        assert!(
            found.iter().any(|d| d.contains("the relevance of a")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|d| d.contains("the pair a / b")),
            "{found:?}"
        );
    }
}

//! Judging a round in layers: verifiable checks first; then pointwise LLM
//! scores (relevance), which have no order to be biased by; then, for pairs
//! still close, the LLM judge asked pairwise in both orders, kept only when
//! it agrees with itself. What none separates is a tie.
//!
//! Pointwise comes before pairwise because on the labelled set the 135M
//! default judge's pairwise verdicts flipped with the order every time
//! (see BENCHMARKS.md), while relevance decided every on/off-topic pair
//! correctly; a stronger judge model makes the pairwise layer count more.

use anyhow::Result;

use crate::checks::{Check, run_checks};
use crate::llm_judge::LlmJudge;
use crate::ranking::rank;
use crate::verdict::{AnswerScores, Entry, Judgment, Layer, PairVerdict};

/// What is being judged.
#[derive(Debug, Clone, Copy)]
pub struct Contest<'a> {
    /// The prompt as the agents saw it (with the space's instructions).
    pub question: &'a str,
    /// A reference answer, when the space has one.
    pub reference: Option<&'a str>,
    /// The space's verifiable checks for this prompt.
    pub checks: &'a [Check],
    /// The answers, in any order.
    pub entries: &'a [Entry],
}

/// Which LLM layers run, and how large a pointwise difference decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgeConfig {
    pub pairwise: bool,
    pub pointwise: bool,
    /// Relevance difference (nats per token) needed to decide a pair pointwise.
    pub relevance_margin: f64,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        Self {
            pairwise: true,
            pointwise: true,
            relevance_margin: 0.25,
        }
    }
}

/// The judge: checks, and optionally a model.
pub struct Judge<'m> {
    llm: Option<LlmJudge<'m>>,
    config: JudgeConfig,
}

/// The judge id recorded when no model takes part.
pub const CHECKS_ONLY: &str = "checks";

impl<'m> Judge<'m> {
    /// A judge that uses verifiable checks only.
    pub fn checks_only() -> Self {
        Self {
            llm: None,
            config: JudgeConfig {
                pairwise: false,
                pointwise: false,
                ..JudgeConfig::default()
            },
        }
    }

    /// A judge with a model for the layers `config` enables.
    pub fn with_model(llm: LlmJudge<'m>, config: JudgeConfig) -> Self {
        Self {
            llm: Some(llm),
            config,
        }
    }

    /// The identity recorded in judgments and pairs.
    pub fn id(&self) -> &str {
        self.llm.as_ref().map_or(CHECKS_ONLY, LlmJudge::id)
    }

    /// Judges every answer and every pair, and ranks the agents.
    pub fn judge(&self, contest: &Contest<'_>) -> Result<Judgment> {
        let mut entries: Vec<&Entry> = contest.entries.iter().collect();
        entries.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        let answers = entries
            .iter()
            .map(|e| self.score_answer(contest, e))
            .collect::<Result<Vec<_>>>()?;
        let mut verdicts = Vec::new();
        for i in 0..entries.len() {
            for j in i + 1..entries.len() {
                verdicts.push(self.verdict(
                    contest,
                    (entries[i], &answers[i]),
                    (entries[j], &answers[j]),
                )?);
            }
        }
        let ids: Vec<String> = entries.iter().map(|e| e.agent_id.clone()).collect();
        let lengths: Vec<usize> = answers.iter().map(|a| a.length).collect();
        let (ranking, length_bias) = rank(&ids, &lengths, &verdicts);
        Ok(Judgment {
            judge: self.id().to_owned(),
            answers,
            verdicts,
            ranking,
            length_bias,
        })
    }

    fn score_answer(&self, contest: &Contest<'_>, entry: &Entry) -> Result<AnswerScores> {
        let (check_score, checks) = run_checks(contest.checks, &entry.text);
        let (relevance, rubric) = match (&self.llm, self.config.pointwise) {
            (Some(llm), true) => (
                Some(llm.relevance(contest.question, &entry.text)?),
                Some(llm.rubric(contest.question, &entry.text, contest.reference)?),
            ),
            _ => (None, None),
        };
        Ok(AnswerScores {
            agent_id: entry.agent_id.clone(),
            check_score,
            checks,
            relevance,
            rubric,
            length: entry.text.chars().count(),
        })
    }

    fn verdict(
        &self,
        contest: &Contest<'_>,
        (a, sa): (&Entry, &AnswerScores),
        (b, sb): (&Entry, &AnswerScores),
    ) -> Result<PairVerdict> {
        let mut verdict = PairVerdict {
            a: a.agent_id.clone(),
            b: b.agent_id.clone(),
            score_a: 0.5,
            margin: 0.0,
            layer: Layer::Tie,
            pairwise: None,
        };
        if let (Some(x), Some(y)) = (sa.check_score, sb.check_score)
            && x != y
        {
            return Ok(decide(verdict, x > y, (x - y).abs(), Layer::Checks));
        }
        if let (Some(x), Some(y)) = (sa.relevance, sb.relevance)
            && (x - y).abs() > self.config.relevance_margin
        {
            return Ok(decide(
                verdict,
                x > y,
                (x - y).abs().tanh(),
                Layer::Pointwise,
            ));
        }
        if let (Some(llm), true) = (&self.llm, self.config.pairwise) {
            let first = llm.prefer_first(contest.question, &a.text, &b.text, contest.reference)?;
            let second =
                1.0 - llm.prefer_first(contest.question, &b.text, &a.text, contest.reference)?;
            verdict.pairwise = Some((first, second));
            if (first > 0.5) == (second > 0.5) && first != 0.5 && second != 0.5 {
                let margin = ((first + second) - 1.0).abs();
                return Ok(decide(verdict, first > 0.5, margin, Layer::Pairwise));
            }
        }
        Ok(verdict)
    }
}

fn decide(mut verdict: PairVerdict, a_wins: bool, margin: f64, layer: Layer) -> PairVerdict {
    verdict.score_a = if a_wins { 1.0 } else { 0.0 };
    verdict.margin = margin.clamp(0.0, 1.0);
    verdict.layer = layer;
    verdict
}

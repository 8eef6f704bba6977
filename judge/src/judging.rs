//! Judging a round in layers: integrity flags first (reward hacks such as
//! a copied prompt, see [`crate::integrity`]), then verifiable checks, then
//! the rules the prompt states in words ([`crate::instructions`]); then pointwise LLM
//! scores, which have no order to be biased by: for a summary, how much of
//! its passage it carries ([`crate::source`]), then agreement with the
//! judge's own answer, then relevance; then, for pairs
//! still close, the LLM judge asked pairwise in both orders, kept only when
//! it agrees with itself. What none separates is a tie.
//!
//! Pointwise comes before pairwise because on the labelled set the 135M
//! default judge's pairwise verdicts flipped with the order every time
//! (see BENCHMARKS.md), while relevance decided every on/off-topic pair
//! correctly; a stronger judge model makes the pairwise layer count more.

use agents::commitment::Commitment;
use anyhow::Result;

use crate::checks::{Check, run_checks};
use crate::copying::novel_part;
use crate::instructions::read_instructions;
use crate::integrity::inspect;
use crate::llm_judge::LlmJudge;
use crate::own_answer::{AGREEMENT_MARGIN, agreement};
use crate::ranking::rank;
use crate::source::{RECONSTRUCTION_MARGIN, summarised_passage};
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
    /// The judge's own answer recorded by an earlier judgment of this
    /// contest, so that judging it again (`arena verify`) reads the same
    /// text; `None`: the judge writes its own when it needs one.
    pub own_answer: Option<&'a str>,
}

/// The judge's own answer and, from a local judge, its commitment.
type OwnAnswer = (String, Option<Commitment>);

/// Which LLM layers run, and how large a pointwise difference decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgeConfig {
    /// Ask close pairs "A or B?" in both orders.
    pub pairwise: bool,
    /// Score each answer's relevance (and rubric, when on).
    pub pointwise: bool,
    /// Ask of each answer "correct and on topic?" (recorded, not decisive).
    pub rubric: bool,
    /// Relevance difference (nats, summed over the answer) needed to
    /// decide a pair pointwise.
    pub relevance_margin: f64,
}

impl Default for JudgeConfig {
    /// The layers for the arena's own small local judges (135M, 270M):
    /// relevance only. Their pairwise verdicts change with the order of the
    /// answers (so they rarely count) and their rubric decides nothing,
    /// while the two took most of a round's judging time (BENCHMARKS.md).
    fn default() -> Self {
        Self {
            pairwise: false,
            pointwise: true,
            rubric: false,
            relevance_margin: 0.5,
        }
    }
}

impl JudgeConfig {
    /// Every layer: for a judge served over HTTP, presumably larger, whose
    /// pairwise verdicts are worth their cost.
    pub fn all_layers() -> Self {
        Self {
            pairwise: true,
            rubric: true,
            relevance_margin: 1.0,
            ..Self::default()
        }
    }

    /// No model layer: verifiable checks and rules only.
    pub fn checks_only() -> Self {
        Self {
            pairwise: false,
            pointwise: false,
            rubric: false,
            ..Self::default()
        }
    }

    /// The verdict on two answers from their scores, and from the pairwise
    /// question's two probabilities when it was asked: integrity flags,
    /// checks, the stated rules, the passage a summary carries, agreement
    /// with the judge's own answer, relevance, then the pairwise question;
    /// a tie when none separates them. Judging decides every pair by it,
    /// and `arena verify` re-derives a stored verdict from its stored
    /// scores by it ([`crate::verdict::Judgment::differences`]).
    pub fn verdict(
        &self,
        sa: &AnswerScores,
        sb: &AnswerScores,
        pairwise: Option<(f64, f64)>,
    ) -> PairVerdict {
        let verdict = self.pointwise_verdict(sa, sb);
        match pairwise {
            Some((first, second)) if verdict.layer == Layer::Tie => {
                pairwise_verdict(verdict, first, second)
            }
            _ => verdict,
        }
    }

    /// The verdict of the layers that need no pairwise question.
    fn pointwise_verdict(&self, sa: &AnswerScores, sb: &AnswerScores) -> PairVerdict {
        let verdict = PairVerdict {
            a: sa.agent_id.clone(),
            b: sb.agent_id.clone(),
            score_a: 0.5,
            margin: 0.0,
            layer: Layer::Tie,
            pairwise: None,
        };
        if sa.flags.is_empty() != sb.flags.is_empty() {
            return decide(verdict, sa.flags.is_empty(), 1.0, Layer::Integrity);
        }
        if let Some((x, y)) = differing(sa.check_score, sb.check_score) {
            return decide(verdict, x > y, (x - y).abs(), Layer::Checks);
        }
        if let Some((x, y)) = differing(sa.instruction_score(), sb.instruction_score()) {
            return decide(verdict, x > y, (x - y).abs(), Layer::Instructions);
        }
        if let (Some(x), Some(y)) = (sa.reconstruction, sb.reconstruction)
            && (x - y).abs() > RECONSTRUCTION_MARGIN
        {
            return decide(verdict, x > y, (x - y).abs().tanh(), Layer::Source);
        }
        if let (Some(x), Some(y)) = (sa.agreement, sb.agreement)
            && (x - y).abs() >= AGREEMENT_MARGIN
        {
            return decide(verdict, x > y, (x - y).abs(), Layer::OwnAnswer);
        }
        if let (Some(x), Some(y)) = (sa.relevance, sb.relevance)
            && (x - y).abs() > self.relevance_margin
        {
            return decide(verdict, x > y, (x - y).abs().tanh(), Layer::Pointwise);
        }
        verdict
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
            config: JudgeConfig::checks_only(),
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

    /// Judges every answer and every pair, and ranks the agents. The
    /// model's questions about all answers (and then about all pairs still
    /// close) are asked together, so a local judge batches them.
    pub fn judge(&self, contest: &Contest<'_>) -> Result<Judgment> {
        let mut entries: Vec<&Entry> = contest.entries.iter().collect();
        entries.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        let (answers, own) = self.score_answers(contest, &entries)?;
        let (own_answer, commitment) = own.unzip();
        let mut verdicts = Vec::new();
        let mut close = Vec::new();
        for i in 0..entries.len() {
            for j in i + 1..entries.len() {
                let verdict = self.config.verdict(&answers[i], &answers[j], None);
                if verdict.layer == Layer::Tie {
                    close.push((verdicts.len(), i, j));
                }
                verdicts.push(verdict);
            }
        }
        if let (Some(llm), true, false) = (&self.llm, self.config.pairwise, close.is_empty()) {
            // Each close pair in both orders: (a, b) then (b, a).
            let shown: Vec<(&str, &str)> = close
                .iter()
                .flat_map(|&(_, i, j)| {
                    let (a, b) = (entries[i].text.as_str(), entries[j].text.as_str());
                    [(a, b), (b, a)]
                })
                .collect();
            let preferences = llm.prefer_first_of(contest.question, &shown, contest.reference)?;
            for (&(v, i, j), p) in close.iter().zip(preferences.chunks_exact(2)) {
                verdicts[v] =
                    self.config
                        .verdict(&answers[i], &answers[j], Some((p[0], 1.0 - p[1])));
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
            own_answer,
            own_answer_commitment: commitment.flatten(),
        })
    }

    /// Checks, flags and the model's pointwise scores of every answer, and
    /// the judge's own answer when it wrote one. The model scores only
    /// answers it can matter for: one whose flags or check score set it
    /// apart from every other answer is decided by them alone, as
    /// [`Judge::pointwise_verdict`] decides. The judge writes its own answer
    /// only where the contest has no reference.
    fn score_answers(
        &self,
        contest: &Contest<'_>,
        entries: &[&Entry],
    ) -> Result<(Vec<AnswerScores>, Option<OwnAnswer>)> {
        let rules = read_instructions(contest.question);
        let mut answers: Vec<AnswerScores> = entries
            .iter()
            .map(|entry| {
                let (check_score, checks) = run_checks(contest.checks, &entry.text);
                AnswerScores {
                    agent_id: entry.agent_id.clone(),
                    check_score,
                    checks,
                    instructions: rules.iter().map(|r| r.evaluate(&entry.text)).collect(),
                    flags: inspect(contest.question, &entry.text),
                    relevance: None,
                    reconstruction: None,
                    rubric: None,
                    agreement: None,
                    length: entry.text.chars().count(),
                }
            })
            .collect();
        let compared: Vec<usize> = (0..answers.len())
            .filter(|&i| {
                (0..answers.len())
                    .any(|j| j != i && undecided_before_model(&answers[i], &answers[j]))
            })
            .collect();
        let mut own_answer = None;
        if let (Some(llm), true, false) = (&self.llm, self.config.pointwise, compared.is_empty()) {
            let texts: Vec<&str> = compared.iter().map(|&i| entries[i].text.as_str()).collect();
            // Relevance reads what an answer adds to the prompt: restated
            // prompt text is the likeliest text after the prompt.
            let added: Vec<String> = texts
                .iter()
                .map(|t| novel_part(contest.question, t))
                .collect();
            let added: Vec<&str> = added.iter().map(String::as_str).collect();
            let relevances = llm.relevances(contest.question, &added)?;
            for (&i, r) in compared.iter().zip(relevances) {
                answers[i].relevance = Some(r);
            }
            if let Some(passage) = summarised_passage(contest.question) {
                let carried = llm.reconstructions(passage, &texts)?;
                for (&i, c) in compared.iter().zip(carried) {
                    answers[i].reconstruction = Some(c);
                }
            }
            if contest.reference.is_none() {
                let own = match contest.own_answer {
                    Some(recorded) => (recorded.to_owned(), None),
                    None => {
                        let written = llm.own_answer(contest.question)?;
                        (written.text, written.commitment)
                    }
                };
                for (&i, text) in compared.iter().zip(&texts) {
                    answers[i].agreement = Some(agreement(contest.question, text, &own.0));
                }
                own_answer = Some(own);
            }
            if self.config.rubric {
                let rubrics = llm.rubrics(contest.question, &texts, contest.reference)?;
                for (&i, p) in compared.iter().zip(rubrics) {
                    answers[i].rubric = Some(p);
                }
            }
        }
        Ok((answers, own_answer))
    }
}

/// Whether neither the integrity flags, the checks nor the prompt's
/// instructions decide between two answers, so the model's scores are needed.
fn undecided_before_model(a: &AnswerScores, b: &AnswerScores) -> bool {
    a.flags.is_empty() == b.flags.is_empty()
        && differing(a.check_score, b.check_score).is_none()
        && differing(a.instruction_score(), b.instruction_score()).is_none()
}

/// Two answers' scores by one rule layer when both have one and they differ.
fn differing(a: Option<f64>, b: Option<f64>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Some((x, y)),
        _ => None,
    }
}

/// A close pair decided by the pairwise question: P(a better) with `a`
/// shown first and with `a` shown second, counted only when both agree.
fn pairwise_verdict(mut verdict: PairVerdict, first: f64, second: f64) -> PairVerdict {
    verdict.pairwise = Some((first, second));
    if (first > 0.5) == (second > 0.5) && first != 0.5 && second != 0.5 {
        let margin = ((first + second) - 1.0).abs();
        return decide(verdict, first > 0.5, margin, Layer::Pairwise);
    }
    verdict
}

fn decide(mut verdict: PairVerdict, a_wins: bool, margin: f64, layer: Layer) -> PairVerdict {
    verdict.score_a = if a_wins { 1.0 } else { 0.0 };
    verdict.margin = margin.clamp(0.0, 1.0);
    verdict.layer = layer;
    verdict
}

//! Deciding an interactive round: each match by its game's rule, by the judge reading each
//! seat's moves, or by the rule with the judge breaking its draws, as the space declares; then
//! one ranking of the round's agents from the matches' verdicts, which ratings, preference
//! pairs and settlement follow as in a single-shot round.

use anyhow::{Context, Result};
use judge::ranking::rank;
use judge::records::{AnswerRecord, MatchRecord, RoundRecord};
use judge::verdict::{AnswerScores, Layer, PairVerdict};
use judge::{Contest, Entry, Judgment};

use super::super::lifecycle::{ModelCache, with_judge};
use super::{DecidedBy, Interactive, rules};

/// The judge identity of a round decided by rule alone.
pub const RULE_JUDGE: &str = "rule";

/// The judge model a stored judgment names, to judge its round again: `None` for checks only
/// or the rule alone, the model after "rule, then " for a rule with the judge breaking its
/// draws, else the identity itself.
pub fn judge_model_of(identity: &str) -> Option<&str> {
    match identity {
        judge::judging::CHECKS_ONLY | RULE_JUDGE => None,
        other => Some(
            other
                .strip_prefix(RULE_JUDGE)
                .and_then(|rest| rest.strip_prefix(", then "))
                .unwrap_or(other),
        ),
    }
}

/// Judges the round's matches (see the module doc) with the judge named `judge` where the
/// judge decides (`None`: checks only, so those matches are draws). `answers` are the seats'
/// answers ([`super::play::seat_answers`]).
pub fn judge_matches(
    models: &ModelCache,
    judge: Option<&str>,
    interactive: &Interactive,
    round: &RoundRecord,
    answers: &[AnswerRecord],
) -> Result<Judgment> {
    let mut scores: Vec<AnswerScores> = answers.iter().map(plain_scores).collect();
    let mut verdicts = Vec::new();
    let mut for_judge = Vec::new();
    for m in &round.matches {
        let by_rule = match interactive.decided_by {
            DecidedBy::Judge => None,
            _ => rules::outcome(&interactive.game, m).and_then(|o| rule_verdict(m, &o)),
        };
        match by_rule {
            Some(v) if v.decided().is_some() || interactive.decided_by == DecidedBy::Rule => {
                verdicts.push(v)
            }
            _ => for_judge.push(m),
        }
    }
    let mut judge_id = None;
    if !for_judge.is_empty() {
        let judged = with_judge(models, judge, |j| {
            judge_id = Some(j.id().to_owned());
            for_judge
                .iter()
                .map(|m| {
                    let entries = m
                        .seats
                        .iter()
                        .map(|id| {
                            let a = answers
                                .iter()
                                .find(|a| &a.agent_id == id)
                                .with_context(|| format!("seat {id} has no moves stored"))?;
                            Ok(Entry {
                                agent_id: id.clone(),
                                model: a.model.clone(),
                                text: a.text.clone(),
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    j.judge(&Contest {
                        question: &round.prompt,
                        reference: None,
                        checks: &[],
                        entries: &entries,
                        own_answer: None,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        for j in judged {
            for s in j.answers {
                if let Some(slot) = scores.iter_mut().find(|x| x.agent_id == s.agent_id) {
                    *slot = s;
                }
            }
            verdicts.extend(j.verdicts);
        }
    }
    let ids: Vec<String> = scores.iter().map(|s| s.agent_id.clone()).collect();
    let lengths: Vec<usize> = scores.iter().map(|s| s.length).collect();
    let (ranking, length_bias) = rank(&ids, &lengths, &verdicts);
    let judge = match (interactive.decided_by, judge_id) {
        (_, None) => RULE_JUDGE.to_owned(),
        (DecidedBy::RuleThenJudge, Some(id)) => format!("{RULE_JUDGE}, then {id}"),
        (_, Some(id)) => id,
    };
    Ok(Judgment {
        judge,
        answers: scores,
        verdicts,
        ranking,
        length_bias,
        own_answer: None,
        own_answer_commitment: None,
    })
}

/// Each match's outcome in words, for the tournament's log: the seats, the rule's outcome
/// where the game has one, and who won.
pub fn match_lines(
    interactive: &Interactive,
    round: &RoundRecord,
    judgment: &Judgment,
) -> Vec<String> {
    round
        .matches
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let rule = rules::outcome(&interactive.game, m)
                .map(|o| format!(" {};", o.summary))
                .unwrap_or_default();
            let verdict = judgment
                .verdict_between(&m.seats)
                .and_then(|v| v.decided().map(|(w, _)| format!("{w} wins")))
                .unwrap_or_else(|| "a draw".to_owned());
            format!(
                "round {}, match {}: {} ({} moves);{rule} {verdict}",
                round.id,
                n + 1,
                m.seats.join(" vs "),
                m.turns.len()
            )
        })
        .collect()
}

/// The verdict of a match's rule outcome: the seat with the higher payoff wins, by a margin of
/// the payoff difference over the game's scale; equal payoffs are a draw.
fn rule_verdict(m: &MatchRecord, outcome: &rules::RuleOutcome) -> Option<PairVerdict> {
    let (first, second) = (m.seats.first()?, m.seats.get(1)?);
    let (a, b, pa, pb) = if first < second {
        (first, second, outcome.payoffs[0], outcome.payoffs[1])
    } else {
        (second, first, outcome.payoffs[1], outcome.payoffs[0])
    };
    let score_a = match pa.total_cmp(&pb) {
        std::cmp::Ordering::Greater => 1.0,
        std::cmp::Ordering::Less => 0.0,
        std::cmp::Ordering::Equal => 0.5,
    };
    let margin = ((pa - pb).abs() / outcome.scale.max(1.0)).clamp(0.0, 1.0);
    Some(PairVerdict {
        a: a.clone(),
        b: b.clone(),
        score_a,
        margin: if score_a == 0.5 {
            0.0
        } else {
            margin.max(f64::EPSILON)
        },
        layer: if score_a == 0.5 {
            Layer::Tie
        } else {
            Layer::Rule
        },
        pairwise: None,
    })
}

/// The scores of a seat decided by rule: its length, nothing judged.
fn plain_scores(answer: &AnswerRecord) -> AnswerScores {
    AnswerScores {
        agent_id: answer.agent_id.clone(),
        check_score: None,
        checks: Vec::new(),
        instructions: Vec::new(),
        flags: Vec::new(),
        relevance: None,
        reconstruction: None,
        rubric: None,
        agreement: None,
        length: answer.text.chars().count(),
    }
}

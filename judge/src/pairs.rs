//! Preference pairs from a judged round: one per decided pair verdict, the
//! winner's answer chosen; ties make no pair. And the quality of a pair as
//! training data: whether each answer passed the space's checks and whether
//! it copies the prompt.

use serde::Serialize;

use crate::checks::CheckOutcome;
use crate::copying::copies_prompt;
use crate::records::{AnswerRecord, ChatMessage, MatchRecord, PreferencePair, RoundRecord};
use crate::verdict::Judgment;

/// The preference pairs of any judged round: [`move_pairs`] for an interactive round (one
/// with matches), [`preference_pairs`] for a single-shot one.
pub fn round_pairs(
    round: &RoundRecord,
    answers: &[AnswerRecord],
    judgment: &Judgment,
) -> Vec<PreferencePair> {
    match round.matches.is_empty() {
        true => preference_pairs(round, answers, judgment),
        false => move_pairs(round, judgment),
    }
}

/// The round's preference pairs, in verdict order.
pub fn preference_pairs(
    round: &RoundRecord,
    answers: &[AnswerRecord],
    judgment: &Judgment,
) -> Vec<PreferencePair> {
    let answer = |id: &str| answers.iter().find(|a| a.agent_id == id);
    judgment
        .verdicts
        .iter()
        .filter_map(|v| {
            let (winner, loser) = v.decided()?;
            let (chosen, rejected) = (answer(winner)?, answer(loser)?);
            Some(pair_of(
                round,
                judgment,
                v.margin,
                chosen,
                rejected,
                Vec::new(),
            ))
        })
        .collect()
}

/// The preference pairs of an interactive round: for every decided match and every turn both
/// seats moved in, the winner's move chosen over the loser's, given the transcript the two
/// moves shared (every move made before the earlier of them). The history is the round's
/// scenario as a `system` message and each earlier move as a `user` message named by its
/// agent, so the pair is in TRL's conversational form.
pub fn move_pairs(round: &RoundRecord, judgment: &Judgment) -> Vec<PreferencePair> {
    let mut pairs = Vec::new();
    for m in &round.matches {
        let Some(verdict) = judgment.verdict_between(&m.seats) else {
            continue;
        };
        let Some((winner, loser)) = verdict.decided() else {
            continue;
        };
        let seat_of = |id: &str| m.seats.iter().position(|s| s == id);
        let (Some(w), Some(l)) = (seat_of(winner), seat_of(loser)) else {
            continue;
        };
        let turns = m.turns.iter().map(|t| t.turn).max().map_or(0, |t| t + 1);
        for turn in 0..turns {
            let find = |seat| {
                m.turns
                    .iter()
                    .position(|t| t.turn == turn && t.seat == seat)
            };
            let (Some(wi), Some(li)) = (find(w), find(l)) else {
                continue;
            };
            let history = shared_history(round, m, wi.min(li));
            pairs.push(pair_of(
                round,
                judgment,
                verdict.margin,
                &m.turns[wi].answer,
                &m.turns[li].answer,
                history,
            ));
        }
    }
    pairs
}

/// The pair of `chosen` over `rejected` (answers of the round's agents) with the judge's
/// identity and `margin`, after `history` (empty for a single-shot round).
fn pair_of(
    round: &RoundRecord,
    judgment: &Judgment,
    margin: f64,
    chosen: &AnswerRecord,
    rejected: &AnswerRecord,
    history: Vec<ChatMessage>,
) -> PreferencePair {
    PreferencePair {
        round: round.id,
        space: round.space.clone(),
        prompt: round.prompt.clone(),
        chosen: chosen.text.clone(),
        rejected: rejected.text.clone(),
        chosen_agent: chosen.agent_id.clone(),
        rejected_agent: rejected.agent_id.clone(),
        chosen_model: chosen.model.clone(),
        rejected_model: rejected.model.clone(),
        margin,
        judge: judgment.judge.clone(),
        history,
    }
}

/// The scenario and the first `moves` moves of `m` as chat messages.
fn shared_history(round: &RoundRecord, m: &MatchRecord, moves: usize) -> Vec<ChatMessage> {
    let system = ChatMessage {
        role: "system".into(),
        content: round.prompt.clone(),
    };
    std::iter::once(system)
        .chain(m.turns[..moves].iter().map(|t| ChatMessage {
            role: "user".into(),
            content: format!("{}: {}", t.answer.agent_id, t.answer.text.trim()),
        }))
        .collect()
}

/// How trustworthy a pair is as training data, from facts anyone can
/// recompute: the round's verifiable checks and the prompt's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PairQuality {
    /// Whether the chosen answer passed every check of the round; `None`
    /// when no check applies (the space has none).
    pub chosen_passes_checks: Option<bool>,
    pub rejected_passes_checks: Option<bool>,
    /// Whether the chosen answer followed every rule its prompt states and
    /// was not cut off ([`crate::instructions`]); `None` for rounds judged
    /// before those rules existed.
    pub chosen_follows_instructions: Option<bool>,
    pub rejected_follows_instructions: Option<bool>,
    /// Whether the answer is mostly the prompt's own text
    /// ([`copies_prompt`]).
    pub chosen_copies_prompt: bool,
    pub rejected_copies_prompt: bool,
}

/// The quality of `pair`, read from the check outcomes its round's
/// `judgment` recorded for both answers (not re-run, so it says what the
/// judge saw). Computed on demand rather than stored with the pair, so
/// pairs stored before it existed get it too, and it cannot disagree with
/// the judgment. Fails, naming the round and agent, when the judgment has
/// no scores for one of the pair's agents: the store is damaged.
pub fn pair_quality(pair: &PreferencePair, judgment: &Judgment) -> Result<PairQuality, String> {
    let scores_of = |agent: &str| {
        judgment
            .answers
            .iter()
            .find(|s| s.agent_id == agent)
            .ok_or_else(|| {
                format!(
                    "round {}: a preference pair names agent '{agent}', whose answer the round's judgment never scored; the database is damaged (restore a backup)",
                    pair.round
                )
            })
    };
    let all_passed = |outcomes: &[CheckOutcome]| {
        (!outcomes.is_empty()).then(|| outcomes.iter().all(|c| c.passed))
    };
    let (chosen, rejected) = (
        scores_of(&pair.chosen_agent)?,
        scores_of(&pair.rejected_agent)?,
    );
    Ok(PairQuality {
        chosen_passes_checks: all_passed(&chosen.checks),
        rejected_passes_checks: all_passed(&rejected.checks),
        chosen_follows_instructions: all_passed(&chosen.instructions),
        rejected_follows_instructions: all_passed(&rejected.instructions),
        chosen_copies_prompt: copies_prompt(&pair.prompt, &pair.chosen),
        rejected_copies_prompt: copies_prompt(&pair.prompt, &pair.rejected),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{RoundStatus, TurnRecord};
    use crate::verdict::{LengthBias, PairVerdict, Ranking};

    fn answer(agent: &str, text: &str) -> AnswerRecord {
        AnswerRecord {
            round: 7,
            agent_id: agent.into(),
            model: "m".into(),
            text: text.into(),
            truncated: false,
            generated_tokens: 1,
            seed: 0,
            system_prompt: String::new(),
            sampling: agents::Sampling::default(),
            endpoint: None,
            commitment: None,
        }
    }

    fn round_of(turns: &[(usize, usize, &str, &str)]) -> RoundRecord {
        RoundRecord {
            id: 7,
            space: "negotiation".into(),
            prompt: "Split 100 coins.".into(),
            reference: None,
            agents: vec!["a".into(), "b".into()],
            status: RoundStatus::Judged,
            opened_at: 0,
            result_root: None,
            transactions: Vec::new(),
            fee: None,
            matches: vec![MatchRecord {
                seats: vec!["b".into(), "a".into()],
                turns: turns
                    .iter()
                    .map(|&(turn, seat, agent, text)| TurnRecord {
                        turn,
                        seat,
                        prompt: String::new(),
                        answer: answer(agent, text),
                    })
                    .collect(),
            }],
            challenge_ends_at: None,
            challenger: None,
        }
    }

    fn judgment(score_a: f64) -> Judgment {
        Judgment {
            judge: "rule".into(),
            answers: Vec::new(),
            verdicts: vec![PairVerdict {
                a: "a".into(),
                b: "b".into(),
                score_a,
                margin: 0.4,
                layer: crate::verdict::Layer::Rule,
                pairwise: None,
            }],
            ranking: Ranking {
                order: vec!["a".into(), "b".into()],
                strengths: vec![0.0; 2],
                confidence: vec![1.0; 2],
                length_controlled: vec![0.0; 2],
            },
            length_bias: LengthBias {
                decided: 0,
                longer_won: 0,
                effect: 0.0,
            },
            own_answer: None,
            own_answer_commitment: None,
        }
    }

    #[test]
    fn a_decided_match_gives_one_pair_per_turn_with_the_shared_history() {
        // b opens; the last turn has only b's move, so it makes no pair.
        let round = round_of(&[
            (0, 0, "b", "OFFER 90"),
            (0, 1, "a", "OFFER 60"),
            (1, 0, "b", "OFFER 70"),
            (1, 1, "a", "accept"),
            (2, 0, "b", "late"),
        ]);
        let pairs = round_pairs(&round, &[], &judgment(1.0));
        assert_eq!(pairs.len(), 2);
        assert!(
            pairs
                .iter()
                .all(|p| p.chosen_agent == "a" && p.margin == 0.4)
        );
        assert_eq!(
            (pairs[1].chosen.as_str(), pairs[1].rejected.as_str()),
            ("accept", "OFFER 70")
        );
        // Turn 2's moves shared the first two moves (b's opening before both).
        let roles: Vec<&str> = pairs[1].history.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "user"]);
        assert_eq!(pairs[1].history[0].content, "Split 100 coins.");
        assert_eq!(pairs[1].history[2].content, "a: OFFER 60");
        assert_eq!(pairs[0].history.len(), 1);
        assert!(
            round_pairs(&round, &[], &judgment(0.5)).is_empty(),
            "a draw makes no pair"
        );
    }
}

//! Preference pairs from a judged round: one per decided pair verdict, the
//! winner's answer chosen; ties make no pair. And the quality of a pair as
//! training data: whether each answer passed the space's checks and whether
//! it copies the prompt.

use serde::Serialize;

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
            Some(PreferencePair {
                round: round.id,
                space: round.space.clone(),
                prompt: round.prompt.clone(),
                chosen: chosen.text.clone(),
                rejected: rejected.text.clone(),
                chosen_agent: winner.to_owned(),
                rejected_agent: loser.to_owned(),
                chosen_model: chosen.model.clone(),
                rejected_model: rejected.model.clone(),
                margin: v.margin,
                judge: judgment.judge.clone(),
                history: Vec::new(),
            })
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
        let Some(verdict) = judgment
            .verdicts
            .iter()
            .find(|v| m.seats.contains(&v.a) && m.seats.contains(&v.b))
        else {
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
            let find = |seat| m.turns.iter().position(|t| t.turn == turn && t.seat == seat);
            let (Some(wi), Some(li)) = (find(w), find(l)) else {
                continue;
            };
            let (chosen, rejected) = (&m.turns[wi].answer, &m.turns[li].answer);
            pairs.push(PreferencePair {
                round: round.id,
                space: round.space.clone(),
                prompt: round.prompt.clone(),
                chosen: chosen.text.clone(),
                rejected: rejected.text.clone(),
                chosen_agent: winner.to_owned(),
                rejected_agent: loser.to_owned(),
                chosen_model: chosen.model.clone(),
                rejected_model: rejected.model.clone(),
                margin: verdict.margin,
                judge: judgment.judge.clone(),
                history: shared_history(round, m, wi.min(li)),
            });
        }
    }
    pairs
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
    let passes = |agent: &str| {
        let scores = judgment
            .answers
            .iter()
            .find(|s| s.agent_id == agent)
            .ok_or_else(|| {
                format!(
                    "round {}: a preference pair names agent '{agent}', whose answer the round's judgment never scored; the database is damaged (restore a backup)",
                    pair.round
                )
            })?;
        Ok::<_, String>((!scores.checks.is_empty()).then(|| scores.checks.iter().all(|c| c.passed)))
    };
    Ok(PairQuality {
        chosen_passes_checks: passes(&pair.chosen_agent)?,
        rejected_passes_checks: passes(&pair.rejected_agent)?,
        chosen_copies_prompt: copies_prompt(&pair.prompt, &pair.chosen),
        rejected_copies_prompt: copies_prompt(&pair.prompt, &pair.rejected),
    })
}

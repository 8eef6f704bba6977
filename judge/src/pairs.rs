//! Preference pairs from a judged round: one per decided pair verdict, the
//! winner's answer chosen; ties make no pair.

use crate::records::{AnswerRecord, PreferencePair, RoundRecord};
use crate::verdict::Judgment;

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
            })
        })
        .collect()
}

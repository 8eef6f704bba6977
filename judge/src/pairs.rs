//! Preference pairs from a judged round: one per decided pair verdict, the
//! winner's answer chosen; ties make no pair. And the quality of a pair as
//! training data: whether each answer passed the space's checks and whether
//! it copies the prompt.

use serde::Serialize;

use crate::copying::copies_prompt;
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

//! Whether an interactive round's record agrees with itself: every move's stored prompt is
//! what its seat is shown from the moves before it ([`view::prompt_for`]), and the seats'
//! answers the judge read are their moves ([`seat_answers`]). `arena verify` runs it, so a
//! transcript edited after the round (a move, or what a seat was told) is found.

use judge::records::{AnswerRecord, MatchRecord, RoundRecord};

use super::play::seat_answers;
use super::{Interactive, TurnOrder, view};

/// What does not agree, in words; empty when the record is consistent.
pub fn transcript_problems(
    interactive: &Interactive,
    round: &RoundRecord,
    answers: &[AnswerRecord],
) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, m) in round.matches.iter().enumerate() {
        for (i, t) in m.turns.iter().enumerate() {
            let known = match interactive.turn_order {
                TurnOrder::Alternate => i,
                TurnOrder::Simultaneous => m.turns.iter().take_while(|x| x.turn < t.turn).count(),
            };
            let before = MatchRecord {
                seats: m.seats.clone(),
                turns: m.turns[..known].to_vec(),
            };
            let shown = view::prompt_for(interactive, &round.prompt, &before, t.seat, t.turn);
            if shown != t.prompt {
                problems.push(format!(
                    "match {}: the stored prompt of {}'s move in turn {} is not what the transcript before it shows",
                    n + 1,
                    t.answer.agent_id,
                    t.turn + 1
                ));
            }
        }
    }
    let expected = seat_answers(round);
    let mut stored: Vec<&AnswerRecord> = answers.iter().collect();
    stored.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    if stored.len() != expected.len() || stored.iter().zip(&expected).any(|(s, e)| *s != e) {
        problems
            .push("the seats' stored answers are not their moves in the transcripts".to_owned());
    }
    problems
}

/// Every move of the round with the prompt it was given, named by agent and turn (as
/// "poet, turn 2"), for checking moves against their commitments or replaying them.
pub fn labelled_moves(round: &RoundRecord) -> Vec<(String, AnswerRecord)> {
    round
        .matches
        .iter()
        .flat_map(|m| &m.turns)
        .map(|t| {
            let answer = AnswerRecord {
                agent_id: format!("{}, turn {}", t.answer.agent_id, t.turn + 1),
                ..t.answer.clone()
            };
            (t.prompt.clone(), answer)
        })
        .collect()
}

//! Playing an interactive round: every match advances one step at a time (one seat's move
//! when seats alternate, both seats' when they move at once), all matches' moves of a step
//! generated together, and the round stored after each step. A round a crash stopped resumes
//! at the first step it has not stored; a step's moves come from seeds of the round, agent and
//! turn, so the step is played the same way again.

use std::time::Duration;

use agents::Agent;
use anyhow::{Context, Result};
use judge::records::{AnswerRecord, RoundRecord, RoundStatus, TurnRecord};

use super::super::lifecycle::{Services, asked_of, find_agent, generate_each, seed_for};
use super::super::space::Space;
use super::super::worker::Progress;
use super::{Interactive, SEATS, rules, view};

/// One move to make: the match (its index in the round), the seat and the turn (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub match_index: usize,
    pub seat: usize,
    pub turn: usize,
}

/// The moves of the next step of every match that is not over; empty when the round is done.
pub fn next_moves(interactive: &Interactive, round: &RoundRecord) -> Vec<Move> {
    let mut moves = Vec::new();
    for (match_index, m) in round.matches.iter().enumerate() {
        let made = m.turns.len();
        if made >= SEATS * interactive.turns || rules::is_over(&interactive.game, m) {
            continue;
        }
        let turn = made / SEATS;
        let seats: Vec<usize> = match interactive.moves_per_step() {
            1 => vec![made % SEATS],
            _ => (0..SEATS)
                .filter(|s| !m.turns.iter().any(|t| t.turn == turn && t.seat == *s))
                .collect(),
        };
        moves.extend(seats.into_iter().map(|seat| Move {
            match_index,
            seat,
            turn,
        }));
    }
    moves
}

/// What `agent` is asked for its move of `turn`: as in a single-shot round, with a seed of
/// the round, the agent and the turn.
pub fn asked_for_move(
    space: &Space,
    round: u64,
    agent: &Agent,
    turn: usize,
    max_tokens: Option<usize>,
) -> AnswerRecord {
    AnswerRecord {
        seed: seed_for(round, &format!("{}#turn{turn}", agent.id)),
        ..asked_of(space, round, agent, max_tokens)
    }
}

/// Plays the round's remaining steps, storing the round after each (and showing it to
/// `progress`), then stores every seat's moves as its answer with the round's `Generated`
/// status and returns those answers.
pub fn play(
    services: &Services,
    space: &Space,
    interactive: &Interactive,
    round: &mut RoundRecord,
    roster: &[Agent],
    progress: &mut Progress<'_>,
) -> Result<Vec<AnswerRecord>> {
    let step_limit = Duration::from_secs_f64(space.step_seconds());
    loop {
        let moves = next_moves(interactive, round);
        if moves.is_empty() {
            break;
        }
        let mut asked = Vec::new();
        for mv in &moves {
            let m = &round.matches[mv.match_index];
            let agent = find_agent(roster, &m.seats[mv.seat])?;
            let prompt = view::prompt_for(interactive, &round.prompt, m, mv.seat, mv.turn);
            let answer = asked_for_move(space, round.id, agent, mv.turn, services.max_tokens);
            asked.push((prompt, answer));
        }
        let each: Vec<(&str, &AnswerRecord)> = asked.iter().map(|(p, a)| (p.as_str(), a)).collect();
        let answers = generate_each(&services.models, &each, Some(step_limit), progress.on_token)?;
        for (mv, (prompt, asked)) in moves.iter().zip(asked) {
            let answer = answers
                .iter()
                .find(|a| a.agent_id == asked.agent_id)
                .context("a seat's move was not generated")?
                .clone();
            round.matches[mv.match_index].turns.push(TurnRecord {
                turn: mv.turn,
                seat: mv.seat,
                prompt,
                answer,
            });
        }
        services.store.put_round(round)?;
        tracing::info!(
            "round {}: {} moves stored, turn {}",
            round.id,
            moves.len(),
            moves[0].turn + 1
        );
        (progress.on_step)(round);
    }
    let answers = seat_answers(round);
    round.status = RoundStatus::Generated;
    services.store.put_generated(round, &answers)?;
    Ok(answers)
}

/// Each seated agent's moves as one answer (the moves in order, a blank line apart), with the
/// model, system prompt and sampling of its first move: what the judge reads, and what the
/// leaderboard and exports show as the agent's answer in the round. Sorted by agent id.
pub fn seat_answers(round: &RoundRecord) -> Vec<AnswerRecord> {
    let mut answers = Vec::new();
    for m in &round.matches {
        for seat in 0..m.seats.len() {
            let moves: Vec<&TurnRecord> = m.moves_of(seat).collect();
            let Some(first) = moves.first() else {
                continue;
            };
            let texts: Vec<&str> = moves.iter().map(|t| t.answer.text.trim()).collect();
            answers.push(AnswerRecord {
                text: texts.join("\n\n"),
                truncated: moves.iter().any(|t| t.answer.truncated),
                generated_tokens: moves.iter().map(|t| t.answer.generated_tokens).sum(),
                commitment: None,
                ..first.answer.clone()
            });
        }
    }
    answers.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    answers
}

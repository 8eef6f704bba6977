//! What a seat sees before its move: the round's scenario, its own brief, the transcript so
//! far from its point of view ("you" and "opponent"), the game's state as the rule reads it,
//! and which move it is to make.

use judge::records::MatchRecord;

use super::{Interactive, rules};

/// Characters of a move shown in later prompts: enough for an argument or an offer, and it
/// keeps a match's prompts short on small models.
const SHOWN_CHARS: usize = 280;

/// The prompt `seat` is given for its move of `turn` (0-based), from the moves stored so far.
/// In a simultaneous turn the other seat's move of the same turn is not stored yet, so it
/// stays hidden.
pub fn prompt_for(
    interactive: &Interactive,
    scenario: &str,
    m: &MatchRecord,
    seat: usize,
    turn: usize,
) -> String {
    let mut text = format!(
        "{}\n\n{}\n\nTranscript so far:",
        scenario.trim(),
        interactive.roles[seat].trim()
    );
    if m.turns.is_empty() {
        text.push_str(" (none yet)");
    }
    for t in &m.turns {
        let who = if t.seat == seat { "You" } else { "Opponent" };
        text.push_str(&format!(
            "\nTurn {}, {who}: {}",
            t.turn + 1,
            shown(&t.answer.text)
        ));
    }
    // The turn is told before the game's state and the prompt ends without a number, so a
    // model that parrots the prompt's last line makes no offer or bid by it.
    text.push_str(&format!(
        "\n\nThis is turn {} of {}.",
        turn + 1,
        interactive.turns
    ));
    let status = rules::status_for(&interactive.game, m, seat, turn);
    if !status.is_empty() {
        text.push(' ');
        text.push_str(&status);
    }
    text.push_str("\n\nYour move:");
    text
}

/// A move as later prompts show it: on one line, cut to [`SHOWN_CHARS`].
fn shown(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

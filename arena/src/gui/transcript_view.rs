//! An interactive round as a conversation between its seats: each match's moves turn by turn,
//! the moves being generated as they stream, and the outcome once the round is judged. The
//! Match tab shows the round being played; the Rounds tab shows a stored one the same way.

use std::collections::BTreeMap;

use bevy_egui::egui;
use judge::Judgment;
use judge::records::RoundRecord;

use crate::tournament::interactive::{Interactive, rules};

/// Colour of the seat that moves first, and of the other.
const SEAT_COLOURS: [egui::Color32; 2] = [
    egui::Color32::from_rgb(120, 180, 255),
    egui::Color32::from_rgb(255, 170, 110),
];

/// Shows every match of `round`; `live` holds moves streaming now, by agent.
pub fn transcript_ui(
    ui: &mut egui::Ui,
    interactive: &Interactive,
    round: &RoundRecord,
    judgment: Option<&Judgment>,
    live: &BTreeMap<String, String>,
) {
    for (n, m) in round.matches.iter().enumerate() {
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Match {}:", n + 1));
            for (seat, agent) in m.seats.iter().enumerate() {
                if seat > 0 {
                    ui.label("vs");
                }
                ui.colored_label(SEAT_COLOURS[seat % 2], agent);
            }
        });
        for t in &m.turns {
            move_ui(
                ui,
                t.turn + 1,
                t.seat,
                &t.answer.agent_id,
                &t.answer.text,
                false,
            );
        }
        for (seat, agent) in m.seats.iter().enumerate() {
            if let Some(text) = live.get(agent) {
                let turn = m.moves_of(seat).count() + 1;
                move_ui(ui, turn, seat, agent, text, true);
            }
        }
        if let Some(out) = rules::outcome(&interactive.game, m) {
            ui.label(format!("Rule: {}", out.summary));
        }
        if let Some(v) = judgment.and_then(|j| j.verdict_between(&m.seats)) {
            let result = match v.decided() {
                Some((winner, _)) => {
                    format!("{winner} wins ({:?}, margin {:.2})", v.layer, v.margin)
                }
                None => "a draw".to_owned(),
            };
            ui.strong(format!("Outcome: {result}"));
        }
    }
}

/// One move: its turn, the agent in its seat's colour, and the text (in italics while it
/// streams).
fn move_ui(ui: &mut egui::Ui, turn: usize, seat: usize, agent: &str, text: &str, streaming: bool) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("T{turn}"));
        ui.colored_label(SEAT_COLOURS[seat % 2], format!("{agent}:"));
        let body = egui::RichText::new(text.trim());
        ui.label(if streaming { body.italics() } else { body });
    });
}

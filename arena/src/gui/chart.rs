//! A line chart of each agent's MMR over the rounds of a space, drawn with
//! egui's painter in the agent's avatar colour.

use std::collections::BTreeMap;

use bevy_egui::egui;
use judge::records::RatingChange;

use super::Gui;

/// Height of the chart in points.
const HEIGHT: f32 = 180.0;

/// Draws `history` (rating changes of one space, in round order).
pub fn rating_chart(ui: &mut egui::Ui, gui: &Gui, history: &[RatingChange]) {
    let (response, painter) = ui.allocate_painter(
        egui::vec2(ui.available_width(), HEIGHT),
        egui::Sense::hover(),
    );
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, egui::Color32::from_gray(24));
    if history.is_empty() {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "no rated rounds yet",
            egui::FontId::proportional(13.0),
            egui::Color32::GRAY,
        );
        return;
    }
    let mut rounds: Vec<u64> = history.iter().map(|c| c.round).collect();
    rounds.sort_unstable();
    rounds.dedup();
    let (low, high) = history.iter().fold((f64::MAX, f64::MIN), |(lo, hi), c| {
        (lo.min(c.before).min(c.after), hi.max(c.before).max(c.after))
    });
    let span = (high - low).max(1.0);
    let x_of =
        |i: usize| rect.left() + 8.0 + (rect.width() - 16.0) * i as f32 / rounds.len() as f32;
    let y_of =
        |mmr: f64| rect.bottom() - 8.0 - (rect.height() - 16.0) * ((mmr - low) / span) as f32;
    let mut lines: BTreeMap<&str, Vec<egui::Pos2>> = BTreeMap::new();
    for change in history {
        let i = rounds.binary_search(&change.round).unwrap_or(0);
        let line = lines.entry(change.agent_id.as_str()).or_default();
        if line.is_empty() {
            line.push(egui::pos2(x_of(i), y_of(change.before)));
        }
        line.push(egui::pos2(x_of(i + 1), y_of(change.after)));
    }
    for (agent, points) in lines {
        let colour = gui
            .agent(agent)
            .and_then(|a| egui::Color32::from_hex(&a.avatar_colour).ok())
            .unwrap_or(egui::Color32::LIGHT_GRAY);
        painter.add(egui::Shape::line(
            points.clone(),
            egui::Stroke::new(2.0, colour),
        ));
        if let Some(last) = points.last() {
            painter.text(
                *last + egui::vec2(-4.0, -8.0),
                egui::Align2::RIGHT_BOTTOM,
                agent,
                egui::FontId::proportional(11.0),
                colour,
            );
        }
    }
    painter.text(
        rect.left_top() + egui::vec2(6.0, 4.0),
        egui::Align2::LEFT_TOP,
        format!("{high:.0}"),
        egui::FontId::proportional(11.0),
        egui::Color32::GRAY,
    );
    painter.text(
        rect.left_bottom() + egui::vec2(6.0, -4.0),
        egui::Align2::LEFT_BOTTOM,
        format!("{low:.0}"),
        egui::FontId::proportional(11.0),
        egui::Color32::GRAY,
    );
}

//! The Leaderboard and Rounds tabs: what the store holds about the space,
//! read again only when a round closes or the space changes.

use std::collections::HashMap;

use bevy_egui::egui;
use judge::Judgment;
use judge::export::{Filter, leaderboard_rows};
use judge::ratings::LeaderboardRow;
use judge::records::{AgentVersion, AnswerRecord, PreferencePair, RatingChange, RoundRecord};

use super::Gui;
use super::chart::rating_chart;
use super::transcript_view::transcript_ui;
use crate::evolution::step::current;
use crate::tournament::engine::Tournament;
use crate::tournament::summary::style_coefficients;

/// Rounds listed in the history, newest first.
const HISTORY_ROUNDS: usize = 50;

/// One leaderboard line.
struct Row {
    agent: String,
    mmr: f64,
    bt: Option<LeaderboardRow>,
    /// The agent's current version in the space, where it came from and,
    /// for a trained one, the start of its model's sha256 ("-" for none).
    version: String,
}

/// How the leaderboard names a version: "v2 dpo 1a2b3c4d".
fn version_label(versions: &[AgentVersion]) -> String {
    current(versions).map_or("-".into(), |v| {
        let origin = v.origin.name();
        let model = v
            .model
            .as_ref()
            .map(|m| format!(" {}", &m.sha256[..m.sha256.len().min(8)]))
            .unwrap_or_default();
        format!("v{} {origin}{model}", v.version)
    })
}

/// A round's stored details, read when its entry is opened.
struct Details {
    answers: Vec<AnswerRecord>,
    judgment: Option<Judgment>,
    pairs: Vec<PreferencePair>,
}

/// What the two tabs show, cached.
#[derive(Default)]
pub struct Records {
    /// (space, rounds closed, round shown) the cache was read at.
    read_at: Option<(String, usize, Option<u64>)>,
    rows: Vec<Row>,
    history: Vec<RatingChange>,
    rounds: Vec<RoundRecord>,
    details: HashMap<u64, Details>,
    error: Option<String>,
}

impl Records {
    /// Reads the store again if a round closed or the space changed.
    pub fn refresh(&mut self, gui: &Gui, tournament: &Tournament) {
        let key = (
            gui.space.name.clone(),
            tournament.closed,
            tournament.view.round.as_ref().map(|r| r.id),
        );
        if self.read_at.as_ref() == Some(&key) {
            return;
        }
        self.read_at = Some(key);
        self.details.clear();
        if let Err(e) = self.read(gui) {
            self.error = Some(format!("reading the database: {e:#}"));
        }
    }

    fn read(&mut self, gui: &Gui) -> anyhow::Result<()> {
        let space = &gui.space.name;
        let filter = Filter {
            space: Some(space.clone()),
            ..Filter::default()
        };
        let bt = leaderboard_rows(&gui.store, &filter)?;
        let mut rows = Vec::new();
        for agent in &gui.roster {
            rows.push(Row {
                agent: agent.id.clone(),
                mmr: gui.store.mmr(space, &agent.id)?,
                bt: bt.iter().find(|r| r.agent_id == agent.id).cloned(),
                version: version_label(&gui.store.agent_versions(space, &agent.id)?),
            });
        }
        rows.sort_by(|a, b| b.mmr.total_cmp(&a.mmr));
        self.rows = rows;
        self.history = gui
            .store
            .rating_history()
            .filter(|c| c.as_ref().is_ok_and(|c| c.space == *space))
            .collect::<Result<_, _>>()?;
        let mut rounds: Vec<RoundRecord> = gui
            .store
            .rounds()
            .filter(|r| r.as_ref().is_ok_and(|r| r.space == *space))
            .collect::<Result<_, _>>()?;
        rounds.sort_by_key(|r| std::cmp::Reverse(r.id));
        rounds.truncate(HISTORY_ROUNDS);
        self.rounds = rounds;
        self.error = None;
        Ok(())
    }

    pub fn leaderboard_ui(&mut self, ui: &mut egui::Ui, gui: &Gui) {
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::LIGHT_RED, e);
        }
        ui.label(format!(
            "Space '{}': MMR (updated every round) and Bradley-Terry over all pairs, with 95% intervals, beside it style-controlled (length and markdown held equal).",
            gui.space.name
        ));
        if let Some(bt) = self.rows.iter().find_map(|r| r.bt.as_ref()) {
            ui.label(style_coefficients(bt));
        }
        egui::Grid::new("leaderboard").striped(true).show(ui, |ui| {
            ui.strong("agent");
            ui.strong("MMR");
            ui.strong("Bradley-Terry [95% CI]");
            ui.strong("style-controlled");
            ui.strong("pairs");
            ui.strong("version");
            ui.end_row();
            for row in &self.rows {
                ui.label(&row.agent);
                ui.label(format!("{:.1}", row.mmr));
                match &row.bt {
                    Some(bt) => {
                        ui.label(format!(
                            "{:.0} [{:.0}, {:.0}]",
                            bt.rating, bt.ci_low, bt.ci_high
                        ));
                        ui.label(format!("{:.0}", bt.style_controlled));
                        ui.label(bt.comparisons.to_string());
                    }
                    None => {
                        ui.label("-");
                        ui.label("-");
                        ui.label("0");
                    }
                }
                ui.label(&row.version);
                ui.end_row();
            }
        });
        ui.separator();
        ui.label("MMR over rounds");
        rating_chart(ui, gui, &self.history);
    }

    pub fn rounds_ui(&mut self, ui: &mut egui::Ui, gui: &Gui) {
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::LIGHT_RED, e);
        }
        if self.rounds.is_empty() {
            ui.label("No rounds in this space yet.");
        }
        for round in &self.rounds {
            let header = format!("round {} · {:?}", round.id, round.status);
            let response = egui::CollapsingHeader::new(header)
                .id_salt(round.id)
                .show(ui, |ui| {
                    ui.label(format!("Prompt: {}", round.prompt));
                    if let Some(d) = self.details.get(&round.id) {
                        details_ui(ui, gui, round, d);
                    }
                });
            if response.fully_open() && !self.details.contains_key(&round.id) {
                match read_details(gui, round.id) {
                    Ok(d) => {
                        self.details.insert(round.id, d);
                    }
                    Err(e) => self.error = Some(format!("reading round {}: {e:#}", round.id)),
                }
            }
        }
    }
}

fn read_details(gui: &Gui, id: u64) -> anyhow::Result<Details> {
    Ok(Details {
        answers: gui.store.answers(id)?,
        judgment: gui.store.judgment(id)?,
        pairs: gui.store.pairs(id, id).collect::<Result<_, _>>()?,
    })
}

fn details_ui(ui: &mut egui::Ui, gui: &Gui, round: &RoundRecord, d: &Details) {
    if let Some(j) = &d.judgment {
        ui.label(format!(
            "Verdict ({}): {}",
            j.judge,
            j.ranking.order.join(" > ")
        ));
    }
    // An interactive round reads as its conversations; the seats' joined moves would repeat them.
    let transcripts = gui
        .space
        .interactive
        .as_ref()
        .filter(|_| !round.matches.is_empty());
    if let Some(interactive) = transcripts {
        transcript_ui(
            ui,
            interactive,
            round,
            d.judgment.as_ref(),
            &Default::default(),
        );
    }
    for a in d.answers.iter().filter(|_| transcripts.is_none()) {
        ui.label(format!(
            "{} ({}, {} tokens{}): {}",
            a.agent_id,
            a.model,
            a.generated_tokens,
            if a.truncated { ", cut" } else { "" },
            a.text
        ));
    }
    for p in &d.pairs {
        ui.label(format!(
            "pair: {} over {} (margin {:.2})",
            p.chosen_agent, p.rejected_agent, p.margin
        ));
    }
    for tx in &round.transactions {
        ui.label(format!("tx {}: {}", tx.action, tx.hash));
    }
    if let Some(root) = &round.result_root {
        ui.label(format!("result root {root}"));
    }
    if let Some(contest) = round.contest_status() {
        ui.label(contest);
    }
}

//! The egui panels: a control bar (start, pause, step, speed, what is
//! pending) and tabs for spaces, entering an agent, the leaderboard, the
//! rounds history, wallets and export. The scene's camera is fitted to the
//! area the panels leave free.

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::PrimaryWindow;
use bevy_egui::{
    EguiContexts, EguiGlobalSettings, EguiPrimaryContextPass, PrimaryEguiContext, egui,
};
use judge::export::{Filter, Format};

use super::enter_form::EnterForm;
use super::export_job::ExportJob;
use super::records_view::Records;
use super::scene::SceneCamera;
use super::transcript_view::transcript_ui;
use super::wallets::Wallets;
use super::{Gui, eth, short_address};
use crate::tournament::engine::{Phase, Tournament};

/// Adds the panels.
pub struct PanelsPlugin;

impl Plugin for PanelsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Panels>()
            .add_systems(Startup, panel_camera)
            .add_systems(EguiPrimaryContextPass, draw_panels);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Spaces,
    Enter,
    Leaderboard,
    Rounds,
    Match,
    Wallets,
    Export,
}

const TABS: [(Tab, &str); 7] = [
    (Tab::Spaces, "Spaces"),
    (Tab::Enter, "Enter agent"),
    (Tab::Leaderboard, "Leaderboard"),
    (Tab::Rounds, "Rounds"),
    (Tab::Match, "Match"),
    (Tab::Wallets, "Wallets"),
    (Tab::Export, "Export"),
];

/// The panels' own state.
#[derive(Resource, Default)]
struct Panels {
    tab: Tab,
    /// Whether the first tab was chosen: the Match tab for an interactive space.
    tab_chosen: bool,
    enter: EnterForm,
    records: Records,
    export: ExportForm,
}

/// The export form and the job it started.
struct ExportForm {
    format: Format,
    this_space_only: bool,
    rounds: String,
    min_margin: String,
    judge: String,
    verified_only: bool,
    path: String,
    error: Option<String>,
    job: Option<ExportJob>,
}

impl Default for ExportForm {
    fn default() -> Self {
        Self {
            format: Format::TrlStandard,
            this_space_only: true,
            rounds: String::new(),
            min_margin: String::new(),
            judge: String::new(),
            verified_only: false,
            path: String::new(),
            error: None,
            job: None,
        }
    }
}

/// The panels get a camera of their own, drawn over the scene's, so that
/// fitting the scene's camera to the free area leaves the panels whole.
fn panel_camera(mut commands: Commands, mut settings: ResMut<EguiGlobalSettings>) {
    settings.auto_create_primary_context = false;
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..Default::default()
        },
    ));
}

/// Width of the tab panel on the right.
const SIDE_WIDTH: f32 = 440.0;

#[allow(clippy::too_many_arguments)]
fn draw_panels(
    mut contexts: EguiContexts,
    mut tournament: ResMut<Tournament>,
    mut gui: ResMut<Gui>,
    wallets: Res<Wallets>,
    mut panels: ResMut<Panels>,
    mut time: ResMut<Time<Virtual>>,
    mut camera: Single<&mut Camera, With<SceneCamera>>,
    window: Single<&Window, With<PrimaryWindow>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let top = egui::Panel::top("controls")
        .show(&mut root, |ui| {
            controls(ui, &mut tournament, &mut gui);
        })
        .response
        .rect;
    time.set_relative_speed(gui.speed);
    let panels = &mut *panels;
    if !panels.tab_chosen {
        panels.tab_chosen = true;
        if gui.space.interactive.is_some() {
            panels.tab = Tab::Match;
        }
    }
    let side = egui::Panel::right("tabs")
        .exact_size(SIDE_WIDTH)
        .resizable(false)
        .show(&mut root, |ui| {
            ui.set_max_width(SIDE_WIDTH - 16.0);
            ui.horizontal_wrapped(|ui| {
                for (tab, label) in TABS {
                    ui.selectable_value(&mut panels.tab, tab, label);
                }
            });
            ui.separator();
            egui::ScrollArea::vertical().show(ui, |ui| match panels.tab {
                Tab::Spaces => spaces_tab(ui, &mut tournament, &mut gui),
                Tab::Enter => panels.enter.ui(ui, &mut tournament, &mut gui, &wallets),
                Tab::Leaderboard => {
                    panels.records.refresh(&gui, &tournament);
                    panels.records.leaderboard_ui(ui, &gui);
                }
                Tab::Rounds => {
                    panels.records.refresh(&gui, &tournament);
                    panels.records.rounds_ui(ui, &gui);
                }
                Tab::Match => match_tab(ui, &tournament, &gui),
                Tab::Wallets => wallets_tab(ui, &wallets),
                Tab::Export => export_tab(ui, &mut panels.export, &gui),
            });
        })
        .response
        .rect;
    let free = egui::Rect::from_min_max(
        egui::pos2(0.0, top.bottom()),
        egui::pos2(side.left(), ctx.viewport_rect().bottom()),
    );
    fit_camera(free, &mut camera, &window);
    Ok(())
}

/// Points the scene camera at the area the panels leave free.
fn fit_camera(free: egui::Rect, camera: &mut Camera, window: &Window) {
    let scale = window.scale_factor();
    let position = UVec2::new(
        (free.min.x * scale).max(0.0) as u32,
        (free.min.y * scale).max(0.0) as u32,
    );
    let size = UVec2::new(
        (free.width() * scale).max(1.0) as u32,
        (free.height() * scale).max(1.0) as u32,
    );
    let fits = position.x + size.x <= window.physical_width()
        && position.y + size.y <= window.physical_height();
    camera.viewport = fits.then(|| Viewport {
        physical_position: position,
        physical_size: size,
        ..Default::default()
    });
}

fn controls(ui: &mut egui::Ui, tournament: &mut Tournament, gui: &mut Gui) {
    ui.horizontal(|ui| {
        let running = !tournament.paused;
        if ui
            .button(if running { "⏸ Pause" } else { "▶ Start" })
            .on_hover_text("Pause stops between rounds")
            .clicked()
        {
            tournament.paused = running;
        }
        if ui
            .add_enabled(tournament.paused, egui::Button::new("⏭ Step"))
            .on_hover_text("Play one round, then pause")
            .clicked()
        {
            tournament.step = true;
        }
        ui.add(egui::Slider::new(&mut gui.speed, 0.25..=4.0).text("animation speed"));
        ui.separator();
        ui.label(format!("space: {}", gui.space.name));
        ui.label(status_line(tournament));
    });
    let pending = tournament.pending_requests();
    if !pending.is_empty() {
        ui.label(format!(
            "pending after the current step: {}",
            pending.join(", ")
        ));
    }
    if let Some(notice) = &tournament.notice {
        ui.label(notice);
    }
    if let Some(Err(e)) = &*tournament.outcome.lock().expect("outcome lock") {
        ui.colored_label(egui::Color32::LIGHT_RED, format!("stopped: {e}"));
    }
}

/// What the engine is waiting for, in words.
fn status_line(tournament: &Tournament) -> String {
    let doing = match tournament.phase {
        Phase::Resuming => "reading unfinished rounds",
        Phase::Requesting => "carrying out your request",
        Phase::Idle if tournament.paused => "paused",
        Phase::Idle => "starting the next round",
        Phase::Opening => "opening the round on chain…",
        Phase::PayingEntries => "paying entry fees on chain…",
        Phase::Generating => "agents are answering…",
        Phase::Judging => "the judge is ranking…",
        Phase::Settling => "settling rewards on chain…",
        Phase::Cancelling => "cancelling and refunding…",
        Phase::Summarizing => "summarizing",
        Phase::Done => "stopped",
    };
    format!("{} rounds closed · {doing}", tournament.closed)
}

fn spaces_tab(ui: &mut egui::Ui, tournament: &mut Tournament, gui: &mut Gui) {
    let mut chosen = None;
    for space in &gui.spaces {
        let playing = space.name == gui.space.name;
        egui::CollapsingHeader::new(format!(
            "{}{}",
            space.name,
            if playing { "  (playing)" } else { "" }
        ))
        .default_open(playing)
        .show(ui, |ui| {
            ui.label(&space.description);
            ui.label(format!("Rules: {}", space.instructions));
            ui.label(format!(
                "{} agents per round · {} s to answer · at most {} tokens",
                space.agents_per_round, space.round_seconds, space.max_tokens
            ));
            let fee = space.entry_fee().unwrap_or(0);
            let split: Vec<String> = space
                .reward_split_bps
                .iter()
                .enumerate()
                .map(|(i, bps)| format!("#{} {}%", i + 1, f64::from(*bps) / 100.0))
                .collect();
            ui.label(format!(
                "Entry fee {} · split {} · protocol fee {}%",
                eth(fee),
                split.join(", "),
                f64::from(space.protocol_fee_bps) / 100.0
            ));
            ui.label(format!(
                "Judging: answer check {:?}, {} format checks, LLM judge {}",
                space.judging.answer_check,
                space.judging.checks.len(),
                if space.judging.llm { "on" } else { "off" }
            ));
            if !playing && ui.button("Play this space").clicked() {
                chosen = Some(space.clone());
            }
        });
    }
    if let Some(space) = chosen {
        gui.space = space.clone();
        tournament.use_space(space);
    }
}

/// The round being played as a conversation, for an interactive space.
fn match_tab(ui: &mut egui::Ui, tournament: &Tournament, gui: &Gui) {
    let Some(interactive) = &gui.space.interactive else {
        ui.label(format!(
            "Space '{}' is single-shot: each agent answers the prompt on its own (see its bubbles and the Rounds tab). Choose an interactive space (debate, negotiation, auction) in the Spaces tab to watch matches.",
            gui.space.name
        ));
        return;
    };
    let view = &tournament.view;
    match &view.round {
        Some(round) if !round.matches.is_empty() => {
            ui.label(format!("Round {}: {}", round.id, round.prompt));
            // Streamed text is a move in progress only while generating; after it the view
            // holds the seats' joined moves, already in the transcript.
            let none = Default::default();
            let live = match tournament.phase {
                Phase::Generating => &view.answers,
                _ => &none,
            };
            transcript_ui(ui, interactive, round, view.judgment.as_ref(), live);
        }
        _ => {
            ui.label("No match is being played yet.");
        }
    }
}

fn wallets_tab(ui: &mut egui::Ui, wallets: &Wallets) {
    let snapshot = wallets.snapshot();
    if let Some(e) = &snapshot.error {
        ui.colored_label(egui::Color32::LIGHT_RED, e);
    }
    if !snapshot.ready {
        ui.label("reading balances…");
        return;
    }
    ui.label(
        "Agent owners' accounts on the local chain. Rewards wait in the contract until withdrawn.",
    );
    egui::Grid::new("wallets").striped(true).show(ui, |ui| {
        ui.strong("account");
        ui.strong("wallet");
        ui.strong("to withdraw");
        ui.end_row();
        for account in &snapshot.accounts {
            let text = account.address.to_string();
            ui.label(short_address(&text)).on_hover_text(&text);
            ui.label(eth(account.wallet_wei));
            ui.label(eth(account.owed_wei));
            let busy = snapshot.withdrawing.contains(&account.address);
            if busy {
                ui.label("withdrawing…");
            } else if ui
                .add_enabled(account.owed_wei > 0, egui::Button::new("Withdraw"))
                .clicked()
            {
                wallets.withdraw(account.address);
            }
            ui.end_row();
        }
    });
}

fn export_tab(ui: &mut egui::Ui, form: &mut ExportForm, gui: &Gui) {
    egui::ComboBox::from_label("format")
        .selected_text(form.format.name())
        .show_ui(ui, |ui| {
            for (format, label) in Format::NAMES {
                if ui
                    .selectable_value(&mut form.format, format, label)
                    .clicked()
                {
                    form.path.clear();
                }
            }
        });
    ui.checkbox(
        &mut form.this_space_only,
        format!("only space '{}'", gui.space.name),
    );
    ui.horizontal(|ui| {
        ui.label("rounds FIRST..LAST");
        ui.text_edit_singleline(&mut form.rounds);
    });
    ui.horizontal(|ui| {
        ui.label("minimum margin");
        ui.text_edit_singleline(&mut form.min_margin);
    });
    ui.horizontal(|ui| {
        ui.label("judge");
        ui.text_edit_singleline(&mut form.judge);
    });
    if !form.format.is_leaderboard() {
        ui.checkbox(
            &mut form.verified_only,
            "only pairs whose chosen answer passed every check",
        );
    }
    if form.path.is_empty() {
        form.path = gui
            .data_dir
            .join("exports")
            .join(format!(
                "{}.{}",
                form.format.name(),
                form.format.extension()
            ))
            .display()
            .to_string();
    }
    ui.horizontal(|ui| {
        ui.label("file");
        ui.text_edit_singleline(&mut form.path);
    });
    let running = form.job.as_ref().is_some_and(|j| j.result().is_none());
    if ui
        .add_enabled(!running, egui::Button::new("Export"))
        .clicked()
    {
        match export_filter(form, gui) {
            Ok(filter) => {
                form.error = None;
                form.job = Some(ExportJob::start(
                    gui.store.clone(),
                    form.format,
                    filter,
                    form.path.clone().into(),
                ));
            }
            Err(e) => form.error = Some(e),
        }
    }
    if let Some(e) = &form.error {
        ui.colored_label(egui::Color32::LIGHT_RED, e);
    }
    if let Some(job) = &form.job {
        match job.result() {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{} records written…", job.written()));
                });
            }
            Some(Ok(n)) => {
                ui.label(format!("{n} records written to {}", job.path.display()));
            }
            Some(Err(e)) => {
                ui.colored_label(egui::Color32::LIGHT_RED, e);
            }
        }
    }
}

/// The filter the export form describes, or what is wrong with it.
fn export_filter(form: &ExportForm, gui: &Gui) -> Result<Filter, String> {
    let (first_round, last_round) = if form.rounds.trim().is_empty() {
        (None, None)
    } else {
        crate::cli::export::parse_range(form.rounds.trim()).map_err(|e| format!("{e:#}"))?
    };
    let min_margin = match form.min_margin.trim() {
        "" => None,
        text => Some(text.parse::<f64>().map_err(|_| {
            format!("minimum margin '{text}' is not a number: use for example 0.2")
        })?),
    };
    Ok(Filter {
        space: form.this_space_only.then(|| gui.space.name.clone()),
        first_round,
        last_round,
        min_margin,
        judge: (!form.judge.trim().is_empty()).then(|| form.judge.trim().to_owned()),
        verified_only: form.verified_only && !form.format.is_leaderboard(),
    })
}

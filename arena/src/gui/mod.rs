//! The desktop app: the same tournament engine as the headless mode, drawn
//! as a 2D arena scene (bevy) with panels (egui) to pick a space, enter an
//! agent, read the leaderboard and history, withdraw rewards and export.
//! Slow work never runs on the main thread: rounds run on the engine's
//! worker, chain reads and withdrawals on the wallet thread, exports on
//! their own thread.

mod capture;
mod chart;
mod enter_form;
mod export_job;
mod panels;
mod records_view;
mod scene;
mod transcript_view;
mod wallets;

use std::path::PathBuf;

use agents::Agent;
use anyhow::{Context, Result, bail};
use bevy::DefaultPlugins;
use bevy::app::{App, PluginGroup};
use bevy::asset::AssetPlugin;
use bevy::ecs::resource::Resource;
use bevy::log::LogPlugin;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, RenderCreation, WgpuSettings};
use bevy::window::{Window, WindowPlugin};
use bevy_egui::EguiPlugin;

use crate::tournament::engine::TournamentPlugin;
use crate::tournament::space::Space;

pub use capture::{Capture, Moment};

/// What the panels and the scene share besides the engine.
#[derive(Resource)]
pub struct Gui {
    /// Every space that can be played, and the one being played.
    pub spaces: Vec<Space>,
    pub space: Space,
    /// The roster, including agents entered in this session.
    pub roster: Vec<Agent>,
    /// Where entered agents are saved and exports go by default.
    pub data_dir: PathBuf,
    /// A reading handle on the database the worker writes.
    pub store: judge::Store,
    /// Animation speed (1 = real time).
    pub speed: f32,
}

impl Gui {
    /// The agent with `id`, if it is in the roster.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.roster.iter().find(|a| a.id == id)
    }
}

/// Window size in logical pixels; screenshots have this size.
const WINDOW_SIZE: (u32, u32) = (1280, 720);

/// Opens the window and runs the app until it is closed (or, with
/// `capture`, until the screenshots are saved).
pub fn run(
    lineup: &crate::cli::tournament::LineupArgs,
    play: &crate::cli::tournament::PlayArgs,
    fetcher: agents::Fetcher,
    data_dir: PathBuf,
    capture: Option<Capture>,
    autostart: bool,
) -> Result<()> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display: run `arena gui` in a desktop session, under `xvfb-run`, or use `arena tournament` for headless play"
        );
    }
    if let Some(tier) = play
        .tier()
        .filter(|t| *t != crate::tournament::space::ETH_TIER)
    {
        bail!(
            "the desktop app plays and shows the spaces' ETH fees only (tier \"{}\"), not --tier {tier}: leave --tier out, or play the tier headless with `arena tournament --tier {tier}`",
            crate::tournament::space::ETH_TIER
        );
    }
    let spaces_dir = lineup
        .spaces
        .clone()
        .unwrap_or_else(crate::tournament::space::default_dir);
    let spaces = crate::tournament::space::load_all(&spaces_dir)?;
    let prepared = crate::cli::tournament::prepare(lineup, play, fetcher, &data_dir, usize::MAX)?;
    let mut tournament = prepared.tournament;
    tournament.exit_when_done = false;
    // A screenshot run with moments plays exactly one round and then
    // holds; without, it shows the idle arena (a rendering benchmark).
    tournament.paused = capture.is_some() || !autostart;
    tournament.step = capture.as_ref().is_some_and(|c| !c.moments.is_empty());
    let outcome = tournament.outcome.clone();
    let wallets = wallets::Wallets::start(prepared.chain_access);
    let font = std::fs::read(crate::assets_dir().join("fonts/DejaVuSans.ttf")).context(
        "reading the GUI font assets/fonts/DejaVuSans.ttf: restore it from the repository",
    )?;
    let gui = Gui {
        spaces,
        space: prepared.space,
        roster: prepared.roster,
        data_dir,
        store: prepared.store,
        speed: 1.0,
    };

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "Arena".into(),
                    resolution: WINDOW_SIZE.into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            // Software rendering (lavapipe) works on Vulkan; OpenGL does not.
            .set(RenderPlugin {
                render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                    backends: Some(Backends::VULKAN),
                    ..Default::default()
                })),
                ..Default::default()
            })
            .set(AssetPlugin {
                file_path: crate::assets_dir().to_string_lossy().into_owned(),
                ..Default::default()
            })
            // The process already logs through tracing.
            .disable::<LogPlugin>(),
    )
    .add_plugins(EguiPlugin::default())
    .add_plugins(TournamentPlugin)
    .insert_resource(tournament)
    .insert_resource(gui)
    .insert_resource(wallets)
    .add_plugins(scene::ScenePlugin { font })
    .add_plugins(panels::PanelsPlugin);
    if let Some(capture) = capture {
        app.add_plugins(capture);
    }
    app.run();
    let outcome = outcome.lock().expect("outcome lock").take();
    if let Some(Err(e)) = outcome {
        bail!("{e}\nThe database and chain are consistent: start again to resume.");
    }
    Ok(())
}

/// `wei` as ether with four decimals.
pub fn eth(wei: u128) -> String {
    format!(
        "{:.4} ETH",
        wei as f64 / crate::tournament::summary::WEI_PER_ETH
    )
}

/// An address shortened for display: `0x1234…abcd`.
pub fn short_address(address: &str) -> String {
    if address.len() < 12 {
        return address.to_owned();
    }
    format!("{}…{}", &address[..6], &address[address.len() - 4..])
}

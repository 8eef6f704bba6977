//! Screenshot mode (`arena gui --screenshot FILE --frames N`): a fixed time
//! step, PNGs of the window at chosen moments of the first round, then one
//! after N more frames, and exit. For tests and documentation.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::app::AppExit;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::time::TimeUpdateStrategy;
use clap::ValueEnum;

use super::scene::SceneState;
use crate::tournament::engine::{Phase, Tournament};

/// A moment of a round worth a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Moment {
    /// Answers are streaming into the bubbles.
    Tokens,
    /// The judge's ranking is shown.
    Verdict,
    /// Rewards are flying to the winners' wallets.
    Payout,
}

impl Moment {
    fn name(self) -> &'static str {
        match self {
            Moment::Tokens => "tokens",
            Moment::Verdict => "verdict",
            Moment::Payout => "payout",
        }
    }
}

/// What to capture: `path` after `frames` frames (counted after the last
/// moment), and `path-<moment>.png` at each moment.
#[derive(Debug, Clone)]
pub struct Capture {
    pub path: PathBuf,
    pub frames: u32,
    pub moments: Vec<Moment>,
}

/// The fixed time step: screenshots do not depend on the machine's speed.
const STEP: Duration = Duration::from_micros(16_667);
/// Scene time after a moment begins before its picture is taken, so that
/// the verdict's ranks are drawn and the coins are on their way.
const SETTLE_SECONDS: f32 = 0.5;
/// Frames before the frame rate is measured.
const WARM_UP_FRAMES: u64 = 30;
/// Characters streamed before the "tokens" picture.
const TOKENS_BEFORE_SHOT: usize = 12;

impl Plugin for Capture {
    fn build(&self, app: &mut App) {
        app.insert_resource(TimeUpdateStrategy::ManualDuration(STEP))
            .insert_resource(CaptureState {
                plan: self.clone(),
                next_moment: 0,
                frames_after: 0,
                saving: None,
                warm_from: None,
                frames: 0,
            })
            .add_systems(Last, capture);
    }
}

#[derive(Resource)]
struct CaptureState {
    plan: Capture,
    /// Index of the next moment to capture.
    next_moment: usize,
    /// Frames rendered since the last moment was saved.
    frames_after: u32,
    /// A picture being written: its path, and whether it is the last.
    saving: Option<(PathBuf, bool)>,
    /// When frame [`WARM_UP_FRAMES`] began: the frame rate is measured
    /// from there, after window creation and shader compilation.
    warm_from: Option<Instant>,
    frames: u64,
}

/// The path of the picture of `moment`: `shot.png` gives `shot-verdict.png`.
pub fn moment_path(path: &Path, moment: Moment) -> PathBuf {
    let stem = path.file_stem().map_or_else(
        || "screenshot".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!("{stem}-{}.png", moment.name()))
}

fn reached(moment: Moment, tournament: &Tournament, scene: &SceneState, now: f32) -> bool {
    let settled = |since: Option<f32>| since.is_some_and(|t| now - t >= SETTLE_SECONDS);
    match moment {
        Moment::Tokens => {
            tournament.phase == Phase::Generating
                && tournament
                    .view
                    .answers
                    .values()
                    .map(String::len)
                    .sum::<usize>()
                    >= TOKENS_BEFORE_SHOT
        }
        Moment::Verdict => settled(scene.verdict_at),
        Moment::Payout => settled(scene.payout_at),
    }
}

fn capture(
    mut commands: Commands,
    mut state: ResMut<CaptureState>,
    tournament: Res<Tournament>,
    scene: Res<SceneState>,
    time: Res<Time>,
    mut exit: MessageWriter<AppExit>,
) {
    state.frames += 1;
    if state.frames == WARM_UP_FRAMES {
        state.warm_from = Some(Instant::now());
    }
    if tournament.phase == Phase::Done {
        eprintln!("screenshot: the tournament stopped before the pictures were taken");
        exit.write(AppExit::error());
        return;
    }
    if let Some((path, last)) = state.saving.clone() {
        if !written(&path) {
            return;
        }
        println!("saved {}", path.display());
        state.saving = None;
        if last {
            if let Some(warm_from) = state.warm_from {
                let secs = warm_from.elapsed().as_secs_f64();
                let frames = state.frames - WARM_UP_FRAMES;
                println!(
                    "rendered {frames} frames after warm-up in {secs:.1} s ({:.1} frames/s)",
                    frames as f64 / secs
                );
            }
            exit.write(AppExit::Success);
        }
        return;
    }
    let now = time.elapsed_secs();
    if let Some(&moment) = state.plan.moments.get(state.next_moment) {
        if reached(moment, &tournament, &scene, now) {
            let path = moment_path(&state.plan.path, moment);
            shoot(&mut commands, &path);
            state.saving = Some((path, false));
            state.next_moment += 1;
            state.frames_after = 0;
        }
        return;
    }
    state.frames_after += 1;
    if state.frames_after >= state.plan.frames {
        let path = state.plan.path.clone();
        shoot(&mut commands, &path);
        state.saving = Some((path, true));
    }
}

fn shoot(commands: &mut Commands, path: &Path) {
    let _ = std::fs::remove_file(path);
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(PathBuf::from(path)));
}

/// Whether a PNG has been written completely (its end chunk is there).
fn written(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82]))
}

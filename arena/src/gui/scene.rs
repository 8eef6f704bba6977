//! The arena scene: the round's agents as avatars around a ring, a speech
//! bubble per agent where its answer streams in, the space's prompt on top,
//! a countdown in the middle, the verdict as ranks with the winners ringed,
//! and coins flying: entry fees into the pot, rewards to the winners'
//! wallets. Rebuilt when a new round starts, updated every frame from the
//! engine's [`Tournament`] view.

use std::collections::HashMap;

use bevy::prelude::*;
use bevy::sprite::Anchor;
use bevy::text::{Font, FontSize, TextBounds};

use super::Gui;
use super::wallets::Wallets;
use crate::tournament::engine::{Phase, Tournament, drive_tournament};

/// Adds the scene; `font` is the TTF used for all scene text.
pub struct ScenePlugin {
    pub font: Vec<u8>,
}

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        let font = Font::from_bytes(self.font.clone());
        app.insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.12)))
            .insert_resource(PendingFont(Some(font)))
            .init_resource::<SceneState>()
            .add_systems(Startup, setup)
            .add_systems(
                Update,
                (rebuild_for_round, update_scene, fly_coins)
                    .chain()
                    .after(drive_tournament),
            );
    }
}

#[derive(Resource)]
struct PendingFont(Option<Font>);

/// Handles shared by every scene item.
#[derive(Resource)]
struct SceneAssets {
    font: Handle<Font>,
    disc: Handle<Mesh>,
    halo: Handle<Mesh>,
    coin: Handle<Mesh>,
    bubble: Handle<Mesh>,
    wallet: Handle<Mesh>,
    gold: Handle<ColorMaterial>,
    bubble_fill: Handle<ColorMaterial>,
    wallet_fill: Handle<ColorMaterial>,
}

/// Where the scene is, for the systems that animate it and for screenshots.
#[derive(Resource, Default)]
pub struct SceneState {
    /// The round shown.
    round: Option<u64>,
    /// Each agent's avatar position.
    seats: HashMap<String, Vec2>,
    /// Moves stored when the current generation step started (0 for a single-shot round), and
    /// its real start time, for the countdown: each step of an interactive round has its own.
    generating_since: Option<(usize, f64)>,
    /// Scene time when the verdict arrived, and when payouts started flying.
    pub verdict_at: Option<f32>,
    pub payout_at: Option<f32>,
    fees_sent: bool,
}

/// The camera that draws the scene (the panels have their own).
#[derive(Component)]
pub struct SceneCamera;

/// Everything that belongs to one round; despawned when the next starts.
#[derive(Component)]
struct RoundItem;

#[derive(Component)]
struct Bubble(String);

#[derive(Component)]
struct RankBadge(String);

#[derive(Component)]
struct Halo(String);

#[derive(Component)]
struct WalletLabel(String);

#[derive(Component)]
struct PromptText;

#[derive(Component)]
struct CenterText;

#[derive(Component)]
struct PhaseText;

/// A coin moving from `from` to `to` over `seconds` of scene time.
#[derive(Component)]
struct Flight {
    from: Vec2,
    to: Vec2,
    start: f32,
    seconds: f32,
}

/// Radius of the ring the avatars sit on.
const RING_RADIUS: f32 = 150.0;
const AVATAR_RADIUS: f32 = 34.0;
/// Size of a speech bubble, and how many characters of an answer it shows.
const BUBBLE_SIZE: Vec2 = Vec2::new(240.0, 118.0);
const BUBBLE_CHARS: usize = 190;
/// How long the verdict shows before the rewards fly.
const VERDICT_SECONDS: f32 = 1.2;
/// How long coins take to fly.
const FLIGHT_SECONDS: f32 = 1.4;

fn setup(
    mut commands: Commands,
    mut pending: ResMut<PendingFont>,
    mut fonts: ResMut<Assets<Font>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let font = fonts.add(pending.0.take().expect("the scene font is set once"));
    let assets = SceneAssets {
        font,
        disc: meshes.add(Circle::new(AVATAR_RADIUS)),
        halo: meshes.add(Annulus::new(AVATAR_RADIUS + 4.0, AVATAR_RADIUS + 10.0)),
        coin: meshes.add(Circle::new(7.0)),
        bubble: meshes.add(Rectangle::new(BUBBLE_SIZE.x, BUBBLE_SIZE.y)),
        wallet: meshes.add(Rectangle::new(150.0, 20.0)),
        gold: materials.add(Color::srgb(0.98, 0.78, 0.2)),
        bubble_fill: materials.add(Color::srgb(0.93, 0.94, 0.97)),
        wallet_fill: materials.add(Color::srgb(0.17, 0.2, 0.28)),
    };
    commands.spawn((SceneCamera, Camera2d));
    commands.spawn((
        Mesh2d(meshes.add(Annulus::new(RING_RADIUS - 3.0, RING_RADIUS + 3.0))),
        MeshMaterial2d(materials.add(Color::srgb(0.3, 0.36, 0.5))),
        Transform::from_xyz(0.0, 0.0, 0.0),
    ));
    commands.spawn((
        PromptText,
        Text2d::new("Press Start to play the first round."),
        text_style(&assets.font, 17.0, Color::WHITE),
        TextLayout::justify(Justify::Center),
        TextBounds::new_horizontal(760.0),
        Anchor::TOP_CENTER,
        Transform::from_xyz(0.0, 325.0, 5.0),
    ));
    commands.spawn((
        CenterText,
        Text2d::new(""),
        text_style(&assets.font, 28.0, Color::srgb(1.0, 0.85, 0.35)),
        Transform::from_xyz(0.0, 12.0, 5.0),
    ));
    commands.spawn((
        PhaseText,
        Text2d::new(""),
        text_style(&assets.font, 14.0, Color::srgb(0.75, 0.8, 0.9)),
        TextLayout::justify(Justify::Center),
        TextBounds::new_horizontal(220.0),
        Transform::from_xyz(0.0, -30.0, 5.0),
    ));
    commands.insert_resource(assets);
}

fn text_style(font: &Handle<Font>, size: f32, colour: Color) -> (TextFont, TextColor) {
    (
        TextFont {
            font: font.clone().into(),
            font_size: FontSize::Px(size),
            ..Default::default()
        },
        TextColor(colour),
    )
}

/// Seat `i` of `n` around the ring: the first at the top left, clockwise.
fn seat(i: usize, n: usize) -> Vec2 {
    let angle = std::f32::consts::PI * (0.75 - 2.0 * i as f32 / n.max(1) as f32);
    Vec2::new(angle.cos(), angle.sin()) * RING_RADIUS
}

/// Where the bubble of the avatar at `seat` goes: outside the ring, on its side.
fn bubble_centre(seat: Vec2) -> Vec2 {
    let dir = seat.normalize_or_zero();
    let x = if dir.x.abs() > 0.2 {
        dir.x.signum() * 290.0
    } else {
        0.0
    };
    Vec2::new(x, seat.y + dir.y * 40.0)
}

/// The agent's avatar colour, grey if its colour is unreadable.
fn avatar_colour(gui: &Gui, agent: &str) -> Color {
    gui.agent(agent)
        .and_then(|a| Srgba::hex(a.avatar_colour.trim_start_matches('#')).ok())
        .map_or(Color::srgb(0.5, 0.5, 0.5), Color::from)
}

/// Spawns the avatars, bubbles and labels of a round when it first shows.
#[allow(clippy::too_many_arguments)]
fn rebuild_for_round(
    mut commands: Commands,
    tournament: Res<Tournament>,
    gui: Res<Gui>,
    assets: Res<SceneAssets>,
    mut state: ResMut<SceneState>,
    mut materials: ResMut<Assets<ColorMaterial>>,
    items: Query<Entity, With<RoundItem>>,
) {
    let Some(round) = &tournament.view.round else {
        return;
    };
    if state.round == Some(round.id) {
        return;
    }
    for entity in &items {
        commands.entity(entity).despawn();
    }
    *state = SceneState {
        round: Some(round.id),
        ..SceneState::default()
    };
    let n = round.agents.len();
    for (i, agent) in round.agents.iter().enumerate() {
        let at = seat(i, n);
        state.seats.insert(agent.clone(), at);
        let colour = avatar_colour(&gui, agent);
        let name = gui.agent(agent).map_or(agent.as_str(), |a| a.name.as_str());
        commands.spawn((
            RoundItem,
            Mesh2d(assets.disc.clone()),
            MeshMaterial2d(materials.add(colour)),
            Transform::from_translation(at.extend(2.0)),
        ));
        commands.spawn((
            RoundItem,
            Halo(agent.clone()),
            Mesh2d(assets.halo.clone()),
            MeshMaterial2d(assets.gold.clone()),
            Transform::from_translation(at.extend(1.5)),
            Visibility::Hidden,
        ));
        commands.spawn((
            RoundItem,
            Text2d::new(initials(name)),
            text_style(&assets.font, 22.0, Color::WHITE),
            Transform::from_translation(at.extend(3.0)),
        ));
        commands.spawn((
            RoundItem,
            Text2d::new(name.to_owned()),
            text_style(&assets.font, 14.0, Color::WHITE),
            Transform::from_translation((at + Vec2::new(0.0, -AVATAR_RADIUS - 12.0)).extend(3.0)),
        ));
        commands.spawn((
            RoundItem,
            Mesh2d(assets.wallet.clone()),
            MeshMaterial2d(assets.wallet_fill.clone()),
            Transform::from_translation(wallet_spot(at).extend(2.0)),
        ));
        commands.spawn((
            RoundItem,
            WalletLabel(agent.clone()),
            Text2d::new(""),
            text_style(&assets.font, 11.0, Color::srgb(0.85, 0.9, 1.0)),
            Transform::from_translation(wallet_spot(at).extend(3.0)),
        ));
        commands.spawn((
            RoundItem,
            RankBadge(agent.clone()),
            Text2d::new(""),
            text_style(&assets.font, 18.0, Color::srgb(1.0, 0.85, 0.35)),
            Transform::from_translation((at + Vec2::new(0.0, AVATAR_RADIUS + 14.0)).extend(3.0)),
        ));
        let centre = bubble_centre(at);
        commands.spawn((
            RoundItem,
            Mesh2d(assets.bubble.clone()),
            MeshMaterial2d(assets.bubble_fill.clone()),
            Transform::from_translation(centre.extend(1.0)),
        ));
        commands.spawn((
            RoundItem,
            Bubble(agent.clone()),
            Text2d::new("…"),
            text_style(&assets.font, 12.0, Color::srgb(0.1, 0.1, 0.15)),
            TextLayout::justify(Justify::Left),
            TextBounds::new(BUBBLE_SIZE.x - 14.0, BUBBLE_SIZE.y - 10.0),
            Anchor::CENTER,
            Transform::from_translation(centre.extend(1.5)),
        ));
    }
}

/// Where an avatar's wallet sits: under its name.
fn wallet_spot(seat: Vec2) -> Vec2 {
    seat + Vec2::new(0.0, -AVATAR_RADIUS - 34.0)
}

/// Up to two initials of `name`, for the avatar.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("the"))
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// The last `BUBBLE_CHARS` characters of an answer, whole.
fn bubble_text(answer: &str) -> String {
    let count = answer.chars().count();
    if count <= BUBBLE_CHARS {
        return answer.to_owned();
    }
    let tail: String = answer.chars().skip(count - BUBBLE_CHARS).collect();
    format!("…{tail}")
}

/// Every text of the scene that changes during a round.
type SceneTexts<'w, 's> = ParamSet<
    'w,
    's,
    (
        Query<'static, 'static, (&'static Bubble, &'static mut Text2d)>,
        Query<'static, 'static, (&'static RankBadge, &'static mut Text2d)>,
        Query<'static, 'static, (&'static WalletLabel, &'static mut Text2d)>,
        Query<'static, 'static, &'static mut Text2d, With<PromptText>>,
        Query<'static, 'static, &'static mut Text2d, With<CenterText>>,
        Query<'static, 'static, &'static mut Text2d, With<PhaseText>>,
    ),
>;

/// Updates texts, ranks and halos, and launches coins on fees and payouts.
#[allow(clippy::too_many_arguments)]
fn update_scene(
    mut commands: Commands,
    tournament: Res<Tournament>,
    gui: Res<Gui>,
    wallets: Res<Wallets>,
    assets: Res<SceneAssets>,
    time: Res<Time>,
    real: Res<Time<Real>>,
    mut state: ResMut<SceneState>,
    mut texts: SceneTexts,
    mut halos: Query<(&Halo, &mut Visibility, &mut Transform)>,
) {
    let view = &tournament.view;
    let now = time.elapsed_secs();
    if let Some(round) = &view.round {
        for mut text in &mut texts.p3() {
            set_text(&mut text, round.prompt.clone());
        }
    }
    for (bubble, mut text) in &mut texts.p0() {
        if let Some(answer) = view.answers.get(&bubble.0) {
            set_text(&mut text, bubble_text(answer));
        }
    }
    // Countdown while generating; the pot otherwise.
    if tournament.phase == Phase::Generating {
        let moves = view.round.as_ref().map_or(0, |r| {
            r.matches.iter().map(|m| m.turns.len()).sum::<usize>()
        });
        let now = real.elapsed_secs_f64();
        let since = match state.generating_since {
            Some((at, since)) if at == moves => since,
            _ => {
                state.generating_since = Some((moves, now));
                now
            }
        };
        let left = (gui.space.step_seconds() - (now - since)).max(0.0);
        for mut text in &mut texts.p4() {
            set_text(&mut text, format!("{left:.1} s"));
        }
    } else if let Some(round) = &view.round {
        let pot = gui.space.entry_fee().unwrap_or(0) * round.agents.len() as u128;
        for mut text in &mut texts.p4() {
            set_text(
                &mut text,
                match (state.fees_sent, state.payout_at.is_some()) {
                    (_, true) => "paid out".to_owned(),
                    (true, false) => super::eth(pot),
                    (false, false) => String::new(),
                },
            );
        }
    }
    let phase_line = match (&view.round, tournament.phase) {
        (_, Phase::Done) => "stopped: see the status bar".to_owned(),
        (None, _) if tournament.paused => "paused".to_owned(),
        (None, phase) => format!("{phase:?}"),
        (Some(round), phase) => format!("round {} · {phase:?}", round.id),
    };
    for mut text in &mut texts.p5() {
        set_text(&mut text, phase_line.clone());
    }
    // Entry fees fly into the pot once paid.
    let paid = matches!(
        tournament.phase,
        Phase::Generating | Phase::Judging | Phase::Settling
    );
    if paid && !state.fees_sent {
        state.fees_sent = true;
        for at in state.seats.values() {
            spawn_coin(&mut commands, &assets, wallet_spot(*at), Vec2::ZERO, now);
        }
    }
    // The verdict: ranks and winners.
    if let Some(judgment) = &view.judgment {
        state.verdict_at.get_or_insert(now);
        let places = gui.space.reward_split_bps.len();
        for (badge, mut text) in &mut texts.p1() {
            let rank = judgment.ranking.order.iter().position(|a| *a == badge.0);
            set_text(
                &mut text,
                rank.map_or(String::new(), |r| format!("#{}", r + 1)),
            );
        }
        for (halo, mut visibility, mut transform) in &mut halos {
            let rank = judgment.ranking.order.iter().position(|a| *a == halo.0);
            let winner = rank.is_some_and(|r| r < places);
            *visibility = if winner {
                Visibility::Visible
            } else {
                Visibility::Hidden
            };
            transform.scale = Vec3::splat(1.0 + 0.06 * (now * 4.0).sin());
        }
    }
    // Rewards fly from the pot to the winners' wallets, once the verdict
    // has been on show for a moment.
    let verdict_shown = state.verdict_at.is_some_and(|t| now - t >= VERDICT_SECONDS);
    if verdict_shown && !view.payouts.is_empty() && state.payout_at.is_none() {
        state.payout_at = Some(now);
        for payout in &view.payouts {
            if let Some(at) = state.seats.get(&payout.agent) {
                spawn_coin(&mut commands, &assets, Vec2::ZERO, wallet_spot(*at), now);
                // Above the rank of top seats, below the wallet of bottom ones.
                let label_at = if at.y > 0.0 {
                    *at + Vec2::new(0.0, AVATAR_RADIUS + 36.0)
                } else {
                    wallet_spot(*at) + Vec2::new(0.0, -20.0)
                };
                commands.spawn((
                    RoundItem,
                    Text2d::new(format!("+{}", super::eth(payout.wei))),
                    text_style(&assets.font, 14.0, Color::srgb(0.5, 1.0, 0.55)),
                    Transform::from_translation(label_at.extend(4.0)),
                ));
            }
        }
    }
    let snapshot = wallets.snapshot();
    for (label, mut text) in &mut texts.p2() {
        let owner = gui.agent(&label.0).map(|a| a.owner.to_lowercase());
        let account = snapshot
            .accounts
            .iter()
            .find(|a| Some(a.address.to_string().to_lowercase()) == owner);
        set_text(
            &mut text,
            account.map_or("wallet".to_owned(), |a| {
                format!("wallet {}", super::eth(a.wallet_wei + a.owed_wei))
            }),
        );
    }
}

/// Replaces a text only when it changes: a changed text is laid out again,
/// which would otherwise happen for every text on every frame.
fn set_text(text: &mut Mut<Text2d>, value: String) {
    if text.0 != value {
        text.0 = value;
    }
}

fn spawn_coin(commands: &mut Commands, assets: &SceneAssets, from: Vec2, to: Vec2, now: f32) {
    commands.spawn((
        RoundItem,
        Mesh2d(assets.coin.clone()),
        MeshMaterial2d(assets.gold.clone()),
        Transform::from_translation(from.extend(6.0)),
        Flight {
            from,
            to,
            start: now,
            seconds: FLIGHT_SECONDS,
        },
    ));
}

/// Moves coins along an arc; a coin that arrived disappears.
fn fly_coins(
    mut commands: Commands,
    time: Res<Time>,
    mut coins: Query<(Entity, &Flight, &mut Transform)>,
) {
    let now = time.elapsed_secs();
    for (entity, flight, mut transform) in &mut coins {
        let t = ((now - flight.start) / flight.seconds).clamp(0.0, 1.0);
        if t >= 1.0 {
            commands.entity(entity).despawn();
            continue;
        }
        let eased = t * t * (3.0 - 2.0 * t);
        let lift = Vec2::new(0.0, 60.0 * (std::f32::consts::PI * t).sin());
        let at = flight.from.lerp(flight.to, eased) + lift;
        transform.translation = at.extend(6.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_are_on_the_ring_and_apart() {
        for n in 2..=8 {
            let seats: Vec<Vec2> = (0..n).map(|i| seat(i, n)).collect();
            for s in &seats {
                assert!((s.length() - RING_RADIUS).abs() < 1e-3);
            }
            for (i, a) in seats.iter().enumerate() {
                for b in &seats[i + 1..] {
                    assert!(a.distance(*b) > 2.0 * AVATAR_RADIUS, "{n} seats overlap");
                }
            }
        }
    }

    #[test]
    fn bubbles_show_the_end_of_long_answers() {
        let long: String = "abcdefghij".repeat(30);
        let shown = bubble_text(&long);
        assert!(shown.starts_with('…') && shown.ends_with("hij"));
        assert_eq!(shown.chars().count(), BUBBLE_CHARS + 1);
        assert_eq!(bubble_text("short"), "short");
        assert_eq!(initials("The Poet"), "P");
        assert_eq!(initials("ada lovelace"), "AL");
    }
}

//! The desktop app in a real window (Xvfb, Mesa's lavapipe Vulkan): it plays
//! a real round and saves pictures while tokens stream, at the verdict and
//! during the payouts; they are real renders (not blank) of different
//! moments, and the round it played is stored and closed.

mod common;

use std::path::Path;
use std::process::Command;

use judge::Store;
use judge::records::RoundStatus;

use common::roster;

/// Width and height of the window, and so of every picture.
const SIZE: (u32, u32) = (1280, 720);

/// Decodes a PNG into its size and RGBA bytes.
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => pixels,
        png::ColorType::Rgb => pixels
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// How many distinct colours a picture has (a blank one has one or two).
fn distinct_colours(rgba: &[u8]) -> usize {
    let mut colours: Vec<[u8; 3]> = rgba.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// Share of pixels that differ between two pictures of the same size.
fn changed_share(a: &[u8], b: &[u8]) -> f64 {
    let changed = a
        .chunks(4)
        .zip(b.chunks(4))
        .filter(|(p, q)| p[..3] != q[..3])
        .count();
    changed as f64 / (a.len() / 4) as f64
}

/// `arena gui` under Xvfb on one round of `space`: pictures at `moments` and 30 frames after.
fn run_gui(
    data: &Path,
    agents: &Path,
    space: &str,
    max_tokens: usize,
    shot: &Path,
    moments: &[&str],
) -> std::process::Output {
    let mut command = Command::new("xvfb-run");
    command
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_arena"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "gui",
            "--space",
            space,
            "--max-tokens",
            &max_tokens.to_string(),
        ])
        .arg("--agents")
        .arg(agents)
        .arg("--screenshot")
        .arg(shot)
        .args(["--frames", "30"]);
    for moment in moments {
        command.args(["--at", moment]);
    }
    command
        .output()
        .expect("xvfb-run is installed (scripts/setup-tests.sh installs it)")
}

#[test]
fn a_round_in_the_window_streams_judges_and_pays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    let shot = dir.path().join("shot.png");
    let out = run_gui(
        &data,
        &agents,
        "arithmetic",
        24,
        &shot,
        &["tokens", "verdict", "payout"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("frames/s"), "{stdout}");

    let names = ["shot-tokens", "shot-verdict", "shot-payout", "shot"];
    let pictures: Vec<Vec<u8>> = names
        .iter()
        .map(|name| {
            let (w, h, rgba) = decode(&dir.path().join(format!("{name}.png")));
            assert_eq!((w, h), SIZE, "{name}");
            let colours = distinct_colours(&rgba);
            assert!(colours > 200, "{name} looks blank: {colours} colours");
            rgba
        })
        .collect();
    for i in 0..pictures.len() {
        for j in i + 1..pictures.len() {
            let share = changed_share(&pictures[i], &pictures[j]);
            assert!(
                share > 0.001,
                "{} and {} are the same picture ({share})",
                names[i],
                names[j]
            );
        }
    }

    let store = Store::open(&data.join("db")).unwrap();
    let round = store.round(1).unwrap().expect("the GUI stored its round");
    assert_eq!(round.status, RoundStatus::Closed);
    assert!(store.judgment(1).unwrap().is_some());
    assert!(
        round.transactions.iter().any(|t| t.action == "settle"),
        "{:?}",
        round.transactions
    );
}

/// An interactive round in the window: the Match tab opens by itself and shows the
/// negotiation as a conversation between the seats while the moves stream, then with the
/// outcome; the pictures are real renders, and the round is stored with its transcripts.
#[test]
fn an_interactive_round_shows_as_a_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = common::roster_of(dir.path(), &["jester", "minimalist", "poet", "scholar"]);
    let shot = dir.path().join("match.png");
    let out = run_gui(
        &data,
        &agents,
        "negotiation",
        12,
        &shot,
        &["tokens", "verdict"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens = decode(&dir.path().join("match-tokens.png")).2;
    let verdict = decode(&dir.path().join("match-verdict.png")).2;
    for (name, rgba) in [("tokens", &tokens), ("verdict", &verdict)] {
        let colours = distinct_colours(rgba);
        assert!(colours > 200, "{name} looks blank: {colours} colours");
    }
    assert!(changed_share(&tokens, &verdict) > 0.001);
    let store = Store::open(&data.join("db")).unwrap();
    let round = store.round(1).unwrap().expect("the GUI stored its round");
    assert_eq!(round.status, RoundStatus::Closed);
    assert_eq!(round.matches.len(), 1, "two agents per round: one match");
    assert!(round.matches[0].turns.len() >= 2);
}

//! `arena verify` on a real round: it reproduces, and tampering with one
//! stored answer is detected.

mod common;

use std::process::Command;

use judge::Store;

use common::{roster, tournament};

fn verify(data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .arg("--data-dir")
        .arg(data)
        .args(["verify", "1"])
        .output()
        .expect("the arena binary runs")
}

#[test]
fn verify_reproduces_a_round_and_detects_a_tampered_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    let out = tournament(&data, &agents, "factual-qa", 1);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = verify(&data);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("round 1 verified"), "{stdout}");
    assert!(stdout.contains("judgment: reproduced"), "{stdout}");

    {
        let store = Store::open(&data.join("db")).unwrap();
        let round = store.round(1).unwrap().unwrap();
        let mut answers = store.answers(1).unwrap();
        answers[0].text.push_str(" (edited)");
        store.put_generated(&round, &answers).unwrap();
    }
    let out = verify(&data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "tampering went unnoticed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("failed verification"), "{stderr}");
    assert!(stderr.contains("root on chain differs"), "{stderr}");
    assert!(stderr.contains("does not reproduce"), "{stderr}");
}

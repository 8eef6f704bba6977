//! `arena generate` run as a user runs it: the real binary, the real model.

use std::path::Path;
use std::process::{Command, Output};

fn arena(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("the arena binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn generate_answers_and_reports_speed() {
    let out = arena(&[
        "generate",
        "--prompt",
        "What is the capital of France?",
        "--temperature",
        "0",
        "--max-tokens",
        "24",
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Paris"),
        "stdout: {}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("tok/s"),
        "stderr: {}",
        text(&out.stderr)
    );
}

#[test]
fn generate_with_a_shipped_agent_is_reproducible() {
    let args = [
        "generate",
        "--agent",
        "assets/agents/poet.toml",
        "--prompt",
        "Describe the sea.",
        "--seed",
        "7",
        "--max-tokens",
        "24",
    ];
    let (a, b) = (arena(&args), arena(&args));
    assert!(a.status.success(), "stderr: {}", text(&a.stderr));
    assert!(!text(&a.stdout).trim().is_empty());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn invalid_agent_file_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/agents/poet.toml"),
    )
    .unwrap();
    std::fs::write(
        &path,
        good.replace("temperature = 0.9", "temperature = 7.5"),
    )
    .unwrap();
    let out = arena(&[
        "generate",
        "--agent",
        path.to_str().unwrap(),
        "--prompt",
        "hi",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("sampling.temperature") && err.contains("0.0 to 2.0"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unknown_model_is_refused_with_the_choices() {
    let out = arena(&["generate", "--model", "gpt-9", "--prompt", "hi"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("gpt-9") && err.contains("smollm2-135m"),
        "{err}"
    );
}

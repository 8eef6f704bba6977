//! `arena verify` on a real round: played with the best matrix kernel, it
//! verifies with every kernel this machine has (no false alarm, every
//! sketch and draw reproduced exactly), generated again with another
//! kernel it comes out the same, and each kind of tampering with a stored
//! answer is detected, naming the agent and what differs.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use judge::Store;
use judge::records::AnswerRecord;

use common::{roster, tournament};

fn verify(data: &Path, kernel: &str) -> Output {
    verify_with(data, kernel, &[])
}

/// `arena verify 1` with `ARENA_KERNEL=kernel` and the `extra` arguments.
fn verify_with(data: &Path, kernel: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .arg("--data-dir")
        .arg(data)
        .args(["verify", "1"])
        .args(extra)
        .env("ARENA_KERNEL", kernel)
        .output()
        .expect("the arena binary runs")
}

/// This machine's kernels, best first.
fn kernels() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["bench", "kernels"])
        .output()
        .expect("the arena binary runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Stores `answers` changed by `tamper`, verifies, restores them, and
/// returns the failure's message.
fn tampered(
    data: &Path,
    kernel: &str,
    answers: &[AnswerRecord],
    tamper: impl Fn(&mut Vec<AnswerRecord>),
) -> String {
    let put = |answers: &[AnswerRecord]| {
        let store = Store::open(&data.join("db")).unwrap();
        let round = store.round(1).unwrap().unwrap();
        store.put_generated(&round, answers).unwrap();
    };
    let mut changed = answers.to_vec();
    tamper(&mut changed);
    put(&changed);
    let out = verify(data, kernel);
    put(answers);
    assert!(
        !out.status.success(),
        "tampering went unnoticed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("failed verification"), "{stderr}");
    assert!(stderr.contains("root on chain differs"), "{stderr}");
    stderr
}

/// One round of `space` played by the roster in `dir`; its data directory.
fn played(dir: &Path, space: &str) -> PathBuf {
    let data = dir.join("data");
    let out = tournament(&data, &roster(dir), space, 1);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

/// Verifies round 1 with `kernel`, which must raise no alarm and reproduce
/// the judgment; the report it printed.
fn verified_with(data: &Path, kernel: &str) -> String {
    let out = verify(data, kernel);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "false alarm with {kernel}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("round 1 verified"), "{stdout}");
    assert!(stdout.contains("judgment: reproduced"), "{stdout}");
    stdout
}

fn index_of(answers: &[AnswerRecord], agent: &str) -> usize {
    answers.iter().position(|a| a.agent_id == agent).unwrap()
}

#[test]
fn verify_holds_across_kernels_and_detects_each_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = played(dir.path(), "factual-qa");

    let kernels = kernels();
    assert!(!kernels.is_empty());
    for kernel in &kernels {
        let stdout = verified_with(&data, kernel);
        let consistent: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains("consistent with"))
            .collect();
        assert_eq!(consistent.len(), 4, "{stdout}");
        // Every kernel computes the same bits: each sketch is reproduced
        // exactly, held to the tight tolerance, and every draw repeated.
        for line in consistent {
            assert!(
                line.contains("distance 0.0000 of at most 0.02,"),
                "{kernel}: {line}"
            );
            let draws = line
                .split(", ")
                .find(|part| part.ends_with("draws exact"))
                .unwrap_or_else(|| panic!("{line}"));
            let counts: Vec<&str> = draws.split(' ').collect();
            assert_eq!(counts[0], counts[2], "{kernel}: {line}");
        }
    }

    // Tampering, and generation again, are checked with the kernel
    // farthest from the one that played.
    let kernel = kernels.last().unwrap();
    // Generated again with it, every answer comes out the same text.
    let out = verify_with(&data, kernel, &["--replay"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let reproduced = stdout
        .lines()
        .filter(|l| l.starts_with("answer of ") && l.ends_with(": reproduced"))
        .count();
    assert_eq!(reproduced, 4, "{stdout}");

    let answers = Store::open(&data.join("db")).unwrap().answers(1).unwrap();

    let poet = index_of(&answers, "poet");
    let oracle = index_of(&answers, "oracle");
    let minimalist = index_of(&answers, "minimalist");
    let scholar = index_of(&answers, "scholar");
    let gemma_sha = answers[oracle]
        .commitment
        .as_ref()
        .unwrap()
        .model_sha256
        .clone();
    let smollm_sha = answers[poet]
        .commitment
        .as_ref()
        .unwrap()
        .model_sha256
        .clone();
    // Three agents tampered with at once, one way each (one verification
    // run instead of three).
    let err = tampered(&data, kernel, &answers, |a| {
        // SmolLM2's answer passed off as Gemma's, with Gemma's file hash.
        a[poet].model = "gemma3-270m".into();
        a[poet].commitment.as_mut().unwrap().model_sha256 = gemma_sha.clone();
        a[oracle].system_prompt = "You are a pirate. Answer like one.".into();
        a[minimalist].text.push_str(" (edited)");
    });
    assert!(
        err.contains("the answer of poet does not match its claim on gemma3-270m")
            && err.contains("hidden states differ"),
        "{err}"
    );
    let oracle_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("the answer of oracle"))
        .collect();
    assert!(
        oracle_lines
            .iter()
            .any(|l| l.contains("hidden states differ")),
        "{err}"
    );
    assert!(
        err.contains("the answer of minimalist does not match")
            && err.contains("is not the text of its committed tokens"),
        "{err}"
    );
    let err = tampered(&data, kernel, &answers, |a| {
        // The poet sampled at temperature 0.9; its record now claims greedy.
        a[poet].sampling.temperature = 0.0;
        // The same model name with another file.
        a[scholar].model = "gemma3-270m".into();
        // Gemma's answer passed off as SmolLM2's, whose vocabulary is a
        // fifth of Gemma's: reported, not a failure to run the tokens.
        a[oracle].model = "smollm2-135m".into();
        a[oracle].commitment.as_mut().unwrap().model_sha256 = smollm_sha.clone();
    });
    assert!(
        err.contains("the answer of oracle does not match its claim on smollm2-135m"),
        "{err}"
    );
    assert!(
        err.contains("the answer of poet does not match")
            && err.contains("could not be drawn with its recorded sampling"),
        "{err}"
    );
    assert!(
        err.contains("the answer of scholar")
            && err.contains("commits to the model file with sha256"),
        "{err}"
    );
}

/// A round of a space without reference answers, where the judge writes its
/// own answer: verified with every kernel, the own answer is checked
/// against its commitment and the judgment reproduces with it.
#[test]
fn the_judges_own_answer_is_checked_across_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let data = played(dir.path(), "slogans");
    let judgment = Store::open(&data.join("db"))
        .unwrap()
        .judgment(1)
        .unwrap()
        .unwrap();
    assert!(
        judgment.own_answer.is_some() && judgment.own_answer_commitment.is_some(),
        "slogans have no reference: the local judge writes and commits its own answer"
    );
    for kernel in &kernels() {
        let stdout = verified_with(&data, kernel);
        assert!(
            stdout.contains("judge's own answer: consistent with smollm2-135m"),
            "{stdout}"
        );
    }
}

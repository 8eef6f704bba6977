//! `arena export` as a user runs it, on a real database: every pair record
//! says whether its answers passed the round's checks and whether either
//! copies the prompt, `--verified-only` keeps the pairs whose chosen answer
//! passed every check, and the leaderboard carries the style-controlled
//! rating and the style coefficients.

use std::path::Path;
use std::process::{Command, Output};

use judge::records::RoundStatus;
use judge::{Check, Store};

#[path = "../judge/tests/support/checked_round.rs"]
mod checked_round;
use checked_round::RoundSpec;

/// Answers of a round asking for 42 in at most 3 words: the first passes
/// both checks, the second one, the third none; the fourth passes both but
/// copies the prompt.
const ANSWERS: [&str; 4] = [
    "42",
    "The answer is **42**.",
    "- The answer is 7.",
    "Say 42",
];

fn passes_checks(text: &str) -> bool {
    matches!(text, "42" | "Say 42")
}

/// Judges and stores rounds `1..=rounds` of the answers above, checks only.
fn store_rounds(db: &Path, rounds: u64) {
    let store = Store::open(db).unwrap();
    let checks = [
        Check::NumericAnswer {
            expected: 42.0,
            tolerance: 0.0,
        },
        Check::MaxWords { max: 3 },
    ];
    for id in 1..=rounds {
        RoundSpec {
            id,
            space: "arithmetic",
            prompt: "Say 42 and nothing else.".into(),
            reference: None,
            status: RoundStatus::Closed,
            checks: &checks,
        }
        .judge(&ANSWERS)
        .commit(&store);
    }
}

fn arena_export(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .arg("export")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("the arena binary runs")
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn export_records_pair_quality_and_verified_only_keeps_verified_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    store_rounds(&data.join("db"), 2);
    let out_of = |name: &str| dir.path().join(name);

    for format in ["trl", "trl-conversational", "openai"] {
        let path = out_of(&format!("{format}.jsonl"));
        let out = arena_export(
            &data,
            &["--format", format, "--out", path.to_str().unwrap()],
        );
        assert!(out.status.success(), "{format}: {out:?}");
        let all = records(&path);
        assert!(!all.is_empty(), "{format}");
        for record in &all {
            let pair = judge::export::pair_from_record(record).unwrap();
            let m = &record["metadata"];
            assert_eq!(
                m["chosen_passes_checks"],
                passes_checks(&pair.chosen),
                "{record}"
            );
            assert_eq!(
                m["rejected_passes_checks"],
                passes_checks(&pair.rejected),
                "{record}"
            );
            assert_eq!(
                m["chosen_copies_prompt"],
                pair.chosen == "Say 42",
                "{record}"
            );
            assert_eq!(
                m["rejected_copies_prompt"],
                pair.rejected == "Say 42",
                "{record}"
            );
        }

        let verified_path = out_of(&format!("{format}-verified.jsonl"));
        let out = arena_export(
            &data,
            &[
                "--format",
                format,
                "--out",
                verified_path.to_str().unwrap(),
                "--verified-only",
            ],
        );
        assert!(out.status.success(), "{format}: {out:?}");
        let verified = records(&verified_path);
        let expected: Vec<_> = all
            .iter()
            .filter(|r| r["metadata"]["chosen_passes_checks"] == true)
            .cloned()
            .collect();
        assert_eq!(verified, expected, "{format}");
        // "The answer is **42**." beats "- The answer is 7." on the checks
        // but fails one itself: that pair is left out.
        assert!(
            !verified.is_empty() && verified.len() < all.len(),
            "{format}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains(&format!("{} records written", verified.len())),
            "{out:?}"
        );
    }

    let csv_path = out_of("board.csv");
    let out = arena_export(
        &data,
        &[
            "--format",
            "leaderboard-csv",
            "--out",
            csv_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        csv.starts_with(
            "agent_id,rating,ci_low,ci_high,comparisons,style_controlled,gamma_length,gamma_markdown\n"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + ANSWERS.len(), "{csv}");

    let refused_path = out_of("refused.csv");
    let out = arena_export(
        &data,
        &[
            "--format",
            "leaderboard-csv",
            "--out",
            refused_path.to_str().unwrap(),
            "--verified-only",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        stderr.contains("verified-only") && stderr.contains("pair format"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!refused_path.exists() && !refused_path.with_extension("partial").exists());
}

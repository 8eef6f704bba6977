//! The sled store for real: round trips through export, atomic rounds under
//! SIGKILL, and refusal of corrupt or newer databases.

use std::process::Command;
use std::time::{Duration, Instant};

use judge::export::{Filter, Format, export, pair_from_record};
use judge::records::{PreferencePair, RoundStatus};
use judge::store::{JudgedRound, SCHEMA_VERSION};
use judge::{Check, Store, StoreError};

#[path = "support/checked_round.rs"]
mod checked_round;
use checked_round::RoundSpec;

/// A judged round of `n` agents whose answers are numbers; the check prefers 42.
fn judged_round(store: &Store, id: u64, space: &str, n: usize) {
    let texts: Vec<String> = (0..n)
        .map(|i| {
            let number = if (i + id as usize).is_multiple_of(2) {
                42
            } else {
                i
            };
            format!("The answer is {number}.")
        })
        .collect();
    RoundSpec {
        id,
        space,
        prompt: format!("Round {id}: what is 6 times 7?"),
        reference: Some("42"),
        status: RoundStatus::Judged,
        checks: &[Check::NumericAnswer {
            expected: 42.0,
            tolerance: 0.0,
        }],
    }
    .judge(&texts)
    .commit(store);
}

#[test]
fn export_reproduces_the_stored_pairs_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    for id in 1..=6 {
        judged_round(&store, id, if id % 2 == 0 { "math" } else { "quiz" }, 4);
    }
    let stored: Vec<_> = store.pairs(0, u64::MAX).map(Result::unwrap).collect();
    assert!(!stored.is_empty());
    for format in [
        Format::TrlStandard,
        Format::TrlConversational,
        Format::OpenAi,
    ] {
        let mut out = Vec::new();
        let n = export(&store, format, &Filter::default(), &mut out, &mut |_| {}).unwrap();
        assert_eq!(n as usize, stored.len());
        let back: Vec<_> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| pair_from_record(&serde_json::from_str(l).unwrap()).unwrap())
            .collect();
        assert_eq!(back, stored, "{format:?}");
    }
    let filter = Filter {
        space: Some("math".into()),
        first_round: Some(2),
        last_round: Some(4),
        ..Filter::default()
    };
    let mut out = Vec::new();
    export(&store, Format::TrlStandard, &filter, &mut out, &mut |_| {}).unwrap();
    let kept: Vec<_> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| pair_from_record(&serde_json::from_str(l).unwrap()).unwrap())
        .collect();
    let expected: Vec<_> = stored
        .iter()
        .filter(|p| p.space == "math" && (2..=4).contains(&p.round))
        .cloned()
        .collect();
    assert_eq!(kept, expected);
    let mut csv = Vec::new();
    export(
        &store,
        Format::LeaderboardCsv,
        &Filter::default(),
        &mut csv,
        &mut |_| {},
    )
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with(
            "agent_id,rating,ci_low,ci_high,comparisons,style_controlled,gamma_length,gamma_markdown"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5);
}

/// A judged round with the answers "42", "The answer is 42.", "The answer
/// is 7." and "Say 42" (which copies the prompt). With `checks` (the
/// answer is 42, at most 3 words) the first passes both, the second one,
/// the third none, the fourth both. Without, nothing decides a pair, and
/// the round gets one pair, "42" over "The answer is 7.", as a model judge
/// might have chosen.
fn judged_round_with_quality(store: &Store, id: u64, checks: bool) {
    let checks = if checks {
        vec![
            Check::NumericAnswer {
                expected: 42.0,
                tolerance: 0.0,
            },
            Check::MaxWords { max: 3 },
        ]
    } else {
        vec![]
    };
    let round = RoundSpec {
        id,
        space: if checks.is_empty() { "free" } else { "math" },
        prompt: "Say 42 and nothing else.".into(),
        reference: None,
        status: RoundStatus::Judged,
        checks: &checks,
    }
    .judge(&["42", "The answer is 42.", "The answer is 7.", "Say 42"]);
    let pairs = if checks.is_empty() {
        let (chosen, rejected) = (&round.answers[0], &round.answers[2]);
        vec![PreferencePair {
            round: id,
            space: round.round.space.clone(),
            prompt: round.round.prompt.clone(),
            chosen: chosen.text.clone(),
            rejected: rejected.text.clone(),
            chosen_agent: chosen.agent_id.clone(),
            rejected_agent: rejected.agent_id.clone(),
            chosen_model: chosen.model.clone(),
            rejected_model: rejected.model.clone(),
            margin: 0.5,
            judge: round.judgment.judge.clone(),
            history: Vec::new(),
        }]
    } else {
        round.pairs()
    };
    round.commit_with(store, &pairs);
}

fn exported(store: &Store, format: Format, filter: &Filter) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    export(store, format, filter, &mut out, &mut |_| {}).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_exported_pair_says_whether_it_passed_the_checks_and_copies_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    judged_round_with_quality(&store, 1, true);
    judged_round_with_quality(&store, 2, false);
    let passes = |text: &str| match text {
        "42" | "Say 42" => true,
        "The answer is 42." | "The answer is 7." => false,
        _ => unreachable!("{text}"),
    };
    for format in [
        Format::TrlStandard,
        Format::TrlConversational,
        Format::OpenAi,
    ] {
        let records = exported(&store, format, &Filter::default());
        assert!(
            records.iter().any(|r| r["metadata"]["round"] == 1),
            "{records:?}"
        );
        assert!(
            records.iter().any(|r| r["metadata"]["round"] == 2),
            "{records:?}"
        );
        for record in &records {
            let pair = pair_from_record(record).unwrap();
            let m = &record["metadata"];
            if pair.round == 1 {
                assert_eq!(m["chosen_passes_checks"], passes(&pair.chosen), "{record}");
                assert_eq!(
                    m["rejected_passes_checks"],
                    passes(&pair.rejected),
                    "{record}"
                );
            } else {
                assert!(m["chosen_passes_checks"].is_null(), "{record}");
                assert!(m["rejected_passes_checks"].is_null(), "{record}");
            }
            // The prompt states no rule the instructions layer reads, and
            // every answer is finished.
            assert_eq!(m["chosen_follows_instructions"], true, "{record}");
            assert_eq!(m["rejected_follows_instructions"], true, "{record}");
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
    }

    let all = exported(&store, Format::TrlStandard, &Filter::default());
    let verified = exported(
        &store,
        Format::TrlStandard,
        &Filter {
            verified_only: true,
            ..Filter::default()
        },
    );
    let expected: Vec<_> = all
        .iter()
        .filter(|r| r["metadata"]["chosen_passes_checks"] == true)
        .cloned()
        .collect();
    assert_eq!(verified, expected);
    // "The answer is 42." beats "The answer is 7." on the checks, yet fails
    // one: that pair, and every pair of the round without checks, is left out.
    assert!(!verified.is_empty() && verified.len() < all.len());
    assert!(verified.iter().all(|r| r["metadata"]["round"] == 1));

    let mut out = Vec::new();
    let refused = export(
        &store,
        Format::LeaderboardCsv,
        &Filter {
            verified_only: true,
            ..Filter::default()
        },
        &mut out,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(refused.to_string().contains("verified-only"), "{refused}");
    assert!(out.is_empty());
}

#[test]
fn ratings_are_zero_sum_per_round_and_a_round_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    for id in 1..=3 {
        judged_round(&store, id, "math", 5);
        let changes = store.rating_changes(id).unwrap();
        assert_eq!(changes.len(), 5);
        let sum: f64 = changes.iter().map(|c| c.after - c.before).sum();
        assert!(sum.abs() < 1e-9, "round {id}: sum of changes {sum}");
        for c in &changes {
            assert_eq!(store.mmr("math", &c.agent_id).unwrap(), c.after);
        }
    }
    let before = store.pairs(0, u64::MAX).count();
    let round = store.round(2).unwrap().unwrap();
    let judgment = store.judgment(2).unwrap().unwrap();
    let answers = store.answers(2).unwrap();
    let again = store.commit_judged(&JudgedRound {
        round: &round,
        answers: &answers,
        judgment: &judgment,
        pairs: &[],
    });
    assert!(matches!(again, Err(StoreError::RoundExists(2))));
    assert_eq!(store.pairs(0, u64::MAX).count(), before);
    assert_eq!(store.next_round_id().unwrap(), 4);
}

#[test]
fn newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = sled::open(&path).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = Store::open(&path)
        .err()
        .expect("a newer database is refused");
    assert!(matches!(err, StoreError::NewerVersion { .. }), "{err}");
    assert!(err.to_string().contains("newer arena"), "{err}");
    let db = sled::open(&path).unwrap();
    assert!(
        !db.tree_names().iter().any(|n| n.as_ref() == b"rounds"),
        "no tree was created"
    );
}

#[test]
fn corrupt_database_gives_a_clear_error_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).unwrap();
        judged_round(&store, 1, "math", 3);
    }
    let mut files = Vec::new();
    for entry in walk(&path) {
        let bytes = std::fs::read(&entry).unwrap();
        let garbage: Vec<u8> = bytes.iter().map(|b| b ^ 0x5a).collect();
        std::fs::write(&entry, &garbage).unwrap();
        files.push((entry, garbage));
    }
    let err = Store::open(&path)
        .err()
        .expect("a corrupt database is refused");
    let text = err.to_string();
    assert!(
        text.contains("cannot be opened") || text.contains("corrupt"),
        "{text}"
    );
    for (file, garbage) in files {
        assert_eq!(
            std::fs::read(&file).unwrap(),
            garbage,
            "{} was rewritten",
            file.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

/// Child side of the crash test: writes rounds until killed.
#[test]
#[ignore = "run by killed_writer_leaves_only_complete_rounds as a child process"]
fn crash_writer() {
    let Ok(path) = std::env::var("ARENA_CRASH_DB") else {
        return;
    };
    let store = Store::open(std::path::Path::new(&path)).unwrap();
    let mut id = store.next_round_id().unwrap();
    loop {
        judged_round(&store, id, "math", 6);
        id += 1;
    }
}

#[test]
fn killed_writer_leaves_only_complete_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    for attempt in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_writer", "--ignored", "--nocapture"])
            .env("ARENA_CRASH_DB", &path)
            .spawn()
            .unwrap();
        // Kill at a different moment each time.
        std::thread::sleep(Duration::from_millis(700 + 230 * attempt));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let started = Instant::now();
        let store = Store::open(&path).expect("database opens after a kill");
        let mut complete = 0;
        for round in store.rounds() {
            let round = round.unwrap();
            let judgment = store
                .judgment(round.id)
                .unwrap()
                .expect("a stored round has its judgment");
            assert_eq!(
                store.answers(round.id).unwrap().len(),
                6,
                "round {}",
                round.id
            );
            assert_eq!(store.rating_changes(round.id).unwrap().len(), 6);
            let pairs = store.pairs(round.id, round.id).count();
            assert_eq!(
                pairs,
                judgment
                    .verdicts
                    .iter()
                    .filter(|v| v.decided().is_some())
                    .count()
            );
            complete += 1;
        }
        assert!(complete > 0, "the writer stored nothing before the kill");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}

#[test]
fn documents_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let value = serde_json::json!({"id": "poet", "model": "smollm2-135m"});
    store.put_document("agent", "poet", &value).unwrap();
    assert_eq!(
        store
            .document::<serde_json::Value>("agent", "poet")
            .unwrap(),
        Some(value)
    );
    assert_eq!(
        store
            .document::<serde_json::Value>("agent", "bard")
            .unwrap(),
        None
    );
}

#[test]
fn agent_versions_are_kept_in_order_per_space_and_survive_reopening() {
    use judge::records::{AgentVersion, VersionOrigin, VersionStatus};
    let dir = tempfile::tempdir().unwrap();
    let version = |space: &str, agent: &str, n: u32, status| AgentVersion {
        space: space.into(),
        agent_id: agent.into(),
        version: n,
        parent: n.checked_sub(1).filter(|p| *p > 0),
        created_after_round: (n > 1).then_some(u64::from(n) * 4),
        origin: if n == 1 {
            VersionOrigin::File
        } else {
            VersionOrigin::Mutated
        },
        system_prompt: format!("prompt {n}"),
        sampling: agents::Sampling::default(),
        model: None,
        status,
        form: None,
        mmr: None,
        rounds_played: 0,
        note: String::new(),
    };
    {
        let store = Store::open(dir.path()).unwrap();
        // Written out of order and in two batches; version 10 sorts after 2.
        store
            .put_agent_versions(&[
                version("arithmetic", "poet", 10, VersionStatus::Trial),
                version("arithmetic", "poet", 1, VersionStatus::Kept),
            ])
            .unwrap();
        store
            .put_agent_versions(&[
                version("arithmetic", "poet", 2, VersionStatus::RolledBack),
                version("arithmetic", "poet2", 1, VersionStatus::Kept),
                version("haiku", "poet", 1, VersionStatus::Kept),
            ])
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let numbers: Vec<u32> = store
        .agent_versions("arithmetic", "poet")
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(numbers, [1, 2, 10], "poet2's versions are not poet's");
    assert_eq!(
        store.agent_versions("arithmetic", "poet").unwrap()[1].status,
        VersionStatus::RolledBack
    );
    let history: Vec<(String, u32)> = store
        .agent_history("poet")
        .unwrap()
        .into_iter()
        .map(|v| (v.space, v.version))
        .collect();
    assert_eq!(
        history,
        [
            ("arithmetic".into(), 1),
            ("arithmetic".into(), 2),
            ("arithmetic".into(), 10),
            ("haiku".into(), 1)
        ]
    );
    assert!(store.agent_versions("haiku", "nobody").unwrap().is_empty());
}

/// sled can release its file lock a moment after the last handle is
/// dropped (its flusher thread may still hold the file): reopening right
/// after closing must wait for it, not fail. The race is rare (seen once,
/// in a test that reopens once, while the whole suite ran on 2 cores), so
/// this test reopens many times.
#[test]
fn a_database_reopens_right_after_it_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..50 {
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("reopening {round}: {e}"));
        store.put_document("test", "round", &round).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.document::<u32>("test", "round").unwrap(), Some(49));
}

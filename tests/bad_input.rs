//! Bad input, as a user gives it, to the real `arena` binary: every case must
//! exit non-zero with one message that names the thing and the fix, print no
//! panic or backtrace (even with `RUST_BACKTRACE=1`), say nothing twice, and
//! leave a data directory holding a real database byte for byte as it was.
//! No case needs a model or a chain: each is refused before either is used.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use judge::Store;
use judge::records::{AnswerRecord, RoundRecord, RoundStatus};

/// One of anvil's public development keys (never a real one).
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// A scratch directory for one case: `data/` holds a real database with two
/// stored rounds of `arithmetic`, `models/` is an empty model cache (nothing
/// is fetched), and commands run from the directory itself.
struct Case {
    dir: tempfile::TempDir,
    /// What the database holds: each round with its answers.
    stored: Vec<(RoundRecord, Vec<AnswerRecord>)>,
}

impl Case {
    fn new() -> Self {
        let mut case = Self {
            dir: tempfile::tempdir().unwrap(),
            stored: Vec::new(),
        };
        std::fs::create_dir_all(case.models()).unwrap();
        let store = Store::open(&case.data().join("db")).unwrap();
        for id in 1..=2 {
            let round = RoundRecord {
                id,
                space: "arithmetic".into(),
                prompt: format!("What is {id} + {id}?"),
                reference: Some((2 * id).to_string()),
                agents: vec!["minimalist".into(), "oracle".into()],
                status: RoundStatus::Generated,
                opened_at: 1_700_000_000 + id,
                result_root: None,
                transactions: Vec::new(),
                fee: None,
                matches: Vec::new(),
                challenge_ends_at: None,
                challenger: None,
            };
            let answers: Vec<AnswerRecord> = round
                .agents
                .iter()
                .map(|agent| AnswerRecord {
                    round: id,
                    agent_id: agent.clone(),
                    model: "smollm2-135m".into(),
                    text: (2 * id).to_string(),
                    truncated: false,
                    generated_tokens: 1,
                    seed: id,
                    system_prompt: "Answer with the number only.".into(),
                    sampling: agents::Sampling::default(),
                    endpoint: None,
                    commitment: None,
                })
                .collect();
            store.put_round(&round).unwrap();
            store.put_generated(&round, &answers).unwrap();
            case.stored.push((round, answers));
        }
        drop(store);
        case
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> PathBuf {
        self.path().join("data")
    }

    fn models(&self) -> PathBuf {
        self.path().join("models")
    }

    /// Writes `text` to `name` in the case directory and returns its path.
    fn file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The binary with `args`, on this case's data directory and model cache.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_arena"));
        command
            .args(args)
            .current_dir(self.path())
            .env("ARENA_DATA", self.data())
            .env("ARENA_MODEL_DIR", self.models())
            .env("RUST_BACKTRACE", "1")
            .env_remove("RUST_LIB_BACKTRACE")
            .env_remove("ARENA_PRIVATE_KEY")
            .env_remove("ARENA_RPC_URL")
            .env_remove("ARENA_CONTRACT")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Runs `command`, which must be refused without touching the data
    /// directory, and returns its error message.
    fn refused(&self, command: &mut Command) -> String {
        let before = snapshot(&self.data());
        let message = refused(command);
        assert_unchanged(&before, &snapshot(&self.data()), &message);
        message
    }

    /// [`Case::refused`] for the binary with `args`.
    fn refuses(&self, args: &[&str]) -> String {
        self.refused(&mut self.command(args))
    }

    /// For a refusal that needed to read the database (an unknown round or
    /// space): sled has no read-only mode and rewrites its own snapshot and
    /// log on every open, so the database's files may differ; every record
    /// must still be there as written, and nothing else may change.
    fn refuses_after_reading(&self, args: &[&str]) -> String {
        let outside_db = |files: BTreeMap<PathBuf, Option<Vec<u8>>>| {
            let db = self.data().join("db");
            files
                .into_iter()
                .filter(|(path, _)| !path.starts_with(&db))
                .collect::<BTreeMap<_, _>>()
        };
        let before = outside_db(snapshot(&self.data()));
        let message = refused(&mut self.command(args));
        assert_unchanged(&before, &outside_db(snapshot(&self.data())), &message);
        let store = Store::open(&self.data().join("db")).unwrap();
        let rounds: Vec<RoundRecord> = store.rounds().map(Result::unwrap).collect();
        assert_eq!(rounds.len(), self.stored.len(), "{message}");
        for (round, (stored, answers)) in rounds.iter().zip(&self.stored) {
            assert_eq!(round, stored, "{message}");
            assert_eq!(&store.answers(round.id).unwrap(), answers, "{message}");
        }
        message
    }
}

/// Every file under `dir` (and every directory, as an empty entry), with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        files.insert(dir.clone(), None);
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.clone(), Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    files
}

/// Fails, naming the files that differ, unless `after` equals `before`.
fn assert_unchanged(
    before: &BTreeMap<PathBuf, Option<Vec<u8>>>,
    after: &BTreeMap<PathBuf, Option<Vec<u8>>>,
    message: &str,
) {
    let paths: std::collections::BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    let changed: Vec<&PathBuf> = paths
        .into_iter()
        .filter(|path| before.get(*path) != after.get(*path))
        .collect();
    assert!(changed.is_empty(), "{changed:?} changed after: {message}");
}

/// Runs `command` and checks it failed the way a user should see it: exit
/// code non-zero, no panic or backtrace, the message said once. Returns the
/// message (stderr from `error:` on).
fn refused(command: &mut Command) -> String {
    let out = command.output().expect("the arena binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "accepted; stderr: {stderr}");
    assert!(out.status.code().is_some(), "killed by a signal: {stderr}");
    let lower = stderr.to_lowercase();
    for sign in ["panicked", "backtrace", "stack backtrace", "\n   0: "] {
        assert!(!lower.contains(sign), "{sign:?} in stderr: {stderr}");
    }
    let message = match stderr.find("error:") {
        Some(start) => stderr[start..].to_owned(),
        None => panic!("no error message in stderr: {stderr}"),
    };
    assert_said_once(&message);
    message
}

/// Fails when a clause of at least 16 characters occurs twice in `message`,
/// as in "field `id`: use 1 to 64 …: field `id`: use 1 to 64 …".
fn assert_said_once(message: &str) {
    let clauses: Vec<&str> = message
        .split([':', ';', '.', '(', ')', '\n'])
        .map(str::trim)
        .filter(|c| c.len() >= 16)
        .collect();
    for (i, clause) in clauses.iter().enumerate() {
        assert!(
            !clauses[i + 1..].contains(clause),
            "{clause:?} is said twice in: {message}"
        );
    }
}

/// Fails unless `message` contains every phrase.
fn assert_says(message: &str, phrases: &[&str]) {
    for phrase in phrases {
        assert!(
            message.contains(phrase),
            "{phrase:?} missing from: {message}"
        );
    }
}

/// The repetition check catches the message this suite was written for.
#[test]
fn the_repetition_check_catches_a_repeated_cause() {
    let repeated = "error: agent 'x': field `id`: use 1 to 64 lowercase letters: field `id`: use 1 to 64 lowercase letters";
    assert!(std::panic::catch_unwind(|| assert_said_once(repeated)).is_err());
    assert_said_once(
        "error: agent file a.toml (agent 'x'): field `id`: use 1 to 64 lowercase letters",
    );
}

// ---- arena export -------------------------------------------------------

#[test]
fn export_refuses_a_reversed_round_range_and_writes_nothing() {
    let case = Case::new();
    let m = case.refuses(&["export", "--rounds", "5..2", "--out", "pairs.jsonl"]);
    assert_says(
        &m,
        &["--rounds '5..2'", "first round is after the last", "2..5"],
    );
    assert!(!case.path().join("pairs.jsonl").exists());
    assert!(!case.path().join("pairs.partial").exists());
}

#[test]
fn export_refuses_ranges_that_are_not_ranges() {
    let case = Case::new();
    let m = case.refuses(&["export", "--rounds", "3", "--out", "pairs.jsonl"]);
    assert_says(&m, &["--rounds '3'", "FIRST..LAST", "3..10"]);
    let m = case.refuses(&["export", "--rounds", "1..two", "--out", "pairs.jsonl"]);
    assert_says(&m, &["--rounds '1..two'", "'two' is not a round number"]);
    let m = case.refuses(&["export", "--rounds", "-1..4", "--out", "pairs.jsonl"]);
    assert_says(&m, &["'-1' is not a round number"]);
}

#[test]
fn export_refuses_a_margin_outside_zero_to_one() {
    let case = Case::new();
    for margin in ["1.5", "-0.1", "NaN"] {
        let m = case.refuses(&["export", "--min-margin", margin, "--out", "p.jsonl"]);
        assert_says(&m, &["--min-margin", "between 0 and 1"]);
    }
    let m = case.refuses(&["export", "--min-margin", "lots", "--out", "p.jsonl"]);
    assert_says(&m, &["--min-margin", "lots"]);
}

#[test]
fn export_refuses_an_unknown_format() {
    let case = Case::new();
    let m = case.refuses(&["export", "--format", "xml", "--out", "p.jsonl"]);
    assert_says(
        &m,
        &["unknown export format 'xml'", "trl", "leaderboard-csv"],
    );
}

#[test]
fn export_refuses_a_space_without_rounds_naming_those_with_rounds() {
    let case = Case::new();
    let m = case.refuses_after_reading(&["export", "--space", "arithmetc", "--out", "p.jsonl"]);
    assert_says(&m, &["--space arithmetc", "spaces with rounds: arithmetic"]);
    assert!(!case.path().join("p.jsonl").exists());
}

#[test]
fn export_refuses_an_output_it_cannot_write() {
    let case = Case::new();
    let m = case.refuses(&["export", "--out", "missing/dir/p.jsonl"]);
    assert_says(&m, &["missing/dir", "does not exist", "create it first"]);
    std::fs::create_dir(case.path().join("out")).unwrap();
    let m = case.refuses(&["export", "--out", "out"]);
    assert_says(&m, &["--out out", "is a directory", "give a file name"]);
}

#[test]
fn reading_commands_refuse_a_data_directory_without_a_database() {
    let case = Case::new();
    let empty = case.path().join("nothing-here");
    for args in [
        &["export", "--out", "p.jsonl"][..],
        &["rounds", "list"],
        &["rounds", "show", "1"],
        &["agents", "history", "poet"],
        &["verify", "1"],
    ] {
        let m = refused(case.command(args).env("ARENA_DATA", &empty));
        assert_says(
            &m,
            &["no arena database in", "nothing-here", "arena tournament"],
        );
        assert!(!empty.exists(), "{args:?} created {}", empty.display());
    }
}

// ---- arena rounds, verify, agents history ---------------------------------

#[test]
fn unknown_rounds_and_agents_are_named() {
    let case = Case::new();
    let m = case.refuses_after_reading(&["rounds", "show", "99"]);
    assert_says(&m, &["no round 99"]);
    let m = case.refuses_after_reading(&["verify", "99"]);
    assert_says(&m, &["no round 99"]);
    let m = case.refuses_after_reading(&["verify", "1", "--roots-only"]);
    assert_says(&m, &["round 1 has not been judged yet"]);
    let m = case.refuses_after_reading(&["agents", "history", "nobody"]);
    assert_says(&m, &["no versions of agent 'nobody'", "arena evolve"]);
    let m = case.refuses(&["rounds", "show", "first"]);
    assert_says(&m, &["'first'", "invalid digit"]);
}

// ---- arena agents add / show ----------------------------------------------

/// A valid agent file with `from` replaced by `to`.
fn agent_file(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(common::repo().join("assets/agents/poet.toml")).unwrap();
    assert!(text.contains(from), "poet.toml has no {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn agents_add_refuses_a_bad_field_once_naming_file_and_field() {
    let case = Case::new();
    let roster = common::roster(case.path());
    let bad = case.file("bad.toml", agent_file("id = \"poet\"", "id = \"Poet!\""));
    let before = snapshot(&roster);
    let m = case.refuses(&[
        "agents",
        "add",
        bad.to_str().unwrap(),
        "--agents",
        roster.to_str().unwrap(),
    ]);
    assert_says(&m, &["bad.toml", "field `id`", "lowercase"]);
    assert_eq!(m.matches("field `id`").count(), 1, "{m}");
    assert_unchanged(&before, &snapshot(&roster), &m);
}

#[test]
fn agents_add_refuses_malformed_toml_duplicates_and_oversized_prompts() {
    let case = Case::new();
    let roster = common::roster(case.path());
    let before = snapshot(&roster);
    let add = |file: &Path| {
        case.refuses(&[
            "agents",
            "add",
            file.to_str().unwrap(),
            "--agents",
            roster.to_str().unwrap(),
        ])
    };
    let m = add(&case.file("broken.toml", "id = \"poet\nname = "));
    assert_says(&m, &["agent file", "broken.toml", "line 1"]);
    let m = add(&case.file("typo.toml", agent_file("name = ", "nmae = ")));
    assert_says(&m, &["typo.toml", "nmae"]);
    let m = add(&case.file("poet.toml", agent_file("name = ", "name = ")));
    assert_says(&m, &["already has an agent 'poet'", "choose another id"]);
    let long = format!("system_prompt = \"{}\"", "x".repeat(5000));
    let text = std::fs::read_to_string(common::repo().join("assets/agents/poet.toml")).unwrap();
    let prompt_line = text
        .lines()
        .find(|l| l.starts_with("system_prompt"))
        .unwrap();
    let m = add(&case.file("long.toml", text.replacen(prompt_line, &long, 1)));
    assert_says(&m, &["long.toml", "field `system_prompt`", "4096"]);
    let m = add(&case.path().join("absent.toml"));
    assert_says(&m, &["agent file", "absent.toml"]);
    assert_unchanged(&before, &snapshot(&roster), &m);
    let m = case.refuses(&[
        "agents",
        "show",
        "nobody",
        "--agents",
        roster.to_str().unwrap(),
    ]);
    assert_says(&m, &["no agent 'nobody'"]);
}

// ---- arena generate and model files ----------------------------------------

#[test]
fn a_junk_gguf_is_refused_naming_the_file_and_the_fix() {
    let case = Case::new();
    let junk = case.file("junk.gguf", "this is a text file, not a model\n");
    let m = case.refuses(&[
        "generate",
        "--model",
        junk.to_str().unwrap(),
        "--prompt",
        "Hi",
    ]);
    assert_says(
        &m,
        &[
            "junk.gguf",
            "cannot be used",
            "not a GGUF file",
            "arena models fetch",
        ],
    );
    // Without RUST_BACKTRACE as well.
    let m = case.refused(
        case.command(&[
            "generate",
            "--model",
            junk.to_str().unwrap(),
            "--prompt",
            "Hi",
        ])
        .env_remove("RUST_BACKTRACE"),
    );
    assert_says(&m, &["junk.gguf", "not a GGUF file"]);
}

/// A GGUF header declaring one 32-float tensor, whose data is missing: what
/// a download cut short looks like.
fn truncated_gguf() -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(b"GGUF");
    bytes.extend(3u32.to_le_bytes()); // version
    bytes.extend(1u64.to_le_bytes()); // tensors
    bytes.extend(0u64.to_le_bytes()); // metadata entries
    let name = b"token_embd.weight";
    bytes.extend((name.len() as u64).to_le_bytes());
    bytes.extend(name);
    bytes.extend(1u32.to_le_bytes()); // dimensions
    bytes.extend(32u64.to_le_bytes());
    bytes.extend(0u32.to_le_bytes()); // F32
    bytes.extend(0u64.to_le_bytes()); // offset
    bytes
}

#[test]
fn a_truncated_gguf_is_refused_as_truncated() {
    let case = Case::new();
    let cut = case.file("cut.gguf", truncated_gguf());
    let m = case.refuses(&[
        "generate",
        "--model",
        cut.to_str().unwrap(),
        "--prompt",
        "Hi",
    ]);
    assert_says(&m, &["cut.gguf", "truncated", "arena models fetch"]);
}

#[test]
fn generate_refuses_bad_flags_by_name() {
    let case = Case::new();
    let m = case.refuses(&["generate", "--prompt", "Hi", "--deadline-secs", "-1"]);
    assert_says(&m, &["--deadline-secs -1", "above 0"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--deadline-secs", "NaN"]);
    assert_says(&m, &["--deadline-secs NaN", "above 0"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--temperature", "5"]);
    assert_says(&m, &["--temperature 5", "0.0 to 2.0"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--max-tokens", "0"]);
    assert_says(&m, &["--max-tokens 0", "1 to 4096"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--model", "gpt-9"]);
    assert_says(&m, &["gpt-9", "smollm2-135m"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--model", "absent.gguf"]);
    assert_says(&m, &["absent.gguf", "does not exist", "check the path"]);
    let m = case.refuses(&["generate", "--prompt", "Hi", "--agent", "absent.toml"]);
    assert_says(&m, &["agent file absent.toml"]);
}

#[test]
fn models_fetch_refuses_an_unknown_model() {
    let case = Case::new();
    let m = case.refuses(&["models", "fetch", "gpt-9"]);
    assert_says(&m, &["gpt-9", "smollm2-135m"]);
}

// ---- arena judge eval -----------------------------------------------------

#[test]
fn judge_eval_refuses_missing_malformed_and_empty_sets() {
    let case = Case::new();
    let m = case.refuses(&["judge", "eval", "--set", "nowhere.jsonl", "--judge", "none"]);
    assert_says(&m, &["nowhere.jsonl", "check the path"]);
    let bad = case.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"prompt\": \"p\", \"better\": \"b\", \"worse\": \"w\", \"kind\": \"k\"}\n{\"prompt\": 3}\n",
    )
    .unwrap();
    let m = case.refuses(&[
        "judge",
        "eval",
        "--set",
        bad.to_str().unwrap(),
        "--judge",
        "none",
    ]);
    assert_says(&m, &["bad.jsonl line 2", "judge/evals/README.md"]);
    let empty = case.path().join("empty.jsonl");
    std::fs::write(&empty, "\n").unwrap();
    let m = case.refuses(&[
        "judge",
        "eval",
        "--set",
        empty.to_str().unwrap(),
        "--judge",
        "none",
    ]);
    assert_says(&m, &["holds no labelled pairs"]);
    let good = case.path().join("good.jsonl");
    std::fs::write(
        &good,
        "{\"prompt\": \"p\", \"better\": \"b\", \"worse\": \"w\", \"kind\": \"k\"}\n",
    )
    .unwrap();
    let m = case.refuses(&[
        "judge",
        "eval",
        "--set",
        good.to_str().unwrap(),
        "--judge",
        "gpt-9",
    ]);
    assert_says(&m, &["gpt-9", "smollm2-135m"]);
}

// ---- arena tournament / evolve / gui --------------------------------------

#[test]
fn tournament_refuses_unknown_spaces_and_missing_directories() {
    let case = Case::new();
    let m = case.refuses(&["tournament", "--space", "chess"]);
    assert_says(
        &m,
        &["no space named 'chess'", "choose one of", "arithmetic"],
    );
    let m = case.refuses(&["tournament", "--agents", "no-such-dir"]);
    assert_says(&m, &["agents directory no-such-dir", "check the path"]);
    let m = case.refuses(&["tournament", "--spaces", "no-such-dir"]);
    assert_says(&m, &["spaces directory no-such-dir", "check the path"]);
}

#[test]
fn tournament_refuses_bad_flags_before_touching_the_data_directory() {
    let case = Case::new();
    let m = case.refuses(&["tournament", "--max-tokens", "0"]);
    assert_says(&m, &["--max-tokens must be at least 1"]);
    let m = case.refuses(&["tournament", "--owner-keys", "keys.txt"]);
    assert_says(
        &m,
        &["--owner-keys, --confirmations and --verifier apply to --rpc"],
    );
    let m = case.refuses(&["tournament", "--rounds", "many"]);
    assert_says(&m, &["'many'", "--rounds"]);
    let m = case.refuses(&[
        "tournament",
        "--confirmations",
        "0",
        "--rpc",
        "http://127.0.0.1:9",
    ]);
    assert_says(&m, &["--confirmations", "1..=64"]);
    let m = case.refuses(&["tournament", "--rpc", "http://127.0.0.1:9"]);
    assert_says(
        &m,
        &[
            "--rpc needs a signing account",
            "--keystore",
            "ARENA_PRIVATE_KEY",
        ],
    );
    let m = case.refused(
        case.command(&["tournament", "--rpc", "http://127.0.0.1:9"])
            .env("ARENA_PRIVATE_KEY", "0x1234"),
    );
    assert_says(&m, &["ARENA_PRIVATE_KEY", "32 bytes of hex"]);
    let m = case.refuses(&["tournament", "--judge", "openai:judge"]);
    assert_says(&m, &["openai:judge"]);
}

#[test]
fn tournament_refuses_a_dead_rpc_node_without_printing_its_key() {
    // Hosted providers put the account's key in the URL's path.
    let case = Case::new();
    let m = case.refused(
        case.command(&["tournament", "--rpc", "http://127.0.0.1:9/v2/k3yInTheUrl"])
            .env("ARENA_PRIVATE_KEY", DEV_KEY),
    );
    assert_says(&m, &["http://127.0.0.1:9/…", "is the node running?"]);
    assert!(!m.contains("k3yInTheUrl"), "the URL's key was printed: {m}");
}

#[test]
fn tournament_refuses_a_committee_the_contract_would_refuse() {
    let case = Case::new();
    let verifier = "0x0000000000000000000000000000000000000001";
    let tournament = |extra: &[&str]| {
        let mut args = vec!["tournament", "--rpc", "http://127.0.0.1:9"];
        args.extend_from_slice(extra);
        let mut command = case.command(&args);
        command.env("ARENA_PRIVATE_KEY", DEV_KEY);
        command
    };
    // Two of one verifier is no majority of anything; the node is never asked.
    let m = case.refused(&mut tournament(&[
        "--verifier",
        verifier,
        "--threshold",
        "2",
    ]));
    assert_says(
        &m,
        &[
            "--verifier, --threshold",
            "committee of 1 verifiers with threshold 2",
        ],
    );
    let m = case.refused(&mut tournament(&[
        "--verifier",
        verifier,
        "--verifier",
        verifier,
    ]));
    assert_says(&m, &["give distinct, non-zero verifiers"]);
    let m = case.refused(&mut tournament(&["--challenge-bond", "0"]));
    assert_says(&m, &["the challenge bond must not be zero"]);
}

/// The shipped `arithmetic` space with `from` replaced by `to`, alone in a
/// spaces directory.
fn spaces_with(case: &Case, from: &str, to: &str) -> PathBuf {
    let text =
        std::fs::read_to_string(common::repo().join("assets/spaces/arithmetic.toml")).unwrap();
    assert!(text.contains(from), "arithmetic.toml has no {from:?}");
    case.file("spaces/arithmetic.toml", text.replacen(from, to, 1));
    case.path().join("spaces")
}

#[test]
fn tournament_refuses_a_malformed_space() {
    let case = Case::new();
    let fee = "entry_fee_wei = \"10000000000000000\"";
    let spaces = spaces_with(&case, fee, "entry_fee_wei = \"lots\"");
    let m = case.refuses(&["tournament", "--spaces", spaces.to_str().unwrap()]);
    assert_says(&m, &["arithmetic.toml", "entry_fee_wei", "lots"]);
    let spaces = spaces_with(&case, "agents_per_round = 4", "agents_per_round = 40");
    let m = case.refuses(&["tournament", "--spaces", spaces.to_str().unwrap()]);
    assert_says(
        &m,
        &["arithmetic.toml", "field `agents_per_round`", "2 to 8"],
    );
}

#[test]
fn evolve_and_gui_refuse_bad_flags() {
    let case = Case::new();
    let roster = common::roster(case.path());
    let m = case.refuses(&[
        "evolve",
        "--space",
        "arithmetic",
        "--agents",
        "no-such-dir",
        "--baseline",
        roster.to_str().unwrap(),
    ]);
    assert_says(&m, &["agents directory no-such-dir", "check the path"]);
    let m = case.refuses(&[
        "evolve",
        "--space",
        "arithmetic",
        "--agents",
        roster.to_str().unwrap(),
        "--baseline",
        roster.to_str().unwrap(),
    ]);
    assert_says(
        &m,
        &[
            "--agents and --baseline are the same directory",
            "a directory each",
        ],
    );
    let baseline = case.path().join("baseline");
    std::fs::create_dir(&baseline).unwrap();
    std::fs::copy(roster.join("poet.toml"), baseline.join("poet.toml")).unwrap();
    let m = case.refuses(&[
        "evolve",
        "--space",
        "arithmetic",
        "--agents",
        roster.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_says(&m, &["agent 'poet' is both evolving", "one or the other"]);
    let m = case.refuses(&["gui", "--screenshot", "s.png", "--frames", "0"]);
    assert_says(&m, &["--frames must be at least 1"]);
}

// ---- arena chain / bench ----------------------------------------------------

#[test]
fn chain_commands_refuse_a_dead_node_and_bad_keys() {
    let case = Case::new();
    let m = refused(
        case.command(&["chain", "status", "--rpc-url", "http://127.0.0.1:9"])
            .env("ARENA_PRIVATE_KEY", DEV_KEY),
    );
    assert_says(&m, &["127.0.0.1:9", "is the node running?"]);
    let m = refused(
        case.command(&["chain", "keystore", "k.json"])
            .env("ARENA_PRIVATE_KEY", "zz"),
    );
    assert_says(&m, &["ARENA_PRIVATE_KEY", "32 bytes of hex"]);
    assert!(!case.path().join("k.json").exists());
}

#[test]
fn bench_refuses_zero_runs() {
    let case = Case::new();
    let m = case.refuses(&["bench", "gen", "--runs", "0"]);
    assert_says(&m, &["must be positive"]);
}

// ---- arena train ------------------------------------------------------------

/// `arena train` of poet in arithmetic, with `extra` flags.
fn train<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["train", "--agent", "poet", "--space", "arithmetic"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn train_refuses_unknown_agents_and_spaces_bad_settings_and_too_few_pairs() {
    let case = Case::new();
    let m = case.refuses(&["train", "--agent", "nobody", "--space", "arithmetic"]);
    assert_says(&m, &["--agent nobody", "no such agent", "poet"]);
    let m = case.refuses_after_reading(&["train", "--agent", "poet", "--space", "arithmetc"]);
    assert_says(&m, &["--space arithmetc", "spaces with rounds: arithmetic"]);
    for (flag, value) in [("--beta", "0"), ("--lr", "NaN")] {
        let m = case.refuses(&train(&[flag, value]));
        assert_says(&m, &[flag, "positive number"]);
    }
    let m = case.refuses(&train(&["--rank", "0"]));
    assert_says(&m, &["--rank", "0"]);
    // The stored rounds were never judged: no pairs.
    let m = case.refuses_after_reading(&train(&[]));
    assert_says(
        &m,
        &[
            "0 preference pairs for space 'arithmetic'",
            "at least 8",
            "play more rounds",
        ],
    );
    let m = case.refuses_after_reading(&train(&["--rounds", "1..1", "--verified-only"]));
    assert_says(&m, &["rounds 1..1, verified only", "at least 8"]);
}

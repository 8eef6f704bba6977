//! `arena train` end to end on real stored pairs: a short tournament of
//! four SmolLM2 agents produces preference pairs; pairs with answers of a
//! served model (whose tokenizer nothing shows) are refused until
//! `--own-tokenizer-only` leaves them out; a checkpoint made with
//! other settings is refused until `--restart`; a few DPO steps lower the
//! loss over the pairs and raise the policy's chosen-over-rejected
//! log-ratio; the trained model is recorded as the agent's new version
//! (origin dpo, with its sha256) and shown by `arena agents history`; and
//! an agent playing it in a round generates answers that commit to its hash.

mod common;

use std::collections::HashMap;
use std::path::Path;

use judge::records::{RoundStatus, VersionOrigin, VersionStatus};
use judge::{Check, Store};

use common::{arena, output_text, roster_of, tournament};

#[path = "../judge/tests/support/checked_round.rs"]
mod checked_round;
use checked_round::RoundSpec;

/// Stores round 5 of arithmetic, judged by its check, with answers of a
/// served model.
fn store_served_round(db: &Path) {
    let store = Store::open(db).unwrap();
    let mut round = RoundSpec {
        id: 5,
        space: "arithmetic",
        prompt: "Ana has 40 marbles and gives away 3. How many marbles are left?".into(),
        reference: None,
        status: RoundStatus::Closed,
        checks: &[Check::NumericAnswer {
            expected: 37.0,
            tolerance: 0.0,
        }],
    }
    .judge(&["37 are left.", "There are 43."]);
    for answer in &mut round.answers {
        answer.model = "openai:big-model".into();
    }
    round.commit(&store);
}

/// Four shipped agents, all on SmolLM2 (one tokenizer).
const AGENTS: [&str; 4] = ["mathlete", "minimalist", "poet", "scholar"];

/// The two numbers of "NAME A -> B" in `line`.
fn before_after(output: &str, name: &str) -> (f64, f64) {
    let start = output.find(&format!("{name} ")).expect(name) + name.len() + 1;
    let mut numbers = output[start..]
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|w| w.parse::<f64>().ok());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

#[test]
fn dpo_on_stored_pairs_trains_records_and_plays_the_new_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster_of(dir.path(), &AGENTS);
    let out = tournament(&data, &agents, "arithmetic", 4);
    assert!(out.status.success(), "{}", output_text(&out));
    let pairs = Store::open(&data.join("db"))
        .unwrap()
        .pairs(0, u64::MAX)
        .count();
    assert!(pairs >= 8, "{pairs} pairs from four rounds");
    store_served_round(&data.join("db"));

    let train = |own_only: bool, extra: &[&str]| {
        let mut args = vec![
            "train",
            "--agent",
            "poet",
            "--space",
            "arithmetic",
            "--agents",
            agents.to_str().unwrap(),
            "--steps",
            "3",
            "--rank",
            "2",
            "--lr",
            "2e-3",
            "--batch",
            "2",
            "--max-len",
            "112",
        ];
        if own_only {
            args.push("--own-tokenizer-only");
        }
        args.extend_from_slice(extra);
        arena(&data, &args)
    };
    let out = train(false, &[]);
    assert!(!out.status.success(), "{}", output_text(&out));
    for phrase in [
        "1 of the",
        "openai:big-model",
        "tokenizer differs",
        "--own-tokenizer-only",
    ] {
        assert!(
            output_text(&out).contains(phrase),
            "{phrase}: {}",
            output_text(&out)
        );
    }

    // A checkpoint of another run is refused, naming it and the fix.
    let checkpoint = data.join("training/poet-arithmetic-v2.checkpoint.safetensors");
    std::fs::create_dir_all(checkpoint.parent().unwrap()).unwrap();
    let other = HashMap::from([(
        "run.settings_digest".to_owned(),
        candle_core::Tensor::new(&b"another run"[..], &candle_core::Device::Cpu).unwrap(),
    )]);
    candle_core::safetensors::save(&other, &checkpoint).unwrap();
    let out = train(true, &[]);
    assert!(!out.status.success(), "{}", output_text(&out));
    for phrase in [
        "checkpoint",
        "poet-arithmetic-v2",
        "other settings",
        "--restart",
    ] {
        assert!(
            output_text(&out).contains(phrase),
            "{phrase}: {}",
            output_text(&out)
        );
    }
    assert!(checkpoint.exists(), "a refused checkpoint stays");

    let out = train(true, &["--restart"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (loss_before, loss_after) = before_after(&stdout, "loss");
    let (ratio_before, ratio_after) = before_after(&stdout, "log-ratio");
    assert!(
        (loss_before - std::f64::consts::LN_2).abs() < 1e-3,
        "{stdout}"
    );
    assert!(loss_after < loss_before, "{stdout}");
    assert!(ratio_after > ratio_before, "{stdout}");
    assert!(
        !checkpoint.exists(),
        "a finished run removes its checkpoint"
    );

    let store = Store::open(&data.join("db")).unwrap();
    let versions = store.agent_versions("arithmetic", "poet").unwrap();
    let trained = versions.last().unwrap();
    assert_eq!(trained.origin, VersionOrigin::Dpo, "{versions:?}");
    assert_eq!(trained.status, VersionStatus::Kept);
    assert_eq!(trained.parent, Some(1));
    let model = trained.model.clone().expect("the trained model");
    assert_eq!(
        agents::fetch::sha256_file(Path::new(&model.path)).unwrap(),
        model.sha256
    );
    drop(store);
    let history = arena(&data, &["agents", "history", "poet"]);
    assert!(history.status.success(), "{}", output_text(&history));
    for shown in ["v2 (Dpo", &model.sha256, &model.path] {
        assert!(
            output_text(&history).contains(shown),
            "{shown}: {}",
            output_text(&history)
        );
    }

    // An agent on the trained model plays a round: it loads, generates,
    // and its answer commits to the new file's hash.
    let poet = std::fs::read_to_string(agents.join("poet.toml")).unwrap();
    let trained_poet = poet.replace("id = \"poet\"", "id = \"poet-dpo\"").replace(
        "model = \"smollm2-135m\"",
        &format!("model = {:?}", model.path),
    );
    std::fs::remove_file(agents.join("poet.toml")).unwrap();
    std::fs::write(agents.join("poet-dpo.toml"), trained_poet).unwrap();
    let out = tournament(&data, &agents, "arithmetic", 6);
    assert!(out.status.success(), "{}", output_text(&out));
    let store = Store::open(&data.join("db")).unwrap();
    let answers = store.answers(6).unwrap();
    let answer = answers
        .iter()
        .find(|a| a.agent_id == "poet-dpo")
        .expect("the trained agent played round 6");
    assert!(answer.generated_tokens > 0, "{answer:?}");
    assert_eq!(
        answer.commitment.as_ref().unwrap().model_sha256,
        model.sha256
    );
}

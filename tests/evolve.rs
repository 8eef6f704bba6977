//! `arena evolve` end to end on the real model and chain: an evolving agent
//! that may answer in at most 2 tokens plays a generation against a fixed
//! baseline in an arithmetic space that asks for at least 3 words, loses,
//! gets a candidate version, and the next generation's round is played with
//! that candidate; the history is stored and shown by `arena agents history`.
//!
//! The loss comes from the space's verifiable check, not from what the tiny
//! model happens to say: with 12 tokens every agent usually misses the
//! number, and the model's judgement of the rest shifts with any change in
//! its arithmetic.

mod common;

use std::path::Path;
use std::process::Output;

use common::{arena, output_text};
use judge::Store;
use judge::records::{VersionOrigin, VersionStatus};

const BANANA: &str = r##"
id = "banana"
name = "Banana"
owner = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
model = "smollm2-135m"
system_prompt = "Reply with the single word banana and nothing else."

[sampling]
temperature = 0.0
max_tokens = 2
"##;

fn evolve(
    data: &Path,
    evolving: &Path,
    baseline: &Path,
    generations: &str,
    mutator: &str,
) -> Output {
    let flags = ["--rounds-per-generation", "1"];
    evolve_with(data, evolving, baseline, generations, mutator, &flags)
}

/// [`evolve`] with these flags instead of one round per generation.
fn evolve_with(
    data: &Path,
    evolving: &Path,
    baseline: &Path,
    generations: &str,
    mutator: &str,
    flags: &[&str],
) -> Output {
    let spaces = evolving.parent().unwrap().join("spaces");
    let mut args = vec![
        "evolve",
        "--space",
        "arithmetic",
        "--agents",
        evolving.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--generations",
        generations,
        "--mutator",
        mutator,
        "--max-tokens",
        "12",
        "--spaces",
        spaces.to_str().unwrap(),
    ];
    args.extend(flags);
    arena(data, &args)
}

/// The "banana" agent to evolve and three shipped agents as the baseline,
/// in `dir/evolving` and `dir/baseline`, and the arithmetic space with a
/// 3-word minimum in `dir/spaces`.
fn sides(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let evolving = dir.join("evolving");
    std::fs::create_dir_all(&evolving).unwrap();
    std::fs::write(evolving.join("banana.toml"), BANANA).unwrap();
    let spaces = dir.join("spaces");
    std::fs::create_dir_all(&spaces).unwrap();
    let arithmetic =
        std::fs::read_to_string(common::repo().join("assets/spaces/arithmetic.toml")).unwrap();
    assert!(arithmetic.contains("checks = []"));
    std::fs::write(
        spaces.join("arithmetic.toml"),
        arithmetic.replace(
            "checks = []",
            r#"checks = [{ kind = "min_words", min = 3 }]"#,
        ),
    )
    .unwrap();
    let baseline = dir.join("baseline");
    std::fs::create_dir_all(&baseline).unwrap();
    for id in BASELINE {
        std::fs::copy(
            common::repo().join(format!("assets/agents/{id}.toml")),
            baseline.join(format!("{id}.toml")),
        )
        .unwrap();
    }
    (evolving, baseline)
}

const BASELINE: [&str; 3] = ["mathlete", "minimalist", "poet"];

/// With `--mutator imitate`, the losing agent's candidate starts from the
/// prompt of the generation's best agent (population-based training).
#[test]
fn an_imitating_candidate_copies_the_best_agent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (evolving, baseline) = sides(dir.path());
    let out = evolve(&data, &evolving, &baseline, "1", "imitate");
    assert!(out.status.success(), "{}", output_text(&out));
    let store = Store::open(&data.join("db")).unwrap();
    let versions = store.agent_versions("arithmetic", "banana").unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let candidate = &versions[1];
    let leader = BASELINE
        .iter()
        .find(|id| candidate.note.starts_with(&format!("copied from {id};")))
        .unwrap_or_else(|| panic!("copied from a baseline agent: {candidate:?}"));
    let leader_file =
        agents::Agent::load(&common::repo().join(format!("assets/agents/{leader}.toml"))).unwrap();
    let first_words: String = leader_file.system_prompt.chars().take(12).collect();
    assert!(
        candidate.system_prompt.starts_with(&first_words)
            && !candidate.system_prompt.contains("banana"),
        "{candidate:?}"
    );
}

/// With `--mutator dpo`, the losing agent's candidate is its model trained
/// by DPO on the space's stored pairs: a new GGUF file, bound by its sha256
/// to the version (origin dpo) and to the answers the next generation plays
/// with it. Three rounds a generation give up to 18 pairs, of which training
/// needs 8 (ties make none).
#[test]
fn a_dpo_candidate_is_a_trained_model_that_plays_the_next_generation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (evolving, baseline) = sides(dir.path());
    let flags = ["--rounds-per-generation", "3", "--train-steps", "1"];
    let out = evolve_with(&data, &evolving, &baseline, "2", "dpo", &flags);
    assert!(out.status.success(), "{}", output_text(&out));
    let store = Store::open(&data.join("db")).unwrap();
    let versions = store.agent_versions("arithmetic", "banana").unwrap();
    assert!(versions.len() >= 2, "{versions:?}");
    let candidate = &versions[1];
    assert_eq!(candidate.origin, VersionOrigin::Dpo, "{candidate:?}");
    assert_eq!(candidate.created_after_round, Some(3));
    let model = candidate.model.as_ref().expect("a trained model file");
    assert_eq!(
        agents::fetch::sha256_file(Path::new(&model.path)).unwrap(),
        model.sha256
    );
    let answer = store
        .answers(4)
        .unwrap()
        .into_iter()
        .find(|a| a.agent_id == "banana")
        .expect("banana plays generation 2");
    assert_eq!(answer.commitment.unwrap().model_sha256, model.sha256);
}

#[test]
fn a_losing_agent_gets_a_new_version_that_plays_the_next_generation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (evolving, baseline) = sides(dir.path());

    // An agent cannot be on both sides.
    std::fs::copy(baseline.join("poet.toml"), evolving.join("poet.toml")).unwrap();
    let out = evolve(&data, &evolving, &baseline, "1", "rules");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("'poet' is both evolving"), "{stderr}");
    std::fs::remove_file(evolving.join("poet.toml")).unwrap();

    let out = evolve(&data, &evolving, &baseline, "2", "rules");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        stdout.contains("generation 1 (rounds 1-1)")
            && stdout.contains("generation 2 (rounds 2-2)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("banana: form"),
        "banana lost generation 1: {stdout}"
    );

    let store = Store::open(&data.join("db")).unwrap();
    let versions = store.agent_versions("arithmetic", "banana").unwrap();
    assert!(versions.len() >= 2, "{versions:?}");
    let (first, second) = (&versions[0], &versions[1]);
    assert_eq!(first.origin, VersionOrigin::File);
    assert_eq!(first.rounds_played, 1);
    assert!(first.form.unwrap() < 0.5, "{first:?}");
    assert_eq!(second.origin, VersionOrigin::Mutated);
    assert_eq!(second.parent, Some(1));
    assert_eq!(second.created_after_round, Some(1));
    assert_ne!(
        (&second.system_prompt, &second.sampling),
        (&first.system_prompt, &first.sampling)
    );
    assert_ne!(
        second.status,
        VersionStatus::Trial,
        "judged after generation 2"
    );
    assert_eq!(second.rounds_played, 1);
    // Round 2 was played with the candidate, round 1 with the file's version.
    let answer = |round| {
        store
            .answers(round)
            .unwrap()
            .into_iter()
            .find(|a| a.agent_id == "banana")
            .unwrap()
    };
    assert_eq!(answer(1).system_prompt, first.system_prompt);
    assert_eq!(answer(2).system_prompt, second.system_prompt);
    assert_eq!(answer(2).sampling.temperature, second.sampling.temperature);
    // The baseline never changes.
    assert!(
        store
            .agent_versions("arithmetic", "poet")
            .unwrap()
            .is_empty()
    );
    drop(store);

    let out = arena(&data, &["agents", "history", "banana"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shown.contains("arithmetic v1 (File, Kept)"), "{shown}");
    assert!(shown.contains("arithmetic v2 (Mutated"), "{shown}");
    assert!(shown.contains(&second.system_prompt), "{shown}");

    let out = arena(&data, &["agents", "history", "nobody"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no versions of agent 'nobody'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

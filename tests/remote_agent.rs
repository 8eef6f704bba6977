//! Agents on an OpenAI-compatible server, end to end: a real llama.cpp
//! server (llama-cpp-python's) on loopback serves one agent while another
//! runs on candle, in the same round of the real `arena` binary on a real
//! anvil; the round is judged, stored, settled and verified by replay and
//! by a local prefill of the model the server claims. A server that serves
//! another model than it claims is caught. And the errors a user meets: a
//! server that is not there, a judge server without log-probabilities.

mod common;
#[path = "common/llama_server.rs"]
mod llama_server;

use std::path::{Path, PathBuf};
use std::process::Output;

use judge::Store;
use judge::records::RoundStatus;

use common::{model_path, output_text, repo};
use llama_server::{LlamaServer, free_port};

/// The local agent of the round (SmolLM2 on candle).
const LOCAL: &str = "minimalist";
/// The served agent's id.
const SERVED: &str = "served";

/// The model the served agent's server claims to run.
const CLAIMED: &str = "smollm2-135m";

/// A roster of the local agent and an agent served at `url` (claiming
/// [`CLAIMED`]), and the arithmetic space with two agents per round, under
/// `dir`.
fn setup(dir: &Path, url: &str) -> (PathBuf, PathBuf) {
    let agents = dir.join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::copy(
        repo().join(format!("assets/agents/{LOCAL}.toml")),
        agents.join(format!("{LOCAL}.toml")),
    )
    .unwrap();
    std::fs::write(
        agents.join(format!("{SERVED}.toml")),
        format!(
            r##"id = "{SERVED}"
name = "Served"
owner = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
model = "openai:smollm2"
system_prompt = "Solve the problem and give the number."

[sampling]
temperature = 0.0
max_tokens = 32

[endpoint]
url = "{url}"
timeout_secs = 60
retries = 1
claimed_model = "{CLAIMED}"
"##
        ),
    )
    .unwrap();
    (agents, common::two_agent_arithmetic_spaces(dir))
}

fn run(data: &Path, agents: &Path, spaces: &Path, judge: &str) -> Output {
    common::tournament_command(data, agents, "arithmetic", 1)
        .arg("--spaces")
        .arg(spaces)
        .args(["--judge", judge])
        .output()
        .expect("the arena binary runs")
}

/// `arena verify 1` of the round in `data`, with `extra` arguments.
fn verify(data: &Path, spaces: &Path, extra: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["verify", "1", "--data-dir"])
        .arg(data)
        .arg("--spaces")
        .arg(spaces)
        .args(extra)
        .output()
        .expect("the arena binary runs")
}

#[test]
fn a_served_agent_and_a_candle_agent_play_one_round() {
    let server = LlamaServer::start(&model_path("smollm2-135m"), "smollm2", &[]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (agents, spaces) = setup(dir.path(), &server.url);

    let out = run(&data, &agents, &spaces, "smollm2-135m");
    assert!(
        out.status.success(),
        "{}\n{}",
        output_text(&out),
        server.log()
    );
    assert!(
        output_text(&out).contains("Leaderboard of space"),
        "{}",
        output_text(&out)
    );
    assert!(
        server.log().contains("/v1/chat/completions"),
        "the server was asked: {}",
        server.log()
    );

    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].status, RoundStatus::Closed, "{rounds:?}");
    let answers = store.answers(rounds[0].id).unwrap();
    let ids: Vec<&str> = answers.iter().map(|a| a.agent_id.as_str()).collect();
    assert_eq!(ids, [LOCAL, SERVED]);
    for answer in &answers {
        assert!(
            !answer.text.trim().is_empty() && answer.generated_tokens > 0,
            "{answer:?}"
        );
    }
    let served = &answers[1];
    assert_eq!(served.model, "openai:smollm2");
    assert_eq!(
        served.endpoint.as_ref().map(|e| e.url.as_str()),
        Some(server.url.as_str())
    );
    assert!(
        served.generated_tokens <= 12,
        "--max-tokens caps it: {served:?}"
    );
    let judgment = store.judgment(rounds[0].id).unwrap().expect("judged");
    assert_eq!(judgment.judge, "smollm2-135m");
    assert_eq!(judgment.answers.len(), 2);
    assert!(
        common::model_scored_what_rules_left_open(&judgment),
        "{judgment:?}"
    );
    let mut ranked = judgment.ranking.order.clone();
    ranked.sort();
    assert_eq!(ranked, [LOCAL, SERVED]);
    drop(store);

    // `arena generate` answers with the same agent file, from the server.
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_arena"))
        .args([
            "generate",
            "--prompt",
            "What is 2+2?",
            "--max-tokens",
            "6",
            "--agent",
        ])
        .arg(agents.join(format!("{SERVED}.toml")))
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", output_text(&generated));
    assert!(
        !String::from_utf8_lossy(&generated.stdout).trim().is_empty()
            && String::from_utf8_lossy(&generated.stderr).contains("[openai:smollm2]"),
        "{}",
        output_text(&generated)
    );

    // The replay asks the same server again. Greedy, so that llama.cpp's
    // prompt cache (which changes the numerics slightly) cannot flip a
    // sampled token.
    let replayed = verify(&data, &spaces, &["--replay"]);
    let said = output_text(&replayed);
    assert!(replayed.status.success(), "{said}");
    assert!(
        said.contains(&format!("answer of {SERVED}: reproduced"))
            || said.contains(&format!("answer of {SERVED}: cut by the round's deadline")),
        "{said}"
    );

    // Without replay the served answer is checked by a local prefill of
    // the model its server claims: the honest server passes.
    let checked = verify(&data, &spaces, &[]);
    let said = output_text(&checked);
    assert!(checked.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "answer of {SERVED}: served by {}, consistent with its claimed model {CLAIMED}",
            server.url
        )),
        "{said}"
    );
}

#[test]
fn a_server_serving_another_model_than_it_claims_fails_verification() {
    // Gemma 3 answers under the name the agent's server claims for SmolLM2.
    let server = LlamaServer::start(&model_path("gemma3-270m"), "smollm2", &[]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (agents, spaces) = setup(dir.path(), &server.url);
    let out = run(&data, &agents, &spaces, "none");
    assert!(
        out.status.success(),
        "{}\n{}",
        output_text(&out),
        server.log()
    );

    let checked = verify(&data, &spaces, &[]);
    let said = output_text(&checked);
    assert!(!checked.status.success(), "{said}");
    assert!(
        said.contains("round 1 failed verification")
            && said.contains(&format!(
                "the answer of {SERVED} served by {} is not what its claimed model {CLAIMED} gives",
                server.url
            ))
            && said.contains("tokens are not ones the claimed model's sampling would pick"),
        "{said}"
    );
    // The local agent's answer still holds.
    assert!(
        said.contains(&format!("answer of {LOCAL}: consistent with")),
        "{said}"
    );
}

#[test]
fn an_unreachable_server_fails_the_round_naming_its_url_and_keeps_it_resumable() {
    let url = format!("http://127.0.0.1:{}/v1", free_port());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (agents, spaces) = setup(dir.path(), &url);
    let out = run(&data, &agents, &spaces, "none");
    assert!(!out.status.success());
    let said = output_text(&out);
    assert!(
        said.contains(&format!("{url}/chat/completions"))
            && said.contains("unreachable after 2 attempt(s)")
            && said.contains(&format!("agent '{SERVED}'"))
            && said.contains("run the same command again to resume"),
        "{said}"
    );
    let store = Store::open(&data.join("db")).unwrap();
    let round = store.round(1).unwrap().expect("the round is kept");
    assert_eq!(round.status, RoundStatus::EntriesPaid, "{round:?}");
}

#[test]
fn a_judge_server_without_logprobs_is_refused_with_the_fix() {
    let server = LlamaServer::start(
        &model_path("smollm2-135m"),
        "smollm2",
        &["--logits_all", "false"],
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (agents, spaces) = setup(dir.path(), &server.url);
    let judge = format!("openai:smollm2@{}", server.url);
    let out = run(&data, &agents, &spaces, &judge);
    assert!(!out.status.success());
    let said = output_text(&out);
    assert!(
        said.contains(&server.url)
            && said.contains("gives no log-probabilities")
            && said.contains("--logits_all true"),
        "{said}"
    );
    // Generation did not need log-probabilities: the answers are stored.
    let store = Store::open(&data.join("db")).unwrap();
    assert_eq!(store.answers(1).unwrap().len(), 2);

    let bad = run(&data, &agents, &spaces, "openai:smollm2");
    assert!(!bad.status.success());
    assert!(
        output_text(&bad).contains("names no server"),
        "{}",
        output_text(&bad)
    );
}

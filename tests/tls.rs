//! HTTPS end to end, on real TLS servers on loopback with a CA the test
//! makes: TLS proxies of the test's own in front of a real anvil and a real
//! llama.cpp server (llama-cpp-python's). A round of the `arena` binary pays
//! its entries and settles over https, a served agent answers and the judge
//! scores over https, and the API key stays out of the output. A server
//! whose certificate is not trusted is refused with the host and the fix.

mod common;
#[path = "common/llama_server.rs"]
mod llama_server;
#[path = "common/tls_proxy.rs"]
mod tls_proxy;

use std::path::Path;
use std::process::Command;

use contracts::{AnvilNode, Deployment, RoundState};
use judge::Store;
use judge::records::RoundStatus;

use common::output_text;
use llama_server::LlamaServer;
use tls_proxy::{TestCa, TlsProxy};

/// The served agent's id.
const SERVED: &str = "served";
/// The other served agent of the round.
const SECOND: &str = "second";
/// The API key the served agent and the judge send; it must never be printed.
const API_KEY: &str = "sk-test-4f1c9e77d2b8a0135e6c";

/// A roster of two agents served at `url` (answers with the same flags,
/// so the judge scores both), and the arithmetic space with two agents per
/// round, under `dir`.
fn setup(dir: &Path, url: &str, other_url: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let agents = dir.join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    for (id, owner, prompt, url) in [
        (
            SERVED,
            "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
            "Solve the problem and give the number.",
            url,
        ),
        (
            SECOND,
            "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
            "You are good at arithmetic. Give the result.",
            other_url,
        ),
    ] {
        std::fs::write(
            agents.join(format!("{id}.toml")),
            format!(
                r##"id = "{id}"
name = "Served {id}"
owner = "{owner}"
model = "openai:gemma3"
system_prompt = "{prompt}"

[sampling]
temperature = 0.0
max_tokens = 8

[endpoint]
url = "{url}"
api_key_env = "ARENA_TEST_SERVED_KEY"
timeout_secs = 60
retries = 0
"##
            ),
        )
        .unwrap();
    }
    (agents, common::two_agent_arithmetic_spaces(dir))
}

/// One round settled on the node at `rpc`, judged by `judge`.
fn tournament(
    data: &Path,
    agents: &Path,
    spaces: &Path,
    rpc: &str,
    judge: &str,
    node: &AnvilNode,
) -> Command {
    let owner_keys = data.with_extension("owner-keys");
    std::fs::write(&owner_keys, node.private_keys()[1..].join("\n")).unwrap();
    let mut command = common::tournament_command(data, agents, "arithmetic", 1);
    command
        .arg("--spaces")
        .arg(spaces)
        .args(["--judge", judge])
        .args(["--rpc", rpc, "--confirmations", "1", "--entry-window", "10"])
        .args(["--challenge-window", "3"])
        .arg("--owner-keys")
        .arg(&owner_keys)
        .env("ARENA_PRIVATE_KEY", &node.private_keys()[0])
        .env("ARENA_TEST_SERVED_KEY", API_KEY)
        .env("ARENA_JUDGE_API_KEY", API_KEY)
        .env_remove("ARENA_CA_FILE")
        .env_remove("RUST_LOG");
    command
}

#[test]
fn a_round_settles_and_a_served_agent_and_judge_answer_over_https() {
    // Gemma adds a BOS token, so llama-cpp-python's echoed log-probabilities
    // suit the judge (see the README); one server plays and judges.
    // One server per served agent: both ask at once, and llama-cpp-python
    // cuts a running request short when another arrives.
    let server = LlamaServer::start(&common::model_path("gemma3-270m"), "gemma3", &[]);
    let other = LlamaServer::start(&common::model_path("gemma3-270m"), "gemma3", &[]);
    let node = AnvilNode::start(10, &["--chain-id", "31338", "--block-time", "1"]).unwrap();
    let ca = TestCa::new("Arena test CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write(&ca_file);
    let rpc = TlsProxy::start(&ca, node.rpc_url());
    let api = TlsProxy::start(&ca, &server.url);
    let other_api = TlsProxy::start(&ca, &other.url);
    let api_url = format!("{}/v1", api.url);
    let other_url = format!("{}/v1", other_api.url);
    let data = dir.path().join("data");
    let (agents, spaces) = setup(dir.path(), &api_url, &other_url);

    let out = tournament(
        &data,
        &agents,
        &spaces,
        &rpc.url,
        &format!("openai:gemma3@{api_url}"),
        &node,
    )
    .arg("--ca-file")
    .arg(&ca_file)
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        output_text(&out),
        server.log()
    );
    assert!(
        !output_text(&out).contains(API_KEY),
        "{}",
        output_text(&out)
    );
    assert!(rpc.handshakes() > 0 && api.handshakes() > 0);

    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].status, RoundStatus::Closed, "{rounds:?}");
    let answers = store.answers(rounds[0].id).unwrap();
    assert_eq!(answers.len(), 2);
    for served in &answers {
        assert!(served.generated_tokens > 0, "{served:?}");
        let url = if served.agent_id == SERVED {
            &api_url
        } else {
            &other_url
        };
        assert_eq!(
            served.endpoint.as_ref().map(|e| e.url.as_str()),
            Some(url.as_str())
        );
    }
    let judgment = store.judgment(rounds[0].id).unwrap().expect("judged");
    assert!(judgment.judge.starts_with("openai:gemma3"), "{judgment:?}");
    assert!(
        common::model_scored_what_rules_left_open(&judgment),
        "{judgment:?}"
    );
    // The judge server was asked over HTTPS for echoed log-probabilities
    // (the agents ask only for chat completions), whatever decided the pair.
    assert!(server.log().contains("/v1/completions"), "{}", server.log());
    drop(store);

    // The chain, read over plain HTTP: the round was paid and settled.
    let record = Deployment::load(&data.join("chain/deployment.json"))
        .unwrap()
        .expect("recorded");
    assert_eq!(record.chain_id, 31338);
    let view = common::ChainView::on(node, &data);
    let info = view.rt.block_on(view.client.round(rounds[0].id)).unwrap();
    assert_eq!(info.state, RoundState::Settled);
    assert_eq!(info.agents.len(), 2);
}

#[test]
fn a_certificate_that_is_not_trusted_is_refused_with_the_host_and_the_fix() {
    let node = AnvilNode::start(10, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Signed by a CA the client is never told about.
    let stranger = TlsProxy::start(&TestCa::new("Unknown CA"), node.rpc_url());
    let data = dir.path().join("data");
    let url = format!("{}/v1", stranger.url);
    let (agents, spaces) = setup(dir.path(), &url, &url);

    let out = tournament(&data, &agents, &spaces, &stranger.url, "none", &node)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = output_text(&out);
    assert!(
        said.contains(&stranger.url)
            && said.contains("certificate of localhost is not trusted")
            && said.contains("--ca-file"),
        "{said}"
    );
    assert!(!data.join("db").exists(), "nothing is stored: {said}");

    let generate = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_arena"))
            .args(["generate", "--prompt", "2+2?", "--max-tokens", "2"])
            .args(extra)
            .arg("--agent")
            .arg(agents.join(format!("{SERVED}.toml")))
            .env("ARENA_TEST_SERVED_KEY", API_KEY)
            .env_remove("ARENA_CA_FILE")
            .output()
            .unwrap()
    };
    let out = generate(&[]);
    assert!(!out.status.success());
    let said = output_text(&out);
    assert!(
        said.contains(&format!("{url}/chat/completions"))
            && said.contains("certificate of localhost is not trusted")
            && said.contains("--ca-file")
            && !said.contains(API_KEY),
        "{said}"
    );
    assert_eq!(stranger.handshakes(), 0);

    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let out = generate(&["--ca-file", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("junk.pem") && output_text(&out).contains("PEM"),
        "{}",
        output_text(&out)
    );
}

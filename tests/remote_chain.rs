//! Settlement on a chain the tournament did not start, as on a public
//! testnet: an independent anvil with its own chain id and a block every
//! second, the operator's key in an encrypted keystore, confirmations
//! waited for. Then the ways such a run goes wrong (wrong password, a node of
//! another chain, a dead node) each fail with their message and leave the
//! store as it was.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use contracts::signer::{parse_private_key, write_keystore};
use contracts::{AnvilNode, ArenaClient, Chain, Deployment, RoundState};
use judge::Store;
use judge::records::RoundStatus;

use common::roster;

const PASSWORD: &str = "correct horse battery staple";

fn remote_tournament(
    data: &Path,
    agents: &Path,
    rpc: &str,
    keystore: &Path,
    owner_keys: &Path,
    password: &str,
) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["tournament", "--space", "arithmetic", "--rounds", "1"])
        .args(["--max-tokens", "8", "--judge", "none"])
        .args(["--rpc", rpc, "--confirmations", "2", "--entry-window", "30"])
        // A window this short is waited out, so the round is paid out before the run ends.
        .args(["--challenge-window", "3"])
        .arg("--keystore")
        .arg(keystore)
        .arg("--owner-keys")
        .arg(owner_keys)
        .arg("--agents")
        .arg(agents)
        .arg("--data-dir")
        .arg(data)
        .env("ARENA_KEYSTORE_PASSWORD", password)
        .env_remove("ARENA_PRIVATE_KEY")
        .env_remove("RUST_LOG")
        .output()
        .expect("the arena binary runs")
}

/// Everything the store holds about its rounds, to compare before and after a failed run.
fn snapshot(data: &Path) -> String {
    let store = Store::open(&data.join("db")).unwrap();
    let mut text = String::new();
    for round in store.rounds() {
        let round = round.unwrap();
        text.push_str(&serde_json::to_string(&round).unwrap());
        text.push_str(&serde_json::to_string(&store.answers(round.id).unwrap()).unwrap());
        text.push_str(&serde_json::to_string(&store.judgment(round.id).unwrap()).unwrap());
    }
    text
}

#[test]
fn a_round_settles_on_an_independent_chain_and_bad_connections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    let node = AnvilNode::start(10, &["--chain-id", "31338", "--block-time", "1"]).unwrap();
    let keys = node.private_keys().to_vec();
    let keystore = dir.path().join("operator.json");
    let operator =
        write_keystore(&keystore, &parse_private_key(&keys[0]).unwrap(), PASSWORD).unwrap();
    let owner_keys = dir.path().join("owner-keys.txt");
    std::fs::write(&owner_keys, keys[1..].join("\n")).unwrap();

    let out = remote_tournament(
        &data,
        &agents,
        node.rpc_url(),
        &keystore,
        &owner_keys,
        PASSWORD,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("/2 confirmations"),
        "confirmation progress is shown: {stderr}"
    );
    assert!(
        !stderr.contains(PASSWORD) && !stderr.contains(&keys[0][2..]),
        "{stderr}"
    );

    let record = Deployment::load(&data.join("chain/deployment.json"))
        .unwrap()
        .expect("recorded");
    assert_eq!(record.chain_id, 31338);
    assert_eq!(record.operator, Some(operator.address()));
    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    drop(store);
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].status, RoundStatus::Closed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chain = rt
        .block_on(Chain::connect(node.rpc_url(), &keys[0]))
        .unwrap();
    let client = ArenaClient::at(&chain, record.contract);
    let info = rt.block_on(client.round(rounds[0].id)).unwrap();
    assert_eq!(info.state, RoundState::Settled);
    assert_eq!(info.agents.len(), 4);
    let settle = rounds[0]
        .transactions
        .iter()
        .find(|t| t.action == "settle")
        .expect("settled");
    let receipt = rt
        .block_on(chain.receipt(settle.hash.parse().unwrap()))
        .unwrap()
        .expect("mined");
    let head = rt.block_on(chain.block_number()).unwrap();
    assert!(
        head > receipt.block_number.unwrap(),
        "a block was built on the settlement"
    );

    let before = snapshot(&data);

    let out = remote_tournament(
        &data,
        &agents,
        node.rpc_url(),
        &keystore,
        &owner_keys,
        "wrong password",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("wrong password") && stderr.contains("operator.json"),
        "{stderr}"
    );
    assert_eq!(snapshot(&data), before, "a wrong password changes nothing");

    let other = AnvilNode::start(10, &["--chain-id", "31339"]).unwrap();
    let out = remote_tournament(
        &data,
        &agents,
        other.rpc_url(),
        &keystore,
        &owner_keys,
        PASSWORD,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("chain id 31339")
            && stderr.contains("chain id 31338")
            && stderr.contains("deployment.json"),
        "{stderr}"
    );
    assert_eq!(snapshot(&data), before, "another chain changes nothing");
    drop(other);

    let url = node.rpc_url().to_owned();
    drop(node);
    let out = remote_tournament(&data, &agents, &url, &keystore, &owner_keys, PASSWORD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&url) && stderr.contains("is the node running?"),
        "{stderr}"
    );
    assert_eq!(snapshot(&data), before, "a dead node changes nothing");
}

//! `arena tournament` end to end, as a user runs it: the real binary, the
//! real models and a real anvil; then the stored rounds are checked against
//! the chain (balances to the wei, result roots).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alloy::primitives::{Address, B256, U256};
use contracts::{AnvilNode, ArenaClient, Chain};
use judge::Store;
use judge::records::RoundStatus;

const AGENTS: &[&str] = &["minimalist", "oracle", "poet", "scholar"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A roster of four shipped agents (both models) in a temporary directory.
fn roster(dir: &Path) -> PathBuf {
    let agents = dir.join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    for id in AGENTS {
        std::fs::copy(
            repo().join(format!("assets/agents/{id}.toml")),
            agents.join(format!("{id}.toml")),
        )
        .unwrap();
    }
    agents
}

fn tournament(data: &Path, agents: &Path, space: &str, rounds: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args([
            "tournament",
            "--space",
            space,
            "--rounds",
            &rounds.to_string(),
            "--max-tokens",
            "12",
        ])
        .arg("--agents")
        .arg(agents)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("the arena binary runs")
}

/// Expected credits of a settled round, by owner, per the contract's rules.
fn expected_credits(
    fee: u128,
    split: &[u16],
    protocol_bps: u16,
    ranking: &[Address],
) -> Vec<(Address, U256)> {
    let pot = fee * ranking.len() as u128;
    let prize = pot - pot * u128::from(protocol_bps) / 10_000;
    let places = ranking.len().min(split.len());
    let mut credits: Vec<(Address, U256)> = Vec::new();
    let mut paid = 0;
    for i in 1..places {
        let amount = prize * u128::from(split[i]) / 10_000;
        paid += amount;
        credits.push((ranking[i], U256::from(amount)));
    }
    credits.insert(0, (ranking[0], U256::from(prize - paid)));
    credits
}

#[test]
fn short_tournament_on_two_spaces_settles_to_the_wei() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    for (space, rounds) in [("arithmetic", 2), ("haiku", 1)] {
        let out = tournament(&data, &agents, space, rounds);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{space}: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Leaderboard of space"), "{stdout}");
    }

    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(rounds.len(), 3);
    assert!(
        rounds.iter().all(|r| r.status == RoundStatus::Closed),
        "{rounds:?}"
    );

    // The chain as the tournament left it, restarted from its saved state.
    let state = data.join("chain/anvil-state.json");
    let node = AnvilNode::start(10, &["--state", state.to_str().unwrap()]).unwrap();
    let deployment: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("chain/deployment.json")).unwrap())
            .unwrap();
    let contract: Address = deployment["contract"].as_str().unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chain = rt
        .block_on(Chain::connect(node.rpc_url(), &node.private_keys()[0]))
        .unwrap();
    let client = ArenaClient::at(&chain, contract);

    let owner_of = |agent: &str| -> Address {
        let text = std::fs::read_to_string(agents.join(format!("{agent}.toml"))).unwrap();
        agents::Agent::from_toml(&text, agent)
            .unwrap()
            .owner
            .parse()
            .unwrap()
    };
    let mut expected: std::collections::HashMap<Address, U256> = Default::default();
    for round in &rounds {
        let judgment = store.judgment(round.id).unwrap().expect("judged");
        let answers = store.answers(round.id).unwrap();
        assert_eq!(answers.len(), 4);
        let pairs: Vec<_> = store
            .pairs(round.id, round.id)
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            pairs.len(),
            judgment
                .verdicts
                .iter()
                .filter(|v| v.decided().is_some())
                .count()
        );
        let changes = store.rating_changes(round.id).unwrap();
        assert_eq!(changes.len(), 4);
        assert!(
            changes
                .iter()
                .map(|c| c.after - c.before)
                .sum::<f64>()
                .abs()
                < 1e-9
        );

        let info = rt.block_on(client.round(round.id)).unwrap();
        assert_eq!(info.state, contracts::RoundState::Settled);
        let stored_root: B256 = format!("0x{}", round.result_root.as_ref().unwrap())
            .parse()
            .unwrap();
        assert_eq!(info.result_root, stored_root, "round {}", round.id);
        let recomputed = arena_root(&store, round.id);
        assert_eq!(
            info.result_root, recomputed,
            "round {}: root recomputed from the store",
            round.id
        );

        let ranking: Vec<Address> = judgment.ranking.order.iter().map(|a| owner_of(a)).collect();
        assert_eq!(info.entrants.len(), 4);
        for (owner, amount) in expected_credits(
            info.entry_fee,
            &info.split_bps,
            info.protocol_fee_bps,
            &ranking,
        ) {
            *expected.entry(owner).or_default() += amount;
        }
    }
    for agent in AGENTS {
        let owner = owner_of(agent);
        let owed = rt.block_on(client.balance_of(owner)).unwrap();
        assert_eq!(
            owed,
            expected.get(&owner).copied().unwrap_or_default(),
            "{agent}"
        );
    }
    drop(node);
}

/// The result root recomputed independently from the stored record:
/// SHA-256 Merkle tree over the prompt, each answer (by agent id) and the judgment.
fn arena_root(store: &Store, id: u64) -> B256 {
    use sha2::{Digest, Sha256};
    let round = store.round(id).unwrap().unwrap();
    let mut answers = store.answers(id).unwrap();
    answers.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    let judgment = store.judgment(id).unwrap().unwrap();
    let hash = |bytes: Vec<u8>| -> [u8; 32] { Sha256::digest(&bytes).into() };
    let mut level: Vec<[u8; 32]> = vec![hash(
        serde_json::to_vec(&(&round.id, &round.space, &round.prompt)).unwrap(),
    )];
    for a in &answers {
        level.push(hash(
            serde_json::to_vec(&(&a.agent_id, &a.model, &a.text, a.truncated)).unwrap(),
        ));
    }
    level.push(hash(serde_json::to_vec(&judgment).unwrap()));
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                let mut joined = p[0].to_vec();
                joined.extend_from_slice(p.get(1).unwrap_or(&p[0]));
                hash(joined)
            })
            .collect();
    }
    B256::from(level[0])
}

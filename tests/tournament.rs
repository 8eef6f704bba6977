//! `arena tournament` end to end, as a user runs it: the real binary, the
//! real models and a real anvil; then the stored rounds are checked against
//! the chain (balances to the wei, result roots).

mod common;

use alloy::primitives::{Address, B256, U256};
use judge::Store;
use judge::records::RoundStatus;

use common::{AGENTS, ChainView, expected_credits, owner_of, roster, tournament};

/// One owner enters two agents: scholar is given poet's owner, so each round has four agents of
/// three owners, and that owner is paid both agents' rewards.
#[test]
fn short_tournament_on_two_spaces_settles_to_the_wei() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    let shared_owner = owner_of(&agents, "poet");
    let scholar = agents.join("scholar.toml");
    let text = std::fs::read_to_string(&scholar).unwrap();
    let own = owner_of(&agents, "scholar").to_checksum(None);
    assert!(text.contains(&own), "scholar.toml names its owner {own}");
    std::fs::write(
        &scholar,
        text.replace(&own, &shared_owner.to_checksum(None)),
    )
    .unwrap();
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

    let view = ChainView::open(&data);
    let (client, rt) = (&view.client, &view.rt);
    let owner_of = |agent: &str| owner_of(&agents, agent);
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
        assert_eq!(info.agents.len(), 4);
        for (agent, paid_by) in info.agents.iter().zip(&info.owners) {
            let id = AGENTS
                .iter()
                .find(|a| contracts::agent_key(a) == *agent)
                .expect("every entered agent is one of the roster's");
            assert_eq!(*paid_by, owner_of(id), "{id} paid by its owner");
        }
        let distinct: std::collections::BTreeSet<_> = info.owners.iter().collect();
        assert_eq!(distinct.len(), 3, "four agents of three owners");
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
        let owed = rt
            .block_on(client.balance_of(contracts::NATIVE, owner))
            .unwrap();
        assert_eq!(
            owed,
            expected.get(&owner).copied().unwrap_or_default(),
            "{agent}"
        );
    }
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
        // Local answers carry their commitment, bound with what they were
        // generated under.
        let commitment = a.commitment.as_ref().expect("local answers commit");
        level.push(hash(
            serde_json::to_vec(&(
                (&a.agent_id, &a.model, &a.text, a.truncated),
                (&a.system_prompt, &a.sampling, a.seed, commitment),
            ))
            .unwrap(),
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

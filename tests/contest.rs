//! Contestable settlement end to end, with the real binary, models and anvil: a tournament
//! settles two rounds on a chain it did not start, with a committee of three verifiers (two
//! decide) and a challenge window it does not wait out. One round's stored record is then
//! tampered with, as a dishonest operator would publish a record that does not match what it
//! settled. A player challenges both rounds with `arena chain challenge`; two verifiers each
//! run `arena verify ROUND --vote`. The dishonest settlement is upheld against: refunded, and
//! the operator's bond slashed to the challenger. The honest one stands: paid out by the
//! ranking, and the challenger's bond goes to the operator.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use alloy::primitives::{Address, U256};
use contracts::signer::parse_private_key;
use contracts::{AnvilNode, ArenaClient, Chain, Deployment, NATIVE, RoundState};
use judge::Store;

use common::{expected_credits, output_text, roster};

/// The command line of `arena` on `data`, signing with `key`.
fn arena_as(data: &Path, key: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arena"));
    command
        .arg("--data-dir")
        .arg(data)
        .env("ARENA_PRIVATE_KEY", key)
        .env_remove("ARENA_RPC_URL")
        .env_remove("RUST_LOG");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the arena binary runs")
}

#[test]
fn a_dishonest_settlement_is_slashed_and_an_honest_one_stands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    let node = AnvilNode::start(13, &["--chain-id", "31340", "--block-time", "1"]).unwrap();
    let rpc = node.rpc_url().to_owned();
    let keys = node.private_keys().to_vec();
    let address = |i: usize| parse_private_key(&keys[i]).unwrap().address();
    let owner_keys = dir.path().join("owner-keys.txt");
    std::fs::write(&owner_keys, keys[1..9].join("\n")).unwrap();

    let mut tournament = arena_as(&data, &keys[0]);
    tournament
        .args(["tournament", "--space", "arithmetic", "--rounds", "2"])
        .args(["--max-tokens", "8", "--judge", "none"])
        .args([
            "--rpc",
            &rpc,
            "--confirmations",
            "1",
            "--entry-window",
            "20",
        ])
        .arg("--owner-keys")
        .arg(&owner_keys)
        .arg("--agents")
        .arg(&agents);
    for verifier in 10..13 {
        tournament.args(["--verifier", &address(verifier).to_string()]);
    }
    let out = run(&mut tournament);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("rewards are withdrawable after the challenge window"),
        "a proposal left in its window is reported: {text}"
    );

    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(rounds.len(), 2);
    let (dishonest, honest) = (rounds[0].id, rounds[1].id);
    // The operator's published record of the dishonest round no longer matches what it
    // settled: one answer is not the one the agent gave.
    let mut answers = store.answers(dishonest).unwrap();
    answers[0].text.push_str(" (edited)");
    store.put_generated(&rounds[0], &answers).unwrap();
    drop(store);

    let shown = run(arena_as(&data, &keys[0]).args(["rounds", "show", &honest.to_string()]));
    assert!(
        output_text(&shown).contains("open to challenges until chain time"),
        "{}",
        output_text(&shown)
    );

    let chain_args = |command: &mut Command| {
        command
            .args(["--rpc-url", &rpc, "--state-dir"])
            .arg(data.join("chain"));
    };
    let challenger = 9;
    for round in [dishonest, honest] {
        let mut challenge = arena_as(&data, &keys[challenger]);
        challenge.args(["chain", "challenge", &round.to_string()]);
        chain_args(&mut challenge);
        let out = run(&mut challenge);
        assert!(out.status.success(), "{}", output_text(&out));
        assert!(output_text(&out).contains("challenged by"));
    }

    // Someone outside the committee cannot vote, and is told who can, before any work.
    let out = run(arena_as(&data, &keys[challenger]).args([
        "verify",
        &honest.to_string(),
        "--rpc",
        &rpc,
        "--vote",
    ]));
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("is not a verifier"),
        "{}",
        output_text(&out)
    );

    for verifier in [10, 11] {
        let out = run(arena_as(&data, &keys[verifier]).args([
            "verify",
            &dishonest.to_string(),
            "--rpc",
            &rpc,
            "--vote",
        ]));
        let text = output_text(&out);
        assert!(!out.status.success(), "the tampered round fails: {text}");
        assert!(text.contains("voted upheld"), "{text}");
        let out = run(arena_as(&data, &keys[verifier]).args([
            "verify",
            &honest.to_string(),
            "--rpc",
            &rpc,
            "--vote",
        ]));
        let text = output_text(&out);
        assert!(out.status.success(), "the honest round verifies: {text}");
        assert!(text.contains("voted rejected"), "{text}");
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chain = rt.block_on(Chain::connect(&rpc, &keys[0])).unwrap();
    let record = Deployment::load(&data.join("chain/deployment.json"))
        .unwrap()
        .unwrap();
    let client = ArenaClient::at(&chain, record.contract);
    let committee = rt.block_on(client.committee()).unwrap();
    assert_eq!(committee.threshold, 2);
    let bonds = U256::from(committee.settle_bond + committee.challenge_bond);

    let refunded = rt.block_on(client.round(dishonest)).unwrap();
    assert_eq!(refunded.state, RoundState::Cancelled);
    let paid = rt.block_on(client.round(honest)).unwrap();
    assert_eq!(paid.state, RoundState::Settled);

    // Every account is owed exactly: the dishonest round's fees back to their payers, the
    // honest round's prizes by its ranking, both bonds of each challenge to its winner.
    let mut expected: HashMap<Address, U256> = HashMap::new();
    for owner in &refunded.owners {
        *expected.entry(*owner).or_default() += U256::from(refunded.entry_fee);
    }
    let ranking = rt.block_on(client.contest(honest)).unwrap().ranking;
    let owner_of = |agent| paid.owners[paid.agents.iter().position(|a| *a == agent).unwrap()];
    let ranked: Vec<Address> = ranking.iter().map(|a| owner_of(*a)).collect();
    for (owner, amount) in expected_credits(
        paid.entry_fee,
        &paid.split_bps,
        paid.protocol_fee_bps,
        &ranked,
    ) {
        *expected.entry(owner).or_default() += amount;
    }
    let pot = U256::from(paid.entry_fee) * U256::from(paid.agents.len());
    let protocol_fee = pot * U256::from(paid.protocol_fee_bps) / U256::from(10_000);
    *expected.entry(address(0)).or_default() += protocol_fee + bonds;
    *expected.entry(address(challenger)).or_default() += bonds;
    for i in 0..13 {
        let owed = rt.block_on(client.balance_of(NATIVE, address(i))).unwrap();
        assert_eq!(
            owed,
            expected.get(&address(i)).copied().unwrap_or_default(),
            "arena balance of account {i}"
        );
    }
    assert_eq!(
        rt.block_on(client.holdings(NATIVE)).unwrap(),
        rt.block_on(client.total_owed(NATIVE)).unwrap(),
        "nothing is left in escrow"
    );
}

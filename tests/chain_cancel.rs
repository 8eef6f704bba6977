//! `arena chain cancel ROUND` as a player runs it against an operator that vanished: refused,
//! naming the time, while the operator may still settle; accepted from the player's own key once
//! the round timed out, with every entry refunded to the owner that paid it.

use std::process::Output;

use alloy::primitives::{U256, keccak256};
use contracts::{AnvilNode, ArenaClient, Chain, Committee, RoundSpec, RoundState, agent_key};

const FEE: u128 = 1_000_000_000_000_000_000;

fn cancel_as(key: &str, rpc: &str, contract: &str, dir: &std::path::Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_arena"))
        .args([
            "chain",
            "cancel",
            "1",
            "--rpc-url",
            rpc,
            "--contract",
            contract,
        ])
        .env("ARENA_PRIVATE_KEY", key)
        .current_dir(dir)
        .output()
        .expect("the arena binary runs")
}

#[test]
fn a_player_cancels_a_round_the_operator_never_settled() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let node = AnvilNode::start(4, &[]).unwrap();
    let keys = node.private_keys().to_vec();
    let chains: Vec<Chain> = keys
        .iter()
        .map(|k| rt.block_on(Chain::connect(node.rpc_url(), k)).unwrap())
        .collect();
    let operator = rt
        .block_on(ArenaClient::deploy(
            &chains[0],
            chains[0].account(),
            &Committee::of(vec![chains[3].account()]),
        ))
        .unwrap();
    let now = rt.block_on(chains[0].latest_timestamp()).unwrap();
    let spec = RoundSpec {
        round_id: 1,
        space: keccak256("arithmetic"),
        fee_token: contracts::NATIVE,
        entry_fee: FEE,
        deadline: now + 100,
        settle_window: 50,
        split_bps: vec![10_000],
        protocol_fee_bps: 0,
    };
    rt.block_on(operator.open(&spec)).unwrap();
    let (owner, other) = (
        operator.with_chain(&chains[1]),
        operator.with_chain(&chains[2]),
    );
    for (who, agent) in [(&owner, "poet"), (&owner, "scholar"), (&other, "oracle")] {
        rt.block_on(who.enter(1, agent_key(agent), FEE)).unwrap();
    }
    let contract = operator.address().to_string();
    // The operator never comes back. Past the deadline, inside the settle window: refused.
    rt.block_on(chains[0].advance_time(101)).unwrap();
    let early = cancel_as(&keys[2], node.rpc_url(), &contract, dir.path());
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert!(
        !early.status.success(),
        "cancel before the timeout accepted"
    );
    assert!(
        stderr.contains(&format!("times out at {}", spec.deadline + 50)),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        rt.block_on(operator.round(1)).unwrap().state,
        RoundState::Open
    );

    rt.block_on(chains[0].advance_time(50)).unwrap();
    let late = cancel_as(&keys[2], node.rpc_url(), &contract, dir.path());
    let stdout = String::from_utf8_lossy(&late.stdout);
    assert!(
        late.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&late.stderr)
    );
    assert!(stdout.contains("3 entries refunded"), "{stdout}");
    assert_eq!(
        rt.block_on(operator.round(1)).unwrap().state,
        RoundState::Cancelled
    );
    let owed = |c: &Chain| {
        rt.block_on(operator.balance_of(contracts::NATIVE, c.account()))
            .unwrap()
    };
    assert_eq!(
        owed(&chains[1]),
        U256::from(2 * FEE),
        "both of its agents' fees"
    );
    assert_eq!(owed(&chains[2]), U256::from(FEE));
}

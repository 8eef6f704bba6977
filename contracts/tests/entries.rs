//! Entries are keyed by agent: one owner enters several agents in a round and is paid each
//! agent's reward; a free round moves no wei (but the settle bond, out and back) and still
//! records its result root.

mod common;

use alloy::primitives::U256;
use common::{Env, FEE, PROTOCOL_FEE_BPS, expected_payout, root, with_returned_bond};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{RoundState, agent_key};

#[tokio::test]
async fn one_owner_enters_two_agents_and_is_paid_for_each() {
    let env = Env::start(3).await;
    let spec = env.open(1, &DEFAULT_SPLIT_BPS).await;
    let (owner, rival) = (&env.players[0], &env.players[1]);
    let (first, third, second) = (agent_key("poet"), agent_key("coder"), agent_key("rival"));
    owner.enter(1, first, FEE).await.unwrap();
    owner.enter(1, third, FEE).await.unwrap();
    rival.enter(1, second, FEE).await.unwrap();
    let again = owner.enter(1, first, FEE).await.unwrap_err();
    assert!(again.to_string().contains("already entered"), "{again}");

    let c = &env.operator;
    let info = c.round(1).await.unwrap();
    assert_eq!(info.agents, vec![first, third, second]);
    let (o, r) = (owner.chain().account(), rival.chain().account());
    assert_eq!(info.owners, vec![o, o, r]);

    env.pass_deadline().await;
    env.settle_and_finalize(1, &[first, second, third], root("two agents"))
        .await;
    let (_, rewards) = expected_payout(3, FEE, &spec.split_bps, PROTOCOL_FEE_BPS);
    assert_eq!(
        c.balance_of(contracts::NATIVE, o).await.unwrap(),
        U256::from(rewards[0] + rewards[2])
    );
    assert_eq!(
        c.balance_of(contracts::NATIVE, r).await.unwrap(),
        U256::from(rewards[1])
    );
    let credits = c.credits(1).await.unwrap();
    let of = |agent| credits.iter().find(|e| e.agent == agent).unwrap();
    assert_eq!((of(first).account, of(first).place), (o, U256::from(1)));
    assert_eq!((of(second).account, of(second).place), (r, U256::from(2)));
    assert_eq!((of(third).account, of(third).place), (o, U256::from(3)));
}

#[tokio::test]
async fn a_free_round_pays_nothing_and_records_its_result_root() {
    let env = Env::start(3).await;
    let mut spec = env.spec(1, &DEFAULT_SPLIT_BPS).await;
    spec.entry_fee = 0;
    env.operator.open(&spec).await.unwrap();
    for (i, p) in env.players.iter().enumerate() {
        p.enter(1, agent_key(&format!("free-{i}")), 0)
            .await
            .unwrap();
    }
    let paid = env.players[0]
        .enter(1, agent_key("paid"), 1)
        .await
        .unwrap_err();
    assert!(
        paid.to_string().contains("entry fee is exactly 0 wei"),
        "{paid}"
    );
    env.pass_deadline().await;
    let before = env.snapshot().await;
    let ranking: Vec<_> = (0..env.players.len())
        .rev()
        .map(|i| agent_key(&format!("free-{i}")))
        .collect();
    env.settle_and_finalize(1, &ranking, root("free")).await;
    assert_eq!(
        env.snapshot().await,
        with_returned_bond(before),
        "no balance moved but the operator's bond, back to its balance"
    );
    assert!(
        env.operator.credits(1).await.unwrap().is_empty(),
        "no credits of nothing"
    );
    let info = env.operator.round(1).await.unwrap();
    assert_eq!(info.state, RoundState::Settled);
    assert_eq!(info.result_root, root("free"));
}

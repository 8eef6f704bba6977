//! An operator that vanishes cannot lock the entry fees: once a round's deadline plus its
//! settle window (fixed at opening) has passed, any account can cancel it, every entry is
//! refunded to the owner that paid it, and the operator can no longer settle.

mod common;

use alloy::primitives::U256;
use common::{ENTRY_WINDOW, Env, FEE, SETTLE_WINDOW, agent, root};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{RoundState, agent_key};

#[tokio::test]
async fn entrants_recover_their_fees_when_the_operator_vanishes() {
    let env = Env::start(4).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    // Player 0 enters two agents, player 1 one.
    let (p0, p1, outsider) = (&env.players[0], &env.players[1], &env.players[2]);
    p0.enter(1, agent_key("a"), FEE).await.unwrap();
    p0.enter(1, agent_key("b"), FEE).await.unwrap();
    p1.enter(1, agent(p1.chain().account()), FEE).await.unwrap();
    // From here on the operator never sends another transaction.

    let info = env.operator.round(1).await.unwrap();
    assert_eq!(info.settle_window, SETTLE_WINDOW);
    let chain = outsider.chain();
    // Past the deadline but inside the settle window, the round still belongs to the operator.
    chain.advance_time(ENTRY_WINDOW + 1).await.unwrap();
    let early = outsider.cancel(1).await.unwrap_err();
    assert!(
        early.to_string().contains(&info.times_out_at().to_string()),
        "the refusal names when the round times out: {early}"
    );
    let before = env.snapshot().await;
    chain
        .advance_time(info.times_out_at() - chain.latest_timestamp().await.unwrap())
        .await
        .unwrap();

    // An outsider who never entered cancels; the fees go to the owners that paid them.
    outsider
        .cancel(1)
        .await
        .expect("anyone cancels a timed-out round");
    let c = &env.operator;
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    assert_eq!(
        c.balance_of(contracts::NATIVE, p0.chain().account())
            .await
            .unwrap(),
        U256::from(2 * FEE)
    );
    assert_eq!(
        c.balance_of(contracts::NATIVE, p1.chain().account())
            .await
            .unwrap(),
        U256::from(FEE)
    );
    assert_eq!(
        c.balance_of(contracts::NATIVE, outsider.chain().account())
            .await
            .unwrap(),
        U256::ZERO
    );
    assert_eq!(
        c.total_owed(contracts::NATIVE).await.unwrap(),
        before[0],
        "everything held is owed back"
    );

    // The operator comes back too late: settling is refused, the refunds stand.
    let late = c
        .settle(
            1,
            &[agent_key("a"), agent_key("b"), agent(p1.chain().account())],
            root("late"),
        )
        .await
        .unwrap_err();
    assert!(late.to_string().contains("not open"), "{late}");
    for p in [p0, p1] {
        let wallet = chain.balance(p.chain().account()).await.unwrap();
        let owed = c
            .balance_of(contracts::NATIVE, p.chain().account())
            .await
            .unwrap();
        let out = p
            .withdraw(contracts::NATIVE)
            .await
            .expect("withdraw refund");
        assert_eq!(
            chain.balance(p.chain().account()).await.unwrap() + out.fee_paid,
            wallet + owed
        );
    }
    assert_eq!(chain.balance(c.address()).await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn a_timed_out_round_cannot_be_settled_even_before_anyone_cancels() {
    let env = Env::start(2).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let p = &env.players[0];
    p.enter(1, agent(p.chain().account()), FEE).await.unwrap();
    env.operator
        .chain()
        .advance_time(ENTRY_WINDOW + SETTLE_WINDOW + 1)
        .await
        .unwrap();
    let err = env
        .operator
        .settle(1, &[agent(p.chain().account())], root("late"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(env.operator.round(1).await.unwrap().state, RoundState::Open);
}

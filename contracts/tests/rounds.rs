//! Full rounds on a real anvil: entry, settlement (proposed, then finalized after its challenge
//! window) and withdrawal move exactly the documented amounts, to the wei.

mod common;

use alloy::primitives::{Address, U256};
use common::{
    Env, FEE, PROTOCOL_FEE_BPS, SETTLE_BOND, agent, agents, expected_payout, root,
    with_returned_bond,
};
use contracts::RoundState;
use contracts::client::DEFAULT_SPLIT_BPS;

/// Runs a whole round with `n` entrants and checks every balance; returns the gas of each
/// `enter`, of `settle` (the proposal) and of `finalize`.
async fn full_round(n: usize) -> (Vec<u64>, u64, u64) {
    let env = Env::start(n + 2).await;
    let spec = env.open(1, &DEFAULT_SPLIT_BPS).await;
    let mut enter_gas = Vec::new();
    let mut entrants = Vec::new();
    for p in &env.players[..n] {
        let out = p
            .enter(1, agent(p.chain().account()), FEE)
            .await
            .expect("enter");
        enter_gas.push(out.gas_used);
        entrants.push(p.chain().account());
    }
    let c = &env.operator;
    let pot = U256::from(FEE) * U256::from(n);
    assert_eq!(c.chain().balance(c.address()).await.unwrap(), pot);
    env.pass_deadline().await;

    // Ranking: reverse entry order, so position in the ranking, not entry order, decides.
    let ranking: Vec<Address> = entrants.iter().rev().copied().collect();
    let settled = c
        .settle(1, &agents(&ranking), root("record"))
        .await
        .expect("settle");
    // A proposal credits nothing: the pot and the bond wait out the challenge window.
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Proposed);
    assert!(c.credits(1).await.unwrap().is_empty());
    assert_eq!(
        env.escrowed(contracts::NATIVE).await,
        pot + U256::from(SETTLE_BOND)
    );
    let finalized = env.finalize(1).await;

    let (protocol, rewards) = expected_payout(n, FEE, &spec.split_bps, PROTOCOL_FEE_BPS);
    assert_eq!(
        c.balance_of(contracts::NATIVE, c.chain().account())
            .await
            .unwrap(),
        U256::from(protocol + SETTLE_BOND),
        "the protocol fee, and the settle bond back"
    );
    for (i, who) in ranking.iter().enumerate() {
        let want = rewards.get(i).copied().unwrap_or(0);
        assert_eq!(
            c.balance_of(contracts::NATIVE, *who).await.unwrap(),
            U256::from(want),
            "place {}",
            i + 1
        );
    }
    assert_eq!(
        protocol + rewards.iter().sum::<u128>(),
        FEE * n as u128,
        "no wei lost"
    );
    assert_eq!(
        c.total_owed(contracts::NATIVE).await.unwrap(),
        pot + U256::from(SETTLE_BOND)
    );
    assert_eq!(env.escrowed(contracts::NATIVE).await, U256::ZERO);
    let info = c.round(1).await.unwrap();
    assert_eq!(info.state, RoundState::Settled);
    assert_eq!(info.result_root, root("record"));
    let events = c.settlements(1).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].ranking, agents(&ranking));
    assert_eq!(events[0].pot, pot);
    assert_eq!(events[0].protocolFee, U256::from(protocol));

    // Every winner withdraws: wallet grows by the reward minus the gas it paid.
    for (i, who) in ranking.iter().enumerate().take(rewards.len()) {
        let player = env
            .players
            .iter()
            .find(|p| p.chain().account() == *who)
            .unwrap();
        let before = c.chain().balance(*who).await.unwrap();
        let out = player.withdraw(contracts::NATIVE).await.expect("withdraw");
        let after = c.chain().balance(*who).await.unwrap();
        assert_eq!(after + out.fee_paid, before + U256::from(rewards[i]));
        assert_eq!(
            c.balance_of(contracts::NATIVE, *who).await.unwrap(),
            U256::ZERO
        );
    }
    c.withdraw(contracts::NATIVE)
        .await
        .expect("operator withdraws the protocol fee and its bond");
    assert_eq!(c.chain().balance(c.address()).await.unwrap(), U256::ZERO);
    assert_eq!(c.total_owed(contracts::NATIVE).await.unwrap(), U256::ZERO);
    (enter_gas, settled.gas_used, finalized.gas_used)
}

#[tokio::test]
async fn full_round_with_3_entrants_pays_the_split_to_the_wei() {
    let (enter, settle, finalize) = full_round(3).await;
    println!(
        "GAS enter (1st, later)={}, {} settle(3 entrants)={settle} finalize(3 entrants)={finalize}",
        enter[0], enter[1]
    );
}

#[tokio::test]
async fn full_round_with_8_entrants_pays_the_split_to_the_wei() {
    let (enter, settle, finalize) = full_round(8).await;
    println!(
        "GAS enter (1st, later)={}, {} settle(8 entrants)={settle} finalize(8 entrants)={finalize}",
        enter[0], enter[7]
    );
}

/// For every entrant count from 1 to 8 and for two splits (the default three places and a
/// custom five), the credits equal the documented rule and add up to the pot.
#[tokio::test]
async fn payout_arithmetic_for_1_to_8_entrants() {
    let env = Env::start(10).await;
    let c = &env.operator;
    let splits: [&[u16]; 2] = [&DEFAULT_SPLIT_BPS, &[3_333, 2_501, 2_000, 1_166, 1_000]];
    let mut round_id = 0;
    for split in splits {
        for n in 1..=8 {
            round_id += 1;
            env.open(round_id, split).await;
            let entrants = env.enter(round_id, n).await;
            env.pass_deadline().await;
            // Rotate the ranking per round so every player takes every place over time.
            let mut ranking = entrants.clone();
            ranking.rotate_left(round_id as usize % n);
            let before = env.snapshot().await;
            env.settle_and_finalize(round_id, &agents(&ranking), root("r"))
                .await;
            let after = env.snapshot().await;

            let (protocol, rewards) = expected_payout(n, FEE, split, PROTOCOL_FEE_BPS);
            assert_eq!(
                after[2] - before[2],
                U256::from(protocol + SETTLE_BOND),
                "fee and the bond back, n={n}"
            );
            for (i, who) in ranking.iter().enumerate() {
                let idx = 3 + env
                    .players
                    .iter()
                    .position(|p| p.chain().account() == *who)
                    .unwrap();
                let want = rewards.get(i).copied().unwrap_or(0);
                assert_eq!(
                    after[idx] - before[idx],
                    U256::from(want),
                    "n={n} place {}",
                    i + 1
                );
            }
            let credited: U256 = c
                .credits(round_id)
                .await
                .unwrap()
                .iter()
                .map(|e| e.amount)
                .sum();
            assert_eq!(
                credited,
                U256::from(FEE * n as u128),
                "n={n}: credits equal the pot"
            );
            assert_eq!(after[0], after[1], "contract holds exactly what it owes");
            assert_eq!(env.escrowed(contracts::NATIVE).await, U256::ZERO);
        }
    }
}

#[tokio::test]
async fn settling_a_round_nobody_entered_pays_nothing() {
    let env = Env::start(2).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    env.pass_deadline().await;
    let before = env.snapshot().await;
    env.settle_and_finalize(1, &agents(&[]), root("empty"))
        .await;
    assert_eq!(
        env.snapshot().await,
        with_returned_bond(before),
        "nothing moved but the operator's bond, back to its balance"
    );
    assert!(env.operator.credits(1).await.unwrap().is_empty());
    assert_eq!(
        env.operator.round(1).await.unwrap().state,
        RoundState::Settled
    );
}

#[tokio::test]
async fn cancel_refunds_every_entrant_exactly_its_fee() {
    let env = Env::start(6).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let entrants = env.enter(1, 5).await;
    let c = &env.operator;
    c.cancel(1).await.expect("cancel");
    for who in &entrants {
        assert_eq!(
            c.balance_of(contracts::NATIVE, *who).await.unwrap(),
            U256::from(FEE)
        );
    }
    assert_eq!(
        c.balance_of(contracts::NATIVE, c.chain().account())
            .await
            .unwrap(),
        U256::ZERO,
        "no fee on cancel"
    );
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    let refunds = c.credits(1).await.unwrap();
    assert_eq!(refunds.len(), 5);
    assert!(
        refunds
            .iter()
            .all(|e| e.place == U256::ZERO && e.amount == U256::from(FEE))
    );
    for p in &env.players[..5] {
        p.withdraw(contracts::NATIVE)
            .await
            .expect("withdraw refund");
    }
    assert_eq!(c.chain().balance(c.address()).await.unwrap(), U256::ZERO);
}

/// The gas of every state-changing call, for BENCHMARKS.md (lines starting `GAS`): one owner
/// with two agents and one with one, a settled round (proposed, then finalized), a round the
/// operator cancels and one an outsider cancels after it timed out, and the withdrawals. The
/// contest calls (challenge, votes, cancelling an unresolved challenge) are in contest.rs.
#[tokio::test]
async fn gas_of_every_call() {
    let env = Env::start(4).await;
    let c = &env.operator;
    let (p0, p1, outsider) = (&env.players[0], &env.players[1], &env.players[2]);
    let mut gas: Vec<(String, u64)> = Vec::new();
    for id in 1..=3 {
        let spec = env.spec(id, &DEFAULT_SPLIT_BPS).await;
        let open = c.open(&spec).await.unwrap().gas_used;
        let own = |name: &str| contracts::agent_key(&format!("{id}-{name}"));
        let e1 = p0.enter(id, own("a"), FEE).await.unwrap().gas_used;
        let e2 = p0.enter(id, own("b"), FEE).await.unwrap().gas_used;
        let e3 = p1.enter(id, own("c"), FEE).await.unwrap().gas_used;
        if id == 1 {
            gas.push(("open".into(), open));
            gas.push(("enter, first agent of a round".into(), e1));
            gas.push(("enter, second agent of the same owner".into(), e2));
            gas.push(("enter, agent of another owner".into(), e3));
        }
    }
    env.pass_deadline().await;
    gas.extend(common::closing_gas(&env, outsider, p0, contracts::NATIVE, "").await);
    for (call, used) in gas {
        assert!(used > 21_000, "{call} did real work");
        println!("GAS {call} = {used}");
    }
}

//! Token-fee rounds on a real anvil with the Test USD stablecoin: entrants approve and the
//! contract pulls the fee; rewards, protocol fee and refunds are credited and withdrawn in the
//! token, to the unit; a timed-out token round refunds every entry in the token; a short
//! allowance or balance, or ETH sent along, is refused with a message naming the fix.

mod common;

use alloy::primitives::U256;
use common::{
    ENTRY_WINDOW, Env, PROTOCOL_FEE_BPS, SETTLE_BOND, SETTLE_WINDOW, expected_payout, root,
};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::token::{TEST_USD_DECIMALS, TEST_USD_PER_HOLDER};
use contracts::{NATIVE, RoundSpec, RoundState, TokenClient, agent_key};

/// 1 TUSD plus an odd number of units, so integer division leaves dust.
const TOKEN_FEE: u128 = 1_000_003;

/// Opens round `id` of `env` with its fee in `token`.
async fn open_token_round(env: &Env, id: u64, token: &TokenClient) -> RoundSpec {
    let spec = RoundSpec {
        fee_token: token.address(),
        entry_fee: TOKEN_FEE,
        ..env.spec(id, &DEFAULT_SPLIT_BPS).await
    };
    env.operator.open(&spec).await.expect("open token round");
    spec
}

#[tokio::test]
async fn a_token_round_is_entered_settled_and_withdrawn_in_the_token() {
    let env = Env::start(5).await;
    let tusd = env.test_usd().await;
    assert_eq!(tusd.symbol().await.unwrap(), "TUSD");
    assert_eq!(tusd.decimals().await.unwrap(), TEST_USD_DECIMALS);
    open_token_round(&env, 1, &tusd).await;
    let c = &env.operator;
    let info = c.round(1).await.unwrap();
    assert_eq!(info.fee_token, tusd.address());
    let eth_before = c.chain().balance(c.address()).await.unwrap();

    // Player 0 enters two agents (one approval each, exact fee), players 1 and 2 one each.
    let entries = [(0, "a"), (0, "b"), (1, "c"), (2, "d")];
    for (p, name) in entries {
        let player = &env.players[p];
        let paid = player
            .pay_entry(1, agent_key(name), tusd.address(), TOKEN_FEE)
            .await
            .expect("approve and enter");
        assert!(
            paid.approve.is_some(),
            "an approval is sent when none is left"
        );
        assert_eq!(
            tusd.allowance(player.chain().account(), c.address())
                .await
                .unwrap(),
            U256::ZERO,
            "exactly the fee was pulled"
        );
    }
    let pot = TOKEN_FEE * entries.len() as u128;
    assert_eq!(c.holdings(tusd.address()).await.unwrap(), U256::from(pot));
    assert_eq!(
        c.chain().balance(c.address()).await.unwrap(),
        eth_before,
        "no ETH moved"
    );
    let p0 = env.players[0].chain().account();
    assert_eq!(
        tusd.balance_of(p0).await.unwrap(),
        U256::from(TEST_USD_PER_HOLDER - 2 * TOKEN_FEE)
    );

    env.pass_deadline().await;
    let ranking = ["d", "a", "c", "b"].map(agent_key);
    c.settle(1, &ranking, root("token")).await.expect("settle");
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Proposed);
    // The bond is ETH even in a token round; the pot stays escrowed in the token.
    assert_eq!(env.escrowed(NATIVE).await, U256::from(SETTLE_BOND));
    assert_eq!(env.escrowed(tusd.address()).await, U256::from(pot));
    env.finalize(1).await;
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Settled);
    assert_eq!(env.escrowed(NATIVE).await, U256::ZERO);
    assert_eq!(env.escrowed(tusd.address()).await, U256::ZERO);
    let (protocol, rewards) = expected_payout(
        entries.len(),
        TOKEN_FEE,
        &DEFAULT_SPLIT_BPS,
        PROTOCOL_FEE_BPS,
    );
    let owner = |p: usize| env.players[p].chain().account();
    // d (player 2) first, a (player 0) second, c (player 1) third, b unpaid.
    let want = [
        (owner(0), rewards[1]),
        (owner(1), rewards[2]),
        (owner(2), rewards[0]),
        (c.chain().account(), protocol),
    ];
    for (who, amount) in want {
        assert_eq!(
            c.balance_of(tusd.address(), who).await.unwrap(),
            U256::from(amount)
        );
        // No ETH is credited for a token round, but the operator's settle bond comes back.
        let eth = if who == c.chain().account() {
            SETTLE_BOND
        } else {
            0
        };
        assert_eq!(c.balance_of(NATIVE, who).await.unwrap(), U256::from(eth));
    }
    assert_eq!(c.total_owed(tusd.address()).await.unwrap(), U256::from(pot));
    assert_eq!(c.total_owed(NATIVE).await.unwrap(), U256::from(SETTLE_BOND));
    let credits = c.credits(1).await.unwrap();
    assert!(credits.iter().all(|cr| cr.asset == tusd.address()));

    // Everyone withdraws the token; the wallets grow by exactly what was owed.
    let operator_token = tusd.with_chain(c.chain());
    for (client, who) in [
        (&env.players[0], owner(0)),
        (&env.players[1], owner(1)),
        (&env.players[2], owner(2)),
        (c, c.chain().account()),
    ] {
        let wallet = operator_token.balance_of(who).await.unwrap();
        let owed = c.balance_of(tusd.address(), who).await.unwrap();
        client
            .withdraw(tusd.address())
            .await
            .expect("withdraw token");
        assert_eq!(operator_token.balance_of(who).await.unwrap(), wallet + owed);
    }
    assert_eq!(c.holdings(tusd.address()).await.unwrap(), U256::ZERO);
    assert_eq!(c.total_owed(tusd.address()).await.unwrap(), U256::ZERO);
    // Nothing is owed in ETH, so an ETH withdraw is refused, naming the asset.
    let err = env.players[0].withdraw(NATIVE).await.unwrap_err();
    assert!(err.to_string().contains("no balance in ETH"), "{err}");
}

#[tokio::test]
async fn a_timed_out_token_round_refunds_every_entry_in_the_token() {
    let env = Env::start(4).await;
    let tusd = env.test_usd().await;
    open_token_round(&env, 1, &tusd).await;
    let (p0, p1, outsider) = (&env.players[0], &env.players[1], &env.players[2]);
    p0.pay_entry(1, agent_key("a"), tusd.address(), TOKEN_FEE)
        .await
        .unwrap();
    p0.pay_entry(1, agent_key("b"), tusd.address(), TOKEN_FEE)
        .await
        .unwrap();
    p1.pay_entry(1, agent_key("c"), tusd.address(), TOKEN_FEE)
        .await
        .unwrap();
    // The operator vanishes; after the deadline and the settle window anyone may cancel.
    outsider
        .chain()
        .advance_time(ENTRY_WINDOW + SETTLE_WINDOW + 1)
        .await
        .unwrap();
    outsider.cancel(1).await.expect("outsider cancels");
    let c = &env.operator;
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    for (who, fees) in [(p0, 2), (p1, 1)] {
        let account = who.chain().account();
        assert_eq!(
            c.balance_of(tusd.address(), account).await.unwrap(),
            U256::from(fees * TOKEN_FEE)
        );
        who.withdraw(tusd.address()).await.expect("withdraw refund");
        assert_eq!(
            tusd.balance_of(account).await.unwrap(),
            U256::from(TEST_USD_PER_HOLDER),
            "whole again"
        );
    }
    assert_eq!(c.holdings(tusd.address()).await.unwrap(), U256::ZERO);
    let late = c
        .settle(1, &["a", "b", "c"].map(agent_key), root("late"))
        .await
        .unwrap_err();
    assert!(late.to_string().contains("not open"), "{late}");
}

#[tokio::test]
async fn a_short_allowance_or_balance_or_eth_sent_along_is_refused_with_the_fix() {
    let env = Env::start(3).await;
    let tusd = env.test_usd().await;
    open_token_round(&env, 1, &tusd).await;
    let player = &env.players[0];
    let c = &env.operator;
    let before = c.holdings(tusd.address()).await.unwrap();

    // Approved one unit short, then entering without the client's approval step.
    tusd.with_chain(player.chain())
        .approve(c.address(), U256::from(TOKEN_FEE - 1))
        .await
        .unwrap();
    let err = player.enter(1, agent_key("a"), 0).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("approve the contract for at least the fee")
            && text.contains(&(TOKEN_FEE - 1).to_string())
            && text.contains(&TOKEN_FEE.to_string()),
        "{text}"
    );
    // ETH sent to a token round.
    let err = player
        .enter(1, agent_key("a"), TOKEN_FEE)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("send no ETH"), "{err}");
    // The operator holds no TUSD: approving is not enough.
    let err = c
        .pay_entry(1, agent_key("o"), tusd.address(), TOKEN_FEE)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("fund the account with the token"),
        "{err}"
    );
    assert_eq!(c.holdings(tusd.address()).await.unwrap(), before);
    assert!(c.round(1).await.unwrap().agents.is_empty());
    // The client's own approval step tops the allowance up, and the entry goes through.
    let paid = player
        .pay_entry(1, agent_key("a"), tusd.address(), TOKEN_FEE)
        .await
        .expect("approve and enter");
    assert!(paid.approve.is_some());
}

#[tokio::test]
async fn opening_a_round_in_a_token_with_no_code_is_refused() {
    let env = Env::start(2).await;
    let spec = RoundSpec {
        fee_token: env.players[0].chain().account(),
        ..env.spec(1, &DEFAULT_SPLIT_BPS).await
    };
    let err = env.operator.open(&spec).await.unwrap_err();
    assert!(err.to_string().contains("has no contract code"), "{err}");
}

/// The gas of the token-fee calls, for BENCHMARKS.md (lines starting `GAS`): approval, entries
/// of one owner with two agents and one with one, settlement (proposal and finalization),
/// cancellations and a withdrawal.
#[tokio::test]
async fn gas_of_every_token_call() {
    let env = Env::start(4).await;
    let tusd = env.test_usd().await;
    let c = &env.operator;
    let (p0, p1, outsider) = (&env.players[0], &env.players[1], &env.players[2]);
    let mut gas: Vec<(String, u64)> = Vec::new();
    for id in 1..=3 {
        let spec = RoundSpec {
            fee_token: tusd.address(),
            entry_fee: TOKEN_FEE,
            ..env.spec(id, &DEFAULT_SPLIT_BPS).await
        };
        let open = c.open(&spec).await.unwrap().gas_used;
        let own = |name: &str| agent_key(&format!("{id}-{name}"));
        let e1 = p0
            .pay_entry(id, own("a"), tusd.address(), TOKEN_FEE)
            .await
            .unwrap();
        let e2 = p0
            .pay_entry(id, own("b"), tusd.address(), TOKEN_FEE)
            .await
            .unwrap();
        let e3 = p1
            .pay_entry(id, own("c"), tusd.address(), TOKEN_FEE)
            .await
            .unwrap();
        if id == 1 {
            gas.push(("open, token round".into(), open));
            gas.push(("approve (TUSD)".into(), e1.approve.unwrap().gas_used));
            gas.push((
                "enter, token, first agent of a round".into(),
                e1.enter.gas_used,
            ));
            gas.push((
                "enter, token, second agent of the same owner".into(),
                e2.enter.gas_used,
            ));
            gas.push((
                "enter, token, agent of another owner".into(),
                e3.enter.gas_used,
            ));
        }
    }
    env.pass_deadline().await;
    gas.extend(common::closing_gas(&env, outsider, p0, tusd.address(), "token, ").await);
    for (call, used) in gas {
        println!("GAS {call} = {used}");
    }
}

//! Every refusal path of the contract, on a real anvil: each bad input or attack fails with its
//! custom error and leaves every balance as it was.

mod common;

use alloy::primitives::{Address, U256};
use common::{Env, FEE, agent, agents, root};
use contracts::Arena::ArenaErrors;
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{ArenaClient, ChainError, RoundSpec};

alloy::sol!(
    #[sol(rpc)]
    ReentrantWithdrawer,
    "artifacts/ReentrantWithdrawer.json"
);
// Rebuild this test when the artifact changes (`sol!` does not tell cargo it read it).
const _: &[u8] = include_bytes!("../artifacts/ReentrantWithdrawer.json");

/// Awaits `$call`, asserts it was refused with `ArenaErrors::$variant`, and that no balance of
/// the contract or any account moved.
macro_rules! refused {
    ($env:expr, $call:expr, $variant:ident) => {{
        let before = $env.snapshot().await;
        let result = $call.await;
        let err: ChainError = match result {
            Ok(_) => panic!("{} was accepted", stringify!($call)),
            Err(e) => e,
        };
        assert!(
            matches!(err.revert(), Some(ArenaErrors::$variant(_))),
            "expected {}, got: {err}",
            stringify!($variant)
        );
        assert_eq!(
            $env.snapshot().await,
            before,
            "balances moved on a refused call"
        );
        err
    }};
}

#[tokio::test]
async fn deploying_with_the_zero_operator_is_refused() {
    let env = Env::start(2).await;
    let err = ArenaClient::deploy(env.operator.chain(), Address::ZERO, &env.committee)
        .await
        .err()
        .expect("zero operator accepted");
    assert!(
        matches!(err.revert(), Some(ArenaErrors::ZeroOperator(_))),
        "{err}"
    );
}

#[tokio::test]
async fn open_refuses_outsiders_bad_splits_fees_deadlines_and_reuse() {
    let env = Env::start(3).await;
    let good = env.spec(1, &DEFAULT_SPLIT_BPS).await;
    refused!(env, env.players[0].open(&good), NotOperator);
    let with = |f: &dyn Fn(&mut RoundSpec)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    let no_window = with(&|s| s.settle_window = 0);
    refused!(env, env.operator.open(&no_window), ZeroSettleWindow);
    let short = with(&|s| s.split_bps = vec![5_000, 3_000, 1_999]);
    refused!(env, env.operator.open(&short), InvalidSplit);
    let over = with(&|s| s.split_bps = vec![5_000, 5_001]);
    refused!(env, env.operator.open(&over), InvalidSplit);
    let empty = with(&|s| s.split_bps = vec![]);
    refused!(env, env.operator.open(&empty), InvalidSplit);
    let too_many = with(&|s| {
        s.split_bps = vec![300; 33];
        s.split_bps[0] = 400;
    });
    assert_eq!(
        too_many.split_bps.iter().map(|&b| b as u32).sum::<u32>(),
        10_000
    );
    refused!(env, env.operator.open(&too_many), InvalidSplit);
    let fee = with(&|s| s.protocol_fee_bps = 10_001);
    refused!(env, env.operator.open(&fee), ProtocolFeeTooHigh);
    let now = env.operator.chain().latest_timestamp().await.unwrap();
    let past = with(&|s| s.deadline = now);
    refused!(env, env.operator.open(&past), DeadlineNotInFuture);

    env.operator.open(&good).await.expect("valid open");
    refused!(env, env.operator.open(&good), RoundExists);
}

#[tokio::test]
async fn enter_refuses_wrong_fees_repeats_unknown_closed_and_finished_rounds() {
    let env = Env::start(4).await;
    let p = &env.players[0];
    refused!(
        env,
        p.enter(9, agent(p.chain().account()), FEE),
        RoundNotOpen
    );
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    refused!(
        env,
        p.enter(1, agent(p.chain().account()), FEE - 1),
        WrongEntryFee
    );
    refused!(
        env,
        p.enter(1, agent(p.chain().account()), FEE + 1),
        WrongEntryFee
    );
    refused!(
        env,
        p.enter(1, agent(p.chain().account()), 0),
        WrongEntryFee
    );
    p.enter(1, agent(p.chain().account()), FEE)
        .await
        .expect("enter");
    refused!(
        env,
        p.enter(1, agent(p.chain().account()), FEE),
        AlreadyEntered
    );
    env.pass_deadline().await;
    refused!(
        env,
        env.players[1].enter(1, agent(env.players[1].chain().account()), FEE),
        EntriesClosed
    );

    env.operator
        .settle(1, &agents(&[p.chain().account()]), root("x"))
        .await
        .unwrap();
    // Proposed, then settled: entries stay closed either way.
    refused!(
        env,
        env.players[1].enter(1, agent(env.players[1].chain().account()), FEE),
        RoundNotOpen
    );
    env.finalize(1).await;
    refused!(
        env,
        env.players[1].enter(1, agent(env.players[1].chain().account()), FEE),
        RoundNotOpen
    );

    env.open(2, &DEFAULT_SPLIT_BPS).await;
    env.operator.cancel(2).await.unwrap();
    refused!(
        env,
        env.players[1].enter(2, agent(env.players[1].chain().account()), FEE),
        RoundNotOpen
    );
}

#[tokio::test]
async fn enter_refuses_the_entrant_after_the_last_slot() {
    const MAX: usize = 256;
    let env = Env::start(MAX + 2).await;
    let mut spec = env.spec(1, &DEFAULT_SPLIT_BPS).await;
    spec.entry_fee = 0;
    env.operator.open(&spec).await.unwrap();
    for p in &env.players[..MAX] {
        p.enter(1, agent(p.chain().account()), 0)
            .await
            .expect("enter");
    }
    refused!(
        env,
        env.players[MAX].enter(1, agent(env.players[MAX].chain().account()), 0),
        RoundFull
    );
    // A full round still settles: the ranking check covers all 256 slots, and the payout
    // walks them all.
    env.pass_deadline().await;
    let ranking: Vec<Address> = env.players[..MAX]
        .iter()
        .map(|p| p.chain().account())
        .collect();
    env.operator
        .settle(1, &agents(&ranking), root("full"))
        .await
        .expect("settle a full round");
    env.finalize(1).await;
    assert_eq!(
        env.operator.round(1).await.unwrap().state,
        contracts::RoundState::Settled
    );
}

#[tokio::test]
async fn settle_refuses_bad_rankings_outsiders_early_and_repeated_settlement() {
    let env = Env::start(6).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let entrants = env.enter(1, 4).await;
    let outsider = env.players[4].chain().account();
    let op = &env.operator;
    refused!(
        env,
        op.settle(1, &agents(&entrants), root("r")),
        EntriesStillOpen
    );
    env.pass_deadline().await;

    refused!(
        env,
        env.players[0].settle(1, &agents(&entrants), root("r")),
        NotOperator
    );
    refused!(
        env,
        op.settle(2, &agents(&entrants), root("r")),
        RoundNotOpen
    );
    refused!(
        env,
        op.settle(1, &agents(&entrants[..3]), root("r")),
        RankingLengthMismatch
    );
    let mut extra = entrants.clone();
    extra.push(outsider);
    refused!(
        env,
        op.settle(1, &agents(&extra), root("r")),
        RankingLengthMismatch
    );
    let mut stranger = entrants.clone();
    stranger[2] = outsider;
    refused!(
        env,
        op.settle(1, &agents(&stranger), root("r")),
        NotAnEntrant
    );
    let mut duplicate = entrants.clone();
    duplicate[3] = entrants[0];
    refused!(
        env,
        op.settle(1, &agents(&duplicate), root("r")),
        DuplicateEntrant
    );

    op.settle(1, &agents(&entrants), root("r"))
        .await
        .expect("valid settle");
    // Neither a proposed nor a finalized settlement can be settled again or cancelled.
    refused!(
        env,
        op.settle(1, &agents(&entrants), root("r")),
        RoundNotOpen
    );
    refused!(env, op.cancel(1), RoundNotOpen);
    assert_eq!(env.proposals(1).await.len(), 1);
    env.finalize(1).await;
    refused!(
        env,
        op.settle(1, &agents(&entrants), root("r")),
        RoundNotOpen
    );
    refused!(env, op.cancel(1), RoundNotOpen);
    assert_eq!(env.proposals(1).await.len(), 1);
    assert_eq!(op.settlements(1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn cancel_refuses_outsiders_and_finished_rounds() {
    let env = Env::start(3).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    env.enter(1, 2).await;
    refused!(env, env.players[0].cancel(1), NotTimedOut);
    refused!(env, env.operator.cancel(7), RoundNotOpen);
    env.operator.cancel(1).await.unwrap();
    refused!(env, env.operator.cancel(1), RoundNotOpen);
    env.pass_deadline().await;
    let entrants: Vec<Address> = env.players[..2]
        .iter()
        .map(|p| p.chain().account())
        .collect();
    refused!(
        env,
        env.operator.settle(1, &agents(&entrants), root("r")),
        RoundNotOpen
    );
}

#[tokio::test]
async fn withdraw_refuses_empty_balances() {
    let env = Env::start(2).await;
    refused!(
        env,
        env.players[0].withdraw(contracts::NATIVE),
        NothingToWithdraw
    );
}

/// An attacker contract wins a round and re-enters `withdraw` from its receive hook: the nested
/// call is refused, the whole withdrawal rolls back, and the attacker can later take exactly
/// its own balance once, and nothing more.
#[tokio::test]
async fn reentrant_withdraw_is_refused_and_pays_only_once() {
    let env = Env::start(4).await;
    let chain = env.players[0].chain();
    let attacker = ReentrantWithdrawer::deploy(chain.provider().clone(), env.operator.address())
        .await
        .expect("deploy attacker");
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    attacker
        .enter(1, agent(*attacker.address()))
        .value(U256::from(FEE))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let honest = env.enter(1, 2).await; // players 0 and 1
    env.pass_deadline().await;
    let ranking = [*attacker.address(), honest[0], honest[1]];
    env.settle_and_finalize(1, &agents(&ranking), root("r"))
        .await;
    let owed = env
        .operator
        .balance_of(contracts::NATIVE, *attacker.address())
        .await
        .unwrap();
    assert!(owed > U256::ZERO);
    let contract_before = chain.balance(env.operator.address()).await.unwrap();

    let attack = attacker.withdraw().send().await;
    let err = attack.expect_err("reentrant withdraw accepted");
    assert!(
        matches!(
            err.as_decoded_interface_error::<ArenaErrors>(),
            Some(ArenaErrors::Reentrancy(_))
        ),
        "expected Reentrancy, got {err}"
    );
    assert_eq!(
        env.operator
            .balance_of(contracts::NATIVE, *attacker.address())
            .await
            .unwrap(),
        owed
    );
    assert_eq!(
        chain.balance(env.operator.address()).await.unwrap(),
        contract_before
    );
    assert_eq!(
        chain.balance(*attacker.address()).await.unwrap(),
        U256::ZERO
    );

    // A recipient that rejects the payment gets TransferFailed, and keeps its balance.
    send(attacker.setMode(2)).await;
    let err = attacker
        .withdraw()
        .send()
        .await
        .expect_err("rejecting recipient paid");
    assert!(
        matches!(
            err.as_decoded_interface_error::<ArenaErrors>(),
            Some(ArenaErrors::TransferFailed(_))
        ),
        "expected TransferFailed, got {err}"
    );
    assert_eq!(
        env.operator
            .balance_of(contracts::NATIVE, *attacker.address())
            .await
            .unwrap(),
        owed
    );

    // Accepting normally, it is paid exactly its balance, once.
    send(attacker.setMode(0)).await;
    send(attacker.withdraw()).await;
    assert_eq!(chain.balance(*attacker.address()).await.unwrap(), owed);
    assert_eq!(attacker.received().call().await.unwrap(), U256::from(1));
    assert_eq!(
        chain.balance(env.operator.address()).await.unwrap(),
        contract_before - owed
    );
    let again = attacker
        .withdraw()
        .send()
        .await
        .expect_err("second withdraw paid");
    assert!(matches!(
        again.as_decoded_interface_error::<ArenaErrors>(),
        Some(ArenaErrors::NothingToWithdraw(_))
    ));
}

/// Sends a call and waits until it is mined successfully.
async fn send<P, C>(call: alloy::contract::CallBuilder<P, C>)
where
    P: alloy::providers::Provider,
    C: alloy::contract::CallDecoder,
{
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
}

/// A transaction that passed its gas estimate but reverted in its block (here an entry whose
/// deadline passed while it waited to be mined) is reported with the contract's reason, found
/// by running it again, not only as "mined but reverted".
#[tokio::test]
async fn an_entry_mined_after_the_deadline_names_why_it_reverted() {
    let env = Env::start(3).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let chain = env.operator.chain();
    chain
        .anvil_call("evm_setAutomine", serde_json::json!([false]))
        .await
        .unwrap();
    let p = &env.players[0];
    let entering = p.enter(1, agent(p.chain().account()), FEE);
    let late_block = async {
        // Mine only once the entry waits in the pool, with the clock past the deadline.
        loop {
            let pool = chain
                .anvil_call("txpool_status", serde_json::json!([]))
                .await
                .unwrap();
            if pool["pending"] != "0x0" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        env.pass_deadline().await;
    };
    let (entered, ()) = tokio::join!(entering, late_block);
    let err = entered.expect_err("the entry was mined after the deadline");
    assert!(
        matches!(err.revert(), Some(ArenaErrors::EntriesClosed(_))),
        "expected EntriesClosed, got: {err}"
    );
    let text = err.to_string();
    assert!(text.contains("mined and reverted"), "{text}");
    assert!(env.operator.round(1).await.unwrap().agents.is_empty());
}

//! Contestable settlement on a real anvil. A proposed settlement pays out only once its
//! challenge window passed; a challenge goes to the committee of three verifiers, two of whose
//! votes decide. Upheld: the round is cancelled and refunded, and the challenger takes both
//! bonds. Rejected: the settlement pays out exactly as an unchallenged one would, and the
//! operator takes both bonds. Undecided: once the resolve window is over anyone cancels, the
//! entries are refunded and each bond goes back to its poster. Every refusal reads as a
//! sentence, and at every step the contract holds exactly `totalOwed + escrowed`.

mod common;

use alloy::primitives::{Address, B256, U256};
use common::{
    CHALLENGE_BOND, CHALLENGE_WINDOW, Env, FEE, PROTOCOL_FEE_BPS, RESOLVE_WINDOW, SETTLE_BOND,
    THRESHOLD, agents, expected_payout, root, test_committee,
};
use contracts::Arena::{self, ArenaErrors};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{
    ArenaClient, ChainError, Committee, NATIVE, RoundState, agent_key, describe_revert,
};

/// Awaits `$call`, asserts it was refused with `ArenaErrors::$variant`, that its message is the
/// contract's sentence for that error and contains every `$phrase`, and that no balance of the
/// contract or of any account moved. Returns the error.
macro_rules! refused {
    ($env:expr, $call:expr, $variant:ident, $($phrase:expr),+ $(,)?) => {{
        let before = $env.snapshot().await;
        let err: ChainError = match $call.await {
            Ok(_) => panic!("{} was accepted", stringify!($call)),
            Err(e) => e,
        };
        assert!(
            matches!(err.revert(), Some(ArenaErrors::$variant(_))),
            "expected {}, got: {err}",
            stringify!($variant)
        );
        reads(&err, &[$($phrase),+]);
        assert_eq!(
            $env.snapshot().await,
            before,
            "balances moved on a refused call"
        );
        err
    }};
}

/// Asserts `err` shows the contract's sentence for its revert and every one of `phrases`.
fn reads(err: &ChainError, phrases: &[&str]) {
    let text = err.to_string();
    let revert = err.revert().expect("a decoded revert");
    assert!(text.contains(&describe_revert(revert)), "{text}");
    for phrase in phrases {
        assert!(text.contains(phrase), "{text:?} does not say {phrase:?}");
    }
}

/// Opens round `id` with the 50/30/20 split and enters players 0, 1 and 2 (one agent each).
async fn entered_round(env: &Env, id: u64) -> Vec<Address> {
    env.open(id, &DEFAULT_SPLIT_BPS).await;
    env.enter(id, 3).await
}

/// The bonds credited in round `id`, in order: (account, amount, slashed).
async fn bonds(env: &Env, id: u64) -> Vec<(Address, U256, bool)> {
    env.operator
        .contract()
        .BondCredited_filter()
        .topic1(U256::from(id))
        .from_block(0)
        .query()
        .await
        .expect("BondCredited logs")
        .into_iter()
        .map(|(ev, _)| (ev.account, ev.amount, ev.slashed))
        .collect()
}

/// One credit without its round id: (account, asset, agent, amount, place).
type Credit = (Address, Address, B256, U256, U256);

/// The rewards, refunds and fees credited in round `id`, in order.
async fn credits(env: &Env, id: u64) -> Vec<Credit> {
    env.operator
        .credits(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.account, e.asset, e.agent, e.amount, e.place))
        .collect()
}

fn wei(amount: u128) -> U256 {
    U256::from(amount)
}

#[tokio::test]
async fn a_dishonest_settlement_challenged_and_upheld_is_cancelled_and_its_bond_slashed() {
    let env = Env::start(5).await;
    let c = &env.operator;
    let operator = c.chain().account();
    let challenger = &env.players[3];
    let who_challenged = challenger.chain().account();
    let entrants = entered_round(&env, 1).await;
    env.pass_deadline().await;
    let pot = wei(FEE * 3);
    assert_eq!(
        env.assert_holds_what_it_owes(NATIVE).await,
        (U256::ZERO, pot)
    );

    // The record ranks the entrants in entry order; the operator proposes them reversed.
    let forged: Vec<Address> = entrants.iter().rev().copied().collect();
    let wallet = c.chain().balance(operator).await.unwrap();
    let proposed = c
        .settle(1, &agents(&forged), root("forged"))
        .await
        .expect("propose");
    assert_eq!(
        c.chain().balance(operator).await.unwrap() + proposed.fee_paid,
        wallet - wei(SETTLE_BOND),
        "the operator posted its bond"
    );
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Proposed);
    assert_eq!(c.contest(1).await.unwrap().ranking, agents(&forged));
    assert_eq!(
        env.assert_holds_what_it_owes(NATIVE).await,
        (U256::ZERO, pot + wei(SETTLE_BOND))
    );

    challenger
        .challenge(1, CHALLENGE_BOND)
        .await
        .expect("challenge within the window");
    let contest = c.contest(1).await.unwrap();
    assert_eq!(contest.challenger, Some(who_challenged));
    assert!(contest.resolve_by > 0);
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Challenged);
    assert_eq!(
        env.assert_holds_what_it_owes(NATIVE).await,
        (U256::ZERO, pot + wei(SETTLE_BOND + CHALLENGE_BOND))
    );

    // One vote does not decide, and a challenged proposal is not finalized when its window
    // ends: it waits for the committee.
    env.verifiers[0].vote(1, true).await.expect("first vote");
    let contest = c.contest(1).await.unwrap();
    assert_eq!((contest.upheld_votes, contest.rejected_votes), (1, 0));
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Challenged);
    env.advance_to(contest.challenge_ends_at).await;
    refused!(
        env,
        env.keeper.finalize(1),
        NotProposed,
        "round 1 has no unchallenged proposed settlement (state settlement challenged)"
    );

    // The second upholding vote decides: cancelled, refunded, the operator's bond slashed.
    env.verifiers[1].vote(1, true).await.expect("deciding vote");
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    for who in &entrants {
        assert_eq!(
            c.balance_of(NATIVE, *who).await.unwrap(),
            wei(FEE),
            "every entrant refunded exactly its fee"
        );
    }
    let refunds = credits(&env, 1).await;
    assert_eq!(refunds.len(), 3);
    assert!(
        refunds
            .iter()
            .all(|r| r.3 == wei(FEE) && r.4 == U256::ZERO && entrants.contains(&r.0))
    );
    assert_eq!(
        c.balance_of(NATIVE, who_challenged).await.unwrap(),
        wei(CHALLENGE_BOND + SETTLE_BOND),
        "the challenger takes its own bond back and the operator's"
    );
    assert_eq!(
        bonds(&env, 1).await,
        vec![
            (who_challenged, wei(CHALLENGE_BOND), false),
            (who_challenged, wei(SETTLE_BOND), true),
        ]
    );
    assert_eq!(
        c.balance_of(NATIVE, operator).await.unwrap(),
        U256::ZERO,
        "no protocol fee for a cancelled round"
    );
    assert!(c.settlements(1).await.unwrap().is_empty(), "never paid out");
    assert_eq!(
        env.assert_holds_what_it_owes(NATIVE).await,
        (pot + wei(SETTLE_BOND + CHALLENGE_BOND), U256::ZERO)
    );

    // The decision is final: the third verifier, a finalize or a late settlement change nothing.
    refused!(
        env,
        env.verifiers[2].vote(1, false),
        NotChallenged,
        "round 1 is not challenged (state cancelled)"
    );
    refused!(env, env.keeper.finalize(1), NotProposed, "state cancelled");
    refused!(
        env,
        c.settle(1, &agents(&entrants), root("record")),
        RoundNotOpen,
        "round 1 is not open"
    );

    // The challenger withdraws both bonds into its wallet.
    let chain = challenger.chain();
    let before = chain.balance(who_challenged).await.unwrap();
    let out = challenger.withdraw(NATIVE).await.expect("withdraw bonds");
    assert_eq!(
        chain.balance(who_challenged).await.unwrap() + out.fee_paid,
        before + wei(CHALLENGE_BOND + SETTLE_BOND)
    );
    env.assert_holds_what_it_owes(NATIVE).await;
}

#[tokio::test]
async fn an_honest_settlement_whose_challenge_is_rejected_pays_out_as_if_unchallenged() {
    let env = Env::start(5).await;
    let c = &env.operator;
    let operator = c.chain().account();
    let challenger = &env.players[3];
    // Round 1 is challenged; round 2, its twin with the same entrants and ranking, is not.
    let entrants = entered_round(&env, 1).await;
    assert_eq!(entered_round(&env, 2).await, entrants);
    env.pass_deadline().await;
    let mut ranking = entrants.clone();
    ranking.rotate_left(1);
    for id in [1, 2] {
        c.settle(id, &agents(&ranking), root("honest"))
            .await
            .expect("propose");
    }
    challenger
        .challenge(1, CHALLENGE_BOND)
        .await
        .expect("challenge");
    env.verifiers[2].vote(1, false).await.expect("first vote");
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Challenged);
    env.finalize(2).await;
    let pot = wei(FEE * 3);
    assert_eq!(
        env.escrowed(NATIVE).await,
        pot + wei(SETTLE_BOND + CHALLENGE_BOND),
        "round 1 alone still escrows its pot and both bonds"
    );

    let before = env.snapshot().await;
    env.verifiers[0]
        .vote(1, false)
        .await
        .expect("deciding vote");
    let after = env.snapshot().await;
    let info = c.round(1).await.unwrap();
    assert_eq!(info.state, RoundState::Settled);
    assert_eq!(info.result_root, root("honest"));

    let (protocol, rewards) = expected_payout(3, FEE, &DEFAULT_SPLIT_BPS, PROTOCOL_FEE_BPS);
    assert_eq!(
        after[2] - before[2],
        wei(protocol + SETTLE_BOND + CHALLENGE_BOND),
        "the operator: the protocol fee, its bond back and the challenger's"
    );
    let delta_of = |who: Address| {
        let i = 3 + env
            .players
            .iter()
            .position(|p| p.chain().account() == who)
            .unwrap();
        after[i] - before[i]
    };
    for (place, who) in ranking.iter().enumerate() {
        assert_eq!(delta_of(*who), wei(rewards[place]), "place {}", place + 1);
    }
    assert_eq!(
        c.balance_of(NATIVE, challenger.chain().account())
            .await
            .unwrap(),
        U256::ZERO,
        "the challenger lost its bond"
    );
    // Credit for credit the same as the unchallenged twin.
    assert_eq!(credits(&env, 1).await, credits(&env, 2).await);
    let settled = c.settlements(1).await.unwrap();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].ranking, agents(&ranking));
    assert_eq!(settled[0].pot, pot);
    assert_eq!(settled[0].protocolFee, wei(protocol));
    assert_eq!(
        bonds(&env, 1).await,
        vec![
            (operator, wei(SETTLE_BOND), false),
            (operator, wei(CHALLENGE_BOND), true),
        ]
    );
    assert_eq!(
        bonds(&env, 2).await,
        vec![(operator, wei(SETTLE_BOND), false)]
    );
    let (owed, escrowed) = env.assert_holds_what_it_owes(NATIVE).await;
    assert_eq!(escrowed, U256::ZERO);
    assert_eq!(
        owed,
        pot * U256::from(2) + wei(2 * SETTLE_BOND + CHALLENGE_BOND)
    );
    refused!(
        env,
        env.verifiers[1].vote(1, true),
        NotChallenged,
        "round 1 is not challenged (state settled)"
    );
}

#[tokio::test]
async fn an_undecided_challenge_is_cancelled_by_anyone_after_the_resolve_window() {
    let env = Env::start(5).await;
    let c = &env.operator;
    let operator = c.chain().account();
    let challenger = &env.players[3];
    let entrants = entered_round(&env, 1).await;
    env.pass_deadline().await;
    c.settle(1, &agents(&entrants), root("r"))
        .await
        .expect("propose");
    challenger
        .challenge(1, CHALLENGE_BOND)
        .await
        .expect("challenge");
    // One vote each way: nothing is decided.
    env.verifiers[0].vote(1, true).await.unwrap();
    env.verifiers[1].vote(1, false).await.unwrap();
    let contest = c.contest(1).await.unwrap();
    assert_eq!((contest.upheld_votes, contest.rejected_votes), (1, 1));
    let resolve_by = contest.resolve_by;
    assert!(resolve_by >= contest.challenge_ends_at - CHALLENGE_WINDOW + RESOLVE_WINDOW);

    // Until the resolve window ends nobody cancels, not even the operator.
    let at = resolve_by.to_string();
    refused!(env, env.keeper.cancel(1), ChallengePending, at.as_str());
    refused!(env, c.cancel(1), ChallengePending, at.as_str());
    env.advance_to(resolve_by).await;
    // Then the committee is too late, and anyone cancels.
    refused!(
        env,
        env.verifiers[2].vote(1, true),
        ResolveWindowOver,
        format!(
            "the committee's time to decide ended at {resolve_by}; anyone can now cancel the round"
        )
        .as_str()
    );
    env.keeper
        .cancel(1)
        .await
        .expect("anyone cancels an unresolved challenge");

    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    for who in &entrants {
        assert_eq!(c.balance_of(NATIVE, *who).await.unwrap(), wei(FEE));
    }
    assert_eq!(
        c.balance_of(NATIVE, operator).await.unwrap(),
        wei(SETTLE_BOND),
        "the operator's bond back, and no protocol fee"
    );
    assert_eq!(
        c.balance_of(NATIVE, challenger.chain().account())
            .await
            .unwrap(),
        wei(CHALLENGE_BOND),
        "the challenger's bond back"
    );
    assert_eq!(
        bonds(&env, 1).await,
        vec![
            (operator, wei(SETTLE_BOND), false),
            (challenger.chain().account(), wei(CHALLENGE_BOND), false),
        ]
    );
    assert!(c.settlements(1).await.unwrap().is_empty());
    assert_eq!(
        env.assert_holds_what_it_owes(NATIVE).await,
        (wei(FEE * 3 + SETTLE_BOND + CHALLENGE_BOND), U256::ZERO)
    );
    refused!(env, env.keeper.cancel(1), RoundNotOpen, "state cancelled");
}

#[tokio::test]
async fn contest_calls_out_of_turn_are_refused_with_readable_messages() {
    let env = Env::start(5).await;
    let c = &env.operator;
    let challenger = &env.players[3];
    let entrants = entered_round(&env, 1).await;
    entered_round(&env, 2).await;
    env.pass_deadline().await;

    // Nothing proposed yet: nothing to finalize or challenge.
    refused!(
        env,
        env.keeper.finalize(1),
        NotProposed,
        "round 1 has no unchallenged proposed settlement (state open)",
        "finalize round 1"
    );
    refused!(
        env,
        challenger.challenge(1, CHALLENGE_BOND),
        NotProposed,
        "state open"
    );

    // The settle bond is exact (sent through the binding: the client always sends the right one).
    let before = env.snapshot().await;
    let wrong = c
        .contract()
        .settle(1, agents(&entrants), root("r"))
        .value(wei(SETTLE_BOND - 1))
        .send()
        .await
        .expect_err("a short settle bond accepted");
    let decoded = wrong
        .as_decoded_interface_error::<ArenaErrors>()
        .expect("a decoded revert");
    assert_eq!(
        describe_revert(&decoded),
        format!(
            "sent {} wei but the bond is exactly {SETTLE_BOND} wei",
            SETTLE_BOND - 1
        )
    );
    assert_eq!(env.snapshot().await, before);

    c.settle(1, &agents(&entrants), root("r"))
        .await
        .expect("propose");
    let ends = c.contest(1).await.unwrap().challenge_ends_at;
    refused!(
        env,
        env.keeper.finalize(1),
        ChallengeWindowOpen,
        format!("the challenge window is open until {ends}; finalize after that").as_str()
    );
    refused!(
        env,
        env.verifiers[0].vote(1, true),
        NotChallenged,
        "round 1 is not challenged (state settlement proposed)"
    );
    for bond in [0, CHALLENGE_BOND - 1, CHALLENGE_BOND + 1] {
        refused!(
            env,
            challenger.challenge(1, bond),
            WrongBond,
            format!("sent {bond} wei but the bond is exactly {CHALLENGE_BOND} wei").as_str(),
            "challenge round 1"
        );
    }
    challenger
        .challenge(1, CHALLENGE_BOND)
        .await
        .expect("challenge");
    refused!(
        env,
        env.players[0].challenge(1, CHALLENGE_BOND),
        NotProposed,
        "state settlement challenged"
    );

    // Only verifiers vote, each once (switching sides included).
    for outsider in [&env.players[0], c, &env.keeper] {
        let addr = outsider.chain().account();
        refused!(
            env,
            outsider.vote(1, true),
            NotVerifier,
            format!("{addr} is not a verifier of this contract").as_str(),
            "vote on round 1"
        );
    }
    let verifier = &env.verifiers[0];
    verifier.vote(1, true).await.expect("vote");
    let addr = verifier.chain().account();
    for upheld in [true, false] {
        refused!(
            env,
            verifier.vote(1, upheld),
            AlreadyVoted,
            format!("verifier {addr} has already voted on this challenge").as_str()
        );
    }
    let contest = c.contest(1).await.unwrap();
    assert_eq!((contest.upheld_votes, contest.rejected_votes), (1, 0));

    // Round 2: a challenge one second too late.
    c.settle(2, &agents(&entrants), root("r"))
        .await
        .expect("propose");
    let ends = c.contest(2).await.unwrap().challenge_ends_at;
    env.advance_to(ends).await;
    refused!(
        env,
        challenger.challenge(2, CHALLENGE_BOND),
        ChallengeWindowOver,
        format!("the challenge window ended at {ends}; the settlement can no longer be challenged")
            .as_str()
    );
    env.keeper
        .finalize(2)
        .await
        .expect("finalize after the window");
}

#[tokio::test]
async fn deploying_with_a_non_majority_or_malformed_committee_is_refused() {
    let env = Env::start(2).await;
    let chain = env.operator.chain();
    let operator = chain.account();
    let v = env.committee.verifiers.clone();
    assert_eq!(
        env.operator.committee().await.unwrap(),
        env.committee,
        "the contract reports the committee it was deployed with"
    );
    let with = |f: &dyn Fn(&mut Committee)| {
        let mut committee = env.committee.clone();
        f(&mut committee);
        committee
    };
    let invalid = [
        (with(&|c| c.threshold = 1), "3 verifiers with threshold 1"),
        (with(&|c| c.threshold = 0), "3 verifiers with threshold 0"),
        (with(&|c| c.threshold = 4), "3 verifiers with threshold 4"),
        (
            with(&|c| {
                c.verifiers.push(operator);
                c.threshold = 2;
            }),
            "4 verifiers with threshold 2",
        ),
        (
            with(&|c| c.verifiers = vec![v[0], v[0], v[1]]),
            "3 verifiers with threshold 2",
        ),
        (
            with(&|c| c.verifiers[1] = Address::ZERO),
            "3 verifiers with threshold 2",
        ),
        (
            with(&|c| {
                c.verifiers.clear();
                c.threshold = 0;
            }),
            "0 verifiers with threshold 0",
        ),
    ];
    for (committee, says) in &invalid {
        let err = ArenaClient::deploy(chain, operator, committee)
            .await
            .err()
            .unwrap_or_else(|| panic!("{committee:?} accepted"));
        assert!(
            matches!(err.revert(), Some(ArenaErrors::InvalidCommittee(_))),
            "{committee:?}: {err}"
        );
        reads(
            &err,
            &[
                "deploy refused by the Arena contract",
                format!("a committee of {says} is refused").as_str(),
                "a threshold that is a strict majority of them",
            ],
        );
    }
    for committee in [
        with(&|c| c.challenge_window = 0),
        with(&|c| c.resolve_window = 0),
    ] {
        let err = ArenaClient::deploy(chain, operator, &committee)
            .await
            .err()
            .expect("a zero window accepted");
        assert!(
            matches!(err.revert(), Some(ArenaErrors::ZeroWindow(_))),
            "{err}"
        );
        reads(&err, &["must each be at least one second"]);
    }
    let err = ArenaClient::deploy(chain, operator, &with(&|c| c.challenge_bond = 0))
        .await
        .err()
        .expect("a free challenge accepted");
    assert!(
        matches!(err.revert(), Some(ArenaErrors::ZeroChallengeBond(_))),
        "{err}"
    );
    reads(&err, &["the challenge bond must not be zero"]);

    // The defaults take the strict majority, and a settle bond of zero is allowed.
    let defaults = Committee::of(v.clone());
    assert_eq!(defaults.threshold, THRESHOLD);
    let free = with(&|c| c.settle_bond = 0);
    for committee in [defaults, free] {
        let client = ArenaClient::deploy(chain, operator, &committee)
            .await
            .expect("a valid committee deploys");
        assert_eq!(client.committee().await.unwrap(), committee);
        assert_eq!(client.operator().await.unwrap(), operator);
    }
}

/// The gas of the contest calls, for BENCHMARKS.md (lines starting `GAS`): the deployment with
/// a committee of three, and for rounds of three agents of two owners (as in rounds.rs) the
/// proposal, a challenge, votes that do not decide and votes that do (upheld and rejected), and
/// the cancellation of a challenge left undecided. `finalize` is measured in rounds.rs and
/// tokens.rs.
#[tokio::test]
async fn gas_of_every_contest_call() {
    let env = Env::start(4).await;
    let c = &env.operator;
    let chain = c.chain();
    let (p0, p1, challenger) = (&env.players[0], &env.players[1], &env.players[2]);
    let mut gas: Vec<(String, u64)> = Vec::new();

    // The same deployment as `ArenaClient::deploy`, kept for its receipt.
    let committee = test_committee(env.committee.verifiers.clone());
    let receipt = Arena::deploy_builder(
        chain.provider().clone(),
        chain.account(),
        committee.verifiers.clone(),
        committee.threshold,
        committee.challenge_window,
        committee.resolve_window,
        committee.settle_bond,
        committee.challenge_bond,
    )
    .send()
    .await
    .unwrap()
    .get_receipt()
    .await
    .unwrap();
    assert!(receipt.status() && receipt.contract_address.is_some());
    gas.push(("deploy Arena, committee of 3".into(), receipt.gas_used));

    let own = |id: u64, name: &str| agent_key(&format!("{id}-{name}"));
    for id in 1..=3 {
        c.open(&env.spec(id, &DEFAULT_SPLIT_BPS).await)
            .await
            .unwrap();
        p0.enter(id, own(id, "a"), FEE).await.unwrap();
        p0.enter(id, own(id, "b"), FEE).await.unwrap();
        p1.enter(id, own(id, "c"), FEE).await.unwrap();
    }
    env.pass_deadline().await;
    for id in 1..=3 {
        let ranked = ["c", "a", "b"].map(|n| own(id, n));
        let settle = c.settle(id, &ranked, root("r")).await.unwrap().gas_used;
        let challenge = challenger
            .challenge(id, CHALLENGE_BOND)
            .await
            .unwrap()
            .gas_used;
        if id == 1 {
            gas.push(("settle (propose), 3 agents of 2 owners".into(), settle));
            gas.push(("challenge".into(), challenge));
        }
    }
    let v = &env.verifiers;
    gas.push((
        "vote, not deciding (upheld)".into(),
        v[0].vote(1, true).await.unwrap().gas_used,
    ));
    gas.push((
        "vote, deciding: upheld (cancel, refund 3 agents, both bonds to the challenger)".into(),
        v[1].vote(1, true).await.unwrap().gas_used,
    ));
    gas.push((
        "vote, not deciding (rejected)".into(),
        v[0].vote(2, false).await.unwrap().gas_used,
    ));
    gas.push((
        "vote, deciding: rejected (pay out 3 agents, both bonds to the operator)".into(),
        v[1].vote(2, false).await.unwrap().gas_used,
    ));
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Cancelled);
    assert_eq!(c.round(2).await.unwrap().state, RoundState::Settled);
    env.advance_to(c.contest(3).await.unwrap().resolve_by).await;
    gas.push((
        "cancel of an unresolved challenge by anyone (refund 3 agents, bonds back)".into(),
        env.keeper.cancel(3).await.unwrap().gas_used,
    ));
    assert_eq!(c.round(3).await.unwrap().state, RoundState::Cancelled);
    gas.push((
        "withdraw, ETH (the challenger's bonds)".into(),
        challenger.withdraw(NATIVE).await.unwrap().gas_used,
    ));
    env.assert_holds_what_it_owes(NATIVE).await;
    for (call, used) in gas {
        assert!(used > 21_000, "{call} did real work");
        println!("GAS {call} = {used}");
    }
}

//! Shared set-up for the contract tests: a real anvil on a free loopback port, one connection
//! per funded account, and a freshly deployed Arena whose operator is account 0, contested
//! before a committee of three verifiers (threshold 2) on accounts of their own.
#![allow(dead_code)] // each test file uses its own subset of these helpers

use alloy::primitives::{Address, B256, U256, keccak256};
use contracts::Arena::SettlementProposed;
use contracts::{AnvilNode, ArenaClient, Chain, Committee, RoundSpec, TokenClient, TxOutcome};

/// Entry fee used by most tests: 1 ether plus an odd number of wei, so that integer division
/// leaves dust in the payout arithmetic.
pub const FEE: u128 = 1_000_000_000_000_000_007;
/// Protocol fee used by most tests, in basis points.
pub const PROTOCOL_FEE_BPS: u16 = 250;
/// How long rounds in tests take entries.
pub const ENTRY_WINDOW: u64 = 3_600;
/// How long after the deadline the operator may settle in tests.
pub const SETTLE_WINDOW: u64 = 600;
/// How long a proposed settlement can be challenged in tests (shorter than the settle window,
/// so a test can finalize one round and still settle or time out another).
pub const CHALLENGE_WINDOW: u64 = 120;
/// How long the committee has to decide a challenge in tests.
pub const RESOLVE_WINDOW: u64 = 300;
/// The operator's bond per settlement in tests: 0.01 ether plus odd wei, told apart from every
/// fee and from the challenge bond.
pub const SETTLE_BOND: u128 = 10_000_000_000_000_003;
/// A challenger's bond in tests: 0.02 ether plus odd wei.
pub const CHALLENGE_BOND: u128 = 20_000_000_000_000_011;
/// Verifiers on the committee of every test deployment, and the votes that decide.
pub const VERIFIERS: usize = 3;
pub const THRESHOLD: u16 = 2;

/// A running chain with a deployed Arena.
pub struct Env {
    pub node: AnvilNode,
    /// Account 0: the operator.
    pub operator: ArenaClient,
    /// Accounts 1..: entrants and outsiders.
    pub players: Vec<ArenaClient>,
    /// The committee's verifiers: three accounts after the players, never entrants.
    pub verifiers: Vec<ArenaClient>,
    /// The last account: "anyone", who finalizes proposals and cancels unresolved challenges,
    /// so that neither the operator's nonce nor a player's balance moves when it does.
    pub keeper: ArenaClient,
    /// The contest parameters the contract was deployed with.
    pub committee: Committee,
}

impl Env {
    /// Starts anvil with `accounts` funded accounts (the operator and `accounts - 1` players)
    /// plus the committee's verifiers and the keeper, and deploys Arena.
    pub async fn start(accounts: usize) -> Env {
        let node =
            AnvilNode::start(accounts + VERIFIERS + 1, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut chains = Vec::new();
        for key in node.private_keys() {
            chains.push(Chain::connect(node.rpc_url(), key).await.expect("connect"));
        }
        let committee = test_committee(
            chains[accounts..accounts + VERIFIERS]
                .iter()
                .map(Chain::account)
                .collect(),
        );
        let operator = ArenaClient::deploy(&chains[0], chains[0].account(), &committee)
            .await
            .expect("deploy");
        let players = chains[1..accounts]
            .iter()
            .map(|c| operator.with_chain(c))
            .collect();
        let verifiers = chains[accounts..accounts + VERIFIERS]
            .iter()
            .map(|c| operator.with_chain(c))
            .collect();
        let keeper = operator.with_chain(&chains[accounts + VERIFIERS]);
        Env {
            node,
            operator,
            players,
            verifiers,
            keeper,
            committee,
        }
    }

    /// Opens round `round_id` with the test fee, deadline one hour from the chain's clock.
    pub async fn open(&self, round_id: u64, split_bps: &[u16]) -> RoundSpec {
        let spec = self.spec(round_id, split_bps).await;
        self.operator.open(&spec).await.expect("open round");
        spec
    }

    /// A valid spec for `round_id`, not yet opened.
    pub async fn spec(&self, round_id: u64, split_bps: &[u16]) -> RoundSpec {
        let now = self
            .operator
            .chain()
            .latest_timestamp()
            .await
            .expect("time");
        RoundSpec {
            round_id,
            space: keccak256(format!("space-{round_id}")),
            fee_token: contracts::NATIVE,
            entry_fee: FEE,
            deadline: now + ENTRY_WINDOW,
            settle_window: SETTLE_WINDOW,
            split_bps: split_bps.to_vec(),
            protocol_fee_bps: PROTOCOL_FEE_BPS,
        }
    }

    /// Enters the first `n` players in `round_id`.
    pub async fn enter(&self, round_id: u64, n: usize) -> Vec<Address> {
        let mut entrants = Vec::new();
        for p in &self.players[..n] {
            p.enter(round_id, agent(p.chain().account()), FEE)
                .await
                .expect("enter");
            entrants.push(p.chain().account());
        }
        entrants
    }

    /// Deploys Test USD minted to every player (not to the operator).
    pub async fn test_usd(&self) -> TokenClient {
        let holders: Vec<Address> = self.players.iter().map(|p| p.chain().account()).collect();
        TokenClient::deploy_test_usd(self.operator.chain(), &holders)
            .await
            .expect("deploy Test USD")
    }

    /// Moves the clock past every open deadline.
    pub async fn pass_deadline(&self) {
        self.operator
            .chain()
            .advance_time(ENTRY_WINDOW + 1)
            .await
            .expect("advance time");
    }

    /// Moves the clock to at least unix time `t` (nothing if it is already there).
    pub async fn advance_to(&self, t: u64) {
        let chain = self.operator.chain();
        let now = chain.latest_timestamp().await.expect("time");
        if t > now {
            chain.advance_time(t - now).await.expect("advance time");
        }
    }

    /// Lets the challenge window of round `round_id`'s proposal pass unchallenged, then has
    /// the keeper ("anyone") finalize it: the rewards are credited and the bond returned.
    pub async fn finalize(&self, round_id: u64) -> TxOutcome {
        let contest = self.operator.contest(round_id).await.expect("contest");
        assert!(
            contest.challenge_ends_at > 0,
            "round {round_id} has no proposal"
        );
        self.advance_to(contest.challenge_ends_at).await;
        self.keeper.finalize(round_id).await.expect("finalize")
    }

    /// Proposes the settlement of `round_id` and finalizes it after its challenge window:
    /// what `settle` alone did before settlements became contestable. Returns both outcomes.
    pub async fn settle_and_finalize(
        &self,
        round_id: u64,
        ranking: &[B256],
        result_root: B256,
    ) -> (TxOutcome, TxOutcome) {
        let settled = self
            .operator
            .settle(round_id, ranking, result_root)
            .await
            .expect("settle");
        (settled, self.finalize(round_id).await)
    }

    /// What rounds hold of `asset` that is nobody's balance yet (the contract's `escrowed`).
    pub async fn escrowed(&self, asset: Address) -> U256 {
        self.operator
            .contract()
            .escrowed(asset)
            .call()
            .await
            .expect("escrowed")
    }

    /// Every settlement proposal of round `round_id`, in order.
    pub async fn proposals(&self, round_id: u64) -> Vec<SettlementProposed> {
        self.operator
            .contract()
            .SettlementProposed_filter()
            .topic1(U256::from(round_id))
            .from_block(0)
            .query()
            .await
            .expect("SettlementProposed logs")
            .into_iter()
            .map(|(ev, _)| ev)
            .collect()
    }

    /// Asserts the contract holds exactly `totalOwed + escrowed` of `asset`, and returns the two.
    pub async fn assert_holds_what_it_owes(&self, asset: Address) -> (U256, U256) {
        let c = &self.operator;
        let owed = c.total_owed(asset).await.unwrap();
        let escrowed = self.escrowed(asset).await;
        assert_eq!(
            c.holdings(asset).await.unwrap(),
            owed + escrowed,
            "the contract holds what it owes plus what rounds escrow, in {}",
            contracts::asset_name(asset)
        );
        (owed, escrowed)
    }

    /// Everything that holds value: contract ETH, total owed, and each account's pull balance.
    pub async fn snapshot(&self) -> Vec<U256> {
        let c = &self.operator;
        let mut s = vec![
            c.chain().balance(c.address()).await.unwrap(),
            c.total_owed(contracts::NATIVE).await.unwrap(),
            c.balance_of(contracts::NATIVE, c.chain().account())
                .await
                .unwrap(),
        ];
        for p in &self.players {
            s.push(
                c.balance_of(contracts::NATIVE, p.chain().account())
                    .await
                    .unwrap(),
            );
        }
        s
    }
}

/// The committee of every test deployment: `verifiers`, threshold 2, the short test windows
/// and the test bonds.
pub fn test_committee(verifiers: Vec<Address>) -> Committee {
    Committee {
        verifiers,
        threshold: THRESHOLD,
        challenge_window: CHALLENGE_WINDOW,
        resolve_window: RESOLVE_WINDOW,
        settle_bond: SETTLE_BOND,
        challenge_bond: CHALLENGE_BOND,
    }
}

/// `snapshot` (see [`Env::snapshot`]) once a finalized settlement returned the operator's bond
/// to its pull balance: the contract holds and owes the bond more, and the operator is owed it.
pub fn with_returned_bond(mut snapshot: Vec<U256>) -> Vec<U256> {
    for value in snapshot.iter_mut().take(3) {
        *value += U256::from(SETTLE_BOND);
    }
    snapshot
}

/// The key of the one agent each test account enters: its address as 32 bytes.
pub fn agent(owner: Address) -> B256 {
    owner.into_word()
}

/// The agent keys of `owners`, in order.
pub fn agents(owners: &[Address]) -> Vec<B256> {
    owners.iter().map(|o| agent(*o)).collect()
}

/// A result root standing in for the Merkle root of a round's record.
pub fn root(tag: &str) -> B256 {
    keccak256(tag)
}

/// The payout the README documents, computed independently of the contract: returns the
/// protocol fee and the reward of each place, best first.
pub fn expected_payout(
    n: usize,
    fee: u128,
    split_bps: &[u16],
    protocol_fee_bps: u16,
) -> (u128, Vec<u128>) {
    let pot = fee * n as u128;
    let protocol = pot * protocol_fee_bps as u128 / 10_000;
    let prize = pot - protocol;
    let places = split_bps.len().min(n);
    let mut rewards: Vec<u128> = (0..places)
        .map(|i| prize * split_bps[i] as u128 / 10_000)
        .collect();
    if places > 0 {
        let others: u128 = rewards[1..].iter().sum();
        rewards[0] = prize - others;
    }
    (protocol, rewards)
}

/// Gas of the calls that end rounds 1 to 3 of `env` (each entered by agents `ID-a`, `ID-b`,
/// `ID-c` and past its deadline): settle (propose) round 1 and finalize it after its challenge
/// window, the operator cancels round 2, `outsider` cancels round 3 after its timeout, then
/// `player` withdraws `asset`. `kind` labels the rows ("" or "token, ").
pub async fn closing_gas(
    env: &Env,
    outsider: &ArenaClient,
    player: &ArenaClient,
    asset: Address,
    kind: &str,
) -> Vec<(String, u64)> {
    let operator = &env.operator;
    let ranked = ["c", "a", "b"].map(|n| contracts::agent_key(&format!("1-{n}")));
    let (settled, finalized) = env.settle_and_finalize(1, &ranked, root("r")).await;
    let mut gas = vec![
        (
            format!("settle (propose), {kind}3 agents of 2 owners"),
            settled.gas_used,
        ),
        (
            format!("finalize after the challenge window, {kind}3 agents of 2 owners"),
            finalized.gas_used,
        ),
        (
            format!("cancel by the operator, {kind}3 agents"),
            operator.cancel(2).await.unwrap().gas_used,
        ),
    ];
    let info = operator.round(3).await.unwrap();
    let now = operator.chain().latest_timestamp().await.unwrap();
    assert!(
        now < info.times_out_at(),
        "finalizing round 1 left round 3 open"
    );
    operator
        .chain()
        .advance_time(info.times_out_at() - now)
        .await
        .unwrap();
    gas.push((
        format!("cancel by anyone after the timeout, {kind}3 agents"),
        outsider.cancel(3).await.unwrap().gas_used,
    ));
    let withdraw = if kind.is_empty() {
        "withdraw".to_owned()
    } else {
        format!("withdraw, {}", kind.trim_end_matches(", "))
    };
    gas.push((withdraw, player.withdraw(asset).await.unwrap().gas_used));
    gas
}

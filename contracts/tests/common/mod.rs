//! Shared set-up for the contract tests: a real anvil on a free loopback port, one connection
//! per funded account, and a freshly deployed Arena whose operator is account 0.
#![allow(dead_code)] // each test file uses its own subset of these helpers

use alloy::primitives::{Address, B256, U256, keccak256};
use contracts::{AnvilNode, ArenaClient, Chain, RoundSpec, TokenClient};

/// Entry fee used by most tests: 1 ether plus an odd number of wei, so that integer division
/// leaves dust in the payout arithmetic.
pub const FEE: u128 = 1_000_000_000_000_000_007;
/// Protocol fee used by most tests, in basis points.
pub const PROTOCOL_FEE_BPS: u16 = 250;
/// How long rounds in tests take entries.
pub const ENTRY_WINDOW: u64 = 3_600;
/// How long after the deadline the operator may settle in tests.
pub const SETTLE_WINDOW: u64 = 600;

/// A running chain with a deployed Arena.
pub struct Env {
    pub node: AnvilNode,
    /// Account 0: the operator.
    pub operator: ArenaClient,
    /// Accounts 1..: entrants and outsiders.
    pub players: Vec<ArenaClient>,
}

impl Env {
    /// Starts anvil with `accounts` funded accounts and deploys Arena.
    pub async fn start(accounts: usize) -> Env {
        let node = AnvilNode::start(accounts, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut chains = Vec::new();
        for key in node.private_keys() {
            chains.push(Chain::connect(node.rpc_url(), key).await.expect("connect"));
        }
        let operator = ArenaClient::deploy(&chains[0], chains[0].account())
            .await
            .expect("deploy");
        let players = chains[1..].iter().map(|c| operator.with_chain(c)).collect();
        Env {
            node,
            operator,
            players,
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

/// Gas of the calls that end rounds 1 to 3 (each entered by agents `ID-a`, `ID-b`, `ID-c` and
/// past its deadline): settle round 1, the operator cancels round 2, `outsider` cancels round 3
/// after its timeout, then `player` withdraws `asset`. `kind` labels the rows ("" or
/// "token, ").
pub async fn closing_gas(
    operator: &ArenaClient,
    outsider: &ArenaClient,
    player: &ArenaClient,
    asset: Address,
    kind: &str,
) -> Vec<(String, u64)> {
    let ranked = ["c", "a", "b"].map(|n| contracts::agent_key(&format!("1-{n}")));
    let mut gas = vec![
        (
            format!("settle, {kind}3 agents of 2 owners"),
            operator
                .settle(1, &ranked, root("r"))
                .await
                .unwrap()
                .gas_used,
        ),
        (
            format!("cancel by the operator, {kind}3 agents"),
            operator.cancel(2).await.unwrap().gas_used,
        ),
    ];
    let info = operator.round(3).await.unwrap();
    let now = operator.chain().latest_timestamp().await.unwrap();
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

//! The Arena contract seen from one account: deploy it, open, enter (in ETH or approving a
//! token), settle, cancel, withdraw per asset, and read rounds, balances and events.

use std::fmt;

use alloy::primitives::{Address, B256, TxHash, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;

use crate::bindings::Arena::{self, ArenaInstance};
use crate::chain::Chain;
use crate::committee::{Committee, Contest};
use crate::error::{ChainError, from_contract_error, rpc_error};
use crate::token::TokenClient;

/// How long a sent transaction may take to be mined before the client gives up waiting.
const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// How long each required confirmation may take (public chains make a block every few seconds).
const CONFIRMATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The asset address that means native ETH, in [`RoundSpec::fee_token`], balances and
/// withdrawals (the contract's `NATIVE`).
pub const NATIVE: Address = Address::ZERO;

/// The reward split used when a round does not choose one: 50/30/20 for the top three.
pub const DEFAULT_SPLIT_BPS: [u16; 3] = [5_000, 3_000, 2_000];

/// How an agent is named on chain: the keccak-256 hash of its id. Entries are keyed by agent,
/// so one owner can enter several agents in a round and the ranking names agents.
pub fn agent_key(agent_id: &str) -> B256 {
    keccak256(agent_id)
}

/// The parameters of a round to open.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    /// Round id chosen by the operator; opening it twice is refused, so a retry is harmless.
    pub round_id: u64,
    /// The round's space, as 32 bytes (e.g. the hash of its name).
    pub space: B256,
    /// The ERC-20 token the fee is paid in, or [`NATIVE`] for ETH.
    pub fee_token: Address,
    /// Exact entry fee, in wei or in the token's smallest unit.
    pub entry_fee: u128,
    /// Unix time after which entries are refused and settlement is allowed.
    pub deadline: u64,
    /// Seconds after the deadline in which the operator must settle; after that anyone can
    /// cancel the round and every entry is refunded. Fixed at opening; must not be zero.
    pub settle_window: u64,
    /// Reward per place in basis points, best first; must sum to 10000.
    pub split_bps: Vec<u16>,
    /// Share of the pot the operator keeps, in basis points.
    pub protocol_fee_bps: u16,
}

/// Life cycle of a round, as the contract's `State` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundState {
    /// Never opened.
    None,
    /// Taking entries or waiting for settlement.
    Open,
    /// Settlement proposed; pays out after the challenge window unless challenged.
    Proposed,
    /// Settlement challenged; waiting for the verifier committee.
    Challenged,
    /// Paid out.
    Settled,
    /// Cancelled and refunded.
    Cancelled,
}

impl RoundState {
    pub(crate) fn from_u8(v: u8) -> RoundState {
        match v {
            1 => RoundState::Open,
            2 => RoundState::Proposed,
            3 => RoundState::Challenged,
            4 => RoundState::Settled,
            5 => RoundState::Cancelled,
            _ => RoundState::None,
        }
    }
}

impl fmt::Display for RoundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            RoundState::None => "not opened",
            RoundState::Open => "open",
            RoundState::Proposed => "settlement proposed",
            RoundState::Challenged => "settlement challenged",
            RoundState::Settled => "settled",
            RoundState::Cancelled => "cancelled",
        };
        f.write_str(name)
    }
}

/// A round as stored on chain.
#[derive(Debug, Clone)]
pub struct RoundInfo {
    pub state: RoundState,
    pub space: B256,
    /// The token entries are paid, rewarded and refunded in ([`NATIVE`]: ETH).
    pub fee_token: Address,
    pub entry_fee: u128,
    pub deadline: u64,
    pub settle_window: u64,
    pub protocol_fee_bps: u16,
    pub split_bps: Vec<u16>,
    /// The entered agents' keys ([`agent_key`]), in entry order.
    pub agents: Vec<B256>,
    /// The owner that paid for each agent of `agents`, and receives its reward or refund.
    pub owners: Vec<Address>,
    pub result_root: B256,
}

impl RoundInfo {
    /// The time from which the operator can no longer settle and anyone can cancel.
    pub fn times_out_at(&self) -> u64 {
        self.deadline.saturating_add(self.settle_window)
    }
}

/// What a mined transaction cost and where it landed.
#[derive(Debug, Clone, Copy)]
pub struct TxOutcome {
    pub hash: TxHash,
    pub gas_used: u64,
    /// Wei paid for gas: gas used times the effective gas price.
    pub fee_paid: U256,
    pub block: Option<u64>,
}

impl TxOutcome {
    pub(crate) fn from_receipt(receipt: &TransactionReceipt) -> TxOutcome {
        TxOutcome {
            hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
            fee_paid: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
            block: receipt.block_number,
        }
    }
}

/// The deployed contract, driven by one account of a [`Chain`].
#[derive(Clone)]
pub struct ArenaClient {
    chain: Chain,
    contract: ArenaInstance<alloy::providers::DynProvider>,
}

impl ArenaClient {
    /// Deploys a new Arena whose operator is `operator`, contested before `committee`, and
    /// returns a client for it.
    pub async fn deploy(
        chain: &Chain,
        operator: Address,
        committee: &Committee,
    ) -> Result<ArenaClient, ChainError> {
        let address = Arena::deploy_builder(
            chain.provider().clone(),
            operator,
            committee.verifiers.clone(),
            committee.threshold,
            committee.challenge_window,
            committee.resolve_window,
            committee.settle_bond,
            committee.challenge_bond,
        )
        .deploy()
        .await
        .map_err(|e| from_contract_error(e, chain.url(), "deploy"))?;
        Ok(ArenaClient::at(chain, address))
    }

    /// A client for the Arena already deployed at `address`.
    pub fn at(chain: &Chain, address: Address) -> ArenaClient {
        ArenaClient {
            chain: chain.clone(),
            contract: Arena::new(address, chain.provider().clone()),
        }
    }

    /// The same contract seen from another account.
    pub fn with_chain(&self, chain: &Chain) -> ArenaClient {
        ArenaClient::at(chain, self.address())
    }

    /// The contract's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    /// The connection this client sends with.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The generated binding, for calls and event filters this type does not wrap.
    pub fn contract(&self) -> &ArenaInstance<alloy::providers::DynProvider> {
        &self.contract
    }

    /// The operator recorded in the contract.
    pub async fn operator(&self) -> Result<Address, ChainError> {
        self.contract
            .operator()
            .call()
            .await
            .map_err(|e| self.err(e, "operator()"))
    }

    /// Opens a round (operator only).
    pub async fn open(&self, spec: &RoundSpec) -> Result<TxOutcome, ChainError> {
        let call = self.contract.open(
            spec.round_id,
            spec.space,
            spec.fee_token,
            spec.entry_fee,
            spec.deadline,
            spec.settle_window,
            spec.split_bps.clone(),
            spec.protocol_fee_bps,
        );
        let action = format!("open round {}", spec.round_id);
        self.finish(call.send().await, &action).await
    }

    /// Enters `agent` ([`agent_key`]) in a round, paid by the sending account, which receives
    /// its reward or refund; `fee` wei must equal the entry fee.
    pub async fn enter(
        &self,
        round_id: u64,
        agent: B256,
        fee: u128,
    ) -> Result<TxOutcome, ChainError> {
        let call = self.contract.enter(round_id, agent).value(U256::from(fee));
        let action = format!("enter round {round_id}");
        self.finish(call.send().await, &action).await
    }

    /// Enters `agent` in a round whose fee is `fee` of `fee_token`, paid by the sending account:
    /// with ETH for a [`NATIVE`] round; for a token round, first approving the contract for the
    /// fee when the account's allowance is short, then entering without ETH (the contract pulls
    /// the fee).
    pub async fn pay_entry(
        &self,
        round_id: u64,
        agent: B256,
        fee_token: Address,
        fee: u128,
    ) -> Result<EntryPaid, ChainError> {
        if fee_token == NATIVE {
            let enter = self.enter(round_id, agent, fee).await?;
            return Ok(EntryPaid {
                approve: None,
                enter,
            });
        }
        let token = TokenClient::at(&self.chain, fee_token);
        let payer = self.chain.account();
        let approve = if fee != 0 && token.allowance(payer, self.address()).await? < U256::from(fee)
        {
            Some(token.approve(self.address(), U256::from(fee)).await?)
        } else {
            None
        };
        let enter = self.enter(round_id, agent, 0).await?;
        Ok(EntryPaid { approve, enter })
    }

    /// The contest parameters fixed at deployment.
    pub async fn committee(&self) -> Result<Committee, ChainError> {
        let c = &self.contract;
        let read = |e, what: &str| self.err(e, what);
        Ok(Committee {
            verifiers: c
                .verifiers()
                .call()
                .await
                .map_err(|e| read(e, "verifiers()"))?,
            threshold: c
                .threshold()
                .call()
                .await
                .map_err(|e| read(e, "threshold()"))?,
            challenge_window: c
                .challengeWindow()
                .call()
                .await
                .map_err(|e| read(e, "challengeWindow()"))?,
            resolve_window: c
                .resolveWindow()
                .call()
                .await
                .map_err(|e| read(e, "resolveWindow()"))?,
            settle_bond: c
                .settleBond()
                .call()
                .await
                .map_err(|e| read(e, "settleBond()"))?,
            challenge_bond: c
                .challengeBond()
                .call()
                .await
                .map_err(|e| read(e, "challengeBond()"))?,
        })
    }

    /// The contest state of a round: its proposed ranking, windows, challenger and votes.
    pub async fn contest(&self, round_id: u64) -> Result<Contest, ChainError> {
        let c = self
            .contract
            .contest(round_id)
            .call()
            .await
            .map_err(|e| self.err(e, &format!("contest({round_id})")))?;
        Ok(Contest {
            ranking: c.ranking,
            challenge_ends_at: c.challengeEndsAt,
            challenger: (c.challenger != Address::ZERO).then_some(c.challenger),
            resolve_by: c.resolveBy,
            upheld_votes: c.upheldVotes,
            rejected_votes: c.rejectedVotes,
        })
    }

    /// Pays out a proposed settlement whose challenge window passed unchallenged (anyone).
    pub async fn finalize(&self, round_id: u64) -> Result<TxOutcome, ChainError> {
        let call = self.contract.finalize(round_id);
        self.finish(call.send().await, &format!("finalize round {round_id}"))
            .await
    }

    /// Challenges a proposed settlement, posting `bond` wei (the contract's challenge bond).
    pub async fn challenge(&self, round_id: u64, bond: u128) -> Result<TxOutcome, ChainError> {
        let call = self.contract.challenge(round_id).value(U256::from(bond));
        self.finish(call.send().await, &format!("challenge round {round_id}"))
            .await
    }

    /// A verifier's vote on a challenged round: `upheld` when the settlement does not verify.
    pub async fn vote(&self, round_id: u64, upheld: bool) -> Result<TxOutcome, ChainError> {
        let call = self.contract.vote(round_id, upheld);
        self.finish(call.send().await, &format!("vote on round {round_id}"))
            .await
    }

    /// Proposes a settlement without any journal; see [`crate::settle_once`] for the
    /// crash-safe way. Pays out only after the challenge window ([`ArenaClient::finalize`]).
    pub async fn settle(
        &self,
        round_id: u64,
        ranking: &[B256],
        result_root: B256,
    ) -> Result<TxOutcome, ChainError> {
        let hash = self.send_settle(round_id, ranking, result_root).await?;
        self.confirm(hash, &format!("settle round {round_id}"))
            .await
    }

    /// Broadcasts a settlement proposal with the operator's bond and returns its hash without waiting for it to be mined.
    pub async fn send_settle(
        &self,
        round_id: u64,
        ranking: &[B256],
        result_root: B256,
    ) -> Result<TxHash, ChainError> {
        let bond = self
            .contract
            .settleBond()
            .call()
            .await
            .map_err(|e| self.err(e, "settleBond()"))?;
        let call = self
            .contract
            .settle(round_id, ranking.to_vec(), result_root)
            .value(U256::from(bond));
        let pending = call
            .send()
            .await
            .map_err(|e| self.err(e, &format!("settle round {round_id}")))?;
        Ok(*pending.tx_hash())
    }

    /// Cancels an open round, crediting every entry's fee back to the owner that paid it: the
    /// operator at any time, anyone else once the round timed out.
    pub async fn cancel(&self, round_id: u64) -> Result<TxOutcome, ChainError> {
        let call = self.contract.cancel(round_id);
        let action = format!("cancel round {round_id}");
        self.finish(call.send().await, &action).await
    }

    /// Withdraws the sending account's whole pull-payment balance of `asset` (a token, or
    /// [`NATIVE`] for ETH).
    pub async fn withdraw(&self, asset: Address) -> Result<TxOutcome, ChainError> {
        let call = self.contract.withdraw(asset);
        self.finish(
            call.send().await,
            &format!("withdraw {}", asset_name(asset)),
        )
        .await
    }

    /// The pull-payment balance of `account` in `asset` ([`NATIVE`]: ETH): rewards, refunds and
    /// fees not yet withdrawn.
    pub async fn balance_of(&self, asset: Address, account: Address) -> Result<U256, ChainError> {
        self.contract
            .balanceOf(asset, account)
            .call()
            .await
            .map_err(|e| self.err(e, "balanceOf"))
    }

    /// The sum of all pull-payment balances in `asset`.
    pub async fn total_owed(&self, asset: Address) -> Result<U256, ChainError> {
        self.contract
            .totalOwed(asset)
            .call()
            .await
            .map_err(|e| self.err(e, "totalOwed"))
    }

    /// What the contract holds of `asset`: its ETH balance, or its balance of the token.
    pub async fn holdings(&self, asset: Address) -> Result<U256, ChainError> {
        if asset == NATIVE {
            self.chain.balance(self.address()).await
        } else {
            TokenClient::at(&self.chain, asset)
                .balance_of(self.address())
                .await
        }
    }

    /// A round as stored on chain (state `None` if never opened).
    pub async fn round(&self, round_id: u64) -> Result<RoundInfo, ChainError> {
        let r = self
            .contract
            .roundInfo(round_id)
            .call()
            .await
            .map_err(|e| self.err(e, &format!("roundInfo({round_id})")))?;
        let entries = self
            .contract
            .entries(round_id)
            .call()
            .await
            .map_err(|e| self.err(e, &format!("entries({round_id})")))?;
        Ok(RoundInfo {
            state: RoundState::from_u8(r.state),
            space: r.space,
            fee_token: r.feeToken,
            entry_fee: r.entryFee,
            deadline: r.deadline,
            settle_window: r.settleWindow,
            protocol_fee_bps: r.protocolFeeBps,
            split_bps: r.splitBps,
            agents: entries.agents,
            owners: entries.owners,
            result_root: r.resultRoot,
        })
    }

    /// Ids of every round ever opened on this contract, oldest first.
    pub async fn round_ids(&self) -> Result<Vec<u64>, ChainError> {
        let logs = self
            .contract
            .RoundOpened_filter()
            .from_block(0)
            .query()
            .await
            .map_err(|e| self.err(e, "RoundOpened logs"))?;
        Ok(logs.into_iter().map(|(ev, _)| ev.roundId).collect())
    }

    /// Every settlement event of round `round_id` (there is at most one unless the contract is
    /// broken; tests count them to prove exactly-once payment).
    pub async fn settlements(&self, round_id: u64) -> Result<Vec<Arena::RoundSettled>, ChainError> {
        let logs = self
            .contract
            .RoundSettled_filter()
            .topic1(U256::from(round_id))
            .from_block(0)
            .query()
            .await
            .map_err(|e| self.err(e, "RoundSettled logs"))?;
        Ok(logs.into_iter().map(|(ev, _)| ev).collect())
    }

    /// Every credit to a pull-payment balance in round `round_id`, in order.
    pub async fn credits(&self, round_id: u64) -> Result<Vec<Arena::Credited>, ChainError> {
        let logs = self
            .contract
            .Credited_filter()
            .topic1(U256::from(round_id))
            .from_block(0)
            .query()
            .await
            .map_err(|e| self.err(e, "Credited logs"))?;
        Ok(logs.into_iter().map(|(ev, _)| ev).collect())
    }

    /// Waits for a sent transaction and its confirmations, and turns a failed one into an
    /// error.
    pub(crate) async fn confirm(
        &self,
        hash: TxHash,
        action: &str,
    ) -> Result<TxOutcome, ChainError> {
        confirm_on(&self.chain, hash, action).await
    }

    async fn finish(
        &self,
        sent: Result<
            alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
            alloy::contract::Error,
        >,
        action: &str,
    ) -> Result<TxOutcome, ChainError> {
        let pending = sent.map_err(|e| self.err(e, action))?;
        let hash = *pending.tx_hash();
        self.confirm(hash, action).await
    }

    fn err(&self, e: alloy::contract::Error, action: &str) -> ChainError {
        from_contract_error(e, self.chain.url(), action)
    }
}

/// The transactions that paid one entry: the token approval when one was needed, and the
/// entry itself.
#[derive(Debug, Clone, Copy)]
pub struct EntryPaid {
    pub approve: Option<TxOutcome>,
    pub enter: TxOutcome,
}

/// How an asset is named in messages: "ETH", or "token 0x…".
pub fn asset_name(asset: Address) -> String {
    if asset == NATIVE {
        "ETH".into()
    } else {
        format!("token {asset}")
    }
}

/// Waits on `chain` for a sent transaction and its confirmations, and turns a failed one into
/// an error naming `action`.
pub(crate) async fn confirm_on(
    chain: &Chain,
    hash: TxHash,
    action: &str,
) -> Result<TxOutcome, ChainError> {
    let confirmation_time = CONFIRMATION_TIMEOUT * chain.confirmations() as u32;
    let receipt = loop {
        let mined = chain
            .wait_for_receipt(hash, RECEIPT_TIMEOUT)
            .await?
            .ok_or_else(|| {
                rpc_error(
                    format!("transaction {hash} not mined within {RECEIPT_TIMEOUT:?}"),
                    chain.url(),
                    action,
                )
            })?;
        if let Some(confirmed) = chain
            .wait_for_confirmations(mined, action, confirmation_time)
            .await?
        {
            break confirmed;
        }
    };
    if !receipt.status() {
        let failed = ChainError::TxFailed {
            action: action.to_string(),
            hash,
        };
        return Err(revert_reason(chain, hash, action).await.unwrap_or(failed));
    }
    Ok(TxOutcome::from_receipt(&receipt))
}

/// Why a mined transaction reverted, found by sending it again as a call on the latest state,
/// since a receipt carries no reason (a deadline that passed while the transaction waited for
/// its block, say). `None` when the call now succeeds, or its revert is not the contract's.
async fn revert_reason(chain: &Chain, hash: TxHash, action: &str) -> Option<ChainError> {
    let sent = chain
        .provider()
        .get_transaction_by_hash(hash)
        .await
        .ok()??;
    let mut call = sent.into_request();
    call.nonce = None;
    let err = chain.provider().call(call).await.err()?;
    let action = format!("{action} (transaction {hash}, mined and reverted)");
    match from_contract_error(
        alloy::contract::Error::TransportError(err),
        chain.url(),
        &action,
    ) {
        reverted @ ChainError::Reverted { .. } => Some(reverted),
        _ => None,
    }
}

//! A connection to a node with one signing account: the provider every contract call goes
//! through, plus the node's URL so every error can name it.

use std::time::Duration;

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;

use crate::error::{ChainError, rpc_error};

/// How often receipts are polled; anvil mines instantly, real nodes are slower.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A node reached over HTTP with one local signing key.
#[derive(Clone)]
pub struct Chain {
    provider: DynProvider,
    url: String,
    account: Address,
}

impl Chain {
    /// Connects to the node at `rpc_url`, signing with `private_key` (hex, 0x optional), and
    /// checks the node answers.
    pub async fn connect(rpc_url: &str, private_key: &str) -> Result<Chain, ChainError> {
        let signer: PrivateKeySigner = private_key
            .trim()
            .parse()
            .map_err(|e| ChainError::BadKey(format!("{e}")))?;
        let url = rpc_url.parse().map_err(|e| ChainError::BadUrl {
            url: rpc_url.to_string(),
            reason: format!("{e}"),
        })?;
        let account = signer.address();
        // The nonce is read from the node for every transaction (not cached): a refused call or
        // a restart after a crash must never leave a gap that stalls the next transaction.
        let provider = ProviderBuilder::default()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(signer)
            .connect_http(url)
            .erased();
        provider.client().set_poll_interval(POLL_INTERVAL);
        let chain = Chain {
            provider,
            url: rpc_url.to_string(),
            account,
        };
        chain.chain_id().await?;
        Ok(chain)
    }

    /// The provider, for calls this crate does not wrap.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The signing account.
    pub fn account(&self) -> Address {
        self.account
    }

    /// The chain id, which also proves the node is alive.
    pub async fn chain_id(&self) -> Result<u64, ChainError> {
        self.provider
            .get_chain_id()
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_chainId"))
    }

    /// The latest block number.
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_blockNumber"))
    }

    /// The timestamp of the latest block, the clock the contract's deadlines use.
    pub async fn latest_timestamp(&self) -> Result<u64, ChainError> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_getBlockByNumber"))?
            .ok_or_else(|| rpc_error("no latest block", &self.url, "eth_getBlockByNumber"))?;
        Ok(block.header.timestamp)
    }

    /// The native balance of `account` in wei.
    pub async fn balance(&self, account: Address) -> Result<U256, ChainError> {
        self.provider
            .get_balance(account)
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_getBalance"))
    }

    /// How many transactions `account` has had mined (its next nonce).
    pub async fn nonce(&self, account: Address) -> Result<u64, ChainError> {
        self.provider
            .get_transaction_count(account)
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_getTransactionCount"))
    }

    /// The receipt of a mined transaction, or `None` while it is pending or unknown.
    pub async fn receipt(&self, hash: TxHash) -> Result<Option<TransactionReceipt>, ChainError> {
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| rpc_error(e, &self.url, "eth_getTransactionReceipt"))
    }

    /// Whether the node knows the transaction at all (mined or waiting in its pool).
    pub async fn knows_transaction(&self, hash: TxHash) -> Result<bool, ChainError> {
        self.provider
            .get_transaction_by_hash(hash)
            .await
            .map(|tx| tx.is_some())
            .map_err(|e| rpc_error(e, &self.url, "eth_getTransactionByHash"))
    }

    /// Waits up to `timeout` for the receipt of `hash`; `None` if it is still not mined.
    pub async fn wait_for_receipt(
        &self,
        hash: TxHash,
        timeout: Duration,
    ) -> Result<Option<TransactionReceipt>, ChainError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.receipt(hash).await? {
                return Ok(Some(receipt));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Moves the chain's clock forward by `seconds` and mines a block (anvil only), so tests and
    /// local rounds can pass a deadline without waiting.
    pub async fn advance_time(&self, seconds: u64) -> Result<(), ChainError> {
        self.anvil_call("evm_increaseTime", serde_json::json!([seconds]))
            .await?;
        self.anvil_call("evm_mine", serde_json::json!([])).await?;
        Ok(())
    }

    /// A raw JSON-RPC call with positional `params`, for node-specific methods such as anvil's
    /// `evm_*`.
    pub async fn anvil_call(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, ChainError> {
        self.provider
            .raw_request(method.into(), params)
            .await
            .map_err(|e| rpc_error(e, &self.url, method))
    }
}

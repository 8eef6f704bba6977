//! A connection to a node with one signing account: the provider every contract call goes
//! through, plus the node's URL so every error can name it. Over HTTP or HTTPS, with the
//! certificates the `tls` crate trusts.

use std::time::Duration;

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;

use crate::error::{ChainError, rpc_error};
use crate::node_url::NodeUrl;
use crate::signer::parse_private_key;

/// How often receipts are polled; anvil mines instantly, real nodes are slower.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A node reached over HTTP(S) with one local signing key.
#[derive(Clone)]
pub struct Chain {
    provider: DynProvider,
    url: NodeUrl,
    account: Address,
    /// Blocks (the including one counted) a transaction needs before it counts as done.
    confirmations: u64,
}

impl Chain {
    /// Connects to the node at `rpc_url`, signing with `private_key` (hex, 0x optional), and
    /// checks the node answers.
    pub async fn connect(rpc_url: &str, private_key: &str) -> Result<Chain, ChainError> {
        Self::connect_with(rpc_url, parse_private_key(private_key)?).await
    }

    /// Connects to the node at `rpc_url` signing with `signer` (from a key or a keystore), and
    /// checks the node answers. Transactions need one confirmation until
    /// [`Chain::with_confirmations`] asks for more.
    pub async fn connect_with(
        rpc_url: &str,
        signer: PrivateKeySigner,
    ) -> Result<Chain, ChainError> {
        let node = NodeUrl::new(rpc_url);
        let url: alloy::transports::http::reqwest::Url =
            rpc_url.parse().map_err(|e| ChainError::BadUrl {
                url: node.to_string(),
                reason: format!("{e}"),
            })?;
        let host = url.host_str().unwrap_or(rpc_url).to_owned();
        let http = alloy::transports::http::reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config()?)
            .build()
            .map_err(|e| ChainError::BadUrl {
                url: node.to_string(),
                reason: format!("building the HTTP client: {e}"),
            })?;
        let account = signer.address();
        // The nonce is read from the node for every transaction (not cached): a refused call or
        // a restart after a crash must never leave a gap that stalls the next transaction.
        let provider = ProviderBuilder::default()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(signer)
            .connect_reqwest(http, url)
            .erased();
        provider.client().set_poll_interval(POLL_INTERVAL);
        let chain = Chain {
            provider,
            url: node,
            account,
            confirmations: 1,
        };
        // The first request is where a refused certificate shows: say so, with the fix.
        if let Err(e) = chain.provider.get_chain_id().await {
            return Err(match tls::certificate_problem(&e) {
                Some(problem) => ChainError::Untrusted {
                    url: chain.url.to_string(),
                    message: tls::untrusted_message(&host, &problem),
                },
                None => rpc_error(e, &chain.url, "eth_chainId"),
            });
        }
        Ok(chain)
    }

    /// The same connection, waiting for `confirmations` blocks (at least 1) on every
    /// transaction: on a public chain a block can be replaced, so a payment is only trusted once
    /// blocks are built on top of it.
    pub fn with_confirmations(mut self, confirmations: u64) -> Chain {
        self.confirmations = confirmations.max(1);
        self
    }

    /// How many blocks every transaction waits for.
    pub fn confirmations(&self) -> u64 {
        self.confirmations
    }

    /// Waits until `receipt`'s transaction has [`Chain::confirmations`] blocks (its own
    /// included), logging the progress. Returns the receipt as it stands then, or `None` if the
    /// transaction left the chain meanwhile (a reorganisation) and must be waited for again.
    pub async fn wait_for_confirmations(
        &self,
        receipt: TransactionReceipt,
        action: &str,
        timeout: Duration,
    ) -> Result<Option<TransactionReceipt>, ChainError> {
        let Some(mined_in) = receipt.block_number else {
            return Ok(None);
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut shown = 0;
        loop {
            let have = self.block_number().await?.saturating_sub(mined_in) + 1;
            if have >= self.confirmations {
                break;
            }
            if have != shown {
                tracing::info!(
                    "{action}: {have}/{} confirmations of {}",
                    self.confirmations,
                    receipt.transaction_hash
                );
                shown = have;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(rpc_error(
                    format!(
                        "transaction {} has {have} of {} confirmations after {timeout:?}",
                        receipt.transaction_hash, self.confirmations
                    ),
                    &self.url,
                    action,
                ));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        // Still in the same block? Otherwise a reorganisation moved or dropped it.
        let now = self.receipt(receipt.transaction_hash).await?;
        Ok(now.filter(|r| r.block_hash == receipt.block_hash))
    }

    /// The provider, for calls this crate does not wrap.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The node's URL: shown without secrets, whole only through [`NodeUrl::secret`].
    pub fn url(&self) -> &NodeUrl {
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

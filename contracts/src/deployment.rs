//! The record of where the Arena contract was deployed: its address, operator, the chain id
//! it lives on, and the Test USD stablecoin deployed next to it on a local chain. Connecting checks the node against it, so a URL pointing at another network
//! (or a reset chain) is refused before any transaction is sent.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use alloy::providers::Provider;
use serde::{Deserialize, Serialize};

use crate::chain::Chain;
use crate::client::ArenaClient;
use crate::committee::Committee;
use crate::error::{ChainError, rpc_error};
use crate::token::TokenClient;

/// A deployment as stored in `deployment.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub contract: Address,
    pub chain_id: u64,
    /// The operator at deployment time (older records lack it).
    #[serde(default)]
    pub operator: Option<Address>,
    /// The Test USD stablecoin deployed next to the contract, for token-fee tiers (`token =
    /// "stablecoin"` in a space); none on a chain where it was not deployed, and in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stablecoin: Option<Address>,
}

impl Deployment {
    /// The record at `path`, `None` if there is none; a corrupt record is an error naming it.
    pub fn load(path: &Path) -> Result<Option<Deployment>, ChainError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(record_error(path, format!("unreadable: {e}"))),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            record_error(
                path,
                format!("corrupt ({e}): restore it, or delete it to deploy a new contract"),
            )
        })
    }

    /// Writes the record to `path` atomically (write then rename).
    pub fn save(&self, path: &Path) -> Result<(), ChainError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| record_error(path, format!("creating its directory: {e}")))?;
        }
        let tmp = path.with_extension("json.partial");
        let text = serde_json::to_string_pretty(self).expect("a deployment serializes") + "\n";
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| record_error(path, format!("not written: {e}")))
    }

    /// Deploys a new Arena operated by `chain`'s account and contested before `committee`, and
    /// returns it with its record; with `test_usd_holders`, also the Test USD stablecoin minted
    /// to them (local chains only: the token is worthless).
    pub async fn deploy(
        chain: &Chain,
        committee: &Committee,
        test_usd_holders: Option<&[Address]>,
    ) -> Result<(ArenaClient, Deployment), ChainError> {
        let client = ArenaClient::deploy(chain, chain.account(), committee).await?;
        let mut record = Deployment {
            contract: client.address(),
            chain_id: chain.chain_id().await?,
            operator: Some(chain.account()),
            stablecoin: None,
        };
        if let Some(holders) = test_usd_holders {
            record.deploy_test_usd(chain, holders).await?;
        }
        Ok((client, record))
    }

    /// Deploys the Test USD stablecoin minted to `holders` and records it.
    pub async fn deploy_test_usd(
        &mut self,
        chain: &Chain,
        holders: &[Address],
    ) -> Result<TokenClient, ChainError> {
        let token = TokenClient::deploy_test_usd(chain, holders).await?;
        self.stablecoin = Some(token.address());
        Ok(token)
    }

    /// The contract of this record on `chain`, after checking that the node serves the
    /// recorded chain id and has the contract's code. `record` names the file in errors.
    pub async fn attach(&self, chain: &Chain, record: &Path) -> Result<ArenaClient, ChainError> {
        let node = chain.chain_id().await?;
        if node != self.chain_id {
            return Err(ChainError::ChainMismatch {
                url: chain.url().to_string(),
                record: record.to_owned(),
                recorded: self.chain_id,
                node,
            });
        }
        if !has_code(chain, self.contract).await? {
            return Err(ChainError::NoContract {
                address: self.contract,
                chain_id: node,
                url: chain.url().to_string(),
                record: record.to_owned(),
            });
        }
        Ok(ArenaClient::at(chain, self.contract))
    }
}

/// Whether `address` holds contract code on `chain`.
pub async fn has_code(chain: &Chain, address: Address) -> Result<bool, ChainError> {
    let code = chain
        .provider()
        .get_code_at(address)
        .await
        .map_err(|e| rpc_error(e, chain.url(), "eth_getCode"))?;
    Ok(!code.is_empty())
}

fn record_error(path: &Path, reason: String) -> ChainError {
    ChainError::Record {
        path: PathBuf::from(path),
        reason,
    }
}

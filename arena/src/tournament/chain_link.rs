//! The tournament's connection to the chain: its own anvil node (state
//! saved in the data directory, so a restarted tournament finds its rounds
//! and balances again) or a given RPC node; the deployed Arena contract;
//! and a signer per agent owner for paying entry fees.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use contracts::{AnvilNode, ArenaClient, Chain};
use serde::{Deserialize, Serialize};

/// Funded accounts of the tournament's own node: operator plus owners.
const LOCAL_ACCOUNTS: usize = 10;

/// Where the contract was deployed, remembered across runs.
#[derive(Serialize, Deserialize)]
struct Deployment {
    contract: Address,
    chain_id: u64,
}

/// How to reach the chain again from another thread: the node's URL, the
/// operator's and owners' keys, and the deployment directory. Its `Debug`
/// shows no key.
#[derive(Clone)]
pub struct ChainAccess {
    pub rpc_url: String,
    operator_key: String,
    owner_keys: Vec<String>,
    dir: PathBuf,
}

impl std::fmt::Debug for ChainAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainAccess({})", self.rpc_url)
    }
}

impl ChainAccess {
    /// A new link to the same node and contract (no node of its own).
    pub async fn connect(&self) -> Result<ChainLink> {
        ChainLink::connect(
            &self.rpc_url,
            &self.operator_key,
            &self.owner_keys,
            &self.dir,
        )
        .await
    }
}

/// The operator's client, the owners' clients, and the node if we run it.
pub struct ChainLink {
    pub operator: ArenaClient,
    owners: HashMap<Address, ArenaClient>,
    access: ChainAccess,
    /// Whether we may move the chain's clock (our own anvil).
    pub local: bool,
    _node: Option<AnvilNode>,
}

impl ChainLink {
    /// Starts (or restarts) the tournament's own anvil with its state in
    /// `dir`, and deploys the contract unless it is already there. Call from
    /// the main thread: the node stops when the thread that started it ends.
    pub async fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let state = dir.join("anvil-state.json").to_string_lossy().into_owned();
        let pid_file = dir.join("anvil.pid");
        wait_for_previous_node(&pid_file);
        let node = AnvilNode::start(
            LOCAL_ACCOUNTS,
            &["--state", &state, "--state-interval", "1"],
        )?;
        std::fs::write(&pid_file, node.pid().to_string())
            .with_context(|| format!("writing {}", pid_file.display()))?;
        let keys = node.private_keys().to_vec();
        let mut link = Self::connect(node.rpc_url(), &keys[0], &keys, dir).await?;
        link.local = true;
        link._node = Some(node);
        Ok(link)
    }

    /// Connects to `rpc_url` as the operator `key`; `owner_keys` sign entries.
    pub async fn connect(
        rpc_url: &str,
        key: &str,
        owner_keys: &[String],
        dir: &Path,
    ) -> Result<Self> {
        let chain = Chain::connect(rpc_url, key).await?;
        let operator = deployed(&chain, dir).await?;
        let mut owners = HashMap::new();
        for k in owner_keys {
            let signer: PrivateKeySigner = k
                .parse()
                .map_err(|e| anyhow::anyhow!("an owner key is not a valid private key: {e}"))?;
            let owner_chain = Chain::connect(rpc_url, k).await?;
            owners.insert(signer.address(), operator.with_chain(&owner_chain));
        }
        Ok(Self {
            operator,
            owners,
            access: ChainAccess {
                rpc_url: rpc_url.to_owned(),
                operator_key: key.to_owned(),
                owner_keys: owner_keys.to_vec(),
                dir: dir.to_owned(),
            },
            local: false,
            _node: None,
        })
    }

    /// What another thread needs to connect to the same chain.
    pub fn access(&self) -> ChainAccess {
        self.access.clone()
    }

    /// The accounts that can sign entries (agent owners), sorted.
    pub fn owner_accounts(&self) -> Vec<Address> {
        let mut accounts: Vec<Address> = self.owners.keys().copied().collect();
        accounts.sort();
        accounts
    }

    /// Withdraws `owner`'s pull-payment balance to its wallet.
    pub async fn withdraw(&self, owner: Address) -> Result<()> {
        let client = self.owner(&owner.to_string())?;
        client.withdraw().await?;
        Ok(())
    }

    /// The client that signs as `owner`, or a clear error naming the fix.
    pub fn owner(&self, owner: &str) -> Result<&ArenaClient> {
        let address: Address = owner
            .parse()
            .with_context(|| format!("owner '{owner}' is not an address"))?;
        self.owners.get(&address).with_context(|| {
            format!("no key for agent owner {owner}: give its private key with --owner-keys, or use one of the node's accounts")
        })
    }
}

/// How long a node left by a killed run may take to save its state and exit.
const PREVIOUS_NODE_GRACE: Duration = Duration::from_secs(20);

/// A run killed a moment ago leaves its node saving the chain state; the
/// next node must not load the file before that is done.
fn wait_for_previous_node(pid_file: &Path) {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
    else {
        return;
    };
    let started = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && started.elapsed() < PREVIOUS_NODE_GRACE {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The contract recorded in `dir` if its code is on this chain, else a new deployment.
async fn deployed(chain: &Chain, dir: &Path) -> Result<ArenaClient> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("deployment.json");
    let chain_id = chain.chain_id().await?;
    if let Ok(text) = std::fs::read_to_string(&path) {
        let d: Deployment = serde_json::from_str(&text)
            .with_context(|| format!("{} is corrupt: delete it to redeploy", path.display()))?;
        let code = chain
            .provider()
            .get_code_at(d.contract)
            .await
            .context("reading the contract code")?;
        if d.chain_id == chain_id && !code.is_empty() {
            let client = ArenaClient::at(chain, d.contract);
            if client.operator().await? != chain.account() {
                bail!(
                    "the Arena contract at {} has another operator than {}: use its operator key",
                    d.contract,
                    chain.account()
                );
            }
            return Ok(client);
        }
    }
    let client = ArenaClient::deploy(chain, chain.account()).await?;
    let record = Deployment {
        contract: client.address(),
        chain_id,
    };
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&record)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(client)
}

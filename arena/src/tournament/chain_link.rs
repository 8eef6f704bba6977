//! The tournament's connection to the chain: its own anvil node (state
//! saved in the data directory, so a restarted tournament finds its rounds
//! and balances again) or a given RPC node; the deployed Arena contract and,
//! on our own node, the Test USD stablecoin next to it; and a signer per
//! agent owner for paying entry fees.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use contracts::signer::parse_private_key;
use contracts::{
    AnvilNode, ArenaClient, Chain, ChainError, Committee, Deployment, NATIVE, NodeUrl,
};

/// Funded accounts of the tournament's own node: the operator, the shipped agents' owners
/// (accounts 1 to 9) and, last, the [`LOCAL_VERIFIERS`].
pub const LOCAL_ACCOUNTS: usize = 13;
/// How many of a local node's last accounts form the verifier committee (two of three decide).
pub const LOCAL_VERIFIERS: usize = 3;

/// The committee a contract deployed on a local node is contested before: its last
/// [`LOCAL_VERIFIERS`] accounts, with the default windows and bonds.
pub fn local_committee(accounts: &[Address]) -> Committee {
    let start = accounts.len().saturating_sub(LOCAL_VERIFIERS).max(1);
    Committee::of(accounts[start.min(accounts.len())..].to_vec())
}

/// How to reach the chain again from another thread: the node's URL, the
/// operator's signer, the owners' keys, the confirmations to wait for and
/// the deployment directory. Its `Debug` shows no key, not even one in the URL.
#[derive(Clone)]
pub struct ChainAccess {
    pub node: NodeUrl,
    signer: PrivateKeySigner,
    owner_keys: Vec<String>,
    confirmations: u64,
    dir: PathBuf,
    local: bool,
    /// Who contests settlements of a contract deployed here for lack of one.
    committee: Committee,
}

impl std::fmt::Debug for ChainAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainAccess({})", self.node)
    }
}

impl ChainAccess {
    /// A new link to the same node and contract (no node of its own).
    pub async fn connect(&self) -> Result<ChainLink> {
        let chain = Chain::connect_with(self.node.secret(), self.signer.clone())
            .await?
            .with_confirmations(self.confirmations);
        ChainLink::attach_as(
            chain,
            self.signer.clone(),
            &self.owner_keys,
            &self.dir,
            self.local,
            &self.committee,
        )
        .await
    }
}

/// The operator's client, the owners' clients, and the node if we run it.
pub struct ChainLink {
    pub operator: ArenaClient,
    /// The test stablecoin recorded with the deployment, for token-fee tiers.
    pub stablecoin: Option<Address>,
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
        let operator = parse_private_key(&keys[0])?;
        let accounts = keys
            .iter()
            .map(|k| parse_private_key(k).map(|s| s.address()))
            .collect::<Result<Vec<_>, _>>()?;
        let chain = Chain::connect_with(node.rpc_url(), operator.clone()).await?;
        let committee = local_committee(&accounts);
        // The verifiers' accounts own no agents: only the others sign entries.
        let owner_keys = &keys[..keys.len() - LOCAL_VERIFIERS];
        let mut link = Self::attach_as(chain, operator, owner_keys, dir, true, &committee).await?;
        link._node = Some(node);
        Ok(link)
    }

    /// Connects to a node we did not start, as the operator `signer`, waiting for
    /// `confirmations` blocks on every transaction. Entries are signed by `owner_keys` and by
    /// the operator's own account: on such a chain every owner pays from its own key, so only
    /// agents whose owner can sign here can enter (see [`ChainLink::can_sign_for`]). A contract
    /// deployed here for lack of a record is contested before `committee`.
    pub async fn remote(
        rpc_url: &str,
        signer: PrivateKeySigner,
        owner_keys: &[String],
        confirmations: u64,
        dir: &Path,
        committee: &Committee,
    ) -> Result<Self> {
        let chain = Chain::connect_with(rpc_url, signer.clone())
            .await?
            .with_confirmations(confirmations);
        Self::attach_as(chain, signer, owner_keys, dir, false, committee).await
    }

    /// The link for `chain` (the operator, signing as `signer`), its
    /// contract and a client per owner key.
    async fn attach_as(
        chain: Chain,
        signer: PrivateKeySigner,
        owner_keys: &[String],
        dir: &Path,
        local: bool,
        committee: &Committee,
    ) -> Result<Self> {
        let access = ChainAccess {
            node: chain.url().clone(),
            signer,
            owner_keys: owner_keys.to_vec(),
            confirmations: chain.confirmations(),
            dir: dir.to_owned(),
            local,
            committee: committee.clone(),
        };
        let holders: Vec<Address> = owner_keys
            .iter()
            .filter_map(|k| parse_private_key(k).ok().map(|s| s.address()))
            .collect();
        let (operator, record) =
            deployed(&chain, dir, committee, local.then_some(&holders[..])).await?;
        let mut owners = HashMap::new();
        owners.insert(chain.account(), operator.clone());
        for (line, k) in owner_keys.iter().enumerate() {
            let signer = parse_private_key(k)
                .with_context(|| format!("owner key on line {} of --owner-keys", line + 1))?;
            let address = signer.address();
            let owner_chain = Chain::connect_with(chain.url().secret(), signer)
                .await?
                .with_confirmations(chain.confirmations());
            owners.insert(address, operator.with_chain(&owner_chain));
        }
        Ok(Self {
            operator,
            stablecoin: record.stablecoin,
            owners,
            access,
            local,
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

    /// The assets fees can be paid in here: ETH, and the stablecoin when there is one.
    pub fn assets(&self) -> Vec<Address> {
        std::iter::once(NATIVE).chain(self.stablecoin).collect()
    }

    /// Withdraws `owner`'s pull-payment balances, in every asset it has one, to its wallet.
    pub async fn withdraw(&self, owner: Address) -> Result<()> {
        let client = self.owner(&owner.to_string())?;
        for asset in self.assets() {
            if !client.balance_of(asset, owner).await?.is_zero() {
                client.withdraw(asset).await?;
            }
        }
        Ok(())
    }

    /// Whether an agent owned by `owner` can pay its entries here.
    pub fn can_sign_for(&self, owner: &str) -> bool {
        owner
            .parse::<Address>()
            .is_ok_and(|a| self.owners.contains_key(&a))
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

/// The contract recorded in `dir`, checked against the node (chain id, code,
/// operator), or a new deployment when there is no record. Our own anvil may
/// have lost its state, so there a stale record is replaced; on any other
/// node a mismatch is refused before a transaction is sent. On our own node
/// (`test_usd_holders` given) the Test USD stablecoin is deployed too, minted
/// to the holders, and added to a record that lacks it. A new deployment is contested before
/// `committee`.
async fn deployed(
    chain: &Chain,
    dir: &Path,
    committee: &Committee,
    test_usd_holders: Option<&[Address]>,
) -> Result<(ArenaClient, Deployment)> {
    let path = dir.join("deployment.json");
    let local = test_usd_holders.is_some();
    if let Some(mut record) = Deployment::load(&path)? {
        match record.attach(chain, &path).await {
            Ok(client) => {
                let operator = client.operator().await?;
                if operator != chain.account() {
                    bail!(
                        "the Arena contract at {} is operated by {operator}, not by the signing account {}: sign with the operator's key or keystore",
                        record.contract,
                        chain.account()
                    );
                }
                if let (None, Some(holders)) = (record.stablecoin, test_usd_holders) {
                    record.deploy_test_usd(chain, holders).await?;
                    record.save(&path)?;
                }
                return Ok((client, record));
            }
            Err(ChainError::NoContract { .. } | ChainError::ChainMismatch { .. }) if local => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (client, record) = Deployment::deploy(chain, committee, test_usd_holders).await?;
    if committee.verifiers == [chain.account()] {
        tracing::warn!(
            "the Arena contract at {} is contested before the operator alone, so the operator decides challenges of its own settlements: deploy with --verifier ADDRESS (repeated) for a committee players can trust",
            client.address()
        );
    }
    record.save(&path)?;
    Ok((client, record))
}

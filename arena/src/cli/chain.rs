//! `arena chain up|deploy|status|balances`: run a local chain for entry fees and rewards, deploy
//! the Arena contract on it, and look at its rounds and balances.
//!
//! `up` writes the node's URL and operator key to `<state-dir>/node.json` and `deploy` writes
//! the contract address to `<state-dir>/deployment.json`, so the other commands need no flags
//! on a local chain; `--rpc-url`, `--key` and `--contract` (or their environment variables)
//! point them at any other node.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use anyhow::{Context, bail};
use contracts::{AnvilNode, ArenaClient, Chain};
use serde::{Deserialize, Serialize};

/// Where the chain commands keep their state unless told otherwise.
const DEFAULT_STATE_DIR: &str = ".arena/chain";

/// The `arena chain` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ChainCommand {
    /// Start a local anvil chain on 127.0.0.1 and keep it running until interrupted (Ctrl-C).
    /// Its state is saved on exit and loaded on the next `up`.
    Up {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8545)]
        port: u16,
        /// How many funded accounts to create; the first is the operator.
        #[arg(long, default_value_t = 10)]
        accounts: usize,
        /// Directory for the chain's state files.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
    /// Deploy the Arena contract with the key's account as operator.
    Deploy {
        #[command(flatten)]
        conn: Connection,
    },
    /// Show the chain, the deployed contract and every round.
    Status {
        #[command(flatten)]
        conn: Connection,
    },
    /// Show the withdrawable Arena balance and the wallet balance of accounts.
    Balances {
        #[command(flatten)]
        conn: Connection,
        /// Accounts to show (default: the local chain's accounts).
        accounts: Vec<Address>,
    },
}

/// How to reach the node and the contract.
#[derive(clap::Args, Debug)]
pub struct Connection {
    /// JSON-RPC URL of the node [default: the one `arena chain up` wrote].
    #[arg(long, env = "ARENA_RPC_URL")]
    rpc_url: Option<String>,
    /// Private key of the operator account, hex [default: the one `arena chain up` wrote].
    #[arg(long, env = "ARENA_OPERATOR_KEY", hide_env_values = true)]
    key: Option<String>,
    /// Address of the Arena contract [default: the one `arena chain deploy` wrote].
    #[arg(long, env = "ARENA_CONTRACT")]
    contract: Option<Address>,
    /// Directory of the chain's state files.
    #[arg(long, default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
}

/// What `up` tells the other commands about the local node. The key is one of anvil's public
/// development keys, never a real one.
#[derive(Serialize, Deserialize)]
struct NodeFile {
    rpc_url: String,
    operator_key: String,
    accounts: Vec<Address>,
}

/// What `deploy` tells the other commands about the contract.
#[derive(Serialize, Deserialize)]
struct DeploymentFile {
    contract: Address,
    operator: Address,
    chain_id: u64,
    rpc_url: String,
}

/// Runs one `arena chain` command.
pub fn run(cmd: ChainCommand) -> anyhow::Result<()> {
    match cmd {
        ChainCommand::Up {
            port,
            accounts,
            state_dir,
        } => up(port, accounts, &state_dir),
        ChainCommand::Deploy { conn } => block_on(deploy(&conn)),
        ChainCommand::Status { conn } => block_on(status(&conn)),
        ChainCommand::Balances { conn, accounts } => block_on(balances(&conn, accounts)),
    }
}

/// Runs one async command to completion on a single-threaded runtime.
fn block_on(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(fut)
}

fn up(port: u16, accounts: usize, state_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("creating {}", state_dir.display()))?;
    let state = state_dir.join("anvil-state.json");
    let state_arg = state.to_string_lossy().into_owned();
    let node = AnvilNode::start_on_port(port, accounts.max(1), &["--state", &state_arg])?;
    let keys = node.private_keys();
    let addresses = keys
        .iter()
        .map(|k| {
            k.parse::<alloy::signers::local::PrivateKeySigner>()
                .map(|s| s.address())
                .map_err(|e| anyhow::anyhow!("anvil gave an invalid key: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let file = NodeFile {
        rpc_url: node.rpc_url().to_string(),
        operator_key: keys[0].clone(),
        accounts: addresses.clone(),
    };
    write_json(&state_dir.join("node.json"), &file)?;
    println!("anvil listening on {} (pid {})", node.rpc_url(), node.pid());
    println!("operator: {}", addresses[0]);
    println!("state: {}", state_dir.display());
    println!("next: arena chain deploy; stop with Ctrl-C");
    node.wait()?;
    Ok(())
}

async fn deploy(conn: &Connection) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    let client = ArenaClient::deploy(&chain, chain.account()).await?;
    let file = DeploymentFile {
        contract: client.address(),
        operator: chain.account(),
        chain_id: chain.chain_id().await?,
        rpc_url: chain.url().to_string(),
    };
    write_json(&conn.state_dir.join("deployment.json"), &file)?;
    println!("Arena deployed at {}", client.address());
    println!("operator: {}", chain.account());
    Ok(())
}

async fn status(conn: &Connection) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    println!("node:     {}", chain.url());
    println!("chain id: {}", chain.chain_id().await?);
    println!(
        "block:    {} (time {})",
        chain.block_number().await?,
        chain.latest_timestamp().await?
    );
    let client = arena(conn, &chain).await?;
    println!("contract: {}", client.address());
    println!("operator: {}", client.operator().await?);
    println!(
        "holds:    {} wei, owes {} wei",
        chain.balance(client.address()).await?,
        client.total_owed().await?
    );
    let ids = client.round_ids().await?;
    if ids.is_empty() {
        println!("rounds:   none yet");
    }
    for id in ids {
        let r = client.round(id).await?;
        println!(
            "round {id}: {}, {} entrants, fee {} wei, deadline {}, split {:?} bps, protocol fee {} bps, result root {}",
            r.state,
            r.entrants.len(),
            r.entry_fee,
            r.deadline,
            r.split_bps,
            r.protocol_fee_bps,
            r.result_root
        );
    }
    Ok(())
}

async fn balances(conn: &Connection, accounts: Vec<Address>) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    let client = arena(conn, &chain).await?;
    let accounts = if accounts.is_empty() {
        read_json::<NodeFile>(&conn.state_dir.join("node.json"))
            .map(|n| n.accounts)
            .unwrap_or_else(|_| vec![chain.account()])
    } else {
        accounts
    };
    println!(
        "{:<44} {:>28} {:>28}",
        "account", "arena balance (wei)", "wallet (wei)"
    );
    let mut total = U256::ZERO;
    for account in accounts {
        let owed = client.balance_of(account).await?;
        total += owed;
        println!(
            "{:<44} {:>28} {:>28}",
            account.to_string(),
            owed,
            chain.balance(account).await?
        );
    }
    println!("{:<44} {:>28}", "total shown", total);
    Ok(())
}

/// Connects with the flags, falling back to the node file `arena chain up` wrote.
async fn connect(conn: &Connection) -> anyhow::Result<Chain> {
    let node_path = conn.state_dir.join("node.json");
    let node = || {
        read_json::<NodeFile>(&node_path).with_context(|| {
            format!(
                "no --rpc-url/--key given and no local chain at {}: run `arena chain up` first",
                node_path.display()
            )
        })
    };
    let rpc_url = match &conn.rpc_url {
        Some(url) => url.clone(),
        None => node()?.rpc_url,
    };
    let key = match &conn.key {
        Some(key) => key.clone(),
        None => node()?.operator_key,
    };
    Ok(Chain::connect(&rpc_url, &key).await?)
}

/// The contract from the flag or the deployment file, checked to have code on this chain.
async fn arena(conn: &Connection, chain: &Chain) -> anyhow::Result<ArenaClient> {
    let path = conn.state_dir.join("deployment.json");
    let address = match conn.contract {
        Some(address) => address,
        None => read_json::<DeploymentFile>(&path)
            .with_context(|| {
                format!(
                    "no --contract given and no deployment at {}: run `arena chain deploy` first",
                    path.display()
                )
            })?
            .contract,
    };
    let code = chain
        .provider()
        .get_code_at(address)
        .await
        .with_context(|| format!("reading code at {address} from {}", chain.url()))?;
    if code.is_empty() {
        bail!(
            "no contract at {address} on {}: run `arena chain deploy` (the chain may have been reset)",
            chain.url()
        );
    }
    Ok(ArenaClient::at(chain, address))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

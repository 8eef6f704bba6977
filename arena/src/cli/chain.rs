//! `arena chain up|deploy|status|balances|cancel|finalize|challenge`: run a local chain for entry
//! fees and rewards, deploy the Arena contract on it, look at its rounds and balances, cancel a
//! round the operator left unsettled, pay out a settlement whose challenge window passed, and
//! challenge one.
//!
//! `up` writes the node's URL and operator key to `<state-dir>/node.json` and `deploy` writes
//! the contract address and chain id to `<state-dir>/deployment.json`, so the other commands
//! need no flags on a local chain; `--rpc-url`, `--keystore` (or `ARENA_PRIVATE_KEY`) and
//! `--contract` point them at any other node, whose chain id must match the record.
//! `keystore` encrypts a key into a keystore file for those.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, U256};
use anyhow::{Context, bail};
use contracts::deployment::has_code;
use contracts::signer::{PRIVATE_KEY_ENV, parse_private_key, write_keystore};
use contracts::{AnvilNode, ArenaClient, Chain, Deployment, NATIVE, TokenClient};
use serde::{Deserialize, Serialize};

use super::committee::CommitteeArgs;
use super::signer::{SignerArgs, password};
use crate::tournament::chain_link::{LOCAL_ACCOUNTS, local_committee};

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
        /// How many funded accounts to create; the first is the operator and the last three
        /// the verifier committee `deploy` uses by default.
        #[arg(long, default_value_t = LOCAL_ACCOUNTS)]
        accounts: usize,
        /// Directory for the chain's state files.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
    /// Deploy the Arena contract with the key's account as operator, contested before a
    /// committee of verifiers.
    Deploy {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        committee: CommitteeArgs,
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
    /// Cancel an open round, refunding every entry to the owner that paid it. The operator can
    /// cancel at any time; any other key once the round timed out (its deadline plus settle
    /// window passed without a settlement), so an operator that vanished cannot keep the fees.
    Cancel {
        #[command(flatten)]
        conn: Connection,
        /// The round to cancel.
        round: u64,
    },
    /// Pay out a proposed settlement whose challenge window has passed unchallenged (any key):
    /// its rewards become withdrawable.
    Finalize {
        #[command(flatten)]
        conn: Connection,
        /// The round to pay out.
        round: u64,
    },
    /// Challenge a proposed settlement within its challenge window, posting the challenge bond
    /// from the signing account. The verifier committee then votes (`arena verify ROUND
    /// --vote`): upheld, the round is refunded and the bonds are yours; rejected, your bond goes
    /// to the operator.
    Challenge {
        #[command(flatten)]
        conn: Connection,
        /// The round to challenge.
        round: u64,
    },
    /// Encrypt the key in ARENA_PRIVATE_KEY into a new keystore file (password from
    /// ARENA_KEYSTORE_PASSWORD, else asked for twice).
    Keystore {
        /// The keystore file to create; an existing file is never overwritten.
        file: PathBuf,
    },
}

/// How to reach the node and the contract.
#[derive(clap::Args, Debug)]
pub struct Connection {
    /// JSON-RPC URL of the node [default: the one `arena chain up` wrote].
    #[arg(long, alias = "rpc", env = "ARENA_RPC_URL")]
    rpc_url: Option<String>,
    /// The operator's key [default: the one `arena chain up` wrote].
    #[command(flatten)]
    signer: SignerArgs,
    /// Address of the Arena contract [default: the one `arena chain deploy` wrote].
    #[arg(long, env = "ARENA_CONTRACT")]
    contract: Option<Address>,
    /// Directory of the chain's state files.
    #[arg(long, default_value = DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
    /// With `deploy` on a node given by --rpc-url: deploy the Test USD stablecoin too, minted
    /// to the operator (on the chain of `arena chain up` it is always deployed).
    #[arg(long)]
    test_usd: bool,
}

/// What `up` tells the other commands about the local node. The key is one of anvil's public
/// development keys, never a real one.
#[derive(Serialize, Deserialize)]
struct NodeFile {
    rpc_url: String,
    operator_key: String,
    accounts: Vec<Address>,
}

/// Runs one `arena chain` command.
pub fn run(cmd: ChainCommand) -> anyhow::Result<()> {
    match cmd {
        ChainCommand::Up {
            port,
            accounts,
            state_dir,
        } => up(port, accounts, &state_dir),
        ChainCommand::Deploy { conn, committee } => block_on(deploy(&conn, &committee)),
        ChainCommand::Status { conn } => block_on(status(&conn)),
        ChainCommand::Balances { conn, accounts } => block_on(balances(&conn, accounts)),
        ChainCommand::Cancel { conn, round } => block_on(cancel(&conn, round)),
        ChainCommand::Finalize { conn, round } => block_on(finalize(&conn, round)),
        ChainCommand::Challenge { conn, round } => block_on(challenge(&conn, round)),
        ChainCommand::Keystore { file } => keystore(&file),
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

async fn deploy(conn: &Connection, committee: &CommitteeArgs) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    // On the chain `arena chain up` started, Test USD goes next to the arena, minted to its
    // accounts, and its last accounts are the default committee; another node gets no
    // worthless token unless it is asked for.
    let local_node = match &conn.rpc_url {
        None => read_json::<NodeFile>(&conn.state_dir.join("node.json")).ok(),
        Some(_) => None,
    };
    let committee = match &local_node {
        Some(node) => committee.committee(&local_committee(&node.accounts).verifiers)?,
        None => committee.committee(&[chain.account()])?,
    };
    let holders = match local_node {
        Some(node) => Some(node.accounts),
        None if conn.test_usd => Some(vec![chain.account()]),
        None => None,
    };
    let (client, record) = Deployment::deploy(&chain, &committee, holders.as_deref()).await?;
    record.save(&conn.state_dir.join("deployment.json"))?;
    println!("Arena deployed at {}", client.address());
    println!("operator: {}", chain.account());
    println!(
        "committee: {} of {} verifiers ({}); challenge window {} s, resolve window {} s, settle bond {} wei, challenge bond {} wei",
        committee.threshold,
        committee.verifiers.len(),
        committee
            .verifiers
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        committee.challenge_window,
        committee.resolve_window,
        committee.settle_bond,
        committee.challenge_bond
    );
    if committee.verifiers == [chain.account()] {
        println!(
            "warning: the operator alone is the committee, so it decides challenges of its own settlements; deploy with --verifier ADDRESS (repeated) for a committee players can trust"
        );
    }
    println!("chain id: {}", record.chain_id);
    match (record.stablecoin, holders) {
        (Some(token), Some(holders)) => println!(
            "Test USD (TUSD, 6 decimals) at {token}: {} TUSD minted to each of {} accounts",
            contracts::token::TEST_USD_PER_HOLDER / 1_000_000,
            holders.len()
        ),
        _ => println!("no test stablecoin (token tiers need one: --test-usd deploys it)"),
    }
    Ok(())
}

fn keystore(file: &Path) -> anyhow::Result<()> {
    let key = std::env::var(PRIVATE_KEY_ENV).with_context(|| {
        format!(
            "set {PRIVATE_KEY_ENV} to the hex private key to encrypt into {}",
            file.display()
        )
    })?;
    let key = parse_private_key(&key).map_err(|e| anyhow::anyhow!("{PRIVATE_KEY_ENV}: {e}"))?;
    let first = password(&format!("new password for {}: ", file.display()))?;
    if std::env::var_os(contracts::signer::KEYSTORE_PASSWORD_ENV).is_none()
        && password("repeat the password: ")? != first
    {
        bail!("the two passwords differ; nothing was written");
    }
    let signer = write_keystore(file, &key, &first)?;
    println!(
        "keystore {} holds account {}",
        file.display(),
        signer.address()
    );
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
    for asset in assets(conn) {
        println!(
            "holds:    {} {unit}, owes {} {unit}",
            client.holdings(asset).await?,
            client.total_owed(asset).await?,
            unit = unit_of(asset)
        );
    }
    let committee = client.committee().await?;
    println!(
        "committee: {} of {} verifiers; challenge window {} s, resolve window {} s, settle bond {} wei, challenge bond {} wei",
        committee.threshold,
        committee.verifiers.len(),
        committee.challenge_window,
        committee.resolve_window,
        committee.settle_bond,
        committee.challenge_bond
    );
    let ids = client.round_ids().await?;
    if ids.is_empty() {
        println!("rounds:   none yet");
    }
    for id in ids {
        let r = client.round(id).await?;
        println!(
            "round {id}: {}, {} agents of {} owners, fee {} {}, deadline {}, times out {}, split {:?} bps, protocol fee {} bps, result root {}",
            r.state,
            r.agents.len(),
            r.owners
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            r.entry_fee,
            unit_of(r.fee_token),
            r.deadline,
            r.times_out_at(),
            r.split_bps,
            r.protocol_fee_bps,
            r.result_root
        );
        if matches!(
            r.state,
            contracts::RoundState::Proposed | contracts::RoundState::Challenged
        ) {
            let contest = client.contest(id).await?;
            match contest.challenger {
                None => println!(
                    "  challenge window ends {} (then anyone can `arena chain finalize {id}`)",
                    contest.challenge_ends_at
                ),
                Some(challenger) => println!(
                    "  challenged by {challenger}; votes {} upheld, {} rejected, {} decide; the committee decides by {}",
                    contest.upheld_votes,
                    contest.rejected_votes,
                    committee.threshold,
                    contest.resolve_by
                ),
            }
        }
    }
    Ok(())
}

async fn finalize(conn: &Connection, round: u64) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    let client = arena(conn, &chain).await?;
    let tx = client.finalize(round).await?;
    println!(
        "round {round} paid out in {}: its rewards are withdrawable by the agents' owners",
        tx.hash
    );
    Ok(())
}

async fn challenge(conn: &Connection, round: u64) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    let client = arena(conn, &chain).await?;
    let bond = client.committee().await?.challenge_bond;
    let tx = client.challenge(round, bond).await?;
    let contest = client.contest(round).await?;
    println!(
        "round {round} challenged by {} in {} with a bond of {bond} wei; the verifier committee decides by {} (`arena verify {round} --vote`)",
        chain.account(),
        tx.hash,
        contest.resolve_by
    );
    Ok(())
}

async fn cancel(conn: &Connection, round: u64) -> anyhow::Result<()> {
    let chain = connect(conn).await?;
    let client = arena(conn, &chain).await?;
    let tx = client.cancel(round).await?;
    let info = client.round(round).await?;
    println!(
        "round {round} cancelled by {} in {}: {} entries refunded to their owners; withdraw with each owner's key",
        chain.account(),
        tx.hash,
        info.agents.len()
    );
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
    for asset in assets(conn) {
        let unit = unit_of(asset);
        println!(
            "{:<44} {:>28} {:>28}",
            "account",
            format!("arena balance ({unit})"),
            format!("wallet ({unit})")
        );
        let token = (asset != NATIVE).then(|| TokenClient::at(&chain, asset));
        let mut total = U256::ZERO;
        for &account in &accounts {
            let owed = client.balance_of(asset, account).await?;
            total += owed;
            let wallet = match &token {
                Some(token) => token.balance_of(account).await?,
                None => chain.balance(account).await?,
            };
            println!("{:<44} {:>28} {:>28}", account.to_string(), owed, wallet);
        }
        println!("{:<44} {:>28}", "total shown", total);
    }
    Ok(())
}

/// The assets to show: ETH, and the stablecoin of the deployment record when it has one.
fn assets(conn: &Connection) -> Vec<Address> {
    let stablecoin = Deployment::load(&conn.state_dir.join("deployment.json"))
        .ok()
        .flatten()
        .and_then(|r| r.stablecoin);
    std::iter::once(NATIVE).chain(stablecoin).collect()
}

/// The unit amounts of `asset` are shown in: "wei", or the token's smallest unit.
fn unit_of(asset: Address) -> String {
    if asset == NATIVE {
        "wei".into()
    } else {
        format!("units of token {asset}")
    }
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
    let signer = match conn.signer.signer()? {
        Some(signer) => signer,
        None => parse_private_key(&node()?.operator_key)?,
    };
    Ok(Chain::connect_with(&rpc_url, signer).await?)
}

/// The contract from the flag, checked to have code on this chain, or from the deployment
/// record, checked to be on this chain id too.
async fn arena(conn: &Connection, chain: &Chain) -> anyhow::Result<ArenaClient> {
    if let Some(address) = conn.contract {
        if !has_code(chain, address).await? {
            bail!(
                "no contract at {address} on {}: check --contract, or deploy with `arena chain deploy`",
                chain.url()
            );
        }
        return Ok(ArenaClient::at(chain, address));
    }
    let path = conn.state_dir.join("deployment.json");
    let record = Deployment::load(&path)?.with_context(|| {
        format!(
            "no --contract given and no deployment at {}: run `arena chain deploy` first",
            path.display()
        )
    })?;
    Ok(record.attach(chain, &path).await?)
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

//! The wallet thread: reads the agent owners' balances (wallet and what the
//! contract owes them) every moment and sends withdrawals, with its own
//! connection to the chain, so the window never waits for a transaction.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::primitives::Address;
use anyhow::Result;
use bevy::ecs::resource::Resource;

use crate::tournament::chain_link::{ChainAccess, ChainLink};

/// How often balances are read again.
const REFRESH: Duration = Duration::from_millis(1500);

/// One owner account's money.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub address: Address,
    /// Ether in the account's wallet, in wei.
    pub wallet_wei: u128,
    /// Rewards and refunds the contract holds for it, in wei.
    pub owed_wei: u128,
}

/// What the panel shows: balances, withdrawals under way, the last error.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub accounts: Vec<Account>,
    pub withdrawing: Vec<Address>,
    pub error: Option<String>,
    /// Whether the first reading has arrived.
    pub ready: bool,
}

/// The GUI's handle on the wallet thread.
#[derive(Resource)]
pub struct Wallets {
    requests: Sender<Address>,
    snapshot: Arc<Mutex<Snapshot>>,
}

impl Wallets {
    /// Starts the thread; it connects to the chain described by `access`.
    pub fn start(access: ChainAccess) -> Self {
        let (requests, inbox) = channel();
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let shared = snapshot.clone();
        std::thread::Builder::new()
            .name("arena-wallets".into())
            .spawn(move || serve(&access, &inbox, &shared))
            .expect("spawning the wallet thread");
        Self { requests, snapshot }
    }

    /// The latest reading.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.lock().expect("wallet lock").clone()
    }

    /// Asks for `owner`'s owed balance to be withdrawn to its wallet.
    pub fn withdraw(&self, owner: Address) {
        self.snapshot
            .lock()
            .expect("wallet lock")
            .withdrawing
            .push(owner);
        let _ = self.requests.send(owner);
    }
}

fn serve(access: &ChainAccess, inbox: &Receiver<Address>, shared: &Mutex<Snapshot>) {
    let set_error = |e: String| shared.lock().expect("wallet lock").error = Some(e);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return set_error(format!("starting the wallet runtime: {e}")),
    };
    let link = match runtime.block_on(access.connect()) {
        Ok(link) => link,
        Err(e) => return set_error(format!("connecting to {}: {e:#}", access.node)),
    };
    loop {
        match inbox.recv_timeout(REFRESH) {
            Ok(owner) => {
                let result = runtime.block_on(link.withdraw(owner));
                let mut snap = shared.lock().expect("wallet lock");
                snap.withdrawing.retain(|a| *a != owner);
                snap.error = result
                    .err()
                    .map(|e| format!("withdrawing for {owner}: {e:#}"));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        match runtime.block_on(read_accounts(&link)) {
            Ok(accounts) => {
                let mut snap = shared.lock().expect("wallet lock");
                snap.accounts = accounts;
                snap.ready = true;
            }
            Err(e) => set_error(format!("reading balances from {}: {e:#}", access.node)),
        }
    }
}

async fn read_accounts(link: &ChainLink) -> Result<Vec<Account>> {
    let mut accounts = Vec::new();
    for address in link.owner_accounts() {
        let wallet = link.operator.chain().balance(address).await?;
        let owed = link.operator.balance_of(contracts::NATIVE, address).await?;
        accounts.push(Account {
            address,
            wallet_wei: u128::try_from(wallet).unwrap_or(u128::MAX),
            owed_wei: u128::try_from(owed).unwrap_or(u128::MAX),
        });
    }
    Ok(accounts)
}

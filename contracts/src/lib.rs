//! The Solidity arena contract and its Rust client (issue 4).
//!
//! Entry fees and rewards move through `Arena.sol` on a real chain: [`anvil`] starts a local
//! node from the pinned npm package, [`chain`] connects to a node with a signing key,
//! [`client`] deploys the contract and sends its calls, [`committee`] holds who may contest a
//! settlement and at what cost, and [`settle`] settles a round exactly
//! once across crashes by recording every transaction in a [`journal`] before and after sending.
//! [`node_url`] keeps the node's URL out of messages with its secrets.
//! [`signer`] reads the signing key from the environment or an encrypted keystore, and
//! [`deployment`] remembers where the contract lives (and the test stablecoin next to it) and
//! refuses a node of another chain; [`token`] reads and approves the ERC-20 tokens fees are
//! paid in.

pub mod anvil;
pub mod bindings;
pub mod chain;
pub mod client;
pub mod committee;
pub mod deployment;
pub mod error;
pub mod journal;
pub mod node_url;
pub mod settle;
pub mod signer;
pub mod token;

pub use anvil::{AnvilNode, locate_anvil};
pub use bindings::Arena;
pub use chain::Chain;
pub use client::{
    ArenaClient, EntryPaid, NATIVE, RoundInfo, RoundSpec, RoundState, TxOutcome, agent_key,
    asset_name,
};
pub use committee::{Committee, Contest};
pub use deployment::Deployment;
pub use error::{ChainError, describe_revert};
pub use journal::{JournalEntry, JsonlJournal, TxJournal};
pub use node_url::NodeUrl;
pub use settle::{SettleOutcome, settle_key, settle_once};
pub use token::TokenClient;

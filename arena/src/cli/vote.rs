//! Where `arena verify` finds the round on chain (the tournament's own anvil, started from the
//! data directory's saved state, or the node given with `--rpc`), and how a verifier of the
//! committee votes on the round's challenge once it has verified the round.

use std::path::Path;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Result, bail};
use clap::Args;
use contracts::{ArenaClient, Chain, Deployment, RoundState};

use super::signer::SignerArgs;
use crate::tournament::chain_link::ChainLink;

/// The chain side of `arena verify`.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// The node the round was settled on [default: the tournament's own anvil, started from
    /// the data directory's saved state].
    #[arg(long, alias = "rpc-url")]
    rpc: Option<String>,
    /// Vote on the round's challenge as a verifier of the committee: upheld when the round
    /// fails verification, rejected when it verifies. Signs with --keystore or
    /// ARENA_PRIVATE_KEY.
    #[arg(long)]
    vote: bool,
    #[command(flatten)]
    signer: SignerArgs,
}

/// The contract a round was settled on, and the node kept running while it is needed.
pub struct SettledOn {
    client: ArenaClient,
    voter: Option<ArenaClient>,
    _node: Option<ChainLink>,
}

impl ChainArgs {
    /// Connects to the round's chain; with --vote, also as the signing verifier, checked to be
    /// one of the committee before any verification work is done.
    pub fn connect(&self, runtime: &tokio::runtime::Runtime, data_dir: &Path) -> Result<SettledOn> {
        let voter_key = match self.vote {
            true => Some(self.signer.required("--vote")?),
            false => None,
        };
        let chain_dir = data_dir.join("chain");
        let (client, node, url) = match &self.rpc {
            None => {
                let link = runtime.block_on(ChainLink::local(&chain_dir))?;
                let url = link.access().node.secret().to_owned();
                (link.operator.clone(), Some(link), url)
            }
            Some(url) => {
                let record_path = chain_dir.join("deployment.json");
                let Some(record) = Deployment::load(&record_path)? else {
                    bail!(
                        "no deployment record at {}: verify in the data directory of the tournament that played the round (--data-dir)",
                        record_path.display()
                    );
                };
                let reader = voter_key.clone().unwrap_or_else(PrivateKeySigner::random);
                let chain = runtime.block_on(Chain::connect_with(url, reader))?;
                let client = runtime.block_on(record.attach(&chain, &record_path))?;
                (client, None, url.clone())
            }
        };
        let voter = match voter_key {
            Some(key) => {
                let account = key.address();
                let chain = runtime.block_on(Chain::connect_with(&url, key))?;
                let voter = client.with_chain(&chain);
                let committee = runtime.block_on(client.committee())?;
                if !committee.verifiers.contains(&account) {
                    bail!(
                        "{account} is not a verifier of the Arena contract at {}: vote with the key of one of {}",
                        client.address(),
                        committee
                            .verifiers
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Some(voter)
            }
            None => None,
        };
        Ok(SettledOn {
            client,
            voter,
            _node: node,
        })
    }
}

impl SettledOn {
    /// The contract, for reading.
    pub fn client(&self) -> &ArenaClient {
        &self.client
    }

    /// With --vote, votes on `round`'s challenge: `upheld` when it failed verification.
    pub fn vote(&self, runtime: &tokio::runtime::Runtime, round: u64, upheld: bool) -> Result<()> {
        let Some(voter) = &self.voter else {
            return Ok(());
        };
        let state = runtime.block_on(voter.round(round))?.state;
        if state != RoundState::Challenged {
            bail!("round {round} is not challenged (it is {state}): there is nothing to vote on");
        }
        let tx = runtime.block_on(voter.vote(round, upheld))?;
        let after = runtime.block_on(voter.round(round))?.state;
        let side = if upheld { "upheld" } else { "rejected" };
        println!(
            "voted {side} on the challenge of round {round} in {}; the round is now {after}",
            tx.hash
        );
        Ok(())
    }
}

//! The flags that fix, at deployment, who can contest a settlement and at what cost: the
//! verifier committee, its threshold, the challenge and resolve windows and the two bonds.
//! Shared by `arena chain deploy` and by `arena tournament --rpc`, which deploys when the data
//! directory has no deployment record.

use alloy::primitives::Address;
use contracts::Committee;
use contracts::committee::majority;
use contracts::error::describe_revert;

/// How a new Arena contract is contested.
#[derive(clap::Args, Debug, Clone)]
pub struct CommitteeArgs {
    /// A verifier of the committee that decides challenges (repeat the flag for each)
    /// [default: the local chain's last three accounts; on another node the signing account
    /// alone, which leaves the operator deciding its own challenges].
    #[arg(long = "verifier", value_name = "ADDRESS")]
    verifiers: Vec<Address>,
    /// Verifier votes on one side that decide a challenge; a strict majority of the committee
    /// [default: the smallest majority].
    #[arg(long)]
    threshold: Option<u16>,
    /// Seconds after a proposed settlement during which anyone can challenge it; rewards are
    /// withdrawable only after it.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    challenge_window: u64,
    /// Seconds the committee has to decide a challenge; after that anyone can cancel the round.
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    resolve_window: u64,
    /// Wei the operator posts with every settlement, slashed to an upheld challenger.
    #[arg(long, default_value_t = 10_000_000_000_000_000)]
    settle_bond: u128,
    /// Wei a challenger posts, paid to the operator when the challenge is rejected.
    #[arg(long, default_value_t = 10_000_000_000_000_000)]
    challenge_bond: u128,
}

impl CommitteeArgs {
    /// The committee the flags describe, with `default_verifiers` when none were given;
    /// refused, naming the flags, when the contract would not accept it.
    pub fn committee(&self, default_verifiers: &[Address]) -> anyhow::Result<Committee> {
        let verifiers = if self.verifiers.is_empty() {
            default_verifiers.to_vec()
        } else {
            self.verifiers.clone()
        };
        let committee = Committee {
            threshold: self.threshold.unwrap_or(majority(verifiers.len())),
            verifiers,
            challenge_window: self.challenge_window,
            resolve_window: self.resolve_window,
            settle_bond: self.settle_bond,
            challenge_bond: self.challenge_bond,
        };
        committee.check().map_err(|e| {
            anyhow::anyhow!(
                "--verifier, --threshold or --challenge-bond: {}",
                describe_revert(&e)
            )
        })?;
        Ok(committee)
    }

    /// Whether a verifier was named.
    pub fn names_verifiers(&self) -> bool {
        !self.verifiers.is_empty()
    }
}

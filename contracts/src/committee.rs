//! Who can contest a settlement and what it costs: the verifier committee, its threshold, the
//! challenge and resolve windows and the two bonds, fixed when the contract is deployed. Also
//! the contest state of one round, as read back from the chain.

use std::collections::HashSet;

use alloy::primitives::{Address, B256, U256};

use crate::bindings::Arena::{self, ArenaErrors};

/// One milli-ether, in wei: the unit of the default bonds.
const MILLI_ETH: u128 = 1_000_000_000_000_000;

/// The contract's contest parameters, fixed at deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    /// The verifiers that vote on challenges (distinct, non-zero).
    pub verifiers: Vec<Address>,
    /// Votes on one side that decide a challenge; a strict majority of `verifiers`.
    pub threshold: u16,
    /// Seconds after a proposed settlement during which anyone can challenge it; rewards are
    /// withdrawable only after it.
    pub challenge_window: u64,
    /// Seconds after a challenge within which the committee must decide; after that anyone
    /// can cancel the round (refunds, and each bond back to its poster).
    pub resolve_window: u64,
    /// Wei the operator posts with each settlement; slashed to an upheld challenger.
    pub settle_bond: u128,
    /// Wei a challenger posts; paid to the operator when the challenge is rejected.
    pub challenge_bond: u128,
}

impl Committee {
    /// The defaults for `verifiers`: a strict-majority threshold, a challenge window of ten
    /// minutes, a day to resolve, and bonds of 0.01 ETH each.
    pub fn of(verifiers: Vec<Address>) -> Committee {
        let threshold = majority(verifiers.len());
        Committee {
            verifiers,
            threshold,
            challenge_window: 600,
            resolve_window: 86_400,
            settle_bond: 10 * MILLI_ETH,
            challenge_bond: 10 * MILLI_ETH,
        }
    }

    /// Refuses, with the error the contract's constructor would revert with, a committee the
    /// contract would not accept: so a bad `--verifier` or `--threshold` is named before a
    /// deployment is sent.
    pub fn check(&self) -> Result<(), ArenaErrors> {
        let n = self.verifiers.len();
        let threshold = usize::from(self.threshold);
        let distinct = self.verifiers.iter().collect::<HashSet<_>>().len() == n;
        if threshold == 0
            || threshold > n
            || 2 * threshold <= n
            || !distinct
            || self.verifiers.contains(&Address::ZERO)
        {
            return Err(ArenaErrors::InvalidCommittee(Arena::InvalidCommittee {
                verifiers: U256::from(n),
                threshold: U256::from(self.threshold),
            }));
        }
        if self.challenge_window == 0 || self.resolve_window == 0 {
            return Err(ArenaErrors::ZeroWindow(Arena::ZeroWindow {}));
        }
        if self.challenge_bond == 0 {
            return Err(ArenaErrors::ZeroChallengeBond(Arena::ZeroChallengeBond {}));
        }
        Ok(())
    }
}

/// The smallest strict majority of `n` verifiers.
pub fn majority(n: usize) -> u16 {
    u16::try_from(n / 2 + 1).unwrap_or(u16::MAX)
}

/// A round's contest as stored on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    /// The proposed ranking, best first (empty before a proposal).
    pub ranking: Vec<B256>,
    /// When the challenge window ends (0 before a proposal).
    pub challenge_ends_at: u64,
    /// Who challenged the proposal, if anyone.
    pub challenger: Option<Address>,
    /// When the committee must have decided by (0 without a challenge).
    pub resolve_by: u64,
    /// Verifiers' votes so far for and against the challenge.
    pub upheld_votes: u16,
    pub rejected_votes: u16,
}

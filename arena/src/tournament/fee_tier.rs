//! The fee tier a tournament plays in, resolved against the chain: which asset (ETH, the
//! deployment's stablecoin, or a token address) and how much, with the token's symbol and
//! decimals for display.

use alloy::primitives::Address;
use anyhow::{Result, bail};
use contracts::{NATIVE, TokenClient};
use judge::records::RoundFee;

use super::chain_link::ChainLink;
use super::space::{Space, TierToken};

/// Decimals of ETH amounts (wei).
pub const ETH_DECIMALS: u8 = 18;

/// A tier ready to open rounds in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTier {
    /// What the round record keeps about it.
    pub record: RoundFee,
    /// The asset the contract takes ([`NATIVE`] for ETH).
    pub token: Address,
    /// The fee per agent, in the asset's smallest unit.
    pub amount: u128,
}

/// The tier of `space` called `name` (its first tier when `None`) on `chain`. A token tier
/// whose token is not on this chain is refused with the fix.
pub async fn resolve(space: &Space, name: Option<&str>, chain: &ChainLink) -> Result<ResolvedTier> {
    let tier = space.tier(name)?;
    let amount = tier.fee()?;
    let token = match tier.token()? {
        TierToken::Native => NATIVE,
        TierToken::Stablecoin => match chain.stablecoin {
            Some(address) => address,
            None => bail!(
                "tier '{}' of space '{}' pays in the stablecoin, but none is deployed with the Arena contract on this chain: play on the tournament's own chain (leave out --rpc), which deploys Test USD, or deploy it with `arena chain deploy` on a local chain; or choose another tier with --tier {}",
                tier.name,
                space.name,
                other_tiers(space, &tier.name)
            ),
        },
        TierToken::Address(address) => address,
    };
    let (symbol, decimals) = if token == NATIVE {
        ("ETH".to_owned(), ETH_DECIMALS)
    } else {
        if !contracts::deployment::has_code(chain.operator.chain(), token).await? {
            bail!(
                "tier '{}' of space '{}' pays in token {token}, which has no contract on this chain: fix the tier's token in the space file, or choose another tier with --tier {}",
                tier.name,
                space.name,
                other_tiers(space, &tier.name)
            );
        }
        let client = TokenClient::at(chain.operator.chain(), token);
        (client.symbol().await?, client.decimals().await?)
    };
    Ok(ResolvedTier {
        record: RoundFee {
            tier: tier.name,
            token: (token != NATIVE).then(|| token.to_string()),
            symbol,
            decimals,
            amount: amount.to_string(),
        },
        token,
        amount,
    })
}

/// The space's tiers other than `name`, for the fix in an error.
fn other_tiers(space: &Space, name: &str) -> String {
    let names: Vec<String> = space
        .all_tiers()
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n != name)
        .collect();
    names.join(", ")
}

impl ResolvedTier {
    /// The tier a stored round was opened in, read back from its record.
    pub fn from_record(record: &RoundFee) -> Result<ResolvedTier> {
        let token = match &record.token {
            Some(t) => t.parse().map_err(|e| {
                anyhow::anyhow!("the stored round's fee token '{t}' is not an address ({e}): the database is damaged")
            })?,
            None => NATIVE,
        };
        let amount = record.amount.parse().map_err(|e| {
            anyhow::anyhow!(
                "the stored round's fee '{}' is not a number ({e}): the database is damaged",
                record.amount
            )
        })?;
        Ok(ResolvedTier {
            record: record.clone(),
            token,
            amount,
        })
    }
}

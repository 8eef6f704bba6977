//! The table printed at the end of a tournament: each agent's MMR in the
//! space, its Bradley-Terry rating with a 95% interval and style-controlled,
//! and what its owner can withdraw from the contract in each asset (ETH, and
//! the stablecoin when the chain has one), under the run's fee tier.

use std::fmt::Write;

use agents::Agent;
use alloy::primitives::Address;
use anyhow::Result;
use contracts::{NATIVE, TokenClient};
use judge::export::{Filter, leaderboard_rows};
use judge::ratings::LeaderboardRow;
use judge::records::decimal_amount;

use super::fee_tier::ETH_DECIMALS;
use super::lifecycle::Services;
use super::space::Space;
use super::worker::Timings;

/// Wei per ether, for display.
pub const WEI_PER_ETH: f64 = 1e18;

/// Renders the leaderboard of `space` as a text table.
pub fn summarize(
    services: &Services,
    space: &Space,
    roster: &[Agent],
    timings: &Timings,
) -> Result<String> {
    let filter = Filter {
        space: Some(space.name.clone()),
        ..Filter::default()
    };
    let rows = leaderboard_rows(&services.store, &filter)?;
    let assets = asset_columns(services)?;
    let mut table: Vec<(f64, String)> = Vec::new();
    for agent in roster {
        let mmr = services.store.mmr(&space.name, &agent.id)?;
        let bt = rows.iter().find(|r| r.agent_id == agent.id);
        let owner: Address = agent.owner.parse()?;
        let mut owed = String::new();
        for (asset, _, decimals) in &assets {
            let units = services
                .runtime
                .block_on(services.chain.operator.balance_of(*asset, owner))?;
            write!(
                owed,
                " {:>16}",
                decimal_amount(&units.to_string(), *decimals)
            )?;
        }
        let bt_text = bt.map_or("-".to_owned(), |r| {
            format!("{:.0} [{:.0}, {:.0}]", r.rating, r.ci_low, r.ci_high)
        });
        let style_text = bt.map_or("-".to_owned(), |r| format!("{:.0}", r.style_controlled));
        table.push((
            mmr,
            format!(
                "{:<12} {:>7.1} {:>22} {:>16}{owed}",
                agent.id, mmr, bt_text, style_text
            ),
        ));
    }
    table.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = String::new();
    writeln!(out, "Leaderboard of space '{}':", space.name)?;
    writeln!(
        out,
        "Fee of this run's rounds: {}",
        services.tier_of(space)?.record.describe()
    )?;
    let owed_headers: String = assets
        .iter()
        .map(|(_, symbol, _)| format!(" {:>16}", format!("{symbol} to withdraw")))
        .collect();
    writeln!(
        out,
        "{:<12} {:>7} {:>22} {:>16}{owed_headers}",
        "agent", "MMR", "Bradley-Terry [95% CI]", "style-controlled"
    )?;
    for (_, line) in table {
        writeln!(out, "{line}")?;
    }
    if let Some(row) = rows.first() {
        writeln!(out, "{}", style_coefficients(row))?;
    }
    write_timings(&mut out, timings)?;
    Ok(out)
}

/// The assets balances are shown in: ETH, and the stablecoin when the chain has one, each with
/// its symbol and decimals.
fn asset_columns(services: &Services) -> Result<Vec<(Address, String, u8)>> {
    let mut assets = vec![(NATIVE, "ETH".to_owned(), ETH_DECIMALS)];
    if let Some(token) = services.chain.stablecoin {
        let client = TokenClient::at(services.chain.operator.chain(), token);
        let symbol = services.runtime.block_on(client.symbol())?;
        let decimals = services.runtime.block_on(client.decimals())?;
        assets.push((token, symbol, decimals));
    }
    Ok(assets)
}

/// Where this run's time went: generation, judging, and the chain (open,
/// entries, settlement), with rounds per minute over those steps.
fn write_timings(out: &mut String, timings: &Timings) -> Result<()> {
    let secs = |kinds: &[&str]| -> f64 {
        kinds
            .iter()
            .filter_map(|k| timings.get(k))
            .map(|(_, d)| d.as_secs_f64())
            .sum()
    };
    let generation = secs(&["Generate"]);
    let judging = secs(&["Judge"]);
    let chain = secs(&["OpenNext", "Pay", "Settle", "Cancel"]);
    let total = generation + judging + chain;
    let rounds = timings.get("Settle").map_or(0, |(n, _)| *n);
    if total <= 0.0 || rounds == 0 {
        return Ok(());
    }
    let share = |s: f64| 100.0 * s / total;
    writeln!(
        out,
        "{rounds} rounds in {total:.1}s ({:.2} rounds/min): generation {generation:.1}s ({:.0}%), judging {judging:.1}s ({:.0}%), chain {chain:.1}s ({:.0}%)",
        60.0 * f64::from(rounds) / total,
        share(generation),
        share(judging),
        share(chain)
    )?;
    Ok(())
}

/// The style fit's coefficients in words, shown under every leaderboard.
pub fn style_coefficients(row: &LeaderboardRow) -> String {
    format!(
        "Style control: length {:+.2}, markdown {:+.2} (logit per standard deviation; positive: the judge favours longer answers, or more markdown)",
        row.gamma_length, row.gamma_markdown
    )
}

//! The table printed at the end of a tournament: each agent's MMR in the
//! space, its Bradley-Terry rating with a 95% interval, and what its owner
//! can withdraw from the contract.

use std::fmt::Write;

use agents::Agent;
use alloy::primitives::Address;
use anyhow::Result;
use judge::export::{Filter, leaderboard_rows};

use super::lifecycle::Services;
use super::space::Space;

/// Wei per ether, for display.
const WEI_PER_ETH: f64 = 1e18;

/// Renders the leaderboard of `space` as a text table.
pub fn summarize(services: &Services, space: &Space, roster: &[Agent]) -> Result<String> {
    let filter = Filter {
        space: Some(space.name.clone()),
        ..Filter::default()
    };
    let rows = leaderboard_rows(&services.store, &filter)?;
    let mut table: Vec<(f64, String)> = Vec::new();
    for agent in roster {
        let mmr = services.store.mmr(&space.name, &agent.id)?;
        let bt = rows.iter().find(|r| r.agent_id == agent.id);
        let owner: Address = agent.owner.parse()?;
        let owed = services
            .runtime
            .block_on(services.chain.operator.balance_of(owner))?;
        let owed_eth = owed.to_string().parse::<f64>().unwrap_or(0.0) / WEI_PER_ETH;
        let bt_text = bt.map_or("-".to_owned(), |r| {
            format!("{:.0} [{:.0}, {:.0}]", r.rating, r.ci_low, r.ci_high)
        });
        table.push((
            mmr,
            format!(
                "{:<12} {:>7.1} {:>22} {:>12.4}",
                agent.id, mmr, bt_text, owed_eth
            ),
        ));
    }
    table.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = String::new();
    writeln!(out, "Leaderboard of space '{}':", space.name)?;
    writeln!(
        out,
        "{:<12} {:>7} {:>22} {:>12}",
        "agent", "MMR", "Bradley-Terry [95% CI]", "to withdraw"
    )?;
    for (_, line) in table {
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

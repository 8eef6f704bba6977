//! `arena rounds list|show N`: what happened in each round.

use anyhow::{Context, Result};
use clap::Subcommand;
use judge::Store;

#[derive(Debug, Subcommand)]
pub enum RoundsCommand {
    /// One line per round.
    List,
    /// A round's answers, verdicts, pairs, rating changes and transactions.
    Show { id: u64 },
}

pub fn run(command: RoundsCommand, store: &Store) -> Result<()> {
    match command {
        RoundsCommand::List => {
            println!(
                "{:>5} {:<12} {:<12} {:<8} {:<40} winner",
                "round", "space", "status", "tier", "agents"
            );
            for round in store.rounds() {
                let round = round?;
                let winner = store
                    .judgment(round.id)?
                    .and_then(|j| j.ranking.order.first().cloned())
                    .unwrap_or_default();
                let tier = round.fee.as_ref().map_or("-", |f| f.tier.as_str());
                println!(
                    "{:>5} {:<12} {:<12} {:<8} {:<40} {winner}",
                    round.id,
                    round.space,
                    format!("{:?}", round.status),
                    tier,
                    round.agents.join(",")
                );
            }
        }
        RoundsCommand::Show { id } => {
            let round = store
                .round(id)?
                .with_context(|| format!("no round {id} in {}", store.path().display()))?;
            println!(
                "round {} in space {} ({:?})",
                round.id, round.space, round.status
            );
            match &round.fee {
                Some(fee) => println!("fee: {}", fee.describe()),
                None => println!("fee: the space's ETH fee (stored before fee tiers)"),
            }
            println!("prompt: {}", round.prompt);
            if let Some(r) = &round.reference {
                println!("reference: {r}");
            }
            for (n, m) in round.matches.iter().enumerate() {
                println!("\nmatch {}: {}", n + 1, m.seats.join(" vs "));
                for t in &m.turns {
                    println!(
                        "  turn {} [{}]: {}",
                        t.turn + 1,
                        t.answer.agent_id,
                        t.answer.text.trim()
                    );
                }
            }
            // An interactive round's answers are its seats' moves, shown above.
            let answers = store.answers(id)?;
            for a in answers.iter().filter(|_| round.matches.is_empty()) {
                println!(
                    "\n[{}] ({}, {} tokens{}):\n{}",
                    a.agent_id,
                    a.model,
                    a.generated_tokens,
                    if a.truncated { ", truncated" } else { "" },
                    a.text
                );
            }
            if let Some(j) = store.judgment(id)? {
                println!("\njudge: {}", j.judge);
                for v in &j.verdicts {
                    println!(
                        "  {} vs {}: score {:.1} margin {:.2} by {:?}",
                        v.a, v.b, v.score_a, v.margin, v.layer
                    );
                }
                println!("ranking: {}", j.ranking.order.join(" > "));
                println!(
                    "longer answer won {} of {} decided pairs",
                    j.length_bias.longer_won, j.length_bias.decided
                );
            }
            let pairs: Vec<_> = store.pairs(id, id).collect::<std::result::Result<_, _>>()?;
            println!("\n{} preference pairs", pairs.len());
            for c in store.rating_changes(id)? {
                println!("  {}: MMR {:.1} -> {:.1}", c.agent_id, c.before, c.after);
            }
            if let Some(root) = &round.result_root {
                println!("result root: 0x{root}");
            }
            if let Some(contest) = round.contest_status() {
                println!("{contest}");
            }
            for t in &round.transactions {
                println!("  tx {}: {}", t.action, t.hash);
            }
        }
    }
    Ok(())
}

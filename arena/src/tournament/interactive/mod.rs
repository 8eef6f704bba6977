//! Interactive spaces: agents meet two by two in matches and play turn by turn, each seat
//! seeing the transcript from its own point of view. The space file's `[interactive]` table
//! declares the game, the turn order and count, the deadline of a move and how a match is
//! decided. A round's seats are drawn by MMR ([`pairing`]); its matches are played in steps,
//! the round stored after each ([`play`]), from prompts built per seat ([`view`]); each match
//! is decided by the game's rule ([`rules`]), by the judge, or both ([`outcome`]).

pub mod audit;
pub mod outcome;
pub mod pairing;
pub mod play;
pub mod rules;
pub mod view;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The `[interactive]` table of a space file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interactive {
    pub game: Game,
    pub turn_order: TurnOrder,
    /// Moves each seat makes in a match; a game may end sooner (a negotiation at its deal).
    pub turns: usize,
    /// Deadline of one step of moves, in seconds.
    pub turn_seconds: f64,
    pub decided_by: DecidedBy,
    /// Each seat's brief, seat 0 first: its side, its goal and the form of a move.
    pub roles: Vec<String>,
}

/// The game a match plays, with its parameters (`kind` names it in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Game {
    /// Two sides argue a motion; there is no rule, only the judge decides.
    Debate,
    /// Two seats split `pot` coins by offers ("OFFER <coins you keep>") and "ACCEPT"; the
    /// accepted offer is the payoff, and no deal pays nothing.
    Negotiation { pot: u32 },
    /// A sealed-bid auction: one item per turn, worth `item_values[turn]` to either seat,
    /// each seat bidding from its `budget`; the higher bid buys the item at its bid.
    Auction { item_values: Vec<u32>, budget: u32 },
}

/// Who moves in a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnOrder {
    /// Seat 0, then seat 1, each seeing the other's last move.
    Alternate,
    /// Both seats at once, neither seeing the other's move of the turn (sealed bids).
    Simultaneous,
}

/// How a match is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The game's rule, from the transcript alone: anyone can recompute it.
    Rule,
    /// The judge, reading each seat's moves.
    Judge,
    /// The rule, and the judge where the rule gives a draw.
    RuleThenJudge,
}

/// Seats of a match.
pub const SEATS: usize = 2;
/// Most moves a seat can make in a match.
pub const MAX_TURNS: usize = 8;

impl Interactive {
    /// Checks the table against the rest of the space; the error names the field and the fix.
    pub fn validate(&self, agents_per_round: usize, llm_judge: bool) -> Result<()> {
        if !agents_per_round.is_multiple_of(SEATS) {
            bail!(
                "field `agents_per_round`: an interactive space plays two-seat matches: use an even number"
            );
        }
        if !(1..=MAX_TURNS).contains(&self.turns) {
            bail!("field `interactive.turns`: use 1 to {MAX_TURNS}");
        }
        if !(self.turn_seconds > 0.0 && self.turn_seconds <= 120.0) {
            bail!("field `interactive.turn_seconds`: use more than 0 and at most 120");
        }
        if self.roles.len() != SEATS || self.roles.iter().any(|r| r.trim().is_empty()) {
            bail!("field `interactive.roles`: give one brief per seat, two in all");
        }
        if self.decided_by != DecidedBy::Rule && !llm_judge {
            bail!(
                "field `interactive.decided_by`: the judge decides, but `judging.llm` is false: set it to true, or decide by \"rule\""
            );
        }
        match &self.game {
            Game::Debate if self.decided_by != DecidedBy::Judge => {
                bail!("field `interactive.decided_by`: a debate has no rule: use \"judge\"")
            }
            Game::Negotiation { pot } if *pot == 0 => {
                bail!("field `interactive.game.pot`: use at least 1 coin")
            }
            Game::Negotiation { .. } if self.turn_order != TurnOrder::Alternate => {
                bail!("field `interactive.turn_order`: offers answer each other: use \"alternate\"")
            }
            Game::Auction { item_values, .. } if item_values.len() != self.turns => bail!(
                "field `interactive.game.item_values`: one item per turn: give {} values (has {})",
                self.turns,
                item_values.len()
            ),
            Game::Auction { budget, .. } if *budget == 0 => {
                bail!("field `interactive.game.budget`: use at least 1")
            }
            Game::Auction { .. } if self.turn_order != TurnOrder::Simultaneous => {
                bail!("field `interactive.turn_order`: bids are sealed: use \"simultaneous\"")
            }
            _ => Ok(()),
        }
    }

    /// Moves made in one step of a match: one when seats alternate, both at once otherwise.
    pub fn moves_per_step(&self) -> usize {
        match self.turn_order {
            TurnOrder::Alternate => 1,
            TurnOrder::Simultaneous => SEATS,
        }
    }
}

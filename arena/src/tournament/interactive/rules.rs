//! The rules of the games: how a move is read, what a seat is told of the game's state, when
//! a match is over, and what each seat is paid. Pure functions of the transcript, so anyone
//! holding a round's record recomputes its outcome; a move that breaks a rule (no number, an
//! offer above the pot, a bid above the budget) is read as the rule says, never refused.

use judge::records::{MatchRecord, TurnRecord};

use super::Game;

/// What a match came to under its game's rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    /// Each seat's payoff, seat 0 first.
    pub payoffs: [f64; 2],
    /// Largest possible payoff difference, to scale a win's margin.
    pub scale: f64,
    /// The outcome in words, for the record and the GUI.
    pub summary: String,
}

/// The first whole number in a move, if any (digits beyond 9 are ignored, so a long run of
/// digits reads as a large number rather than overflowing).
pub fn first_number(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    digits.parse().ok()
}

/// Whether a move accepts: it has the word "accept", in any case.
pub fn accepts(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic())
        .any(|w| w.eq_ignore_ascii_case("accept"))
}

/// A negotiation replayed: the offer standing and the deal, if one was struck.
#[derive(Debug, Clone, PartialEq)]
struct Negotiation {
    /// The seat whose offer stands, and the coins it keeps.
    standing: Option<(usize, u64)>,
    /// The deal: each seat's coins, and the turn it was struck in.
    deal: Option<([u64; 2], usize)>,
}

/// Replays a negotiation's moves in order. An "accept" takes the opponent's standing offer; a
/// number from 0 to the pot is the mover's offer of the coins it keeps; anything else (no
/// number, more than the pot, an accept with no offer to take) changes nothing.
fn negotiate(pot: u32, turns: &[TurnRecord]) -> Negotiation {
    let pot = u64::from(pot);
    let mut state = Negotiation {
        standing: None,
        deal: None,
    };
    for turn in turns {
        if state.deal.is_some() {
            break;
        }
        let text = &turn.answer.text;
        match (accepts(text), state.standing, first_number(text)) {
            (true, Some((proposer, keeps)), _) if proposer != turn.seat => {
                let mut coins = [pot - keeps; 2];
                coins[proposer] = keeps;
                state.deal = Some((coins, turn.turn));
            }
            (_, _, Some(keeps)) if keeps <= pot => state.standing = Some((turn.seat, keeps)),
            _ => {}
        }
    }
    state
}

/// One auction item's bids: each seat's legal bid (an illegal one counts as 0) and the winner.
#[derive(Debug, Clone, PartialEq)]
struct Sale {
    bids: [u64; 2],
    winner: Option<usize>,
}

/// Replays an auction: per item (turn), each seat's bid is the first number of its move, if
/// it is within the seat's remaining budget (else 0); the higher bid buys the item at its
/// bid, equal bids leave it unsold.
fn auction(budget: u32, turns: &[TurnRecord], items: usize) -> Vec<Sale> {
    let mut left = [u64::from(budget); 2];
    let mut sales = Vec::new();
    for item in 0..items {
        let moves: Vec<&TurnRecord> = turns.iter().filter(|t| t.turn == item).collect();
        if moves.len() < 2 {
            break;
        }
        let mut bids = [0u64; 2];
        for m in moves {
            let bid = first_number(&m.answer.text).unwrap_or(0);
            bids[m.seat] = if bid <= left[m.seat] { bid } else { 0 };
        }
        let winner = match bids[0].cmp(&bids[1]) {
            std::cmp::Ordering::Greater => Some(0),
            std::cmp::Ordering::Less => Some(1),
            std::cmp::Ordering::Equal => None,
        };
        if let Some(w) = winner {
            left[w] -= bids[w];
        }
        sales.push(Sale { bids, winner });
    }
    sales
}

/// Whether the match can take no more moves before its turns run out (a struck deal).
pub fn is_over(game: &Game, m: &MatchRecord) -> bool {
    match game {
        Game::Negotiation { pot } => negotiate(*pot, &m.turns).deal.is_some(),
        Game::Debate | Game::Auction { .. } => false,
    }
}

/// What the seat is told of the game before its move of `turn` (0-based).
pub fn status_for(game: &Game, m: &MatchRecord, seat: usize, turn: usize) -> String {
    match game {
        Game::Debate => String::new(),
        Game::Negotiation { pot } => match negotiate(*pot, &m.turns).standing {
            Some((by, keeps)) if by != seat => format!(
                "Your opponent offers: they keep {keeps} of the {pot} coins, you get {}. Reply ACCEPT to take it, or OFFER <coins you keep>.",
                u64::from(*pot) - keeps
            ),
            Some((_, keeps)) => format!(
                "Your offer stands: you keep {keeps} of the {pot} coins. Make a new OFFER <coins you keep>, or ACCEPT an offer of theirs."
            ),
            None => format!("No offer yet. Reply OFFER <coins you keep> of the {pot} coins."),
        },
        Game::Auction {
            item_values,
            budget,
        } => {
            let sales = auction(*budget, &m.turns, item_values.len());
            let spent: u64 = sales
                .iter()
                .filter(|s| s.winner == Some(seat))
                .map(|s| s.bids[seat])
                .sum();
            let value = item_values.get(turn).copied().unwrap_or(0);
            format!(
                "Item {} of {} is worth {value} to you. Your budget left: {}. Reply with your bid, one number.",
                turn + 1,
                item_values.len(),
                u64::from(*budget) - spent
            )
        }
    }
}

/// The match's outcome under its game's rule; `None` for a debate, which has none.
pub fn outcome(game: &Game, m: &MatchRecord) -> Option<RuleOutcome> {
    let name = |seat: usize| m.seats.get(seat).map_or("?", String::as_str);
    match game {
        Game::Debate => None,
        Game::Negotiation { pot } => {
            let state = negotiate(*pot, &m.turns);
            let (coins, summary) = match state.deal {
                Some((coins, turn)) => (
                    coins,
                    format!(
                        "deal in turn {}: {} gets {}, {} gets {} of {pot}",
                        turn + 1,
                        name(0),
                        coins[0],
                        name(1),
                        coins[1]
                    ),
                ),
                None => ([0, 0], format!("no deal: both get 0 of {pot}")),
            };
            Some(RuleOutcome {
                payoffs: coins.map(|c| c as f64),
                scale: f64::from(*pot),
                summary,
            })
        }
        Game::Auction {
            item_values,
            budget,
        } => {
            let sales = auction(*budget, &m.turns, item_values.len());
            let mut payoffs = [0.0; 2];
            let mut lines = Vec::new();
            for (i, sale) in sales.iter().enumerate() {
                let value = item_values[i];
                let result = match sale.winner {
                    Some(w) => {
                        payoffs[w] += f64::from(value) - sale.bids[w] as f64;
                        format!("{} buys", name(w))
                    }
                    None => "unsold".into(),
                };
                lines.push(format!(
                    "item {} (worth {value}): bids {} / {}, {result}",
                    i + 1,
                    sale.bids[0],
                    sale.bids[1]
                ));
            }
            lines.push(format!(
                "payoffs {} {} / {} {}",
                name(0),
                payoffs[0],
                name(1),
                payoffs[1]
            ));
            Some(RuleOutcome {
                payoffs,
                scale: item_values.iter().map(|v| f64::from(*v)).sum::<f64>() + f64::from(*budget),
                summary: lines.join("; "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use judge::records::AnswerRecord;

    use super::*;

    fn moves(list: &[(usize, usize, &str)]) -> MatchRecord {
        let turns = list
            .iter()
            .map(|&(turn, seat, text)| TurnRecord {
                turn,
                seat,
                prompt: String::new(),
                answer: AnswerRecord {
                    round: 1,
                    agent_id: format!("seat{seat}"),
                    model: "m".into(),
                    text: text.into(),
                    truncated: false,
                    generated_tokens: 1,
                    seed: 0,
                    system_prompt: String::new(),
                    sampling: agents::Sampling::default(),
                    endpoint: None,
                    commitment: None,
                },
            })
            .collect();
        MatchRecord {
            seats: vec!["a".into(), "b".into()],
            turns,
        }
    }

    #[test]
    fn moves_are_read_by_their_first_number_and_the_word_accept() {
        assert_eq!(first_number("OFFER 60 coins, or 70"), Some(60));
        assert_eq!(first_number("no number"), None);
        assert_eq!(first_number("99999999999999999999"), Some(999_999_999));
        assert!(accepts("I ACCEPT."));
        assert!(accepts("accept"));
        assert!(!accepts("unacceptable"));
    }

    #[test]
    fn a_negotiation_pays_the_accepted_offer_and_ignores_illegal_moves() {
        let game = Game::Negotiation { pot: 100 };
        let m = moves(&[
            (0, 0, "OFFER 70"),
            (0, 1, "ACCEPT nothing? I want 500"),
            (1, 0, "I keep 60"),
            (1, 1, "accept"),
            (2, 0, "OFFER 99"),
        ]);
        // "ACCEPT" in turn 0 takes seat 0's offer: the deal is struck there.
        let out = outcome(&game, &m).unwrap();
        assert_eq!(out.payoffs, [70.0, 30.0], "{}", out.summary);
        assert!(is_over(&game, &m));
        let m = moves(&[(0, 0, "OFFER 700"), (0, 1, "accept"), (1, 0, "60")]);
        // 700 is above the pot (no offer), so seat 1's accept has nothing to take.
        assert!(!is_over(&game, &m));
        let out = outcome(&game, &m).unwrap();
        assert_eq!(out.payoffs, [0.0, 0.0]);
        assert!(out.summary.starts_with("no deal"));
        assert!(status_for(&game, &m, 1, 1).contains("they keep 60"));
    }

    #[test]
    fn an_auction_sells_each_item_to_the_higher_legal_bid() {
        let game = Game::Auction {
            item_values: vec![30, 50],
            budget: 40,
        };
        let m = moves(&[
            (0, 0, "20"),
            (0, 1, "bid 25"),
            (1, 0, "40"),
            (1, 1, "I bid 30"),
        ]);
        // Item 1: b pays 25 for 30. Item 2: a bids 40 (its whole budget), b 30 of its 15 left:
        // illegal, so 0; a pays 40 for 50.
        let out = outcome(&game, &m).unwrap();
        assert_eq!(out.payoffs, [10.0, 5.0], "{}", out.summary);
        assert!(status_for(&game, &m, 1, 1).contains("budget left: 15"));
        let tie = moves(&[(0, 0, "none"), (0, 1, "nothing")]);
        let out = outcome(&game, &tie).unwrap();
        assert_eq!(out.payoffs, [0.0, 0.0]);
        assert!(out.summary.contains("unsold"));
    }
}

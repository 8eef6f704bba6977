//! Ratings: an Elo-style MMR per agent per space, updated after every round
//! from its ranking (zero-sum by construction), and a Bradley-Terry
//! leaderboard over all stored comparisons with bootstrap 95% intervals.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

use crate::bradley_terry::{Comparison, fit, to_rating};

/// Rating of an agent that has not played in a space yet.
pub const START_MMR: f64 = 1000.0;
/// Largest change one round can make to an agent's MMR.
pub const K_FACTOR: f64 = 32.0;

/// MMR changes for a ranked round. `players` are (agent, current MMR,
/// strength) best first; equal strengths count as a draw. The changes sum to zero.
pub fn mmr_changes(players: &[(String, f64, f64)]) -> Vec<f64> {
    let n = players.len();
    let mut delta = vec![0.0; n];
    if n < 2 {
        return delta;
    }
    let k = K_FACTOR / (n - 1) as f64;
    for i in 0..n {
        for j in i + 1..n {
            let (ri, rj) = (players[i].1, players[j].1);
            let expected_i = 1.0 / (1.0 + 10f64.powf((rj - ri) / 400.0));
            let score_i = if (players[i].2 - players[j].2).abs() < 1e-6 {
                0.5
            } else {
                1.0
            };
            let change = k * (score_i - expected_i);
            delta[i] += change;
            delta[j] -= change;
        }
    }
    delta
}

/// One row of the Bradley-Terry leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    pub agent_id: String,
    /// Elo-scaled Bradley-Terry rating.
    pub rating: f64,
    /// Bootstrap 95% interval of the rating.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Comparisons the agent took part in.
    pub comparisons: usize,
}

/// A stored pairwise outcome: (agent a, agent b, score of a).
pub type Outcome = (String, String, f64);

/// Fits the leaderboard over `outcomes`, best first, with `samples` bootstrap resamples.
pub fn leaderboard(outcomes: &[Outcome], samples: usize) -> Vec<LeaderboardRow> {
    let mut ids: Vec<&str> = outcomes
        .iter()
        .flat_map(|(a, b, _)| [a.as_str(), b.as_str()])
        .collect();
    ids.sort();
    ids.dedup();
    let index: BTreeMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let games: Vec<Comparison> = outcomes
        .iter()
        .map(|(a, b, s)| Comparison {
            a: index[a.as_str()],
            b: index[b.as_str()],
            score_a: *s,
            weight: 1.0,
            length_delta: 0.0,
        })
        .collect();
    let strengths = fit(ids.len(), &aggregate(&games), false).strengths;
    let mut rng = StdRng::seed_from_u64(0xb007);
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(samples); ids.len()];
    for _ in 0..samples {
        let sample: Vec<Comparison> = (0..games.len())
            .map(|_| *games.choose(&mut rng).expect("non-empty"))
            .collect();
        for (i, s) in fit(ids.len(), &aggregate(&sample), false)
            .strengths
            .iter()
            .enumerate()
        {
            draws[i].push(*s);
        }
    }
    let mut rows: Vec<LeaderboardRow> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut d = draws[i].clone();
            d.sort_by(f64::total_cmp);
            let pct = |p: f64| {
                d.get(((d.len() as f64 - 1.0) * p).round() as usize)
                    .copied()
            };
            LeaderboardRow {
                agent_id: (*id).to_owned(),
                rating: to_rating(strengths[i]),
                ci_low: to_rating(pct(0.025).unwrap_or(strengths[i])),
                ci_high: to_rating(pct(0.975).unwrap_or(strengths[i])),
                comparisons: games.iter().filter(|g| g.a == i || g.b == i).count(),
            }
        })
        .collect();
    rows.sort_by(|x, y| {
        y.rating
            .total_cmp(&x.rating)
            .then(x.agent_id.cmp(&y.agent_id))
    });
    rows
}

/// Merges comparisons of the same pair into one weighted comparison, so a
/// fit costs the number of pairs, not of games.
fn aggregate(games: &[Comparison]) -> Vec<Comparison> {
    let mut by_pair: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    for g in games {
        let (key, score) = if g.a < g.b {
            ((g.a, g.b), g.score_a)
        } else {
            ((g.b, g.a), 1.0 - g.score_a)
        };
        let e = by_pair.entry(key).or_default();
        e.0 += score * g.weight;
        e.1 += g.weight;
    }
    by_pair
        .into_iter()
        .map(|((a, b), (score, weight))| Comparison {
            a,
            b,
            score_a: score / weight,
            weight,
            length_delta: 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winner_gains_what_losers_lose() {
        let players = vec![
            ("a".to_string(), 1000.0, 2.0),
            ("b".to_string(), 1100.0, 1.0),
            ("c".to_string(), 900.0, 0.0),
        ];
        let d = mmr_changes(&players);
        assert!(d[0] > 0.0 && d[2] < 0.0);
        assert!(d.iter().sum::<f64>().abs() < 1e-9);
    }

    #[test]
    fn leaderboard_orders_and_brackets() {
        let mut outcomes = Vec::new();
        for _ in 0..20 {
            outcomes.push(("a".to_string(), "b".to_string(), 1.0));
            outcomes.push(("b".to_string(), "c".to_string(), 1.0));
        }
        outcomes.push(("a".to_string(), "b".to_string(), 0.0));
        let rows = leaderboard(&outcomes, 100);
        let order: Vec<&str> = rows.iter().map(|r| r.agent_id.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        for r in &rows {
            assert!(
                r.ci_low <= r.rating + 1e-9 && r.rating <= r.ci_high + 1e-9,
                "{r:?}"
            );
        }
    }
}

//! Ratings: an Elo-style MMR per agent per space, updated after every round
//! from its ranking (zero-sum by construction), and a Bradley-Terry
//! leaderboard over all stored comparisons with bootstrap 95% intervals,
//! beside a style-controlled rating (length and markdown held equal).

pub mod style;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

use crate::bradley_terry::{Comparison, fit, fit_contextual, to_rating};

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
    /// Elo-scaled strength of the contextual Bradley-Terry fit with the
    /// style covariates: the rating the agent would have if its answers'
    /// length and markdown did not sway the judge.
    pub style_controlled: f64,
    /// The style fit's coefficients (logit gained per standard deviation of
    /// the length and markdown contrasts), the same on every row so each
    /// CSV line stands alone. Positive: the judge favours longer answers,
    /// or more markdown.
    pub gamma_length: f64,
    pub gamma_markdown: f64,
}

/// A stored pairwise outcome with the style of both answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub a: String,
    pub b: String,
    /// 1 when `a` won, 0 when `b` won, 0.5 for a tie.
    pub score_a: f64,
    /// [`style::features`] of `a`'s and `b`'s answers.
    pub style_a: [f64; 2],
    pub style_b: [f64; 2],
}

/// Fits the leaderboard over `outcomes`, best first, with `samples` bootstrap
/// resamples of the raw ratings, and the style-controlled fit beside them.
pub fn leaderboard(outcomes: &[Outcome], samples: usize) -> Vec<LeaderboardRow> {
    let mut ids: Vec<&str> = outcomes
        .iter()
        .flat_map(|o| [o.a.as_str(), o.b.as_str()])
        .collect();
    ids.sort();
    ids.dedup();
    let index: BTreeMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let games: Vec<Comparison> = outcomes
        .iter()
        .map(|o| Comparison {
            a: index[o.a.as_str()],
            b: index[o.b.as_str()],
            score_a: o.score_a,
            weight: 1.0,
            length_delta: 0.0,
        })
        .collect();
    let strengths = fit(ids.len(), &aggregate(&games), false).strengths;
    let mut contrasts: Vec<[f64; 2]> = outcomes
        .iter()
        .map(|o| style::contrast(o.style_a, o.style_b))
        .collect();
    style::standardize(&mut contrasts);
    let controlled = fit_contextual(ids.len(), &games, &contrasts);
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
                style_controlled: to_rating(controlled.strengths[i]),
                gamma_length: controlled.coefficients[0],
                gamma_markdown: controlled.coefficients[1],
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
    use rand::Rng;

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

    fn outcome(a: &str, b: &str, score_a: f64, text_a: &str, text_b: &str) -> Outcome {
        Outcome {
            a: a.into(),
            b: b.into(),
            score_a,
            style_a: style::features(text_a),
            style_b: style::features(text_b),
        }
    }

    fn row<'a>(rows: &'a [LeaderboardRow], id: &str) -> &'a LeaderboardRow {
        rows.iter()
            .find(|r| r.agent_id == id)
            .expect("agent on the board")
    }

    #[test]
    fn leaderboard_orders_and_brackets() {
        let mut outcomes = Vec::new();
        for _ in 0..20 {
            outcomes.push(outcome("a", "b", 1.0, "x", "y"));
            outcomes.push(outcome("b", "c", 1.0, "x", "y"));
        }
        outcomes.push(outcome("a", "b", 0.0, "x", "y"));
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

    /// Agents of equal strength, "long" writing the longer answer in most
    /// games, and a judge that prefers the longer answer (it wins with
    /// probability sigmoid(4 × the length contrast), about 4 times in 5):
    /// the raw ratings part the agents widely, the style-controlled ones
    /// barely, and the length coefficient is clearly positive. (A judge
    /// that prefers the longer answer every time makes the games separable
    /// by length, and then no logistic fit can say how the credit splits.)
    #[test]
    fn style_control_absorbs_a_planted_length_preference() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut outcomes = Vec::new();
        for _ in 0..2000 {
            let words_long = rng.random_range(10..80);
            let words_short = rng.random_range(3..40);
            let (text_a, text_b) = ("word ".repeat(words_long), "word ".repeat(words_short));
            let contrast = style::contrast(style::features(&text_a), style::features(&text_b))[0];
            let a_won = rng.random_bool(crate::bradley_terry::sigmoid(4.0 * contrast));
            outcomes.push(outcome(
                "long",
                "short",
                f64::from(u8::from(a_won)),
                &text_a,
                &text_b,
            ));
        }
        let rows = leaderboard(&outcomes, 10);
        let (long, short) = (row(&rows, "long"), row(&rows, "short"));
        assert!(long.rating - short.rating > 100.0, "{rows:?}");
        assert!(
            (long.style_controlled - short.style_controlled).abs() < 25.0,
            "{rows:?}"
        );
        assert!(long.gamma_length > 1.0, "{rows:?}");
        assert!(long.gamma_markdown == 0.0, "no markdown anywhere: {rows:?}");
    }

    /// Winners drawn from strengths alone, with lengths and markdown that
    /// have nothing to do with them: the style-controlled ratings order the
    /// agents as the raw ones do and the coefficients stay small.
    #[test]
    fn without_a_style_effect_style_control_keeps_the_order() {
        let mut rng = StdRng::seed_from_u64(11);
        let strength = [("a", 1.5), ("b", 0.5), ("c", -0.5), ("d", -1.5)];
        let mut outcomes = Vec::new();
        for _ in 0..300 {
            for (i, (a, sa)) in strength.iter().enumerate() {
                for (b, sb) in &strength[i + 1..] {
                    let mut text = || {
                        let mut t = "word ".repeat(rng.random_range(3..60));
                        if rng.random_bool(0.5) {
                            t.push_str("\n- item **bold**");
                        }
                        t
                    };
                    let (text_a, text_b) = (text(), text());
                    let won = rng.random_bool(crate::bradley_terry::sigmoid(sa - sb));
                    outcomes.push(outcome(a, b, f64::from(u8::from(won)), &text_a, &text_b));
                }
            }
        }
        let rows = leaderboard(&outcomes, 10);
        let order = |key: fn(&LeaderboardRow) -> f64| {
            let mut ids: Vec<(&str, f64)> =
                rows.iter().map(|r| (r.agent_id.as_str(), key(r))).collect();
            ids.sort_by(|x, y| y.1.total_cmp(&x.1));
            ids.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
        };
        assert_eq!(order(|r| r.rating), ["a", "b", "c", "d"]);
        assert_eq!(order(|r| r.style_controlled), ["a", "b", "c", "d"]);
        assert!(rows[0].gamma_length.abs() < 0.2, "{rows:?}");
        assert!(rows[0].gamma_markdown.abs() < 0.2, "{rows:?}");
    }
}

//! From pair verdicts to a ranking: Bradley-Terry strengths (ties count half
//! a win each; equal strengths are ordered by agent id), a bootstrap
//! confidence per position, and a length-controlled variant.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use crate::bradley_terry::{Comparison, fit};
use crate::verdict::{LengthBias, PairVerdict, Ranking};

/// Resamples used for position confidence.
const BOOTSTRAP_SAMPLES: usize = 200;
/// Strengths closer than this are equal (ordered by id), so float noise
/// never decides a position.
const EQUAL_STRENGTH: f64 = 1e-6;

/// Ranks `agents` (any order) from `verdicts`; `lengths` gives each agent's
/// answer length, in the same order as `agents`.
pub fn rank(
    agents: &[String],
    lengths: &[usize],
    verdicts: &[PairVerdict],
) -> (Ranking, LengthBias) {
    let mut ids: Vec<(String, usize)> = agents
        .iter()
        .cloned()
        .zip(lengths.iter().copied())
        .collect();
    ids.sort();
    let index = |id: &str| {
        ids.iter()
            .position(|(a, _)| a == id)
            .expect("verdict names a known agent")
    };
    let mut comparisons: Vec<Comparison> = verdicts
        .iter()
        .map(|v| {
            let (a, b) = (index(&v.a), index(&v.b));
            Comparison {
                a,
                b,
                score_a: v.score_a,
                weight: 1.0,
                length_delta: length_signal(ids[a].1, ids[b].1),
            }
        })
        .collect();
    comparisons.sort_by_key(|c| (c.a, c.b));
    let strengths = fit(ids.len(), &comparisons, false).strengths;
    let controlled = fit(ids.len(), &comparisons, true);
    let order = order_by(&strengths);
    let confidence = position_confidence(ids.len(), &comparisons, &order);
    let ranking = Ranking {
        order: order.iter().map(|i| ids[*i].0.clone()).collect(),
        strengths: order.iter().map(|i| strengths[*i]).collect(),
        confidence,
        length_controlled: order.iter().map(|i| controlled.strengths[*i]).collect(),
    };
    let mut bias = LengthBias {
        decided: 0,
        longer_won: 0,
        effect: controlled.length_effect,
    };
    for c in comparisons
        .iter()
        .filter(|c| c.score_a != 0.5 && c.length_delta != 0.0)
    {
        bias.decided += 1;
        if (c.score_a > 0.5) == (c.length_delta > 0.0) {
            bias.longer_won += 1;
        }
    }
    (ranking, bias)
}

/// Relative length difference squashed to (-1, 1).
fn length_signal(a: usize, b: usize) -> f64 {
    let (a, b) = (a as f64, b as f64);
    if a + b == 0.0 {
        0.0
    } else {
        ((a - b) / (a + b) * 2.0).tanh()
    }
}

/// Indices sorted by strength, best first; equal strengths keep id order.
fn order_by(strengths: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..strengths.len()).collect();
    order.sort_by(|&x, &y| {
        let d = strengths[y] - strengths[x];
        if d.abs() < EQUAL_STRENGTH {
            x.cmp(&y)
        } else {
            d.total_cmp(&0.0)
        }
    });
    order
}

fn position_confidence(players: usize, comparisons: &[Comparison], order: &[usize]) -> Vec<f64> {
    if comparisons.is_empty() {
        return vec![1.0; order.len()];
    }
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut kept = vec![0usize; order.len()];
    for _ in 0..BOOTSTRAP_SAMPLES {
        let mut sample: Vec<Comparison> = (0..comparisons.len())
            .map(|_| *comparisons.choose(&mut rng).expect("non-empty"))
            .collect();
        sample.sort_by(|x, y| {
            (x.a, x.b)
                .cmp(&(y.a, y.b))
                .then(x.score_a.total_cmp(&y.score_a))
        });
        let resampled = order_by(&fit(players, &sample, false).strengths);
        for (pos, agent) in order.iter().enumerate() {
            if resampled[pos] == *agent {
                kept[pos] += 1;
            }
        }
    }
    kept.iter()
        .map(|k| *k as f64 / BOOTSTRAP_SAMPLES as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Layer;

    fn verdict(a: &str, b: &str, score_a: f64) -> PairVerdict {
        PairVerdict {
            a: a.into(),
            b: b.into(),
            score_a,
            margin: 0.5,
            layer: Layer::Checks,
            pairwise: None,
        }
    }

    #[test]
    fn ranks_by_wins_and_breaks_exact_ties_by_id() {
        let agents: Vec<String> = ["c", "a", "b"].iter().map(|s| s.to_string()).collect();
        let verdicts = [
            verdict("a", "b", 0.0),
            verdict("a", "c", 0.0),
            verdict("b", "c", 0.5),
        ];
        let (ranking, _) = rank(&agents, &[10, 10, 10], &verdicts);
        assert_eq!(ranking.order, ["b", "c", "a"]);
        assert!(ranking.confidence.iter().all(|c| (0.0..=1.0).contains(c)));
    }

    #[test]
    fn counts_longer_answer_wins() {
        let agents: Vec<String> = vec!["a".into(), "b".into()];
        let (_, bias) = rank(&agents, &[100, 10], &[verdict("a", "b", 1.0)]);
        assert_eq!((bias.decided, bias.longer_won), (1, 1));
    }
}

//! Bradley-Terry strengths from pairwise outcomes, with ties as half a win,
//! an optional length covariate, and a weak prior so undefeated players stay
//! finite. One fitter serves round rankings, length control and the
//! leaderboard.

/// One (possibly aggregated) comparison between players `a` and `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub a: usize,
    pub b: usize,
    /// 1 when `a` won, 0 when `b` won, 0.5 for a tie (or an average).
    pub score_a: f64,
    /// How many comparisons this stands for.
    pub weight: f64,
    /// Length signal of `a` minus `b` (for example tanh of the relative length
    /// difference); 0 when length is not modelled.
    pub length_delta: f64,
}

/// Fitted strengths on the logit scale and the length effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub strengths: Vec<f64>,
    /// How much a longer answer gains on the logit scale; 0 when not fitted.
    pub length_effect: f64,
}

/// Strength of the prior pulling strengths to 0 (a fraction of a game).
const PRIOR: f64 = 0.1;
const ITERATIONS: usize = 400;

/// Fits strengths for `players` players. Deterministic for the same list.
pub fn fit(players: usize, comparisons: &[Comparison], with_length: bool) -> Fit {
    let mut theta = vec![0.0; players];
    let mut beta = 0.0;
    let mut degree = vec![PRIOR; players];
    for c in comparisons {
        degree[c.a] += c.weight / 4.0;
        degree[c.b] += c.weight / 4.0;
    }
    let length_degree: f64 = PRIOR
        + comparisons
            .iter()
            .map(|c| c.weight * c.length_delta * c.length_delta / 4.0)
            .sum::<f64>();
    for _ in 0..ITERATIONS {
        let mut grad = vec![0.0; players];
        let mut grad_beta = -PRIOR * beta;
        for (g, t) in grad.iter_mut().zip(&theta) {
            *g = -PRIOR * t;
        }
        for c in comparisons {
            let d = theta[c.a] - theta[c.b] + beta * c.length_delta;
            let residual = c.weight * (c.score_a - sigmoid(d));
            grad[c.a] += residual;
            grad[c.b] -= residual;
            grad_beta += residual * c.length_delta;
        }
        // Newton-like steps with the curvature bound 1/4 per game.
        for i in 0..players {
            theta[i] += grad[i] / degree[i];
        }
        if with_length {
            beta += grad_beta / length_degree;
        }
    }
    Fit {
        strengths: theta,
        length_effect: beta,
    }
}

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Converts a logit-scale strength to an Elo-like rating around 1000.
pub fn to_rating(strength: f64) -> f64 {
    1000.0 + strength * 400.0 / std::f64::consts::LN_10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(a: usize, b: usize, score_a: f64) -> Comparison {
        Comparison {
            a,
            b,
            score_a,
            weight: 1.0,
            length_delta: 0.0,
        }
    }

    #[test]
    fn stronger_player_gets_higher_strength() {
        let games = [
            game(0, 1, 1.0),
            game(0, 1, 1.0),
            game(0, 1, 0.0),
            game(1, 2, 1.0),
            game(0, 2, 1.0),
        ];
        let fit = fit(3, &games, false);
        assert!(
            fit.strengths[0] > fit.strengths[1] && fit.strengths[1] > fit.strengths[2],
            "{fit:?}"
        );
    }

    #[test]
    fn ties_give_equal_strengths_and_undefeated_stays_finite() {
        let tied = fit(2, &[game(0, 1, 0.5)], false);
        assert!((tied.strengths[0] - tied.strengths[1]).abs() < 1e-9);
        let undefeated = fit(2, &[game(0, 1, 1.0); 5], false);
        assert!(undefeated.strengths[0].is_finite() && undefeated.strengths[0] > 1.0);
    }

    #[test]
    fn length_effect_absorbs_a_pure_length_preference() {
        // The longer answer always wins, whoever wrote it.
        let mut games = Vec::new();
        for _ in 0..10 {
            games.push(Comparison {
                length_delta: 0.8,
                ..game(0, 1, 1.0)
            });
            games.push(Comparison {
                length_delta: -0.8,
                ..game(0, 1, 0.0)
            });
        }
        let fit = fit(2, &games, true);
        assert!(fit.length_effect > 1.0, "{fit:?}");
        assert!((fit.strengths[0] - fit.strengths[1]).abs() < 1e-6);
    }
}

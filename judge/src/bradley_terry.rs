//! Bradley-Terry strengths from pairwise outcomes, with ties as half a win,
//! an optional length covariate, and a weak prior so undefeated players stay
//! finite. One fitter serves round rankings, length control and the
//! leaderboard; its contextual form (strengths plus covariate coefficients,
//! by Newton's method) serves the leaderboard's style control.

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

/// Strengths and covariate coefficients of a contextual Bradley-Terry fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextualFit {
    pub strengths: Vec<f64>,
    /// How much one unit of each covariate gains on the logit scale.
    pub coefficients: Vec<f64>,
}

/// Newton iterations at most; the fit converges in a handful.
const NEWTON_ITERATIONS: usize = 100;
/// A Newton step smaller than this in every parameter ends the fit.
const NEWTON_TOLERANCE: f64 = 1e-10;

/// Fits P(a beats b) = sigmoid(strength_a - strength_b + coefficients ·
/// covariates) with the same prior as [`fit`] on every parameter (which also
/// makes the strengths identifiable). `covariates[i]` belongs to
/// `comparisons[i]`, whose `length_delta` is not used.
///
/// Newton's method on the full Hessian rather than [`fit`]'s
/// per-parameter steps: covariates go with who plays (an agent that writes
/// long answers always has them), and per-parameter steps overshoot along
/// such correlated directions. [`fit`] keeps its steps because stored round
/// rankings were computed with them and `arena verify` compares them exactly.
pub fn fit_contextual<const K: usize>(
    players: usize,
    comparisons: &[Comparison],
    covariates: &[[f64; K]],
) -> ContextualFit {
    debug_assert_eq!(comparisons.len(), covariates.len());
    let m = players + K;
    let mut params = vec![0.0; m];
    // The parameters a comparison's logit depends on, with their factors:
    // term 0 is `a`'s strength, 1 is `b`'s, 2 + k is covariate k's coefficient.
    let term = |c: &Comparison, z: &[f64; K], t: usize| match t {
        0 => (c.a, 1.0),
        1 => (c.b, -1.0),
        _ => (players + t - 2, z[t - 2]),
    };
    let logit = |p: &[f64], c: &Comparison, z: &[f64; K]| {
        (0..K + 2)
            .map(|t| {
                let (i, v) = term(c, z, t);
                p[i] * v
            })
            .sum::<f64>()
    };
    let objective = |p: &[f64]| -> f64 {
        let mut total = -PRIOR / 2.0 * p.iter().map(|x| x * x).sum::<f64>();
        for (c, z) in comparisons.iter().zip(covariates) {
            let d = logit(p, c, z);
            total -= c.weight * (c.score_a * softplus(-d) + (1.0 - c.score_a) * softplus(d));
        }
        total
    };
    let mut current = objective(&params);
    for _ in 0..NEWTON_ITERATIONS {
        let mut grad: Vec<f64> = params.iter().map(|x| -PRIOR * x).collect();
        let mut curvature = vec![0.0; m * m];
        for i in 0..m {
            curvature[i * m + i] = PRIOR;
        }
        for (c, z) in comparisons.iter().zip(covariates) {
            let p = sigmoid(logit(&params, c, z));
            let residual = c.weight * (c.score_a - p);
            let w = c.weight * p * (1.0 - p);
            for s in 0..K + 2 {
                let (i, vi) = term(c, z, s);
                grad[i] += residual * vi;
                for t in 0..K + 2 {
                    let (j, vj) = term(c, z, t);
                    curvature[i * m + j] += w * vi * vj;
                }
            }
        }
        let step = solve_positive_definite(&mut curvature, m, &grad);
        // Halve the step until the objective rises (it is concave, so the
        // full step almost always does); none that does means converged.
        let mut scale = 1.0;
        let ascent = loop {
            let next: Vec<f64> = params
                .iter()
                .zip(&step)
                .map(|(x, s)| x + scale * s)
                .collect();
            let value = objective(&next);
            if value >= current {
                break Some((next, value));
            }
            if scale < 1e-6 {
                break None;
            }
            scale /= 2.0;
        };
        let Some((next, value)) = ascent else { break };
        let moved = step.iter().map(|s| (scale * s).abs()).fold(0.0, f64::max);
        params = next;
        current = value;
        if moved < NEWTON_TOLERANCE {
            break;
        }
    }
    let coefficients = params.split_off(players);
    ContextualFit {
        strengths: params,
        coefficients,
    }
}

/// Solves `matrix · x = rhs` for a symmetric positive definite `n`×`n`
/// matrix (row-major) by Cholesky decomposition, overwriting the matrix.
fn solve_positive_definite(matrix: &mut [f64], n: usize, rhs: &[f64]) -> Vec<f64> {
    for j in 0..n {
        let mut diag = matrix[j * n + j];
        for k in 0..j {
            diag -= matrix[j * n + k] * matrix[j * n + k];
        }
        let diag = diag.sqrt();
        matrix[j * n + j] = diag;
        for i in j + 1..n {
            let mut v = matrix[i * n + j];
            for k in 0..j {
                v -= matrix[i * n + k] * matrix[j * n + k];
            }
            matrix[i * n + j] = v / diag;
        }
    }
    let mut y = rhs.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= matrix[i * n + k] * y[k];
        }
        y[i] /= matrix[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= matrix[k * n + i] * y[k];
        }
        y[i] /= matrix[i * n + i];
    }
    y
}

/// ln(1 + e^x) without overflow.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
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

    #[test]
    fn contextual_fit_without_covariates_is_the_plain_fit() {
        let games = [
            game(0, 1, 1.0),
            game(0, 1, 0.0),
            game(0, 1, 1.0),
            game(1, 2, 1.0),
            game(0, 2, 0.5),
            game(2, 3, 1.0),
        ];
        let plain = fit(4, &games, false);
        let contextual = fit_contextual::<0>(4, &games, &[[]; 6]);
        for (p, c) in plain.strengths.iter().zip(&contextual.strengths) {
            assert!((p - c).abs() < 1e-6, "{plain:?} {contextual:?}");
        }
    }

    #[test]
    fn contextual_fit_separates_a_covariate_that_goes_with_a_player() {
        // Player 0's answer is the longer in 80 of 100 games, and the longer
        // answer wins 4 times in 5 whoever wrote it. The raw fit credits
        // player 0 (68 wins); the contextual one credits length: equal
        // strengths and a coefficient of logit(0.8), less the prior's pull.
        let mut games = Vec::new();
        let mut covariates = Vec::new();
        for (longer, n, zero_wins) in [(1.0, 80, 64), (-1.0, 20, 4)] {
            for i in 0..n {
                games.push(game(0, 1, if i < zero_wins { 1.0 } else { 0.0 }));
                covariates.push([longer]);
            }
        }
        let raw = fit(2, &games, false);
        assert!(raw.strengths[0] - raw.strengths[1] > 0.5, "{raw:?}");
        let fit = fit_contextual(2, &games, &covariates);
        assert!((fit.coefficients[0] - 4f64.ln()).abs() < 0.05, "{fit:?}");
        assert!(
            (fit.strengths[0] - fit.strengths[1]).abs() < 0.05,
            "{fit:?}"
        );
    }
}

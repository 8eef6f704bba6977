//! Log-probabilities of tokens read from rows of logits. Scoring an answer
//! needs one entry of each row's log-softmax, so only each row's normalizer
//! (log-sum-exp) is computed, instead of the whole log-softmax: for a
//! vocabulary of 49k that is one pass over the row, not five, and no
//! second copy of the rows (it was a tenth of the judge's time).

use anyhow::Result;
use candle_core::Tensor;

/// `ln(sum(exp(x)))` over `row`, computed from its maximum so that no
/// exponential overflows; negative infinity for an empty row.
pub fn log_sum_exp(row: &[f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return max;
    }
    let sum: f32 = row.iter().map(|x| (x - max).exp()).sum();
    max + sum.ln()
}

/// Rows of (positions, vocabulary) logits with their normalizers.
pub struct LogProbRows {
    logits: Vec<f32>,
    vocabulary: usize,
    log_norms: Vec<f32>,
}

impl LogProbRows {
    /// Reads f32 logits of shape (positions, vocabulary).
    pub fn new(logits: &Tensor) -> Result<Self> {
        let (_, vocabulary) = logits.dims2()?;
        let logits: Vec<f32> = logits.flatten_all()?.to_vec1()?;
        let log_norms = logits.chunks_exact(vocabulary).map(log_sum_exp).collect();
        Ok(Self {
            logits,
            vocabulary,
            log_norms,
        })
    }

    /// Log-probability of `token` in row `row`.
    pub fn log_prob(&self, row: usize, token: u32) -> f32 {
        self.logits[row * self.vocabulary + token as usize] - self.log_norms[row]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{D, Device};

    #[test]
    fn log_probs_match_candles_log_softmax() {
        let values: Vec<f32> = (0..3 * 50)
            .map(|i| ((i * 37 % 101) as f32) / 7.0 - 6.0)
            .collect();
        let logits = Tensor::from_vec(values, (3, 50), &Device::Cpu).unwrap();
        let expected: Vec<Vec<f32>> = candle_nn::ops::log_softmax(&logits, D::Minus1)
            .unwrap()
            .to_vec2()
            .unwrap();
        let rows = LogProbRows::new(&logits).unwrap();
        for (r, row) in expected.iter().enumerate() {
            for (t, want) in row.iter().enumerate() {
                assert!((rows.log_prob(r, t as u32) - want).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn huge_logits_do_not_overflow_and_empty_rows_are_negative_infinity() {
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f32.ln())).abs() < 1e-3);
        assert_eq!(log_sum_exp(&[]), f32::NEG_INFINITY);
    }
}

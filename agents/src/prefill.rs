//! Known continuations scored in ragged batches: the tokens every sequence
//! shares at the start run once, the rest of all sequences run together,
//! several per pass, each on a copy of the shared cache. The judge reads
//! log-probabilities of answers this way, and `arena verify` checks answers
//! against their commitments ([`crate::verification`]).

use std::ops::Range;

use anyhow::Result;
use candle_core::Tensor;

use crate::transformer::{KvCache, Transformer};

/// Rows computed in one pass at most: bounds the memory of a batch (Gemma
/// 3's vocabulary makes a logit row 1 MB).
pub const MAX_ROWS_PER_PASS: usize = 256;

/// One pass: the sequences it ran, and the last hidden states and logits of
/// their tails, one sequence's rows after the other.
pub struct TailPass {
    pub sequences: Range<usize>,
    /// Shape (rows, n_embd).
    pub hidden: Tensor,
    /// Shape (rows, vocabulary).
    pub logits: Tensor,
}

/// Runs `sequences` and passes the rows after the last `tails[i]` tokens of
/// each to `visit`, pass by pass, in order.
pub fn tail_passes(
    transformer: &Transformer,
    sequences: &[Vec<u32>],
    tails: &[usize],
    visit: &mut dyn FnMut(TailPass) -> Result<()>,
) -> Result<()> {
    let Some(first) = sequences.first() else {
        return Ok(());
    };
    let mut shared = sequences
        .iter()
        .zip(tails)
        .map(|(s, t)| s.len() - t)
        .min()
        .unwrap_or(0);
    for sequence in &sequences[1..] {
        shared = shared.min(
            first
                .iter()
                .zip(sequence)
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    let mut prefix = transformer.new_cache();
    if shared > 0 {
        transformer.forward(&first[..shared], &mut prefix)?;
    }
    let mut start = 0;
    while start < sequences.len() {
        let mut end = start + 1;
        let mut rows = tails[start];
        while end < sequences.len() && rows + tails[end] <= MAX_ROWS_PER_PASS {
            rows += tails[end];
            end += 1;
        }
        let tokens: Vec<&[u32]> = sequences[start..end].iter().map(|s| &s[shared..]).collect();
        let mut caches: Vec<KvCache> = vec![prefix.clone(); end - start];
        let mut cache_refs: Vec<&mut KvCache> = caches.iter_mut().collect();
        let hidden =
            transformer.forward_batch_hidden(&tokens, &mut cache_refs, &tails[start..end])?;
        let logits = transformer.logits(&hidden)?;
        visit(TailPass {
            sequences: start..end,
            hidden,
            logits,
        })?;
        start = end;
    }
    Ok(())
}

//! Known continuations scored in ragged batches: the tokens every sequence
//! shares at the start run once, and so does each context (what precedes a
//! sequence's tail) that several sequences share; the rest of all
//! sequences runs together, several per pass, each on a copy of its cache.
//! The judge reads log-probabilities of answers to two questions this way
//! (the round's and a neutral one, for relevance), and `arena verify`
//! checks answers against their commitments ([`crate::verification`]).

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
    if sequences.is_empty() {
        return Ok(());
    }
    let shared = shared_prefix(sequences, tails);
    let mut prefix = transformer.new_cache();
    if shared > 0 {
        transformer.forward(&sequences[0][..shared], &mut prefix)?;
    }
    let contexts = SharedContexts::run(transformer, sequences, tails, shared, &prefix)?;
    let mut start = 0;
    while start < sequences.len() {
        let mut end = start + 1;
        let mut rows = tails[start];
        while end < sequences.len() && rows + tails[end] <= MAX_ROWS_PER_PASS {
            rows += tails[end];
            end += 1;
        }
        let mut tokens: Vec<&[u32]> = Vec::with_capacity(end - start);
        let mut caches: Vec<KvCache> = Vec::with_capacity(end - start);
        for (i, sequence) in sequences.iter().enumerate().take(end).skip(start) {
            let (from, cache) = contexts.start_of(i).unwrap_or((shared, &prefix));
            tokens.push(&sequence[from..]);
            caches.push(cache.clone());
        }
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

/// Tokens at the start that every sequence has, leaving each its tail.
fn shared_prefix(sequences: &[Vec<u32>], tails: &[usize]) -> usize {
    let first = &sequences[0];
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
    shared
}

/// The caches of contexts after the shared prefix that two or more
/// sequences have, each run once.
struct SharedContexts {
    /// The cache through each context, in the order first met.
    caches: Vec<KvCache>,
    /// Per sequence: its context's index in `caches` and where its tail
    /// run starts; None to run from the shared prefix.
    of: Vec<Option<(usize, usize)>>,
}

impl SharedContexts {
    fn run(
        transformer: &Transformer,
        sequences: &[Vec<u32>],
        tails: &[usize],
        shared: usize,
        prefix: &KvCache,
    ) -> Result<Self> {
        let context = |i: usize| &sequences[i][shared..sequences[i].len() - tails[i]];
        let mut run: Vec<&[u32]> = Vec::new();
        let mut caches = Vec::new();
        let mut of = vec![None; sequences.len()];
        for i in 0..sequences.len() {
            let own = context(i);
            let sharers = (0..sequences.len()).filter(|&j| context(j) == own).count();
            if own.is_empty() || sharers < 2 {
                continue;
            }
            let index = match run.iter().position(|c| *c == own) {
                Some(index) => index,
                None => {
                    let mut cache = prefix.clone();
                    transformer.forward(own, &mut cache)?;
                    run.push(own);
                    caches.push(cache);
                    caches.len() - 1
                }
            };
            of[i] = Some((index, sequences[i].len() - tails[i]));
        }
        Ok(Self { caches, of })
    }

    /// Where sequence `i`'s run starts and the cache it starts from, when
    /// its context was run here.
    fn start_of(&self, i: usize) -> Option<(usize, &KvCache)> {
        self.of[i].map(|(index, from)| (from, &self.caches[index]))
    }
}

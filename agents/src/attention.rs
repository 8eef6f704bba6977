//! Causal self-attention on plain buffers: rotary position embedding, a
//! growing key/value cache per sequence and layer, and grouped-query
//! attention over all heads of all sequences of a batch in one parallel pass.
//!
//! Done with tensor ops, each step of each sequence cost a dozen small
//! allocations, a copy of the whole cache (concatenation, then repetition of
//! the key/value heads) and a general matrix product; at one token per step
//! those fixed costs outweighed the arithmetic. Here keys and values are
//! appended in place and every query head reads its key/value head directly.
//! Each sequence is computed by the same code whatever the batch, so batched
//! results equal single ones exactly.

use crate::vector_ops::VectorOps;

/// Keys and values of one layer of one sequence, position-major:
/// `[position][kv_head][head_dim]`.
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    keys: Vec<f32>,
    values: Vec<f32>,
}

/// Rotary position embedding: cosine and sine tables for every position a
/// sequence can reach.
#[derive(Debug, Clone)]
pub struct Rope {
    cos: Vec<f32>,
    sin: Vec<f32>,
    half: usize,
    /// Llama's GGUF layout rotates adjacent pairs; Gemma's (NEOX) rotates
    /// value `i` with value `i + head_dim / 2`.
    interleaved: bool,
}

impl Rope {
    /// Tables for `positions` positions of heads of `head_dim` values.
    pub fn new(head_dim: usize, base: f32, positions: usize, interleaved: bool) -> Self {
        let half = head_dim / 2;
        let inv_freq: Vec<f32> = (0..half)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / head_dim as f32))
            .collect();
        let angles: Vec<f32> = (0..positions)
            .flat_map(|p| inv_freq.iter().map(move |f| p as f32 * f))
            .collect();
        Self {
            cos: angles.iter().map(|a| a.cos()).collect(),
            sin: angles.iter().map(|a| a.sin()).collect(),
            half,
            interleaved,
        }
    }

    /// Cosines and sines, `head_dim / 2` per position, position-major: the
    /// training model ([`crate::training`]) rotates with the same tables.
    pub(crate) fn tables(&self) -> (&[f32], &[f32]) {
        (&self.cos, &self.sin)
    }

    /// Rotates one head's values as seen at `position`.
    fn rotate(&self, head: &mut [f32], position: usize) {
        let cos = &self.cos[position * self.half..(position + 1) * self.half];
        let sin = &self.sin[position * self.half..(position + 1) * self.half];
        if self.interleaved {
            for ((pair, c), s) in head.chunks_exact_mut(2).zip(cos).zip(sin) {
                let (a, b) = (pair[0], pair[1]);
                pair[0] = a * c - b * s;
                pair[1] = a * s + b * c;
            }
        } else {
            let (first, second) = head.split_at_mut(self.half);
            for (((a, b), c), s) in first.iter_mut().zip(second).zip(cos).zip(sin) {
                let (x, y) = (*a, *b);
                *a = x * c - y * s;
                *b = x * s + y * c;
            }
        }
    }
}

/// The head layout of one attention layer.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub query_heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    /// Sliding window in positions: keys this far back or further are hidden.
    pub window: Option<usize>,
}

/// New tokens of a batch of sequences, `lengths[i]` of sequence `i`, the
/// sequences' rows one after the other: queries `rows x (query_heads *
/// head_dim)`, keys and values `rows x (kv_heads * head_dim)`, row-major.
pub struct NewTokens<'a> {
    pub lengths: &'a [usize],
    pub queries: &'a mut [f32],
    pub keys: &'a mut [f32],
    pub values: &'a [f32],
}

/// Rotates the new queries and keys, appends keys and values to each
/// sequence's cache (`offsets[i]` positions already in `caches[i]`), and
/// returns the attention output, `rows x (query_heads * head_dim)`,
/// computed with `ops`.
pub fn attend(
    heads: Heads,
    rope: &Rope,
    tokens: NewTokens<'_>,
    caches: &mut [&mut LayerCache],
    offsets: &[usize],
    ops: VectorOps,
) -> Vec<f32> {
    let hd = heads.head_dim;
    let (q_width, kv_width) = (heads.query_heads * hd, heads.kv_heads * hd);
    let starts: Vec<usize> = tokens
        .lengths
        .iter()
        .scan(0, |start, length| {
            let this = *start;
            *start += length;
            Some(this)
        })
        .collect();
    let rows = tokens.lengths.iter().sum::<usize>();
    for (i, cache) in caches.iter_mut().enumerate() {
        for t in 0..tokens.lengths[i] {
            let row = starts[i] + t;
            let position = offsets[i] + t;
            let q = &mut tokens.queries[row * q_width..(row + 1) * q_width];
            q.chunks_exact_mut(hd)
                .for_each(|h| rope.rotate(h, position));
            let k = &mut tokens.keys[row * kv_width..(row + 1) * kv_width];
            k.chunks_exact_mut(hd)
                .for_each(|h| rope.rotate(h, position));
            cache.keys.extend_from_slice(k);
            cache
                .values
                .extend_from_slice(&tokens.values[row * kv_width..(row + 1) * kv_width]);
        }
    }
    let queries: &[f32] = tokens.queries;
    let caches: Vec<&LayerCache> = caches.iter().map(|c| &**c).collect();
    let lengths = tokens.lengths;
    let mut out = vec![0f32; rows * q_width];
    let out_ptr = out.as_mut_ptr() as usize;
    let group = heads.query_heads / heads.kv_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    candle_core::utils::barrier_pool().execute_chunked(caches.len() * heads.query_heads, |tasks| {
        let mut scores = Vec::new();
        for task in tasks {
            let (i, h) = (task / heads.query_heads, task % heads.query_heads);
            let cache = caches[i];
            let kv = (h / group) * hd;
            for t in 0..lengths[i] {
                let row = starts[i] + t;
                let position = offsets[i] + t;
                let first = heads.window.map_or(0, |w| (position + 1).saturating_sub(w));
                let q = &queries[row * q_width + h * hd..row * q_width + (h + 1) * hd];
                scores.clear();
                scores.extend((first..=position).map(|p| {
                    ops.dot(q, &cache.keys[p * kv_width + kv..p * kv_width + kv + hd]) * scale
                }));
                softmax(&mut scores);
                // SAFETY: each (row, head) slice of `out` is written by
                // the one task owning that head of that sequence.
                let y = unsafe {
                    std::slice::from_raw_parts_mut(
                        (out_ptr as *mut f32).add(row * q_width + h * hd),
                        hd,
                    )
                };
                ops.add_weighted(y, &scores, &cache.values[first * kv_width + kv..], kv_width);
            }
        }
    });
    out
}

/// In-place softmax.
fn softmax(scores: &mut [f32]) {
    let max = scores.iter().fold(f32::NEG_INFINITY, |m, s| m.max(*s));
    let mut total = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        total += *s;
    }
    scores.iter_mut().for_each(|s| *s /= total);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Attention by the textbook: every query against every visible key.
    fn naive(q: &[f32], keys: &[Vec<f32>], values: &[Vec<f32>]) -> Vec<f32> {
        let scale = 1.0 / (q.len() as f32).sqrt();
        let scores: Vec<f32> = keys
            .iter()
            .map(|k| q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale)
            .collect();
        let max = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = e.iter().sum();
        (0..q.len())
            .map(|d| e.iter().zip(values).map(|(w, v)| w / total * v[d]).sum())
            .collect()
    }

    /// Values in [-1, 1) that differ from position to position and seed to seed.
    pub(crate) fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((((i as u32 + 1).wrapping_mul(2_654_435_761)) ^ seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn grouped_windowed_attention_matches_the_textbook() {
        // The portable arithmetic and the one of the best kernel here.
        for ops in [
            VectorOps::Portable,
            VectorOps::for_kernel(crate::row_matmul::Kernel::detect()),
        ] {
            let heads = Heads {
                query_heads: 4,
                kv_heads: 2,
                head_dim: 8,
                window: Some(3),
            };
            let rope = Rope::new(8, 100.0, 16, true);
            let mut cache = LayerCache::default();
            let seq = 5;
            let mut queries = pseudo_random(seq * 32, 1);
            let mut keys = pseudo_random(seq * 16, 2);
            let values = pseudo_random(seq * 16, 3);
            let rotated = |data: &[f32], width: usize| {
                let mut data = data.to_vec();
                for (t, row) in data.chunks_exact_mut(width).enumerate() {
                    row.chunks_exact_mut(8).for_each(|h| rope.rotate(h, t));
                }
                data
            };
            let expected_queries = rotated(&queries, 32);
            let expected_keys = rotated(&keys, 16);
            let out = attend(
                heads,
                &rope,
                NewTokens {
                    lengths: &[seq],
                    queries: &mut queries,
                    keys: &mut keys,
                    values: &values,
                },
                &mut [&mut cache],
                &[0],
                ops,
            );
            for t in 0..seq {
                for h in 0..4 {
                    let kv = h / 2;
                    let visible: Vec<usize> = (t.saturating_sub(2)..=t).collect();
                    let slice = |data: &[f32], p: usize| {
                        data[p * 16 + kv * 8..p * 16 + kv * 8 + 8].to_vec()
                    };
                    let ks: Vec<Vec<f32>> =
                        visible.iter().map(|p| slice(&expected_keys, *p)).collect();
                    let vs: Vec<Vec<f32>> = visible.iter().map(|p| slice(&values, *p)).collect();
                    let q = &expected_queries[t * 32 + h * 8..t * 32 + h * 8 + 8];
                    let want = naive(q, &ks, &vs);
                    let got = &out[t * 32 + h * 8..t * 32 + h * 8 + 8];
                    for (g, w) in got.iter().zip(&want) {
                        assert!(
                            (g - w).abs() < 1e-5,
                            "{ops:?} t {t} head {h}: {got:?} vs {want:?}"
                        );
                    }
                }
            }
            assert_eq!(cache.keys.len(), seq * 16);
        }
    }

    #[test]
    fn rotation_turns_pairs_by_position_times_frequency() {
        let rope = Rope::new(4, 100.0, 8, true);
        let mut head = [1.0, 0.0, 1.0, 0.0];
        rope.rotate(&mut head, 3);
        // Pair 0 turns by 3 radians, pair 1 by 3 / 10.
        assert!((head[0] - 3f32.cos()).abs() < 1e-6 && (head[1] - 3f32.sin()).abs() < 1e-6);
        assert!((head[2] - 0.3f32.cos()).abs() < 1e-6 && (head[3] - 0.3f32.sin()).abs() < 1e-6);
        let neox = Rope::new(4, 100.0, 8, false);
        let mut head = [1.0, 1.0, 0.0, 0.0];
        neox.rotate(&mut head, 3);
        assert!((head[0] - 3f32.cos()).abs() < 1e-6 && (head[2] - 3f32.sin()).abs() < 1e-6);
    }
}

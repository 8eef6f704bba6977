//! What an answer commits to as it is generated, so anyone can check it
//! later with one prefill pass instead of generating it again (as in
//! TOPLOC): the model file's SHA-256, the generated tokens, and at positions
//! chosen from the answer's seed the largest entries of the last hidden
//! state. Those depend on the model's weights and on everything before the
//! position (system prompt, prompt, earlier tokens), and differ between
//! kernels only by numeric noise, which the tolerances absorb.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// Hidden-state entries kept per committed position.
pub const TOP_ENTRIES: usize = 8;
/// Positions committed per answer (all of a shorter answer).
pub const POSITIONS: usize = 16;

/// An answer's commitment, recorded with it and hashed into the round's
/// result root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    /// SHA-256 of the model file, hex.
    pub model_sha256: String,
    /// The generated tokens, in order (the last may hold a stop string).
    pub tokens: Vec<u32>,
    /// Hidden-state fingerprints, by increasing position.
    pub fingerprints: Vec<Fingerprint>,
}

/// The largest entries of the last hidden state that predicted the answer's
/// token at `position`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub position: u32,
    /// (index, value) of the [`TOP_ENTRIES`] entries largest in magnitude,
    /// largest first.
    pub top: Vec<(u32, f32)>,
}

/// The largest-magnitude entries of one hidden-state row.
pub fn top_entries(row: &[f32]) -> Vec<(u32, f32)> {
    let mut entries: Vec<(u32, f32)> = row
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32, *v))
        .collect();
    let by_magnitude =
        |a: &(u32, f32), b: &(u32, f32)| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0));
    let k = TOP_ENTRIES.min(entries.len());
    if k < entries.len() {
        entries.select_nth_unstable_by(k, by_magnitude);
        entries.truncate(k);
    }
    entries.sort_by(by_magnitude);
    entries
}

/// The answer positions committed for an answer of `len` tokens with
/// `seed`, increasing: pseudo-random, so a generator cannot know in advance
/// which positions it must get right unless it runs the model at all.
pub fn positions(seed: u64, len: usize) -> Vec<usize> {
    if len <= POSITIONS {
        return (0..len).collect();
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc0aa_17ed_f19e_9a11);
    let mut chosen = rand::seq::index::sample(&mut rng, len, POSITIONS).into_vec();
    chosen.sort_unstable();
    chosen
}

/// Largest difference accepted between a committed hidden-state entry and
/// the verifier's, relative to the row's largest magnitude: calibrated
/// across the AVX-512, AVX2 and portable kernels (BENCHMARKS.md).
pub const HIDDEN_TOLERANCE: f32 = 0.15;

/// The largest relative difference between `committed` and the verifier's
/// hidden-state `row` at the same position: each committed entry against
/// the row's value at its index, and the row's own largest entries against
/// the committed set (an entry the verifier finds large must have been
/// committed, or be no larger than the smallest committed one), all
/// divided by the row's largest magnitude.
pub fn distance(committed: &Fingerprint, row: &[f32]) -> f32 {
    let scale = row.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    let mut worst = 0.0f32;
    for &(index, value) in &committed.top {
        let Some(own) = row.get(index as usize) else {
            return f32::INFINITY;
        };
        worst = worst.max((own - value).abs() / scale);
    }
    let smallest = committed
        .top
        .iter()
        .fold(f32::INFINITY, |m, (_, v)| m.min(v.abs()));
    for (index, value) in top_entries(row) {
        if !committed.top.iter().any(|(i, _)| *i == index) {
            worst = worst.max((value.abs() - smallest).max(0.0) / scale);
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_spread_distinct_and_seeded() {
        let a = positions(7, 200);
        assert_eq!(a.len(), POSITIONS);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[POSITIONS - 1] < 200);
        assert_eq!(a, positions(7, 200));
        assert_ne!(a, positions(8, 200));
        assert_eq!(positions(7, 3), vec![0, 1, 2]);
    }

    #[test]
    fn distance_is_small_for_noise_and_large_for_another_row() {
        let row: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.5)
            .collect();
        let committed = Fingerprint {
            position: 0,
            top: top_entries(&row),
        };
        assert_eq!(distance(&committed, &row), 0.0);
        let noisy: Vec<f32> = row.iter().map(|v| v + 0.01).collect();
        assert!(distance(&committed, &noisy) < 0.01);
        let other: Vec<f32> = row.iter().rev().copied().collect();
        assert!(distance(&committed, &other) > 0.2);
    }
}

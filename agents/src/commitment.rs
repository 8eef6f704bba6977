//! What an answer commits to as it is generated, so anyone can check it
//! later with one prefill pass instead of generating it again (as in
//! TOPLOC): the model file's SHA-256, the generated tokens, and at positions
//! chosen from the answer's seed a sketch of the last hidden state. That
//! state depends on the model's weights and on everything before the
//! position (system prompt, prompt, earlier tokens). Every kernel of one
//! machine computes it to the same bits; machines of other numerics differ
//! by numeric noise, which the tolerance absorbs.
//!
//! The sketch is a seeded random projection of the whole row, not its
//! largest entries: these models' rows are dominated by a few outsized
//! entries at fixed indices, whatever the input, so the largest entries
//! changed less under another system prompt than under another kernel
//! (BENCHMARKS.md, "Verification by commitments").

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::row_matmul::numerics;

/// Projections kept per committed position.
pub const SKETCH_SIZE: usize = 32;
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
    /// The numerics of the machine that computed them
    /// ([`crate::row_matmul::numerics`]): a verifier of the same numerics
    /// holds the sketches to [`SAME_KERNEL_TOLERANCE`]. None in commitments
    /// recorded before it; "portable" in those of the portable kernel before
    /// it computed what the SIMD kernels do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerics: Option<String>,
}

/// The sketch of the last hidden state that predicted the answer's token
/// at `position`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub position: u32,
    /// What commitments recorded before the sketch: the row's 8 largest
    /// entries as (index, value). Kept as stored, so that those rounds'
    /// result roots still compute; verification no longer checks them
    /// ([`Fingerprint::is_sketched`]). Empty in new commitments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<(u32, f32)>,
    /// [`SKETCH_SIZE`] projections of the row ([`sketch`]); empty in the
    /// earlier format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sketch: Vec<f32>,
}

impl Fingerprint {
    /// Whether this fingerprint has a sketch to check, rather than being in
    /// the earlier format of largest entries.
    pub fn is_sketched(&self) -> bool {
        !self.sketch.is_empty()
    }
}

/// The projections of a hidden-state row on [`SKETCH_SIZE`] random
/// directions of +1 and -1 entries, drawn from the answer's `seed` and the
/// `position`. Such a projection keeps the distance between two rows
/// relative to their length, up to about `sqrt(2 / SKETCH_SIZE)` of it
/// (Johnson-Lindenstrauss), in 32 numbers instead of the row's 576 or 640.
pub fn sketch(row: &[f32], seed: u64, position: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5ce7_c4ed_0b5e_77ed ^ (position as u64) << 32);
    (0..SKETCH_SIZE)
        .map(|_| {
            let mut sum = 0.0f32;
            for chunk in row.chunks(64) {
                let signs = rng.next_u64();
                for (bit, value) in chunk.iter().enumerate() {
                    if signs >> bit & 1 == 1 {
                        sum += value;
                    } else {
                        sum -= value;
                    }
                }
            }
            sum
        })
        .collect()
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

/// Largest mean [`distance`] over an answer's committed positions that
/// still counts as the same computation where the verifier's numerics are
/// not the player's ([`hidden_tolerance`]): calibrated between the SIMD
/// kernels and the portable one when it still summed in another order
/// (BENCHMARKS.md). The mean, not the largest: numeric noise varies from
/// position to position, another system prompt or model moves every
/// position.
pub const HIDDEN_TOLERANCE: f32 = 0.1;

/// The tolerance where the verifier has the numerics of the machine that
/// played ([`crate::row_matmul::numerics`]): honest answers then
/// reproduce their sketches to below 0.001, while a copy of
/// the model re-quantized to Q8_0, or fine-tuned by a few DPO steps, moves
/// them by 0.03 or more, under the cross-kernel [`HIDDEN_TOLERANCE`]
/// (BENCHMARKS.md, "Copies of a model").
pub const SAME_KERNEL_TOLERANCE: f32 = 0.02;

/// Whether a commitment computed with the numerics `played` was computed
/// to the bits this machine computes.
pub fn same_numerics(played: Option<&str>) -> bool {
    played == Some(numerics())
}

/// The tolerance this machine holds a commitment computed with the
/// numerics `played` to.
pub fn hidden_tolerance(played: Option<&str>) -> f32 {
    if same_numerics(played) {
        SAME_KERNEL_TOLERANCE
    } else {
        HIDDEN_TOLERANCE
    }
}

/// The distance between the committed sketch and the sketch of the
/// verifier's hidden-state `row` at the same position, relative to the
/// committed sketch's length; infinite when the sketches cannot be compared
/// (another number of projections).
pub fn distance(committed: &Fingerprint, seed: u64, row: &[f32]) -> f32 {
    let own = sketch(row, seed, committed.position as usize);
    if own.len() != committed.sketch.len() {
        return f32::INFINITY;
    }
    let squared = |values: &mut dyn Iterator<Item = f32>| values.map(|v| v * v).sum::<f32>();
    let apart = squared(&mut committed.sketch.iter().zip(&own).map(|(a, b)| a - b));
    let length = squared(&mut committed.sketch.iter().copied()).max(1e-12);
    (apart / length).sqrt()
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
        let row: Vec<f32> = (0..576)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.5)
            .collect();
        let committed = Fingerprint {
            position: 3,
            top: Vec::new(),
            sketch: sketch(&row, 11, 3),
        };
        assert_eq!(distance(&committed, 11, &row), 0.0);
        let noisy: Vec<f32> = row.iter().map(|v| v * 1.01).collect();
        assert!(distance(&committed, 11, &noisy) < 0.02);
        let other: Vec<f32> = row.iter().rev().copied().collect();
        assert!(distance(&committed, 11, &other) > 0.5);
        assert_ne!(sketch(&row, 11, 3), sketch(&row, 11, 4));
    }

    /// A commitment stored by an earlier arena (largest entries, no
    /// sketch) loads and serializes to the same bytes, so its round's
    /// result root is unchanged.
    #[test]
    fn an_earlier_fingerprint_keeps_its_bytes() {
        let stored = r#"{"position":2,"top":[[17,-41.5],[3,9.25]]}"#;
        let fingerprint: Fingerprint = serde_json::from_str(stored).unwrap();
        assert!(!fingerprint.is_sketched());
        assert_eq!(serde_json::to_string(&fingerprint).unwrap(), stored);
        let new = Fingerprint {
            position: 2,
            top: Vec::new(),
            sketch: vec![1.5, -2.0],
        };
        assert_eq!(
            serde_json::to_string(&new).unwrap(),
            r#"{"position":2,"sketch":[1.5,-2.0]}"#
        );
    }
}

//! Activation rows quantized per block of 32 values to 8 bits, as ggml's
//! `quantize_row_q8_1` does, in the layout the SIMD kernels of
//! [`crate::row_matmul`] read: each block's 32 values, with its scale and
//! sums beside them.

use half::f16;

/// Values per quantization block.
pub const BLOCK: usize = 32;
/// Values per half block.
pub const HALF: usize = BLOCK / 2;

/// Quantized rows of one matrix product's input.
pub struct Activations {
    blocks_per_row: usize,
    values: Vec<i8>,
    scales: Vec<f32>,
    sums: Vec<f32>,
    int_sums: Vec<i32>,
}

/// One quantized activation row.
#[derive(Clone, Copy)]
pub struct ActivationRow<'a> {
    /// Each block's quantized values.
    pub values: &'a [i8],
    /// Each block's scale.
    pub scales: &'a [f32],
    /// Scale times the sum of the block's quantized values.
    pub sums: &'a [f32],
    /// The sum of each block's quantized values: what kernels that bias
    /// signed weights to unsigned subtract.
    pub int_sums: &'a [i32],
}

impl Activations {
    /// Quantizes the rows of `x`, each `cols` values long (whole blocks).
    pub fn quantize(x: &[f32], cols: usize) -> Self {
        let blocks = x.len() / BLOCK;
        let mut this = Self {
            blocks_per_row: cols / BLOCK,
            values: vec![0; blocks * BLOCK],
            scales: vec![0.0; blocks],
            sums: vec![0.0; blocks],
            int_sums: vec![0; blocks],
        };
        #[cfg(target_arch = "x86_64")]
        let simd = std::arch::is_x86_feature_detected!("avx2");
        for (b, xs) in x.chunks_exact(BLOCK).enumerate() {
            let xs: &[f32; BLOCK] = xs.try_into().expect("whole blocks");
            // Independent lanes, so that the compiler keeps this in SIMD registers.
            let mut lane_max = [0f32; 8];
            for part in xs.chunks_exact(8) {
                for (m, v) in lane_max.iter_mut().zip(part) {
                    *m = m.max(v.abs());
                }
            }
            let amax = lane_max.iter().fold(0f32, |a, m| a.max(*m));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the instructions were detected above.
            let qs = if simd {
                unsafe { round_block_avx2(xs, id) }
            } else {
                round_block(xs, id)
            };
            #[cfg(not(target_arch = "x86_64"))]
            let qs = round_block(xs, id);
            this.values[b * BLOCK..(b + 1) * BLOCK].copy_from_slice(&qs);
            let sum: i32 = qs.iter().map(|&q| q as i32).sum();
            this.int_sums[b] = sum;
            this.scales[b] = f16::from_f32(d).to_f32();
            this.sums[b] = f16::from_f32(d * sum as f32).to_f32();
        }
        this
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.sums.len() / self.blocks_per_row.max(1)
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> ActivationRow<'_> {
        let b = self.blocks_per_row;
        ActivationRow {
            values: &self.values[r * b * BLOCK..(r + 1) * b * BLOCK],
            scales: &self.scales[r * b..(r + 1) * b],
            sums: &self.sums[r * b..(r + 1) * b],
            int_sums: &self.int_sums[r * b..(r + 1) * b],
        }
    }
}

/// A block's values times `id`, rounded half to even (|x * id| <= 127).
fn round_block(xs: &[f32; BLOCK], id: f32) -> [i8; BLOCK] {
    std::array::from_fn(|i| (xs[i] * id).round_ties_even() as i8)
}

/// [`round_block`] with AVX2 (the saturating casts of the portable code do
/// not vectorize): the conversion rounds half to even, as the default
/// rounding mode does, and the packs saturate as the casts do.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn round_block_avx2(xs: &[f32; BLOCK], id: f32) -> [i8; BLOCK] {
    use std::arch::x86_64::*;
    let scale = _mm256_set1_ps(id);
    // SAFETY: xs holds 4 x 8 values.
    let q: [__m256i; 4] = std::array::from_fn(|k| unsafe {
        _mm256_cvtps_epi32(_mm256_mul_ps(
            _mm256_loadu_ps(xs.as_ptr().add(8 * k)),
            scale,
        ))
    });
    // The packs work within 128-bit lanes: 4-byte groups come out as
    // q0[0..4] q1[0..4] q2[0..4] q3[0..4] q0[4..8] q1[4..8] q2[4..8] q3[4..8].
    let packed = _mm256_packs_epi16(
        _mm256_packs_epi32(q[0], q[1]),
        _mm256_packs_epi32(q[2], q[3]),
    );
    let bytes = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    // SAFETY: a plain byte array of the register's size.
    unsafe { std::mem::transmute::<__m256i, [i8; BLOCK]>(bytes) }
}

#[cfg(test)]
mod tests {
    use super::{BLOCK, round_block};

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn simd_rounding_matches_the_portable_one() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let mut state = 7u64;
        for block in 0..2000 {
            let mut xs = [0f32; BLOCK];
            for x in &mut xs {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                *x = (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
            }
            // Halves (ties to even), the extremes and zero.
            xs[3] = 0.5;
            xs[4] = -2.5;
            xs[5] = 0.0;
            let amax = xs.iter().fold(0f32, |a, x| a.max(x.abs()));
            let id = if block % 3 == 0 { 1.0 } else { 127.0 / amax };
            // SAFETY: detected above.
            let simd = unsafe { super::round_block_avx2(&xs, id) };
            assert_eq!(simd, round_block(&xs, id), "block {block}");
        }
    }
}

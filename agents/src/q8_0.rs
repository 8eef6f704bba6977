//! Q8_0 weights with a SIMD kernel: the format of SmolLM2's output
//! projection (a fifth of its weights) and of Gemma 3's layers stored in
//! formats without SIMD kernels (re-quantized at load). candle's kernel
//! dots one activation row at a time with 256-bit instructions; this one
//! shares each weight load across a tile of activation rows.
//!
//! At load the weights are regrouped by [`GROUP`] output columns, as
//! [`crate::q4_1`] does, so that one dot-product instruction yields an
//! integer sum for each column of a group. The 8-bit dot-product
//! instruction multiplies unsigned by signed bytes, so weights are stored
//! biased by 128 (unsigned) and 128 times the activations' block sum is
//! subtracted: the integer sums are exact.

use candle_core::Result;
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use crate::activations::{ActivationRow, BLOCK};
use crate::row_matmul::{self, GROUP, Kernel, grouped_kernel};

/// Runs of 4 weights per block.
const RUNS: usize = BLOCK / 4;
/// Bytes of one run across a group.
const RUN_BYTES: usize = GROUP * 4;
/// Weight bytes of one block across a group.
const GROUP_BLOCK_BYTES: usize = RUNS * RUN_BYTES;

/// A Q8_0 matrix of shape (out, in): w = scale * q, q in -128..128, per
/// block of 32 weights, kept in groups of [`GROUP`] output columns (the
/// last group padded with zero weights, whose outputs are not written).
#[derive(Debug)]
pub struct Q8_0Matrix {
    rows: usize,
    blocks_per_row: usize,
    /// Per group, per block, per run: the run's 4 weights plus 128 for
    /// each of the group's columns in turn.
    biased: Vec<u8>,
    /// Per group, per block: each column's scale.
    scales: Vec<f16>,
    kernel: Kernel,
}

/// The weights of one group of columns, borrowed from [`Q8_0Matrix`].
#[derive(Clone, Copy)]
struct Group<'a> {
    biased: &'a [u8],
    scales: &'a [f16],
}

impl Q8_0Matrix {
    /// Takes the blocks of a Q8_0 tensor of shape (out, in), for `kernel`.
    pub(crate) fn with_kernel(weights: &QTensor, kernel: Kernel) -> Result<Self> {
        // A stored block: scale (f16), 32 signed bytes.
        const STORED: usize = 2 + BLOCK;
        let (rows, cols, bytes) = row_matmul::stored_blocks(weights, GgmlDType::Q8_0, STORED)?;
        let blocks_per_row = cols / BLOCK;
        let groups = rows.div_ceil(GROUP);
        let mut this = Self {
            rows,
            blocks_per_row,
            // Padding weights are zero: biased, 128.
            biased: vec![128; groups * blocks_per_row * GROUP_BLOCK_BYTES],
            scales: vec![f16::ZERO; groups * blocks_per_row * GROUP],
            kernel,
        };
        for (i, stored) in bytes.chunks_exact(STORED).enumerate() {
            let (j, b) = (i / blocks_per_row, i % blocks_per_row);
            let (group, column) = (j / GROUP, j % GROUP);
            let block = group * blocks_per_row + b;
            this.scales[block * GROUP + column] = f16::from_le_bytes([stored[0], stored[1]]);
            for (run, quad) in stored[2..].chunks_exact(4).enumerate() {
                let at = block * GROUP_BLOCK_BYTES + run * RUN_BYTES + column * 4;
                for (to, q) in this.biased[at..at + 4].iter_mut().zip(quad) {
                    *to = (*q as i8 as i16 + 128) as u8;
                }
            }
        }
        Ok(this)
    }

    /// Appends the values of row `j` (which must exist) to `out`, as
    /// candle's dequantization computes them: scale times weight.
    pub fn extend_with_row(&self, j: usize, out: &mut Vec<f32>) {
        let (w, column) = (self.group(j / GROUP), j % GROUP);
        for b in 0..self.blocks_per_row {
            let scale = w.scales[b * GROUP + column].to_f32();
            for run in 0..RUNS {
                let at = b * GROUP_BLOCK_BYTES + run * RUN_BYTES + column * 4;
                let quad = &w.biased[at..at + 4];
                out.extend(quad.iter().map(|q| (*q as i16 - 128) as f32 * scale));
            }
        }
    }

    fn group(&self, g: usize) -> Group<'_> {
        let b = self.blocks_per_row;
        Group {
            biased: &self.biased[g * b * GROUP_BLOCK_BYTES..(g + 1) * b * GROUP_BLOCK_BYTES],
            scales: &self.scales[g * b * GROUP..(g + 1) * b * GROUP],
        }
    }
}

grouped_kernel!(Q8_0Matrix);

/// The reference computation, for machines without the SIMD kernels: per
/// block, each column's integer sum, scaled and added with one rounding
/// (`mul_add`), as the SIMD kernels' fused multiply-add does, so every
/// kernel gives the same bits.
fn dot_portable(w: Group<'_>, a: ActivationRow<'_>) -> [f32; GROUP] {
    let mut acc = [0f32; GROUP];
    for b in 0..w.scales.len() / GROUP {
        let mut sums = [0i32; GROUP];
        for run in 0..RUNS {
            let at = b * GROUP_BLOCK_BYTES + run * RUN_BYTES;
            let acts = &a.values[b * BLOCK + run * 4..][..4];
            for (sum, quad) in sums
                .iter_mut()
                .zip(w.biased[at..at + RUN_BYTES].chunks_exact(4))
            {
                for i in 0..4 {
                    *sum += (quad[i] as i32 - 128) * acts[i] as i32;
                }
            }
        }
        let d = a.scales[b];
        for (c, value) in acc.iter_mut().enumerate() {
            *value = (sums[c] as f32).mul_add(w.scales[b * GROUP + c].to_f32() * d, *value);
        }
    }
    acc
}

/// AVX-512 VNNI: per block, each run's 64 biased weight bytes (4 of each
/// column) meet 4 activations broadcast to every column; 8 dot-product
/// instructions, started from minus 128 times the block's activation sum,
/// give the block's integer sums for 16 columns. Then one conversion, one
/// scaling and one fused multiply-add per block and activation row. Every
/// value runs the same operations in the same order whatever `R` is.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
unsafe fn group_tile_avx512<const R: usize>(
    w: Group<'_>,
    a: &[ActivationRow<'_>; R],
) -> [[f32; GROUP]; R] {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_setzero_ps(); R];
    // SAFETY (all loads): the group and every activation row hold `blocks` blocks.
    unsafe {
        for b in 0..w.scales.len() / GROUP {
            let weights = w.biased.as_ptr().add(b * GROUP_BLOCK_BYTES);
            let mut sums: [__m512i; R] =
                std::array::from_fn(|r| _mm512_set1_epi32(-128 * *a[r].int_sums.as_ptr().add(b)));
            for run in 0..RUNS {
                let q = _mm512_loadu_si512(weights.add(run * RUN_BYTES) as *const _);
                for r in 0..R {
                    let x = _mm512_set1_epi32(row_matmul::quad(a[r].values, b * BLOCK + run * 4));
                    sums[r] = _mm512_dpbusd_epi32(sums[r], q, x);
                }
            }
            let scales = _mm512_cvtph_ps(_mm256_loadu_si256(
                w.scales.as_ptr().add(b * GROUP) as *const _
            ));
            for r in 0..R {
                let scale = _mm512_mul_ps(scales, _mm512_set1_ps(*a[r].scales.as_ptr().add(b)));
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r]), scale, acc[r]);
            }
        }
        acc.map(|v| std::mem::transmute::<__m512, [f32; GROUP]>(v))
    }
}

/// AVX2: as the AVX-512 kernel, for each half of the group (8 columns) in
/// turn. The signed weights are recovered from the biased ones and their
/// signs moved to the activations, so that the unsigned-by-signed
/// instruction multiplies without saturating (at most 2 x 128 x 127 per
/// 16-bit lane); pairs are then summed in 32-bit lanes. Every value runs
/// the same operations in the same order whatever `R` is.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c,fma")]
unsafe fn group_tile_avx2<const R: usize>(
    w: Group<'_>,
    a: &[ActivationRow<'_>; R],
) -> [[f32; GROUP]; R] {
    use std::arch::x86_64::*;
    const HALF_GROUP: usize = GROUP / 2;
    let bias = _mm256_set1_epi8(-128);
    let ones = _mm256_set1_epi16(1);
    let mut values = [[0f32; GROUP]; R];
    // SAFETY (all loads and stores): the group and every activation row
    // hold `blocks` blocks; each half's columns lie within the group.
    unsafe {
        for half in 0..2 {
            let mut acc = [_mm256_setzero_ps(); R];
            for b in 0..w.scales.len() / GROUP {
                let weights = w
                    .biased
                    .as_ptr()
                    .add(b * GROUP_BLOCK_BYTES + half * RUN_BYTES / 2);
                let mut sums = [_mm256_setzero_si256(); R];
                for run in 0..RUNS {
                    let biased = _mm256_loadu_si256(weights.add(run * RUN_BYTES) as *const _);
                    let q = _mm256_xor_si256(biased, bias);
                    let magnitudes = _mm256_sign_epi8(q, q);
                    for r in 0..R {
                        let x =
                            _mm256_set1_epi32(row_matmul::quad(a[r].values, b * BLOCK + run * 4));
                        let pairs = _mm256_maddubs_epi16(magnitudes, _mm256_sign_epi8(x, q));
                        sums[r] = _mm256_add_epi32(sums[r], _mm256_madd_epi16(pairs, ones));
                    }
                }
                let first = b * GROUP + half * HALF_GROUP;
                let scales =
                    _mm256_cvtph_ps(_mm_loadu_si128(w.scales.as_ptr().add(first) as *const _));
                for r in 0..R {
                    let scale = _mm256_mul_ps(scales, _mm256_set1_ps(*a[r].scales.as_ptr().add(b)));
                    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[r]), scale, acc[r]);
                }
            }
            for (row, v) in values.iter_mut().zip(acc) {
                _mm256_storeu_ps(row.as_mut_ptr().add(half * HALF_GROUP), v);
            }
        }
    }
    values
}

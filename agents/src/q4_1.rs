//! Q4_1 weights with a SIMD kernel. candle multiplies Q4_1 with scalar code
//! only; SmolLM2's GGUF stores every projection in Q4_1, and re-quantizing
//! to Q8_0 reads 1.7 times more bytes per token. This module keeps the
//! stored quantities, bit for bit, and does what ggml does: 4-bit weights
//! times 8-bit activations summed in integers, then scaled, plus each
//! block's minimum times the activations' sum.
//!
//! At load the weights are regrouped by [`GROUP`] output columns, so that
//! one SIMD register holds four weights of each of the group's columns and
//! an 8-bit dot-product instruction yields one integer sum per column.
//! Each block's conversion, scaling and minimum term then serve a whole
//! group of columns per instruction, where a row-by-row layout needed them
//! per column, plus a horizontal sum at the end: those took as many
//! instructions as the dot products themselves.

use candle_core::Result;
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use crate::activations::{ActivationRow, BLOCK, HALF};
use crate::row_matmul::{self, GROUP, Kernel, grouped_kernel};

/// Runs of 4 nibble bytes per block: run `g` holds weights 4g..4g+4 (low
/// nibbles) and 16+4g..16+4g+4 (high nibbles).
const RUNS: usize = HALF / 4;
/// Bytes of one run across a group.
const RUN_BYTES: usize = GROUP * 4;
/// Nibble bytes of one block across a group.
const GROUP_BLOCK_BYTES: usize = RUNS * RUN_BYTES;

/// A Q4_1 matrix of shape (out, in): w = scale * q + min, q in 0..16, per
/// block of 32 weights, kept in groups of [`GROUP`] output columns (the
/// last group padded with zero weights, whose outputs are not written).
#[derive(Debug)]
pub struct Q4_1Matrix {
    rows: usize,
    blocks_per_row: usize,
    /// Per group, per block, per run: the run's 4 stored bytes for each of
    /// the group's columns in turn.
    nibbles: Vec<u8>,
    /// Per group, per block: each column's scale.
    scales: Vec<f16>,
    /// Per group, per block: each column's minimum.
    mins: Vec<f16>,
    kernel: Kernel,
}

/// The weights of one group of columns, borrowed from [`Q4_1Matrix`].
#[derive(Clone, Copy)]
struct Group<'a> {
    nibbles: &'a [u8],
    scales: &'a [f16],
    mins: &'a [f16],
}

impl Q4_1Matrix {
    /// Takes the blocks of a Q4_1 tensor of shape (out, in), for `kernel`.
    pub(crate) fn with_kernel(weights: &QTensor, kernel: Kernel) -> Result<Self> {
        // A stored block: scale (f16), min (f16), 16 bytes of nibbles.
        const STORED: usize = 4 + HALF;
        let (rows, cols, bytes) = row_matmul::stored_blocks(weights, GgmlDType::Q4_1, STORED)?;
        let blocks_per_row = cols / BLOCK;
        let groups = rows.div_ceil(GROUP);
        let mut this = Self {
            rows,
            blocks_per_row,
            nibbles: vec![0; groups * blocks_per_row * GROUP_BLOCK_BYTES],
            scales: vec![f16::ZERO; groups * blocks_per_row * GROUP],
            mins: vec![f16::ZERO; groups * blocks_per_row * GROUP],
            kernel,
        };
        for (i, stored) in bytes.chunks_exact(STORED).enumerate() {
            let (j, b) = (i / blocks_per_row, i % blocks_per_row);
            let (group, column) = (j / GROUP, j % GROUP);
            let block = group * blocks_per_row + b;
            this.scales[block * GROUP + column] = f16::from_le_bytes([stored[0], stored[1]]);
            this.mins[block * GROUP + column] = f16::from_le_bytes([stored[2], stored[3]]);
            for (run, quad) in stored[4..].chunks_exact(4).enumerate() {
                let at = block * GROUP_BLOCK_BYTES + run * RUN_BYTES + column * 4;
                this.nibbles[at..at + 4].copy_from_slice(quad);
            }
        }
        Ok(this)
    }

    /// Appends the values of row `j` (which must exist) to `out`, as
    /// candle's dequantization computes them: weight times scale plus minimum.
    pub fn extend_with_row(&self, j: usize, out: &mut Vec<f32>) {
        let (w, column) = (self.group(j / GROUP), j % GROUP);
        for b in 0..self.blocks_per_row {
            let scale = w.scales[b * GROUP + column].to_f32();
            let min = w.mins[b * GROUP + column].to_f32();
            // The stored block's bytes in order: low nibbles, then high ones.
            let half = |shift: u32| {
                (0..RUNS).flat_map(move |run| {
                    let at = b * GROUP_BLOCK_BYTES + run * RUN_BYTES + column * 4;
                    w.nibbles[at..at + 4]
                        .iter()
                        .map(move |q| ((q >> shift) & 0x0F) as f32 * scale + min)
                })
            };
            out.extend(half(0));
            out.extend(half(4));
        }
    }

    fn group(&self, g: usize) -> Group<'_> {
        let b = self.blocks_per_row;
        Group {
            nibbles: &self.nibbles[g * b * GROUP_BLOCK_BYTES..(g + 1) * b * GROUP_BLOCK_BYTES],
            scales: &self.scales[g * b * GROUP..(g + 1) * b * GROUP],
            mins: &self.mins[g * b * GROUP..(g + 1) * b * GROUP],
        }
    }
}

grouped_kernel!(Q4_1Matrix);

/// The reference computation, for machines without the SIMD kernels: per
/// block, each column's integer sum, scaled, plus its minimum term, each
/// added with one rounding (`mul_add`), as the SIMD kernels' fused
/// multiply-adds do, so every kernel gives the same bits.
fn dot_portable(w: Group<'_>, a: ActivationRow<'_>) -> [f32; GROUP] {
    let mut acc = [0f32; GROUP];
    for b in 0..w.scales.len() / GROUP {
        let mut sums = [0i32; GROUP];
        for run in 0..RUNS {
            let at = b * GROUP_BLOCK_BYTES + run * RUN_BYTES;
            let bytes = &w.nibbles[at..at + RUN_BYTES];
            let low = &a.values[b * BLOCK + run * 4..][..4];
            let high = &a.values[b * BLOCK + HALF + run * 4..][..4];
            for (sum, quad) in sums.iter_mut().zip(bytes.chunks_exact(4)) {
                for i in 0..4 {
                    *sum += (quad[i] & 0x0F) as i32 * low[i] as i32
                        + (quad[i] >> 4) as i32 * high[i] as i32;
                }
            }
        }
        let (d, s) = (a.scales[b], a.sums[b]);
        let (scales, mins) = (&w.scales[b * GROUP..], &w.mins[b * GROUP..]);
        for (c, value) in acc.iter_mut().enumerate() {
            *value = (sums[c] as f32).mul_add(scales[c].to_f32() * d, *value);
            *value = mins[c].to_f32().mul_add(s, *value);
        }
    }
    acc
}

/// AVX-512 VNNI: per block, each run's 64 nibble bytes (4 of each column)
/// are split into low and high weights, and each meets 4 activations
/// broadcast to every column: 8 dot-product instructions give a block's
/// integer sums for 16 columns. Then one conversion, one scaling and two
/// fused multiply-adds per block and activation row. Every value runs the
/// same operations in the same order whatever `R` is.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
unsafe fn group_tile_avx512<const R: usize>(
    w: Group<'_>,
    a: &[ActivationRow<'_>; R],
) -> [[f32; GROUP]; R] {
    use std::arch::x86_64::*;
    let low_mask = _mm512_set1_epi8(0x0F);
    let mut acc = [_mm512_setzero_ps(); R];
    // SAFETY (all loads): the group and every activation row hold `blocks` blocks.
    unsafe {
        for b in 0..w.scales.len() / GROUP {
            let nibbles = w.nibbles.as_ptr().add(b * GROUP_BLOCK_BYTES);
            let mut sums = [_mm512_setzero_si512(); R];
            for run in 0..RUNS {
                let packed = _mm512_loadu_si512(nibbles.add(run * RUN_BYTES) as *const _);
                let low = _mm512_and_si512(packed, low_mask);
                let high = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_mask);
                for r in 0..R {
                    let at = b * BLOCK + run * 4;
                    let lo = _mm512_set1_epi32(row_matmul::quad(a[r].values, at));
                    let hi = _mm512_set1_epi32(row_matmul::quad(a[r].values, at + HALF));
                    sums[r] = _mm512_dpbusd_epi32(sums[r], low, lo);
                    sums[r] = _mm512_dpbusd_epi32(sums[r], high, hi);
                }
            }
            let scales = _mm512_cvtph_ps(_mm256_loadu_si256(
                w.scales.as_ptr().add(b * GROUP) as *const _
            ));
            let mins = _mm512_cvtph_ps(_mm256_loadu_si256(
                w.mins.as_ptr().add(b * GROUP) as *const _
            ));
            for r in 0..R {
                let d = *a[r].scales.as_ptr().add(b);
                let scale = _mm512_mul_ps(scales, _mm512_set1_ps(d));
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r]), scale, acc[r]);
                let s = *a[r].sums.as_ptr().add(b);
                acc[r] = _mm512_fmadd_ps(mins, _mm512_set1_ps(s), acc[r]);
            }
        }
        acc.map(|v| std::mem::transmute::<__m512, [f32; GROUP]>(v))
    }
}

/// AVX2: as the AVX-512 kernel, for each half of the group (8 columns) in
/// turn, with byte products summed in 16-bit lanes over a block (at most
/// 8 x 2 x 15 x 128, so no saturation) and then in 32-bit ones. Every
/// value runs the same operations in the same order whatever `R` is.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c,fma")]
unsafe fn group_tile_avx2<const R: usize>(
    w: Group<'_>,
    a: &[ActivationRow<'_>; R],
) -> [[f32; GROUP]; R] {
    use std::arch::x86_64::*;
    const HALF_GROUP: usize = GROUP / 2;
    let low_mask = _mm256_set1_epi8(0x0F);
    let ones = _mm256_set1_epi16(1);
    let mut values = [[0f32; GROUP]; R];
    // SAFETY (all loads and stores): the group and every activation row
    // hold `blocks` blocks; each half's columns lie within the group.
    unsafe {
        for half in 0..2 {
            let mut acc = [_mm256_setzero_ps(); R];
            for b in 0..w.scales.len() / GROUP {
                let nibbles = w
                    .nibbles
                    .as_ptr()
                    .add(b * GROUP_BLOCK_BYTES + half * RUN_BYTES / 2);
                let mut pairs = [_mm256_setzero_si256(); R];
                for run in 0..RUNS {
                    let packed = _mm256_loadu_si256(nibbles.add(run * RUN_BYTES) as *const _);
                    let low = _mm256_and_si256(packed, low_mask);
                    let high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
                    for r in 0..R {
                        let at = b * BLOCK + run * 4;
                        let lo = _mm256_set1_epi32(row_matmul::quad(a[r].values, at));
                        let hi = _mm256_set1_epi32(row_matmul::quad(a[r].values, at + HALF));
                        let products = _mm256_add_epi16(
                            _mm256_maddubs_epi16(low, lo),
                            _mm256_maddubs_epi16(high, hi),
                        );
                        pairs[r] = _mm256_add_epi16(pairs[r], products);
                    }
                }
                let first = b * GROUP + half * HALF_GROUP;
                let scales =
                    _mm256_cvtph_ps(_mm_loadu_si128(w.scales.as_ptr().add(first) as *const _));
                let mins = _mm256_cvtph_ps(_mm_loadu_si128(w.mins.as_ptr().add(first) as *const _));
                for r in 0..R {
                    let sums = _mm256_madd_epi16(pairs[r], ones);
                    let d = *a[r].scales.as_ptr().add(b);
                    let scale = _mm256_mul_ps(scales, _mm256_set1_ps(d));
                    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[r]);
                    let s = *a[r].sums.as_ptr().add(b);
                    acc[r] = _mm256_fmadd_ps(mins, _mm256_set1_ps(s), acc[r]);
                }
            }
            for (row, v) in values.iter_mut().zip(acc) {
                _mm256_storeu_ps(row.as_mut_ptr().add(half * HALF_GROUP), v);
            }
        }
    }
    values
}

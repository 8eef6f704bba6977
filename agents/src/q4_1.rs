//! Q4_1 weights with a SIMD kernel. candle multiplies Q4_1 with scalar code
//! only; SmolLM2's GGUF stores every projection in Q4_1, and re-quantizing
//! to Q8_0 reads 1.7 times more bytes per token. This module keeps the
//! stored quantities, bit for bit, and does what ggml does: 4-bit weights
//! times 8-bit activations summed in integers, then scaled, plus each
//! block's minimum times the activations' sum.
//!
//! At load the blocks are split into three arrays (nibbles, scales,
//! minimums) so that one 512-bit load takes the nibbles of four blocks,
//! matching the layout of [`crate::activations`].

use candle_core::Result;
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use crate::activations::{ActivationRow, BLOCK, HALF, LANES};
use crate::row_matmul::{self, Kernel, row_kernel};

/// Blocks per 512-bit step: 4 x 16 bytes of nibbles.
const CHUNK: usize = 4;

/// A Q4_1 matrix of shape (out, in): w = scale * q + min, q in 0..16, per
/// block of 32 weights.
#[derive(Debug)]
pub struct Q4_1Matrix {
    rows: usize,
    blocks_per_row: usize,
    /// 16 bytes per block: byte j holds weight j (low nibble) and j + 16.
    nibbles: Vec<u8>,
    scales: Vec<f16>,
    mins: Vec<f16>,
    kernel: Kernel,
}

/// One weight row, borrowed from [`Q4_1Matrix`].
#[derive(Clone, Copy)]
struct WeightRow<'a> {
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
        let blocks = rows * cols / BLOCK;
        let mut this = Self {
            rows,
            blocks_per_row: cols / BLOCK,
            nibbles: Vec::with_capacity(blocks * HALF),
            scales: Vec::with_capacity(blocks),
            mins: Vec::with_capacity(blocks),
            kernel,
        };
        for b in bytes.chunks_exact(STORED) {
            this.scales.push(f16::from_le_bytes([b[0], b[1]]));
            this.mins.push(f16::from_le_bytes([b[2], b[3]]));
            this.nibbles.extend_from_slice(&b[4..]);
        }
        Ok(this)
    }

    /// Appends the values of row `j` (which must exist) to `out`, as
    /// candle's dequantization computes them: weight times scale plus minimum.
    pub fn extend_with_row(&self, j: usize, out: &mut Vec<f32>) {
        let w = self.row(j);
        for (b, (scale, min)) in w.scales.iter().zip(w.mins).enumerate() {
            let (scale, min) = (scale.to_f32(), min.to_f32());
            let nibbles = &w.nibbles[b * HALF..(b + 1) * HALF];
            out.extend(nibbles.iter().map(|q| (q & 0x0F) as f32 * scale + min));
            out.extend(nibbles.iter().map(|q| (q >> 4) as f32 * scale + min));
        }
    }

    fn row(&self, j: usize) -> WeightRow<'_> {
        let b = self.blocks_per_row;
        WeightRow {
            nibbles: &self.nibbles[j * b * HALF..(j + 1) * b * HALF],
            scales: &self.scales[j * b..(j + 1) * b],
            mins: &self.mins[j * b..(j + 1) * b],
        }
    }
}

row_kernel!(Q4_1Matrix);

/// The reference computation, for machines without the SIMD kernel.
fn dot_portable(w: WeightRow<'_>, a: ActivationRow<'_>) -> f32 {
    let mut acc = 0f32;
    let mut offsets = 0f32;
    let blocks = w.nibbles.chunks_exact(HALF).zip(a.low.chunks_exact(HALF));
    for (b, ((nibbles, low), high)) in blocks.zip(a.high.chunks_exact(HALF)).enumerate() {
        // Whole blocks as arrays: no bounds checks, so the loop vectorizes.
        let nibbles: &[u8; HALF] = nibbles.try_into().expect("whole blocks");
        let (low, high): (&[i8; HALF], &[i8; HALF]) = (
            low.try_into().expect("whole blocks"),
            high.try_into().expect("whole blocks"),
        );
        let mut sum = 0i32;
        for j in 0..HALF {
            sum += (nibbles[j] & 0x0F) as i32 * low[j] as i32
                + (nibbles[j] >> 4) as i32 * high[j] as i32;
        }
        acc += sum as f32 * w.scales[b].to_f32() * a.lane_scales[b * LANES];
        offsets += w.mins[b].to_f32() * a.sums[b];
    }
    acc + offsets
}

/// AVX-512 VNNI: four blocks per step (one 512-bit load of nibbles), the
/// products of each block in 4 integer lanes, scaled per lane; the minimum
/// terms four blocks at a time in their own pass; two blocks left over after
/// whole chunks take one 256-bit step, a last odd one 128-bit lanes. Every
/// value runs the same operations in the same order whatever `C` and `R`
/// are.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
unsafe fn dot_tile_avx512<const C: usize, const R: usize>(
    w: &[WeightRow<'_>; C],
    a: &[ActivationRow<'_>; R],
) -> [[f32; R]; C] {
    use std::arch::x86_64::*;
    let blocks = w[0].scales.len();
    let chunks = blocks / CHUNK;
    let low_mask = _mm512_set1_epi8(0x0F);
    // Lane i of a chunk holds products of block i / 4.
    let spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    let mut acc = [[_mm512_setzero_ps(); R]; C];
    let mut offsets = [[_mm_setzero_ps(); R]; C];
    // SAFETY (all loads): slices hold `blocks` blocks; ch * CHUNK + CHUNK <= blocks.
    unsafe {
        for ch in 0..chunks {
            let b = ch * CHUNK;
            let mut qlow = [_mm512_setzero_si512(); C];
            let mut qhigh = [_mm512_setzero_si512(); C];
            let mut scales = [_mm512_setzero_ps(); C];
            for c in 0..C {
                let packed = _mm512_loadu_si512(w[c].nibbles.as_ptr().add(b * HALF) as *const _);
                qlow[c] = _mm512_and_si512(packed, low_mask);
                qhigh[c] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_mask);
                let s = _mm_cvtph_ps(_mm_loadl_epi64(w[c].scales.as_ptr().add(b) as *const _));
                scales[c] = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(s));
            }
            for r in 0..R {
                let ar = a[r];
                let lo = _mm512_loadu_si512(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm512_loadu_si512(ar.high.as_ptr().add(b * HALF) as *const _);
                let lane_scales = _mm512_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                for c in 0..C {
                    let sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qlow[c], lo);
                    let sums = _mm512_dpbusd_epi32(sums, qhigh[c], hi);
                    let scale = _mm512_mul_ps(scales[c], lane_scales);
                    acc[c][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), scale, acc[c][r]);
                }
            }
        }
        for ch in 0..chunks {
            let b = ch * CHUNK;
            let mins: [__m128; C] = std::array::from_fn(|c| {
                _mm_cvtph_ps(_mm_loadl_epi64(w[c].mins.as_ptr().add(b) as *const _))
            });
            for r in 0..R {
                let act_sums = _mm_loadu_ps(a[r].sums.as_ptr().add(b));
                for c in 0..C {
                    offsets[c][r] = _mm_fmadd_ps(mins[c], act_sums, offsets[c][r]);
                }
            }
        }
        // Two blocks left over: one 256-bit step.
        let mut pair = [[_mm256_setzero_ps(); R]; C];
        let pair_start = chunks * CHUNK;
        let singles = if blocks - pair_start >= 2 {
            let b = pair_start;
            let low_mask = _mm256_set1_epi8(0x0F);
            for c in 0..C {
                let packed = _mm256_loadu_si256(w[c].nibbles.as_ptr().add(b * HALF) as *const _);
                let qlow = _mm256_and_si256(packed, low_mask);
                let qhigh = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
                let scales = pair_lane_scales(w[c].scales, b);
                let mins = pair_f32(w[c].mins, b);
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm256_loadu_si256(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm256_loadu_si256(ar.high.as_ptr().add(b * HALF) as *const _);
                    let sums = _mm256_dpbusd_epi32(_mm256_setzero_si256(), qlow, lo);
                    let sums = _mm256_dpbusd_epi32(sums, qhigh, hi);
                    let lane_scales = _mm256_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                    let scale = _mm256_mul_ps(scales, lane_scales);
                    pair[c][r] = _mm256_mul_ps(_mm256_cvtepi32_ps(sums), scale);
                    let act_sums =
                        _mm_castpd_ps(_mm_load_sd(ar.sums.as_ptr().add(b) as *const f64));
                    offsets[c][r] = _mm_fmadd_ps(mins, act_sums, offsets[c][r]);
                }
            }
            pair_start + 2..blocks
        } else {
            pair_start..blocks
        };
        let mut tail = [[_mm_setzero_ps(); R]; C];
        let mut tail_offsets = [[0f32; R]; C];
        for b in singles {
            for c in 0..C {
                let (qlow, qhigh) = block_nibbles(w[c], b);
                let scale = w[c].scales[b].to_f32();
                let min = w[c].mins[b].to_f32();
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm_loadu_si128(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm_loadu_si128(ar.high.as_ptr().add(b * HALF) as *const _);
                    let sums = _mm_dpbusd_epi32(_mm_setzero_si128(), qlow, lo);
                    let sums = _mm_dpbusd_epi32(sums, qhigh, hi);
                    let s = _mm_set1_ps(scale * ar.lane_scales[b * LANES]);
                    tail[c][r] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), s, tail[c][r]);
                    tail_offsets[c][r] += min * ar.sums[b];
                }
            }
        }
        std::array::from_fn(|c| {
            std::array::from_fn(|r| {
                let narrow = _mm_add_ps(offsets[c][r], tail[c][r]);
                let narrow = _mm_add_ps(narrow, _mm_movehl_ps(narrow, narrow));
                let narrow = _mm_add_ss(narrow, _mm_movehdup_ps(narrow));
                _mm512_reduce_add_ps(acc[c][r])
                    + hsum_avx(pair[c][r])
                    + _mm_cvtss_f32(narrow)
                    + tail_offsets[c][r]
            })
        })
    }
}

/// AVX2: two blocks per step (one 256-bit load of nibbles), the products of
/// each block in 4 integer lanes, scaled per lane, as the AVX-512 kernel
/// does with four; the minimum terms of the pair in two 128-bit lanes, in
/// their own pass; an odd last block goes through 128-bit lanes. Every value
/// runs the same operations in the same order whatever `C` and `R` are.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c,fma")]
unsafe fn dot_tile_avx2<const C: usize, const R: usize>(
    w: &[WeightRow<'_>; C],
    a: &[ActivationRow<'_>; R],
) -> [[f32; R]; C] {
    use std::arch::x86_64::*;
    let blocks = w[0].scales.len();
    let pairs = blocks / 2;
    let low_mask = _mm256_set1_epi8(0x0F);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); R]; C];
    let mut offsets = [[_mm_setzero_ps(); R]; C];
    // SAFETY (all loads): slices hold `blocks` blocks; p * 2 + 2 <= blocks.
    unsafe {
        for p in 0..pairs {
            let b = p * 2;
            let mut qlow = [_mm256_setzero_si256(); C];
            let mut qhigh = [_mm256_setzero_si256(); C];
            let mut scales = [_mm256_setzero_ps(); C];
            for c in 0..C {
                let packed = _mm256_loadu_si256(w[c].nibbles.as_ptr().add(b * HALF) as *const _);
                qlow[c] = _mm256_and_si256(packed, low_mask);
                qhigh[c] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
                scales[c] = pair_lane_scales(w[c].scales, b);
            }
            for r in 0..R {
                let ar = a[r];
                let lo = _mm256_loadu_si256(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm256_loadu_si256(ar.high.as_ptr().add(b * HALF) as *const _);
                let lane_scales = _mm256_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                for c in 0..C {
                    // At most 2 x 2 x 15 x 128 per 16-bit lane: no saturation.
                    let pairs = _mm256_add_epi16(
                        _mm256_maddubs_epi16(qlow[c], lo),
                        _mm256_maddubs_epi16(qhigh[c], hi),
                    );
                    let sums = _mm256_madd_epi16(pairs, ones);
                    let scale = _mm256_mul_ps(scales[c], lane_scales);
                    acc[c][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[c][r]);
                }
            }
        }
        for p in 0..pairs {
            let b = p * 2;
            let mins: [__m128; C] = std::array::from_fn(|c| pair_f32(w[c].mins, b));
            for r in 0..R {
                let act_sums = _mm_castpd_ps(_mm_load_sd(a[r].sums.as_ptr().add(b) as *const f64));
                for c in 0..C {
                    offsets[c][r] = _mm_fmadd_ps(mins[c], act_sums, offsets[c][r]);
                }
            }
        }
        let mut tail = [[_mm_setzero_ps(); R]; C];
        let mut tail_offsets = [[0f32; R]; C];
        if blocks % 2 == 1 {
            let b = blocks - 1;
            let ones = _mm_set1_epi16(1);
            for c in 0..C {
                let (qlow, qhigh) = block_nibbles(w[c], b);
                let scale = w[c].scales[b].to_f32();
                let min = w[c].mins[b].to_f32();
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm_loadu_si128(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm_loadu_si128(ar.high.as_ptr().add(b * HALF) as *const _);
                    let pairs =
                        _mm_add_epi16(_mm_maddubs_epi16(qlow, lo), _mm_maddubs_epi16(qhigh, hi));
                    let sums = _mm_madd_epi16(pairs, ones);
                    let s = _mm_set1_ps(scale * ar.lane_scales[b * LANES]);
                    tail[c][r] = _mm_mul_ps(_mm_cvtepi32_ps(sums), s);
                    tail_offsets[c][r] = min * ar.sums[b];
                }
            }
        }
        std::array::from_fn(|c| {
            std::array::from_fn(|r| {
                let narrow = _mm_add_ps(offsets[c][r], tail[c][r]);
                let narrow = _mm_add_ps(narrow, _mm_movehl_ps(narrow, narrow));
                let narrow = _mm_add_ss(narrow, _mm_movehdup_ps(narrow));
                hsum_avx(acc[c][r]) + _mm_cvtss_f32(narrow) + tail_offsets[c][r]
            })
        })
    }
}

/// The weights of block `b` of `w` in 16 bytes each: 0..16, then 16..32.
/// The kernels' blocks left over after their wide steps.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn block_nibbles(
    w: WeightRow<'_>,
    b: usize,
) -> (std::arch::x86_64::__m128i, std::arch::x86_64::__m128i) {
    use std::arch::x86_64::*;
    let nibbles = &w.nibbles[b * HALF..(b + 1) * HALF];
    // SAFETY: the slice holds the 16 bytes loaded.
    let packed = unsafe { _mm_loadu_si128(nibbles.as_ptr() as *const _) };
    let low_mask = _mm_set1_epi8(0x0F);
    (
        _mm_and_si128(packed, low_mask),
        _mm_and_si128(_mm_srli_epi16(packed, 4), low_mask),
    )
}

/// The f16 values `b` and `b + 1` of `halves` as f32, in the low lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "f16c")]
#[inline]
pub(crate) fn pair_f32(halves: &[f16], b: usize) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    let pair = &halves[b..b + 2];
    // SAFETY: the slice holds the 4 bytes read.
    let bits = unsafe { std::ptr::read_unaligned(pair.as_ptr() as *const i32) };
    _mm_cvtph_ps(_mm_cvtsi32_si128(bits))
}

/// The scales of blocks `b` and `b + 1` in the lane layout of a 256-bit
/// step: lane i holds block i / 4's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
#[inline]
pub(crate) fn pair_lane_scales(scales: &[f16], b: usize) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let spread = _mm256_set_epi32(1, 1, 1, 1, 0, 0, 0, 0);
    _mm256_permutevar8x32_ps(_mm256_castps128_ps256(pair_f32(scales, b)), spread)
}

/// Sum of the 8 lanes of `v`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
pub(crate) fn hsum_avx(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)))
}

//! Q8_0 weights with a SIMD kernel: the format of SmolLM2's output
//! projection (a fifth of its weights) and of Gemma 3's layers stored in
//! formats without SIMD kernels (re-quantized at load). candle's kernel
//! dots one activation row at a time with 256-bit instructions; this one
//! shares each 512-bit weight load across a tile of activation rows.
//!
//! The 8-bit dot-product instruction multiplies unsigned by signed bytes, so
//! weights are stored biased by 128 (unsigned) and 128 times the
//! activations' lane sums is subtracted: the integer sums are exact.

use candle_core::Result;
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use crate::activations::{ActivationRow, BLOCK, HALF, LANES};
#[cfg(target_arch = "x86_64")]
use crate::q4_1::pair_lane_scales;
use crate::row_matmul::{self, Kernel, row_kernel};

/// Blocks per 512-bit step: 4 x 16 bytes of each half.
const CHUNK: usize = 4;

/// A Q8_0 matrix of shape (out, in): w = scale * q, q in -128..128, per
/// block of 32 weights.
#[derive(Debug)]
pub struct Q8_0Matrix {
    rows: usize,
    blocks_per_row: usize,
    /// Weights 0..16 of each block plus 128.
    low: Vec<u8>,
    /// Weights 16..32 of each block plus 128.
    high: Vec<u8>,
    scales: Vec<f16>,
    kernel: Kernel,
}

/// One weight row, borrowed from [`Q8_0Matrix`].
#[derive(Clone, Copy)]
struct WeightRow<'a> {
    low: &'a [u8],
    high: &'a [u8],
    scales: &'a [f16],
}

impl Q8_0Matrix {
    /// Takes the blocks of a Q8_0 tensor of shape (out, in), for `kernel`.
    pub(crate) fn with_kernel(weights: &QTensor, kernel: Kernel) -> Result<Self> {
        // A stored block: scale (f16), 32 signed bytes.
        const STORED: usize = 2 + BLOCK;
        let (rows, cols, bytes) = row_matmul::stored_blocks(weights, GgmlDType::Q8_0, STORED)?;
        let blocks = rows * cols / BLOCK;
        let mut this = Self {
            rows,
            blocks_per_row: cols / BLOCK,
            low: Vec::with_capacity(blocks * HALF),
            high: Vec::with_capacity(blocks * HALF),
            scales: Vec::with_capacity(blocks),
            kernel,
        };
        let biased = |q: &u8| (*q as i8 as i16 + 128) as u8;
        for b in bytes.chunks_exact(STORED) {
            this.scales.push(f16::from_le_bytes([b[0], b[1]]));
            this.low.extend(b[2..2 + HALF].iter().map(biased));
            this.high.extend(b[2 + HALF..].iter().map(biased));
        }
        Ok(this)
    }

    /// Appends the values of row `j` (which must exist) to `out`, as
    /// candle's dequantization computes them: scale times weight.
    pub fn extend_with_row(&self, j: usize, out: &mut Vec<f32>) {
        let w = self.row(j);
        for (b, scale) in w.scales.iter().enumerate() {
            let scale = scale.to_f32();
            for half in [w.low, w.high] {
                let biased = &half[b * HALF..(b + 1) * HALF];
                out.extend(biased.iter().map(|q| (*q as i16 - 128) as f32 * scale));
            }
        }
    }

    fn row(&self, j: usize) -> WeightRow<'_> {
        let b = self.blocks_per_row;
        WeightRow {
            low: &self.low[j * b * HALF..(j + 1) * b * HALF],
            high: &self.high[j * b * HALF..(j + 1) * b * HALF],
            scales: &self.scales[j * b..(j + 1) * b],
        }
    }
}

row_kernel!(Q8_0Matrix);

/// The reference computation, for machines without the SIMD kernel.
fn dot_portable(w: WeightRow<'_>, a: ActivationRow<'_>) -> f32 {
    let mut acc = 0f32;
    for b in 0..w.scales.len() {
        // Whole half blocks as arrays: no bounds checks, so the loop vectorizes.
        let half = |weights: &[u8], acts: &[i8]| -> i32 {
            let weights: &[u8; HALF] = weights[b * HALF..][..HALF]
                .try_into()
                .expect("whole blocks");
            let acts: &[i8; HALF] = acts[b * HALF..][..HALF].try_into().expect("whole blocks");
            let mut sum = 0i32;
            for j in 0..HALF {
                sum += (weights[j] as i32 - 128) * acts[j] as i32;
            }
            sum
        };
        let sum = half(w.low, a.low) + half(w.high, a.high);
        acc += sum as f32 * w.scales[b].to_f32() * a.lane_scales[b * LANES];
    }
    acc
}

/// AVX-512 VNNI: four blocks per step, the products of each block in 4
/// integer lanes, scaled per lane; two blocks left over after whole chunks
/// take one 256-bit step, a last odd one 128-bit lanes. Every value runs
/// the same operations in the same order whatever `C` and `R` are.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
unsafe fn dot_tile_avx512<const C: usize, const R: usize>(
    w: &[WeightRow<'_>; C],
    a: &[ActivationRow<'_>; R],
) -> [[f32; R]; C] {
    use std::arch::x86_64::*;
    let blocks = w[0].scales.len();
    let chunks = blocks / CHUNK;
    // Lane i of a chunk holds products of block i / 4.
    let spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    let mut acc = [[_mm512_setzero_ps(); R]; C];
    // SAFETY (all loads): slices hold `blocks` blocks; ch * CHUNK + CHUNK <= blocks.
    unsafe {
        for ch in 0..chunks {
            let b = ch * CHUNK;
            let mut wl = [_mm512_setzero_si512(); C];
            let mut wh = [_mm512_setzero_si512(); C];
            let mut scales = [_mm512_setzero_ps(); C];
            for c in 0..C {
                wl[c] = _mm512_loadu_si512(w[c].low.as_ptr().add(b * HALF) as *const _);
                wh[c] = _mm512_loadu_si512(w[c].high.as_ptr().add(b * HALF) as *const _);
                let s = _mm_cvtph_ps(_mm_loadl_epi64(w[c].scales.as_ptr().add(b) as *const _));
                scales[c] = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(s));
            }
            for r in 0..R {
                let ar = a[r];
                let lo = _mm512_loadu_si512(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm512_loadu_si512(ar.high.as_ptr().add(b * HALF) as *const _);
                let bias = _mm512_loadu_si512(ar.lane_sums.as_ptr().add(b * LANES) as *const _);
                let bias = _mm512_slli_epi32(bias, 7);
                let lane_scales = _mm512_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                for c in 0..C {
                    let sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wl[c], lo);
                    let sums = _mm512_dpbusd_epi32(sums, wh[c], hi);
                    let sums = _mm512_sub_epi32(sums, bias);
                    let scale = _mm512_mul_ps(scales[c], lane_scales);
                    acc[c][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), scale, acc[c][r]);
                }
            }
        }
        // Two blocks left over: one 256-bit step.
        let mut pair = [[_mm256_setzero_ps(); R]; C];
        let pair_start = chunks * CHUNK;
        let singles = if blocks - pair_start >= 2 {
            let b = pair_start;
            for c in 0..C {
                let wl = _mm256_loadu_si256(w[c].low.as_ptr().add(b * HALF) as *const _);
                let wh = _mm256_loadu_si256(w[c].high.as_ptr().add(b * HALF) as *const _);
                let scales = pair_lane_scales(w[c].scales, b);
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm256_loadu_si256(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm256_loadu_si256(ar.high.as_ptr().add(b * HALF) as *const _);
                    let sums = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wl, lo);
                    let sums = _mm256_dpbusd_epi32(sums, wh, hi);
                    let bias = _mm256_loadu_si256(ar.lane_sums.as_ptr().add(b * LANES) as *const _);
                    let sums = _mm256_sub_epi32(sums, _mm256_slli_epi32(bias, 7));
                    let lane_scales = _mm256_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                    let scale = _mm256_mul_ps(scales, lane_scales);
                    pair[c][r] = _mm256_mul_ps(_mm256_cvtepi32_ps(sums), scale);
                }
            }
            pair_start + 2..blocks
        } else {
            pair_start..blocks
        };
        let mut tail = [[_mm_setzero_ps(); R]; C];
        for b in singles {
            for c in 0..C {
                let wl = _mm_loadu_si128(w[c].low.as_ptr().add(b * HALF) as *const _);
                let wh = _mm_loadu_si128(w[c].high.as_ptr().add(b * HALF) as *const _);
                let scale = w[c].scales[b].to_f32();
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm_loadu_si128(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm_loadu_si128(ar.high.as_ptr().add(b * HALF) as *const _);
                    let sums = _mm_dpbusd_epi32(_mm_setzero_si128(), wl, lo);
                    let sums = _mm_dpbusd_epi32(sums, wh, hi);
                    let bias = _mm_loadu_si128(ar.lane_sums.as_ptr().add(b * LANES) as *const _);
                    let sums = _mm_sub_epi32(sums, _mm_slli_epi32(bias, 7));
                    let s = _mm_set1_ps(scale * ar.lane_scales[b * LANES]);
                    tail[c][r] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), s, tail[c][r]);
                }
            }
        }
        std::array::from_fn(|c| {
            std::array::from_fn(|r| {
                let narrow = tail[c][r];
                let narrow = _mm_add_ps(narrow, _mm_movehl_ps(narrow, narrow));
                let narrow = _mm_add_ss(narrow, _mm_movehdup_ps(narrow));
                _mm512_reduce_add_ps(acc[c][r])
                    + crate::q4_1::hsum_avx(pair[c][r])
                    + _mm_cvtss_f32(narrow)
            })
        })
    }
}

/// AVX2: two blocks per step (one 256-bit load of each half), the products
/// of each block in 4 integer lanes, scaled per lane, as the AVX-512 kernel
/// does with four; an odd last block goes through 128-bit lanes. The signed
/// weights are recovered from the biased ones; their signs move to the
/// activations so that the unsigned-by-signed instruction multiplies without
/// saturating. Every value runs the same operations in the same order
/// whatever `C` and `R` are.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c,fma")]
unsafe fn dot_tile_avx2<const C: usize, const R: usize>(
    w: &[WeightRow<'_>; C],
    a: &[ActivationRow<'_>; R],
) -> [[f32; R]; C] {
    use std::arch::x86_64::*;
    let blocks = w[0].scales.len();
    let pairs = blocks / 2;
    let bias = _mm256_set1_epi8(-128);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); R]; C];
    // SAFETY (all loads): slices hold `blocks` blocks; p * 2 + 2 <= blocks.
    unsafe {
        for p in 0..pairs {
            let b = p * 2;
            let mut wl = [_mm256_setzero_si256(); C];
            let mut wh = [_mm256_setzero_si256(); C];
            let mut ml = [_mm256_setzero_si256(); C];
            let mut mh = [_mm256_setzero_si256(); C];
            let mut scales = [_mm256_setzero_ps(); C];
            for c in 0..C {
                let l = _mm256_loadu_si256(w[c].low.as_ptr().add(b * HALF) as *const _);
                let h = _mm256_loadu_si256(w[c].high.as_ptr().add(b * HALF) as *const _);
                (wl[c], wh[c]) = (_mm256_xor_si256(l, bias), _mm256_xor_si256(h, bias));
                (ml[c], mh[c]) = (
                    _mm256_sign_epi8(wl[c], wl[c]),
                    _mm256_sign_epi8(wh[c], wh[c]),
                );
                scales[c] = pair_lane_scales(w[c].scales, b);
            }
            for r in 0..R {
                let ar = a[r];
                let lo = _mm256_loadu_si256(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm256_loadu_si256(ar.high.as_ptr().add(b * HALF) as *const _);
                let lane_scales = _mm256_loadu_ps(ar.lane_scales.as_ptr().add(b * LANES));
                for c in 0..C {
                    let lo = _mm256_maddubs_epi16(ml[c], _mm256_sign_epi8(lo, wl[c]));
                    let hi = _mm256_maddubs_epi16(mh[c], _mm256_sign_epi8(hi, wh[c]));
                    let sums =
                        _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, ones));
                    let scale = _mm256_mul_ps(scales[c], lane_scales);
                    acc[c][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[c][r]);
                }
            }
        }
        let mut tail = [[_mm_setzero_ps(); R]; C];
        if blocks % 2 == 1 {
            let b = blocks - 1;
            let bias = _mm_set1_epi8(-128);
            let ones = _mm_set1_epi16(1);
            for c in 0..C {
                let wl = _mm_xor_si128(
                    _mm_loadu_si128(w[c].low.as_ptr().add(b * HALF) as *const _),
                    bias,
                );
                let wh = _mm_xor_si128(
                    _mm_loadu_si128(w[c].high.as_ptr().add(b * HALF) as *const _),
                    bias,
                );
                let (ml, mh) = (_mm_sign_epi8(wl, wl), _mm_sign_epi8(wh, wh));
                let scale = w[c].scales[b].to_f32();
                for r in 0..R {
                    let ar = a[r];
                    let lo = _mm_loadu_si128(ar.low.as_ptr().add(b * HALF) as *const _);
                    let hi = _mm_loadu_si128(ar.high.as_ptr().add(b * HALF) as *const _);
                    let lo = _mm_maddubs_epi16(ml, _mm_sign_epi8(lo, wl));
                    let hi = _mm_maddubs_epi16(mh, _mm_sign_epi8(hi, wh));
                    let sums = _mm_add_epi32(_mm_madd_epi16(lo, ones), _mm_madd_epi16(hi, ones));
                    let s = _mm_set1_ps(scale * ar.lane_scales[b * LANES]);
                    tail[c][r] = _mm_mul_ps(_mm_cvtepi32_ps(sums), s);
                }
            }
        }
        std::array::from_fn(|c| {
            std::array::from_fn(|r| {
                let narrow = tail[c][r];
                let narrow = _mm_add_ps(narrow, _mm_movehl_ps(narrow, narrow));
                let narrow = _mm_add_ss(narrow, _mm_movehdup_ps(narrow));
                crate::q4_1::hsum_avx(acc[c][r]) + _mm_cvtss_f32(narrow)
            })
        })
    }
}

//! Q4_1 weights with SIMD kernels. candle multiplies Q4_1 with scalar code
//! only; SmolLM2's GGUF stores every projection in Q4_1, and re-quantizing
//! to Q8_0 (which has SIMD kernels) reads 1.7 times more bytes per token.
//! This module keeps the stored quantities, bit for bit, and does what ggml
//! does: activations are quantized per 32 values to 8 bits (scale and sum),
//! 4-bit times 8-bit products are summed in integers, then scaled.
//!
//! At load the blocks are split into three arrays (nibbles, scales,
//! minimums) so that one 512-bit load takes the nibbles of four blocks, and
//! activations are laid out to match (first and second halves of each block
//! apart, scales repeated per SIMD lane). Several activation rows share each
//! weight load: a round's batch reads the weights once per step.
//!
//! Each output value is computed by the same sequence of operations whatever
//! the number of rows: batched rows equal single ones exactly.

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail};
use half::f16;

const BLOCK: usize = 32;
const HALF: usize = BLOCK / 2;
/// Blocks per 512-bit step: 4 x 16 bytes of nibbles.
const CHUNK: usize = 4;
/// Activation rows sharing one pass over a weight row.
const ROW_TILE: usize = 4;

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

/// The instruction set the dot products use, detected once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Avx512Vnni,
    Portable,
}

impl Kernel {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512vnni")
        {
            return Self::Avx512Vnni;
        }
        Self::Portable
    }
}

/// Activation rows quantized per 32 values to 8 bits, in the layout the
/// kernels read.
struct Activations {
    blocks_per_row: usize,
    /// Values 0..16 of each block, 16 bytes per block.
    low: Vec<i8>,
    /// Values 16..32 of each block.
    high: Vec<i8>,
    /// The block's scale, repeated for the 4 integer lanes of its products.
    lane_scales: Vec<f32>,
    /// Scale times the sum of the block's quantized values.
    sums: Vec<f32>,
}

/// One activation row, borrowed from [`Activations`].
#[derive(Clone, Copy)]
struct ActivationRow<'a> {
    low: &'a [i8],
    high: &'a [i8],
    lane_scales: &'a [f32],
    sums: &'a [f32],
}

/// One weight row, borrowed from [`Q4_1Matrix`].
#[derive(Clone, Copy)]
struct WeightRow<'a> {
    nibbles: &'a [u8],
    scales: &'a [f16],
    mins: &'a [f16],
}

impl Activations {
    /// Quantizes rows of `cols` values as ggml's `quantize_row_q8_1` does.
    fn quantize(x: &[f32], cols: usize) -> Self {
        let blocks_per_row = cols / BLOCK;
        let blocks = x.len() / BLOCK;
        let mut this = Self {
            blocks_per_row,
            low: Vec::with_capacity(blocks * HALF),
            high: Vec::with_capacity(blocks * HALF),
            lane_scales: Vec::with_capacity(blocks * 4),
            sums: Vec::with_capacity(blocks),
        };
        for xs in x.chunks_exact(BLOCK) {
            let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let d16 = f16::from_f32(d);
            let mut sum = 0i32;
            for (i, v) in xs.iter().enumerate() {
                let q = (v * id).round() as i8;
                sum += q as i32;
                if i < HALF {
                    this.low.push(q);
                } else {
                    this.high.push(q);
                }
            }
            this.lane_scales.extend([d16.to_f32(); 4]);
            this.sums.push((f16::from_f32(sum as f32) * d16).to_f32());
        }
        this
    }

    fn row(&self, r: usize) -> ActivationRow<'_> {
        let b = self.blocks_per_row;
        ActivationRow {
            low: &self.low[r * b * HALF..(r + 1) * b * HALF],
            high: &self.high[r * b * HALF..(r + 1) * b * HALF],
            lane_scales: &self.lane_scales[r * b * 4..(r + 1) * b * 4],
            sums: &self.sums[r * b..(r + 1) * b],
        }
    }
}

impl Q4_1Matrix {
    /// Takes the blocks of a Q4_1 tensor of shape (out, in).
    pub fn new(weights: &QTensor) -> Result<Self> {
        if weights.dtype() != GgmlDType::Q4_1 {
            bail!("expected Q4_1 weights, got {:?}", weights.dtype());
        }
        let (rows, cols) = weights.shape().dims2()?;
        if !cols.is_multiple_of(BLOCK) {
            bail!("Q4_1 rows of {cols} values are not whole blocks");
        }
        let bytes = weights.data()?;
        let blocks = rows * cols / BLOCK;
        // A stored block: scale (f16), min (f16), 16 bytes of nibbles.
        const STORED: usize = 4 + HALF;
        if bytes.len() != blocks * STORED {
            bail!("Q4_1 data has {} bytes for {rows}x{cols}", bytes.len());
        }
        let mut this = Self {
            rows,
            blocks_per_row: cols / BLOCK,
            nibbles: Vec::with_capacity(blocks * HALF),
            scales: Vec::with_capacity(blocks),
            mins: Vec::with_capacity(blocks),
            kernel: Kernel::detect(),
        };
        for b in bytes.chunks_exact(STORED) {
            this.scales.push(f16::from_le_bytes([b[0], b[1]]));
            this.mins.push(f16::from_le_bytes([b[2], b[3]]));
            this.nibbles.extend_from_slice(&b[4..]);
        }
        Ok(this)
    }

    /// `x` (..., in) times the transposed matrix: (..., out).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1_no_bwd(self)
    }

    fn row(&self, j: usize) -> WeightRow<'_> {
        let b = self.blocks_per_row;
        WeightRow {
            nibbles: &self.nibbles[j * b * HALF..(j + 1) * b * HALF],
            scales: &self.scales[j * b..(j + 1) * b],
            mins: &self.mins[j * b..(j + 1) * b],
        }
    }

    /// Dot products of weight row `w` with the activation rows `a`.
    fn dot_rows<const R: usize>(&self, w: WeightRow<'_>, a: [ActivationRow<'_>; R]) -> [f32; R] {
        match self.kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the kernel was chosen because these features are present.
            Kernel::Avx512Vnni => unsafe { dot_rows_avx512(w, a) },
            _ => a.map(|a| dot_portable(w, a)),
        }
    }
}

impl CustomOp1 for Q4_1Matrix {
    fn name(&self) -> &'static str {
        "q4_1-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = match storage {
            CpuStorage::F32(x) => x,
            _ => bail!("q4_1-matmul takes f32 activations"),
        };
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("q4_1-matmul input not contiguous".into()))?;
        let x = &x[start..end];
        let cols = self.blocks_per_row * BLOCK;
        let mut dims = layout.shape().dims().to_vec();
        if dims.last() != Some(&cols) {
            bail!("q4_1-matmul: input {dims:?} does not end in {cols}");
        }
        let m = x.len() / cols;
        let activations = Activations::quantize(x, cols);
        let n = self.rows;
        let mut out = vec![0f32; m * n];
        let out_ptr = out.as_mut_ptr() as usize;
        candle_core::utils::barrier_pool().execute_chunked(n, |columns| {
            // SAFETY: every (r, j) is written once, by the worker owning column j.
            let store =
                |r: usize, j: usize, v: f32| unsafe { *(out_ptr as *mut f32).add(r * n + j) = v };
            for j in columns {
                let w = self.row(j);
                let mut r = 0;
                while r + ROW_TILE <= m {
                    let a = std::array::from_fn(|i| activations.row(r + i));
                    for (i, v) in self.dot_rows::<ROW_TILE>(w, a).into_iter().enumerate() {
                        store(r + i, j, v);
                    }
                    r += ROW_TILE;
                }
                for r in r..m {
                    let [v] = self.dot_rows::<1>(w, [activations.row(r)]);
                    store(r, j, v);
                }
            }
        });
        *dims.last_mut().expect("non-empty dims") = n;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

/// The reference computation, for machines without the SIMD kernel.
fn dot_portable(w: WeightRow<'_>, a: ActivationRow<'_>) -> f32 {
    let mut acc = 0f32;
    let mut offsets = 0f32;
    for b in 0..w.scales.len() {
        let nibbles = &w.nibbles[b * HALF..(b + 1) * HALF];
        let sum: i32 = (0..HALF)
            .map(|j| {
                (nibbles[j] & 0x0F) as i32 * a.low[b * HALF + j] as i32
                    + (nibbles[j] >> 4) as i32 * a.high[b * HALF + j] as i32
            })
            .sum();
        acc += sum as f32 * w.scales[b].to_f32() * a.lane_scales[b * 4];
        offsets += w.mins[b].to_f32() * a.sums[b];
    }
    acc + offsets
}

/// AVX-512 VNNI: four blocks per step (one 512-bit load of nibbles), the
/// products of each block in 4 integer lanes, scaled per lane; blocks left
/// over after whole chunks go through 128-bit lanes. Every row runs the same
/// operations in the same order whatever `R` is.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
unsafe fn dot_rows_avx512<const R: usize>(w: WeightRow<'_>, a: [ActivationRow<'_>; R]) -> [f32; R] {
    use std::arch::x86_64::*;
    let blocks = w.scales.len();
    let chunks = blocks / CHUNK;
    let low_mask = _mm512_set1_epi8(0x0F);
    // Lane i of a chunk holds products of block i / 4.
    let spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    let mut acc = [_mm512_setzero_ps(); R];
    let mut offsets = [_mm_setzero_ps(); R];
    // SAFETY (all loads): slices hold `blocks` blocks; c * CHUNK + CHUNK <= blocks.
    unsafe {
        for c in 0..chunks {
            let b = c * CHUNK;
            let packed = _mm512_loadu_si512(w.nibbles.as_ptr().add(b * HALF) as *const _);
            let qlow = _mm512_and_si512(packed, low_mask);
            let qhigh = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_mask);
            let scales = _mm_cvtph_ps(_mm_loadl_epi64(w.scales.as_ptr().add(b) as *const _));
            let scales = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(scales));
            let mins = _mm_cvtph_ps(_mm_loadl_epi64(w.mins.as_ptr().add(b) as *const _));
            for r in 0..R {
                let ar = a[r];
                let lo = _mm512_loadu_si512(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm512_loadu_si512(ar.high.as_ptr().add(b * HALF) as *const _);
                let sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qlow, lo);
                let sums = _mm512_dpbusd_epi32(sums, qhigh, hi);
                let lane_scales = _mm512_loadu_ps(ar.lane_scales.as_ptr().add(b * 4));
                let scale = _mm512_mul_ps(scales, lane_scales);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), scale, acc[r]);
                let act_sums = _mm_loadu_ps(ar.sums.as_ptr().add(b));
                offsets[r] = _mm_fmadd_ps(mins, act_sums, offsets[r]);
            }
        }
        let low_mask = _mm_set1_epi8(0x0F);
        let mut tail = [_mm_setzero_ps(); R];
        let mut tail_offsets = [0f32; R];
        for b in chunks * CHUNK..blocks {
            let packed = _mm_loadu_si128(w.nibbles.as_ptr().add(b * HALF) as *const _);
            let qlow = _mm_and_si128(packed, low_mask);
            let qhigh = _mm_and_si128(_mm_srli_epi16(packed, 4), low_mask);
            let scale = w.scales[b].to_f32();
            let min = w.mins[b].to_f32();
            for r in 0..R {
                let ar = a[r];
                let lo = _mm_loadu_si128(ar.low.as_ptr().add(b * HALF) as *const _);
                let hi = _mm_loadu_si128(ar.high.as_ptr().add(b * HALF) as *const _);
                let sums = _mm_dpbusd_epi32(_mm_setzero_si128(), qlow, lo);
                let sums = _mm_dpbusd_epi32(sums, qhigh, hi);
                let s = _mm_set1_ps(scale * ar.lane_scales[b * 4]);
                tail[r] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), s, tail[r]);
                tail_offsets[r] += min * ar.sums[b];
            }
        }
        std::array::from_fn(|r| {
            let narrow = _mm_add_ps(offsets[r], tail[r]);
            let narrow = _mm_add_ps(narrow, _mm_movehl_ps(narrow, narrow));
            let narrow = _mm_add_ss(narrow, _mm_movehdup_ps(narrow));
            _mm512_reduce_add_ps(acc[r]) + _mm_cvtss_f32(narrow) + tail_offsets[r]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Module};

    /// Largest difference between our product and candle's scalar Q4_1 one.
    fn difference_from_candle(rows: usize, cols: usize, m: usize) -> f32 {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (rows, cols), &dev).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q4_1).unwrap();
        let ours = Q4_1Matrix::new(&q).unwrap();
        let theirs = candle_core::quantized::QMatMul::from_qtensor(q).unwrap();
        let x = Tensor::randn(0f32, 1.0, (m, cols), &dev).unwrap();
        let a = ours.forward(&x).unwrap();
        let b = theirs.forward(&x).unwrap();
        (&a - &b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap()
    }

    #[test]
    fn matches_candle_with_and_without_leftover_blocks() {
        // 96 = 3 blocks (no whole chunk), 576 = 4 chunks + 2 blocks, 1536 = 12 chunks.
        for (rows, cols) in [(72, 96), (40, 576), (24, 1536)] {
            let diff = difference_from_candle(rows, cols, 5);
            assert!(diff < 2e-3 * (cols as f32).sqrt(), "{rows}x{cols}: {diff}");
        }
    }

    #[test]
    fn rows_are_computed_alike_alone_and_in_tiles() {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (64, 576), &dev).unwrap();
        let ours = Q4_1Matrix::new(&QTensor::quantize(&w, GgmlDType::Q4_1).unwrap()).unwrap();
        let x = Tensor::randn(0f32, 1.0, (7, 576), &dev).unwrap();
        let batched: Vec<Vec<f32>> = ours.forward(&x).unwrap().to_vec2().unwrap();
        for (r, expected) in batched.iter().enumerate() {
            let alone: Vec<f32> = ours
                .forward(&x.narrow(0, r, 1).unwrap())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            assert_eq!(&alone, expected, "row {r}");
        }
    }

    #[test]
    fn the_simd_kernel_agrees_with_the_portable_one() {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (16, 576), &dev).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q4_1).unwrap();
        let mut ours = Q4_1Matrix::new(&q).unwrap();
        let x = Tensor::randn(0f32, 1.0, (3, 576), &dev).unwrap();
        let fast: Vec<Vec<f32>> = ours.forward(&x).unwrap().to_vec2().unwrap();
        ours.kernel = Kernel::Portable;
        let portable: Vec<Vec<f32>> = ours.forward(&x).unwrap().to_vec2().unwrap();
        for (f, p) in fast.iter().flatten().zip(portable.iter().flatten()) {
            assert!((f - p).abs() < 1e-3 * p.abs().max(1.0), "{f} vs {p}");
        }
    }
}

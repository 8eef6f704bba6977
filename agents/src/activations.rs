//! Activation rows quantized per block of 32 values to 8 bits, as ggml's
//! `quantize_row_q8_1` does, in the layout the SIMD kernels of
//! [`crate::row_matmul`] read: the first and second halves of each block
//! apart (so one 512-bit load meets the matching halves of four weight
//! blocks), the block's scale repeated for its 4 integer lanes.

use half::f16;

/// Values per quantization block.
pub const BLOCK: usize = 32;
/// Values per half block.
pub const HALF: usize = BLOCK / 2;
/// Integer lanes of one block's products in a SIMD register (4 bytes each).
pub const LANES: usize = HALF / 4;

/// Quantized rows of one matrix product's input.
pub struct Activations {
    blocks_per_row: usize,
    low: Vec<i8>,
    high: Vec<i8>,
    lane_scales: Vec<f32>,
    sums: Vec<f32>,
    lane_sums: Vec<i32>,
}

/// One quantized activation row.
#[derive(Clone, Copy)]
pub struct ActivationRow<'a> {
    /// Values 0..16 of each block.
    pub low: &'a [i8],
    /// Values 16..32 of each block.
    pub high: &'a [i8],
    /// The block's scale, repeated for each of its [`LANES`] lanes.
    pub lane_scales: &'a [f32],
    /// Scale times the sum of the block's quantized values.
    pub sums: &'a [f32],
    /// Per lane, the sum of the 8 quantized values it multiplies (4 from
    /// each half): what kernels that bias signed weights to unsigned subtract.
    pub lane_sums: &'a [i32],
}

impl Activations {
    /// Quantizes the rows of `x`, each `cols` values long (whole blocks).
    pub fn quantize(x: &[f32], cols: usize) -> Self {
        let blocks = x.len() / BLOCK;
        let mut this = Self {
            blocks_per_row: cols / BLOCK,
            low: vec![0; blocks * HALF],
            high: vec![0; blocks * HALF],
            lane_scales: vec![0.0; blocks * LANES],
            sums: vec![0.0; blocks],
            lane_sums: vec![0; blocks * LANES],
        };
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
            let qs: [i8; BLOCK] = std::array::from_fn(|i| (xs[i] * id).round_ties_even() as i8);
            let (low, high) = qs.split_at(HALF);
            this.low[b * HALF..(b + 1) * HALF].copy_from_slice(low);
            this.high[b * HALF..(b + 1) * HALF].copy_from_slice(high);
            let mut sum = 0;
            for lane in 0..LANES {
                let lane_sum: i32 = (0..4)
                    .map(|i| low[lane * 4 + i] as i32 + high[lane * 4 + i] as i32)
                    .sum();
                this.lane_sums[b * LANES + lane] = lane_sum;
                sum += lane_sum;
            }
            let d16 = f16::from_f32(d);
            this.lane_scales[b * LANES..(b + 1) * LANES].fill(d16.to_f32());
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
            low: &self.low[r * b * HALF..(r + 1) * b * HALF],
            high: &self.high[r * b * HALF..(r + 1) * b * HALF],
            lane_scales: &self.lane_scales[r * b * LANES..(r + 1) * b * LANES],
            sums: &self.sums[r * b..(r + 1) * b],
            lane_sums: &self.lane_sums[r * b * LANES..(r + 1) * b * LANES],
        }
    }
}

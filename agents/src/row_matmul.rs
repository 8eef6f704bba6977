//! Matrix products of quantized weights with activation rows, for the
//! formats the project runs with its own SIMD kernels ([`crate::q4_1`],
//! [`crate::q8_0`]). The activations are quantized once per product
//! ([`Activations`]); output columns are split over candle's thread pool;
//! groups of output columns are dotted with tiles of activation rows
//! ([`GROUP`], [`tile`]), so that a round's batch reads the weights once
//! per step.
//!
//! Each output value is computed by the same sequence of operations whatever
//! the number of rows: batched rows equal single ones exactly.

use std::borrow::Cow;
use std::ops::Range;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail};

use crate::activations::{ActivationRow, Activations, BLOCK};

/// Output columns computed together: one 512-bit register holds 4 weights
/// of each, so one 8-bit dot-product instruction yields an integer sum per
/// column, and each block's conversion, scaling and fused multiply-add serve
/// the whole group (the weight formats regroup their rows at load).
pub const GROUP: usize = 16;

/// Activation rows sharing each weight load, per kernel, fitted to the
/// registers (32 of 512 bits; 16 of 256 bits on machines with AVX2 only)
/// and measured with `examples/kernels.rs`.
pub mod tile {
    /// Activation rows per AVX-512 tile.
    pub const AVX512_ROWS: usize = 8;
    /// Activation rows per AVX2 tile.
    pub const AVX2_ROWS: usize = 4;
    /// Rows left over after whole tiles go in tiles of this many (then one
    /// at a time): half a round of 8 agents still shares each weight load.
    pub const LEFTOVER_ROWS: usize = 4;
}

/// The instruction set the dot products use, detected once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// 512-bit registers with 8-bit dot-product instructions.
    Avx512Vnni,
    /// 256-bit registers (most x86 machines of the last ten years).
    Avx2,
    /// Plain Rust, for other machines (and as the tests' reference).
    Portable,
}

/// The environment variable that picks a kernel below the best one, so one
/// machine can run (and test, and benchmark) every kernel it has.
pub const KERNEL_ENV: &str = "ARENA_KERNEL";

impl Kernel {
    /// Every kernel with its name in [`KERNEL_ENV`] and in benchmark reports.
    pub const NAMES: [(Self, &'static str); 3] = [
        (Self::Avx512Vnni, "avx512-vnni"),
        (Self::Avx2, "avx2"),
        (Self::Portable, "portable"),
    ];

    /// The kernel the models run: the one [`KERNEL_ENV`] names, or the best
    /// this machine has. A bad choice falls back to the best here;
    /// [`Kernel::from_env`] reports it (model loading calls it first).
    pub fn detect() -> Self {
        Self::from_env().unwrap_or_else(|_| Self::available()[0])
    }

    /// The kernel [`KERNEL_ENV`] asks for (the best available when unset),
    /// or a message naming the bad value and the choices this machine has.
    pub fn from_env() -> std::result::Result<Self, String> {
        let available = Self::available();
        let Some(wanted) = std::env::var_os(KERNEL_ENV) else {
            return Ok(available[0]);
        };
        let names: Vec<&str> = available.iter().map(|k| k.name()).collect();
        let wanted = wanted.to_string_lossy();
        match Self::NAMES.iter().find(|(_, n)| *n == wanted) {
            Some((kernel, _)) if available.contains(kernel) => Ok(*kernel),
            Some(_) => Err(format!(
                "{KERNEL_ENV}={wanted}: this machine lacks that kernel's instructions; use one of {}",
                names.join(", ")
            )),
            None => Err(format!(
                "{KERNEL_ENV}={wanted} is not a kernel: use one of {}",
                names.join(", ")
            )),
        }
    }

    /// The kernel's name, as [`KERNEL_ENV`] takes it.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("portable", |(_, n)| n)
    }

    /// The kernels this machine runs, best first.
    pub fn available() -> Vec<Self> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512vnni") {
                kernels.push(Self::Avx512Vnni);
            }
            if has!("avx2") && has!("fma") && has!("f16c") {
                kernels.push(Self::Avx2);
            }
        }
        kernels.push(Self::Portable);
        kernels
    }
}

/// Quantized weights of shape (out, in) whose rows are dotted with
/// quantized activation rows.
pub trait RowKernel: Send + Sync {
    /// Output values per activation row.
    fn rows(&self) -> usize;
    /// Values per activation row.
    fn cols(&self) -> usize;
    /// The output columns computed together: every range passed to
    /// [`RowKernel::dot_columns`] starts at a multiple of it.
    fn column_group(&self) -> usize {
        1
    }
    /// Writes the dot products of the weight rows in `columns` with every
    /// activation row to `out` (see [`grouped_kernel!`]).
    ///
    /// # Safety
    /// `out` must hold `rows.len() x self.rows()` values, and no other
    /// thread may write these columns meanwhile.
    unsafe fn dot_columns(&self, columns: Range<usize>, rows: &[ActivationRow<'_>], out: Output);
}

/// Where a product's values go: row-major, (activation rows, weight rows).
#[derive(Clone, Copy)]
pub struct Output {
    values: *mut f32,
    columns: usize,
}

// SAFETY: workers write disjoint columns (see `RowKernel::dot_columns`).
unsafe impl Send for Output {}
// SAFETY: as above.
unsafe impl Sync for Output {}

impl Output {
    /// Stores the values of group `g` (whose columns start at `g` x
    /// [`GROUP`]) for activation rows `r0..r0 + R`, without the columns
    /// past the matrix's last (a padded group's).
    ///
    /// # Safety
    /// The rows are in bounds, and the caller's thread is the only writer
    /// of the group's columns.
    pub unsafe fn write_tile<const R: usize>(
        self,
        r0: usize,
        g: usize,
        values: &[[f32; GROUP]; R],
    ) {
        let first = g * GROUP;
        let real = GROUP.min(self.columns - first);
        for (r, row) in values.iter().enumerate() {
            // SAFETY: guaranteed by the caller.
            unsafe {
                let at = self.values.add((r0 + r) * self.columns + first);
                std::ptr::copy_nonoverlapping(row.as_ptr(), at, real);
            }
        }
    }
}

/// The 4 activation bytes at `at`, as one 32-bit lane to broadcast.
///
/// # Safety
/// `at + 4 <= bytes.len()`.
#[inline(always)]
pub(crate) unsafe fn quad(bytes: &[i8], at: usize) -> i32 {
    // SAFETY: guaranteed by the caller.
    unsafe { std::ptr::read_unaligned(bytes.as_ptr().add(at) as *const i32) }
}

/// Runs `$body` on tiles of `$tile_rows` activation rows of `$rows`, then
/// on the rows left over in tiles of [`tile::LEFTOVER_ROWS`] and one at a
/// time, with `$r0` the tile's first row and `$tile` a reference to an
/// array of its rows. A macro, so that the tiles' sizes are constants in
/// the caller's `target_feature` context.
macro_rules! row_tiles {
    ($rows:expr, $tile_rows:expr, |$r0:ident, $tile:ident| $body:expr) => {{
        let rows: &[_] = $rows;
        let mut tiles = rows.chunks_exact($tile_rows);
        let mut leftover_tiles = tiles
            .remainder()
            .chunks_exact($crate::row_matmul::tile::LEFTOVER_ROWS);
        let mut $r0 = 0usize;
        for tile in tiles.by_ref() {
            let $tile: &[_; $tile_rows] = tile.try_into().expect("whole tiles");
            $body;
            $r0 += $tile_rows;
        }
        for tile in leftover_tiles.by_ref() {
            let $tile: &[_; $crate::row_matmul::tile::LEFTOVER_ROWS] =
                tile.try_into().expect("whole tiles");
            $body;
            $r0 += $crate::row_matmul::tile::LEFTOVER_ROWS;
        }
        for row in leftover_tiles.remainder() {
            let $tile: &[_; 1] = std::slice::from_ref(row).try_into().expect("one row");
            $body;
            $r0 += 1;
        }
    }};
}
pub(crate) use row_tiles;

/// Implements [`RowKernel`], `new` and `forward` for a weight format
/// `$matrix` of this crate kept in groups of [`GROUP`] output columns: a
/// struct with fields `rows`, `blocks_per_row` and `kernel` and methods
/// `with_kernel(weights, kernel)` and `group(g)`, in a module with the
/// functions `dot_portable(group, activation) -> [f32; GROUP]` and
/// `group_tile_avx512` / `group_tile_avx2(group, &[activation; R]) ->
/// [[f32; GROUP]; R]`. Each group meets every tile of activation rows
/// ([`row_tiles!`]) while its weights stay in cache. The SIMD loops are
/// generated inside functions with the kernels' features.
macro_rules! grouped_kernel {
    ($matrix:ty) => {
        impl $matrix {
            /// Takes the blocks of a quantized tensor of shape (out, in),
            /// for the best kernel this machine runs.
            pub fn new(weights: &candle_core::quantized::QTensor) -> candle_core::Result<Self> {
                Self::with_kernel(weights, $crate::row_matmul::Kernel::detect())
            }

            /// `x` (..., in) times the transposed matrix: (..., out).
            pub fn forward(
                &self,
                x: &candle_core::Tensor,
            ) -> candle_core::Result<candle_core::Tensor> {
                $crate::row_matmul::forward(self, x)
            }
        }

        impl $crate::row_matmul::RowKernel for $matrix {
            fn rows(&self) -> usize {
                self.rows
            }

            fn cols(&self) -> usize {
                self.blocks_per_row * $crate::activations::BLOCK
            }

            fn column_group(&self) -> usize {
                $crate::row_matmul::GROUP
            }

            unsafe fn dot_columns(
                &self,
                columns: std::ops::Range<usize>,
                rows: &[$crate::activations::ActivationRow<'_>],
                out: $crate::row_matmul::Output,
            ) {
                use $crate::row_matmul::{GROUP, Kernel, row_tiles, tile};
                /// The group loop with AVX-512 VNNI dot products.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
                unsafe fn avx512(
                    matrix: &$matrix,
                    groups: std::ops::Range<usize>,
                    rows: &[$crate::activations::ActivationRow<'_>],
                    out: $crate::row_matmul::Output,
                ) {
                    for g in groups {
                        let w = matrix.group(g);
                        row_tiles!(rows, tile::AVX512_ROWS, |r0, tile| {
                            // SAFETY: this function has the kernel's features;
                            // the caller owns the group's columns.
                            unsafe { out.write_tile(r0, g, &group_tile_avx512(w, tile)) }
                        });
                    }
                }
                /// The group loop with AVX2 dot products.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,f16c,fma")]
                unsafe fn avx2(
                    matrix: &$matrix,
                    groups: std::ops::Range<usize>,
                    rows: &[$crate::activations::ActivationRow<'_>],
                    out: $crate::row_matmul::Output,
                ) {
                    for g in groups {
                        let w = matrix.group(g);
                        row_tiles!(rows, tile::AVX2_ROWS, |r0, tile| {
                            // SAFETY: as above.
                            unsafe { out.write_tile(r0, g, &group_tile_avx2(w, tile)) }
                        });
                    }
                }
                // `columns` starts at a multiple of GROUP (column_group).
                let groups = columns.start / GROUP..columns.end.div_ceil(GROUP);
                match self.kernel {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the kernel was chosen because these features are present.
                    Kernel::Avx512Vnni => unsafe { avx512(self, groups, rows, out) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Kernel::Avx2 => unsafe { avx2(self, groups, rows, out) },
                    _ => {
                        for g in groups {
                            let w = self.group(g);
                            for (r, a) in rows.iter().enumerate() {
                                // SAFETY: the caller owns the group's columns.
                                unsafe { out.write_tile(r, g, &[dot_portable(w, *a)]) };
                            }
                        }
                    }
                }
            }
        }
    };
}
pub(crate) use grouped_kernel;

/// The numerics of this machine's kernels, named in every commitment
/// ([`crate::commitment::Commitment::numerics`]): machines of the same
/// numerics compute the same hidden states, whichever kernel each runs.
/// On x86-64 with fused multiply-adds every kernel does the same
/// operations in the same order (portable Rust with `mul_add`), so
/// avx512-vnni, avx2 and portable give the same bits (BENCHMARKS.md,
/// "One numerics for every kernel"); the name is the one the SIMD kernels'
/// commitments took first. Elsewhere the libraries' own code (candle's
/// operations, libm) may round otherwise, so the numerics are named by
/// the machine's architecture and hold only to each other.
pub fn numerics() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        return "simd";
    }
    std::env::consts::ARCH
}

/// Checks that `weights` are a matrix of `dtype` made of whole blocks of
/// `stored` bytes each and returns (rows, columns, the blocks' bytes).
pub(crate) fn stored_blocks(
    weights: &QTensor,
    dtype: GgmlDType,
    stored: usize,
) -> Result<(usize, usize, Cow<'_, [u8]>)> {
    if weights.dtype() != dtype {
        bail!("expected {dtype:?} weights, got {:?}", weights.dtype());
    }
    let (rows, cols) = weights.shape().dims2()?;
    if !cols.is_multiple_of(BLOCK) {
        bail!("{dtype:?} rows of {cols} values are not whole blocks");
    }
    let bytes = weights.data()?;
    if bytes.len() != rows * cols / BLOCK * stored {
        bail!("{dtype:?} data has {} bytes for {rows}x{cols}", bytes.len());
    }
    Ok((rows, cols, bytes))
}

/// `x` (..., in) times the transposed weights of `kernel`: (..., out).
pub fn forward<K: RowKernel>(kernel: &K, x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&RowMatmul(kernel))
}

/// The candle operation running a [`RowKernel`].
struct RowMatmul<'k, K>(&'k K);

impl<K: RowKernel> CustomOp1 for RowMatmul<'_, K> {
    fn name(&self) -> &'static str {
        "row-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let kernel = self.0;
        let x = match storage {
            CpuStorage::F32(x) => x,
            _ => bail!("row-matmul takes f32 activations"),
        };
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("row-matmul input not contiguous".into()))?;
        let x = &x[start..end];
        let cols = kernel.cols();
        let mut dims = layout.shape().dims().to_vec();
        if dims.last() != Some(&cols) || !cols.is_multiple_of(BLOCK) {
            bail!("row-matmul: input {dims:?} does not end in {cols}");
        }
        let activations = Activations::quantize(x, cols);
        let rows: Vec<ActivationRow<'_>> = (0..activations.rows())
            .map(|r| activations.row(r))
            .collect();
        let (m, n) = (rows.len(), kernel.rows());
        let mut values = vec![0f32; m * n];
        let out = Output {
            values: values.as_mut_ptr(),
            columns: n,
        };
        let group = kernel.column_group();
        candle_core::utils::barrier_pool().execute_chunked(n.div_ceil(group), |groups| {
            let columns = groups.start * group..(groups.end * group).min(n);
            // SAFETY: `values` holds m x n; the pool gives each column to one worker.
            unsafe { kernel.dot_columns(columns, &rows, out) }
        });
        *dims.last_mut().expect("non-empty dims") = n;
        Ok((CpuStorage::F32(values), Shape::from(dims)))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
    use candle_core::{Device, Module, Tensor};

    use super::Kernel;
    use crate::q4_1::Q4_1Matrix;
    use crate::q8_0::Q8_0Matrix;

    /// A format under test: its dtype and a constructor with a chosen kernel.
    type Build = fn(&QTensor, Kernel) -> Box<dyn Fn(&Tensor) -> Tensor>;

    fn formats() -> [(GgmlDType, Build); 2] {
        [
            (GgmlDType::Q4_1, |q, k| {
                let m = Q4_1Matrix::with_kernel(q, k).unwrap();
                Box::new(move |x| m.forward(x).unwrap())
            }),
            (GgmlDType::Q8_0, |q, k| {
                let m = Q8_0Matrix::with_kernel(q, k).unwrap();
                Box::new(move |x| m.forward(x).unwrap())
            }),
        ]
    }

    /// Normal-looking values from a fixed seed (sums of uniforms), so that
    /// every run checks the same numbers.
    fn random(rows: usize, cols: usize) -> Tensor {
        let mut state = (rows * 7919 + cols) as u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let values = (0..rows * cols)
            .map(|_| (0..4).map(|_| uniform()).sum::<f32>() - 2.0)
            .collect();
        Tensor::from_vec(values, (rows, cols), &Device::Cpu).unwrap()
    }

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap()
    }

    #[test]
    fn every_kernel_matches_candle_with_whole_and_padded_groups() {
        // 64 weight rows are whole groups of 16; 40 and 24 end in a padded one.
        for (dtype, build) in formats() {
            for (rows, cols) in [(64, 96), (40, 576), (24, 1536)] {
                let w = random(rows, cols);
                let x = random(5, cols);
                let theirs = QMatMul::from_qtensor(QTensor::quantize(&w, dtype).unwrap())
                    .unwrap()
                    .forward(&x)
                    .unwrap();
                let q = QTensor::quantize(&w, dtype).unwrap();
                let portable = build(&q, Kernel::Portable)(&x);
                // candle rounds a block's activation sum to f16 before
                // scaling it, ggml (and this crate) after: Q4_1's minimum
                // terms differ by up to one f16 step per block.
                let limit = 4e-3 * (cols as f32).sqrt();
                let diff = max_difference(&portable, &theirs);
                assert!(diff < limit, "{dtype:?} {rows}x{cols} vs candle: {diff}");
                // The SIMD kernels do the same operations in the same order.
                let bits = |t: &Tensor| -> Vec<u32> {
                    let values = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                    values.into_iter().map(f32::to_bits).collect()
                };
                for kernel in Kernel::available() {
                    let theirs = build(&q, kernel)(&x);
                    assert!(
                        bits(&theirs) == bits(&portable),
                        "{dtype:?} {kernel:?} {rows}x{cols}: {}",
                        max_difference(&theirs, &portable)
                    );
                }
            }
        }
    }

    #[test]
    fn values_are_computed_alike_alone_and_in_tiles() {
        // 67 weight rows: 4 whole groups of 16 and a padded one of 3,
        // split over the thread pool. 13 activation rows: a whole tile of
        // 8, a leftover tile of 4 and a single row. Rows of 576 and 608
        // values: an even and an odd number of blocks.
        for (dtype, build) in formats() {
            for cols in [576, 608] {
                let w = random(67, cols);
                let q = QTensor::quantize(&w, dtype).unwrap();
                for kernel in Kernel::available() {
                    let matmul = build(&q, kernel);
                    let x = random(13, cols);
                    let batched: Vec<Vec<f32>> = matmul(&x).to_vec2().unwrap();
                    for (r, expected) in batched.iter().enumerate() {
                        let alone: Vec<Vec<f32>> =
                            matmul(&x.narrow(0, r, 1).unwrap()).to_vec2().unwrap();
                        assert_eq!(&alone[0], expected, "{dtype:?} {kernel:?} {cols} row {r}");
                    }
                    for j in [0, 1, 63, 64, 65, 66] {
                        // New storage: candle quantizes a narrowed tensor's from its start.
                        let values = w.get(j).unwrap().to_vec1::<f32>().unwrap();
                        let row = Tensor::from_vec(values, (1, cols), &Device::Cpu).unwrap();
                        let one = QTensor::quantize(&row, dtype).unwrap();
                        let alone: Vec<Vec<f32>> = build(&one, kernel)(&x).to_vec2().unwrap();
                        for (r, row) in batched.iter().enumerate() {
                            assert_eq!(
                                alone[r][0], row[j],
                                "{dtype:?} {kernel:?} {cols} column {j}"
                            );
                        }
                    }
                }
            }
        }
    }
}

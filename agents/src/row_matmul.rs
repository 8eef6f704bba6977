//! Matrix products of quantized weights with activation rows, for the
//! formats the project runs with its own SIMD kernels ([`crate::q4_1`],
//! [`crate::q8_0`]). The activations are quantized once per product
//! ([`Activations`]); output columns are split over candle's thread pool;
//! tiles of weight rows are dotted with tiles of activation rows ([`tile`]),
//! so that a round's batch reads the weights once per step.
//!
//! Each output value is computed by the same sequence of operations whatever
//! the number of rows: batched rows equal single ones exactly.

use std::borrow::Cow;
use std::ops::Range;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail};

use crate::activations::{ActivationRow, Activations, BLOCK};

/// The tile shapes of each kernel: activation rows sharing each weight load
/// and weight rows sharing each activation load, fitted to the registers
/// (32 of 512 bits; 16 of 256 bits on machines with AVX2 only) and measured
/// with `examples/kernels.rs`.
pub mod tile {
    /// Activation rows per AVX-512 tile.
    pub const AVX512_ROWS: usize = 8;
    /// Weight rows per AVX-512 tile.
    pub const AVX512_COLUMNS: usize = 2;
    /// Activation rows per AVX2 tile.
    pub const AVX2_ROWS: usize = 4;
    /// Weight rows per AVX2 tile.
    pub const AVX2_COLUMNS: usize = 1;
    /// Activation rows per portable tile (the compiler vectorizes within a dot).
    pub const PORTABLE_ROWS: usize = 4;
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
    /// Writes the dot products of the weight rows in `columns` with every
    /// activation row to `out` (use [`tiled_columns!`]).
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
    /// Stores the value of activation row `r` and weight row `j`.
    ///
    /// # Safety
    /// In bounds, and the caller's thread is the only writer of column `j`.
    pub unsafe fn write(self, r: usize, j: usize, value: f32) {
        // SAFETY: guaranteed by the caller.
        unsafe { *self.values.add(r * self.columns + j) = value };
    }
}

/// Weight rows whose tiles run over every activation row before the next
/// ones start: a block of weights stays in cache while the activations
/// stream past it once (a large output matrix would otherwise be read from
/// memory once per tile of activation rows).
pub const COLUMN_BLOCK: usize = 64;

/// The loop of every [`RowKernel::dot_columns`]: for each block of
/// [`COLUMN_BLOCK`] weight rows, each tile of `$row_tile` activation rows
/// (then the rows left over, in tiles of [`tile::LEFTOVER_ROWS`] and one at
/// a time) meets tiles of `$column_tile`
/// weight rows (then the weight rows left over, one at a time). `$dot`, an
/// expression of `$js` (an array of weight row indices) and `$tile` (a
/// reference to an array of activation rows), returns the values as
/// `[[f32; rows]; weight rows]`. A macro, not a function, so that `$dot` is
/// compiled inside the caller's `target_feature` context. Every value is
/// computed by the same operations whatever tile it falls in.
macro_rules! tiled_columns {
    ($columns:expr, $rows:expr, $out:expr, ($row_tile:expr, $column_tile:expr), |$js:ident, $tile:ident| $dot:expr) => {{
        let columns: std::ops::Range<usize> = $columns;
        let mut start = columns.start;
        while start < columns.end {
            let block = start..(start + $crate::row_matmul::COLUMN_BLOCK).min(columns.end);
            let mut r0 = 0;
            let mut tiles = $rows.chunks_exact($row_tile);
            for tile in tiles.by_ref() {
                let $tile: &[_; $row_tile] = tile.try_into().expect("whole tiles");
                $crate::row_matmul::tiled_columns!(@block block.clone(), r0, $out, $column_tile, |$js, $tile| $dot);
                r0 += $row_tile;
            }
            let mut leftover_tiles = tiles.remainder().chunks_exact($crate::row_matmul::tile::LEFTOVER_ROWS);
            for tile in leftover_tiles.by_ref() {
                let $tile: &[_; $crate::row_matmul::tile::LEFTOVER_ROWS] =
                    tile.try_into().expect("whole tiles");
                $crate::row_matmul::tiled_columns!(@block block.clone(), r0, $out, $column_tile, |$js, $tile| $dot);
                r0 += $crate::row_matmul::tile::LEFTOVER_ROWS;
            }
            for row in leftover_tiles.remainder() {
                let $tile: &[_; 1] = std::slice::from_ref(row).try_into().expect("one row");
                $crate::row_matmul::tiled_columns!(@block block.clone(), r0, $out, $column_tile, |$js, $tile| $dot);
                r0 += 1;
            }
            start = block.end;
        }
    }};
    (@block $block:expr, $r0:expr, $out:expr, $column_tile:expr, |$js:ident, $tile:ident| $dot:expr) => {{
        let block: std::ops::Range<usize> = $block;
        let tiled_end = block.start + block.len() / $column_tile * $column_tile;
        for first in (block.start..tiled_end).step_by($column_tile) {
            let $js: [usize; $column_tile] = std::array::from_fn(|c| first + c);
            $crate::row_matmul::tiled_columns!(@write $r0, $js, $out, $dot);
        }
        for j in tiled_end..block.end {
            let $js = [j];
            $crate::row_matmul::tiled_columns!(@write $r0, $js, $out, $dot);
        }
    }};
    (@write $r0:expr, $js:ident, $out:expr, $dot:expr) => {
        for (column, values) in $js.iter().zip($dot) {
            for (r, value) in values.into_iter().enumerate() {
                // SAFETY: the caller of dot_columns owns these columns.
                unsafe { $out.write($r0 + r, *column, value) };
            }
        }
    };
}
pub(crate) use tiled_columns;

/// Implements [`RowKernel`], `new` and `forward` for a weight format
/// `$matrix` of this crate: a struct with fields `rows`, `blocks_per_row`
/// and `kernel` and methods `with_kernel(weights, kernel)` and `row(j)`, in
/// a module with the function `dot_portable(row, activation)`, the SIMD
/// functions `dot_tile_avx512` / `dot_tile_avx2(&[row; C], &[activation; R])
/// -> [[f32; R]; C]`, run on the [`tile`] shapes. The SIMD loops are
/// generated inside functions with the kernels' features.
macro_rules! row_kernel {
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

            unsafe fn dot_columns(
                &self,
                columns: std::ops::Range<usize>,
                rows: &[$crate::activations::ActivationRow<'_>],
                out: $crate::row_matmul::Output,
            ) {
                use $crate::row_matmul::{Kernel, tile, tiled_columns};
                /// The column loop with AVX-512 VNNI dot products.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")]
                unsafe fn avx512(
                    matrix: &$matrix,
                    columns: std::ops::Range<usize>,
                    rows: &[$crate::activations::ActivationRow<'_>],
                    out: $crate::row_matmul::Output,
                ) {
                    tiled_columns!(
                        columns,
                        rows,
                        out,
                        (tile::AVX512_ROWS, tile::AVX512_COLUMNS),
                        |js, tile| {
                            // SAFETY: this function has the kernel's features.
                            unsafe { dot_tile_avx512(&js.map(|j| matrix.row(j)), tile) }
                        }
                    );
                }
                /// The column loop with AVX2 dot products.
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,f16c,fma")]
                unsafe fn avx2(
                    matrix: &$matrix,
                    columns: std::ops::Range<usize>,
                    rows: &[$crate::activations::ActivationRow<'_>],
                    out: $crate::row_matmul::Output,
                ) {
                    tiled_columns!(
                        columns,
                        rows,
                        out,
                        (tile::AVX2_ROWS, tile::AVX2_COLUMNS),
                        |js, tile| {
                            // SAFETY: this function has the kernel's features.
                            unsafe { dot_tile_avx2(&js.map(|j| matrix.row(j)), tile) }
                        }
                    );
                }
                match self.kernel {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the kernel was chosen because these features are present.
                    Kernel::Avx512Vnni => unsafe { avx512(self, columns, rows, out) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Kernel::Avx2 => unsafe { avx2(self, columns, rows, out) },
                    _ => {
                        tiled_columns!(columns, rows, out, (tile::PORTABLE_ROWS, 1), |js, tile| {
                            js.map(|j| tile.map(|a| dot_portable(self.row(j), a)))
                        })
                    }
                }
            }
        }
    };
}
pub(crate) use row_kernel;

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
        candle_core::utils::barrier_pool().execute_chunked(n, |columns| {
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
    fn both_kernels_match_candle_with_and_without_leftover_blocks() {
        // 96 = 3 blocks (no whole chunk), 576 = 4 chunks + 2 blocks, 1536 = 12 chunks.
        for (dtype, build) in formats() {
            for (rows, cols) in [(72, 96), (40, 576), (24, 1536)] {
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
                // The SIMD kernels only sum in another order.
                for kernel in Kernel::available() {
                    let diff = max_difference(&build(&q, kernel)(&x), &portable);
                    assert!(diff < 1e-4, "{dtype:?} {kernel:?} {rows}x{cols}: {diff}");
                }
            }
        }
    }

    #[test]
    fn values_are_computed_alike_alone_and_in_tiles() {
        // 576 = 18 blocks (AVX-512: 4 chunks + a pair; AVX2: 9 pairs),
        // 608 = 19 blocks (4 chunks + a pair + 1; 9 pairs + 1): every
        // leftover path. 67 weight rows: a whole column block and a
        // remainder, with tiles and a weight row left over. 13 activation
        // rows: a whole tile of 8, a leftover tile of 4 and a single row.
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

//! Matrix products of quantized weights with activation rows, for the
//! formats the project runs with its own SIMD kernels ([`crate::q4_1`],
//! [`crate::q8_0`]). The activations are quantized once per product
//! ([`Activations`]); output columns are split over candle's thread pool;
//! each weight row is dotted with [`ROW_TILE`] activation rows at a time, so
//! a round's batch reads the weights once per step.
//!
//! Each output value is computed by the same sequence of operations whatever
//! the number of rows: batched rows equal single ones exactly.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail};

use crate::activations::{ActivationRow, Activations, BLOCK};

/// Activation rows sharing one pass over a weight row.
pub const ROW_TILE: usize = 4;

/// The instruction set the dot products use, detected once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// 512-bit registers with 8-bit dot-product instructions.
    Avx512Vnni,
    /// Plain Rust, for other machines (and as the tests' reference).
    Portable,
}

impl Kernel {
    /// The best kernel this machine runs.
    pub fn detect() -> Self {
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

/// Quantized weights of shape (out, in) whose rows are dotted with
/// quantized activation rows.
pub trait RowKernel: Send + Sync {
    /// Output values per activation row.
    fn rows(&self) -> usize;
    /// Values per activation row.
    fn cols(&self) -> usize;
    /// Dot products of weight row `j` with the activation rows `a`.
    fn dot_rows<const R: usize>(&self, j: usize, a: [ActivationRow<'_>; R]) -> [f32; R];
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
        let mut out = vec![0f32; m * n];
        let out_ptr = out.as_mut_ptr() as usize;
        candle_core::utils::barrier_pool().execute_chunked(n, |columns| {
            let out = out_ptr as *mut f32;
            for j in columns {
                let mut tiles = rows.chunks_exact(ROW_TILE);
                let mut r = 0;
                for tile in tiles.by_ref() {
                    let tile: [ActivationRow<'_>; ROW_TILE] = std::array::from_fn(|i| tile[i]);
                    for v in kernel.dot_rows(j, tile) {
                        // SAFETY: (r, j) is in bounds and written only by
                        // the worker owning column j.
                        unsafe { *out.add(r * n + j) = v };
                        r += 1;
                    }
                }
                for row in tiles.remainder() {
                    let [v] = kernel.dot_rows(j, [*row]);
                    // SAFETY: as above.
                    unsafe { *out.add(r * n + j) = v };
                    r += 1;
                }
            }
        });
        *dims.last_mut().expect("non-empty dims") = n;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
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

    fn random(rows: usize, cols: usize) -> Tensor {
        Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).unwrap()
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
                let q = QTensor::quantize(&w, dtype).unwrap();
                let x = random(5, cols);
                let theirs = QMatMul::from_qtensor(QTensor::quantize(&w, dtype).unwrap())
                    .unwrap()
                    .forward(&x)
                    .unwrap();
                for kernel in [Kernel::detect(), Kernel::Portable] {
                    let diff = max_difference(&build(&q, kernel)(&x), &theirs);
                    let limit = 2e-3 * (cols as f32).sqrt();
                    assert!(diff < limit, "{dtype:?} {kernel:?} {rows}x{cols}: {diff}");
                }
            }
        }
    }

    #[test]
    fn rows_are_computed_alike_alone_and_in_tiles() {
        for (dtype, build) in formats() {
            let q = QTensor::quantize(&random(64, 576), dtype).unwrap();
            let matmul = build(&q, Kernel::detect());
            let x = random(7, 576);
            let batched: Vec<Vec<f32>> = matmul(&x).to_vec2().unwrap();
            for (r, expected) in batched.iter().enumerate() {
                let alone: Vec<Vec<f32>> = matmul(&x.narrow(0, r, 1).unwrap()).to_vec2().unwrap();
                assert_eq!(&alone[0], expected, "{dtype:?} row {r}");
            }
        }
    }
}

//! Quantized projections whose result for one row does not depend on how
//! many rows are computed together, so a batch of sequences gets exactly the
//! numbers each sequence gets alone.
//!
//! candle picks its x86 kernel for Q6_K by the number of rows: compact
//! weights for one row, repacked tiles for several. The two sum in different
//! orders, so a lone row is padded to two to take the tiled kernel as well.
//! Q4_1, which candle runs with scalar code only, goes to [`Q4_1Matrix`];
//! Q8_0 to [`Q8_0Matrix`], which shares weight loads across rows.

use std::borrow::Cow;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{D, Device, Module, Result, Tensor};

use crate::q4_1::Q4_1Matrix;
use crate::q8_0::Q8_0Matrix;
use crate::row_matmul::{Kernel, RowKernel};

/// A weight matrix applied to the rows of its input (last dimension).
#[derive(Debug, Clone)]
pub enum Linear {
    /// candle's kernels; `pad_single_row` makes a lone row take the
    /// multi-row kernel.
    Candle {
        matmul: QMatMul,
        pad_single_row: bool,
    },
    /// The project's SIMD kernel for Q4_1, which candle lacks.
    Q4_1(Arc<Q4_1Matrix>),
    /// The project's SIMD kernel for Q8_0.
    Q8_0(Arc<Q8_0Matrix>),
}

impl Linear {
    /// Wraps quantized weights of shape (out, in), run by `kernel` where
    /// the project's own kernels apply.
    pub fn new(weights: QTensor, kernel: Kernel) -> Result<Self> {
        Ok(match weights.dtype() {
            GgmlDType::Q4_1 => Self::Q4_1(Arc::new(Q4_1Matrix::with_kernel(&weights, kernel)?)),
            GgmlDType::Q8_0 => Self::Q8_0(Arc::new(Q8_0Matrix::with_kernel(&weights, kernel)?)),
            dtype => Self::Candle {
                pad_single_row: dtype == GgmlDType::Q6K,
                matmul: QMatMul::from_qtensor(weights)?,
            },
        })
    }

    /// Whether [`Linear::new`] keeps weights of `dtype` in one of the
    /// project's own formats, whose rows [`Linear::rows`] gives: Q4_1
    /// (candle has only scalar code for it) and Q8_0. Q8_0 takes the
    /// project's kernel under every [`Kernel`], the portable one included,
    /// so that every kernel computes the same bits: candle's Q8_0 kernel
    /// rounds differently, and a model scored under
    /// `portable` departed from its f32 original by 1.6 nats on an 8-token
    /// answer, against 0.01 under `avx2`.
    pub fn gives_rows(dtype: GgmlDType) -> bool {
        matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q8_0)
    }

    /// The weight rows `ids` in f32, shape (ids, in): a tied embedding
    /// table read from the output projection instead of a second copy.
    pub fn rows(&self, ids: &[u32]) -> Result<Tensor> {
        match self {
            Self::Q4_1(m) => gather_rows(&**m, ids, |j, out| m.extend_with_row(j, out)),
            Self::Q8_0(m) => gather_rows(&**m, ids, |j, out| m.extend_with_row(j, out)),
            Self::Candle { .. } => candle_core::bail!("rows of candle's formats are not kept"),
        }
    }

    /// `x` (..., in) times the transposed weights: (..., out).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (matmul, pad_single_row) = match self {
            Self::Q4_1(matrix) => return matrix.forward(x),
            Self::Q8_0(matrix) => return matrix.forward(x),
            Self::Candle {
                matmul,
                pad_single_row,
            } => (matmul, *pad_single_row),
        };
        let rows = x.elem_count() / x.dim(D::Minus1)?;
        if !(pad_single_row && rows == 1) {
            return matmul.forward(x);
        }
        let row = x.flatten_all()?.unsqueeze(0)?;
        let out = matmul.forward(&Tensor::cat(&[&row, &row], 0)?)?;
        let mut dims = x.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = out.dim(1)?;
        }
        out.narrow(0, 0, 1)?.reshape(dims)
    }
}

/// Rows `ids` of `matrix`, each appended to the output by `extend`.
fn gather_rows(
    matrix: &impl RowKernel,
    ids: &[u32],
    extend: impl Fn(usize, &mut Vec<f32>),
) -> Result<Tensor> {
    let (count, width) = (matrix.rows(), matrix.cols());
    let mut values = Vec::with_capacity(ids.len() * width);
    for &id in ids {
        if id as usize >= count {
            candle_core::bail!("token id {id} is outside the vocabulary of {count} tokens");
        }
        extend(id as usize, &mut values);
    }
    Tensor::from_vec(values, (ids.len(), width), &Device::Cpu)
}

/// Projections of one input (a layer's query, key and value; or its gate
/// and up projections), fused into one matrix when they share a format:
/// the input is then quantized once and the thread pool woken once, which
/// at one token per step costs as much as the arithmetic.
#[derive(Debug, Clone)]
pub enum Projections {
    /// One matrix whose output columns are the parts' outputs, in order.
    Fused { linear: Linear, widths: Vec<usize> },
    /// Parts whose formats differ (Gemma 3 mixes them), run one by one.
    Separate(Vec<Linear>),
}

impl Projections {
    /// Wraps weights of shapes (out_i, in), all with the same `in`.
    pub fn new(parts: Vec<QTensor>, kernel: Kernel) -> Result<Self> {
        let first = &parts[0];
        let same_format = parts.iter().all(|p| {
            p.dtype() == first.dtype() && p.shape().dims()[1..] == first.shape().dims()[1..]
        });
        if !same_format {
            return Ok(Self::Separate(
                parts
                    .into_iter()
                    .map(|p| Linear::new(p, kernel))
                    .collect::<Result<_>>()?,
            ));
        }
        let (_, cols) = first.shape().dims2()?;
        let widths: Vec<usize> = parts.iter().map(|p| p.shape().dims()[0]).collect();
        // Quantized rows are whole blocks, so stacking the rows' bytes
        // stacks the matrices.
        let mut bytes = Vec::new();
        for part in &parts {
            bytes.extend_from_slice(&part.data()?);
        }
        let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, first.dtype())?;
        let fused = QTensor::new(storage, (widths.iter().sum::<usize>(), cols))?;
        Ok(Self::Fused {
            linear: Linear::new(fused, kernel)?,
            widths,
        })
    }

    /// Each part's output for `x` (..., in).
    pub fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        match self {
            Self::Separate(parts) => parts.iter().map(|p| p.forward(x)).collect(),
            Self::Fused { linear, widths } => {
                let all = linear.forward(x)?;
                let mut offset = 0;
                widths
                    .iter()
                    .map(|width| {
                        let part = all.narrow(D::Minus1, offset, *width);
                        offset += width;
                        part
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(rows: usize, dtype: GgmlDType) -> QTensor {
        let w = Tensor::randn(0f32, 1.0, (rows, 64), &Device::Cpu).unwrap();
        QTensor::quantize(&w, dtype).unwrap()
    }

    fn copy(q: &QTensor) -> QTensor {
        let storage = QStorage::from_data(q.data().unwrap(), &Device::Cpu, q.dtype()).unwrap();
        QTensor::new(storage, q.shape()).unwrap()
    }

    #[test]
    fn fused_projections_equal_the_parts_and_mixed_formats_stay_apart() {
        let parts = vec![
            weights(64, GgmlDType::Q4_1),
            weights(32, GgmlDType::Q4_1),
            weights(32, GgmlDType::Q4_1),
        ];
        let alone: Vec<Linear> = parts
            .iter()
            .map(|q| Linear::new(copy(q), Kernel::detect()).unwrap())
            .collect();
        let fused = Projections::new(parts, Kernel::detect()).unwrap();
        assert!(matches!(fused, Projections::Fused { .. }));
        let x = Tensor::randn(0f32, 1.0, (3, 64), &Device::Cpu).unwrap();
        for (part, single) in fused.forward(&x).unwrap().iter().zip(&alone) {
            let expected: Vec<Vec<f32>> = single.forward(&x).unwrap().to_vec2().unwrap();
            assert_eq!(part.to_vec2::<f32>().unwrap(), expected);
        }
        let mixed = Projections::new(
            vec![weights(32, GgmlDType::Q4_1), weights(32, GgmlDType::Q8_0)],
            Kernel::detect(),
        )
        .unwrap();
        assert!(matches!(mixed, Projections::Separate(ref p) if p.len() == 2));
        assert_eq!(mixed.forward(&x).unwrap()[1].dims(), &[3, 32]);
    }

    #[test]
    fn rows_equal_candle_dequantization_and_unknown_ids_are_refused() {
        for dtype in [GgmlDType::Q4_1, GgmlDType::Q8_0] {
            assert!(Linear::gives_rows(dtype));
            let q = weights(16, dtype);
            let table: Vec<Vec<f32>> = q.dequantize(&Device::Cpu).unwrap().to_vec2().unwrap();
            let linear = Linear::new(q, Kernel::detect()).unwrap();
            let rows: Vec<Vec<f32>> = linear.rows(&[3, 0, 15]).unwrap().to_vec2().unwrap();
            assert_eq!(
                rows,
                vec![table[3].clone(), table[0].clone(), table[15].clone()]
            );
            let err = linear.rows(&[16]).unwrap_err().to_string();
            assert!(err.contains("token id 16"), "{err}");
        }
    }
}

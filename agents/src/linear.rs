//! Quantized projections whose result for one row does not depend on how
//! many rows are computed together, so a batch of sequences gets exactly the
//! numbers each sequence gets alone.
//!
//! candle picks its x86 kernel for Q6_K by the number of rows: compact
//! weights for one row, repacked tiles for several. The two sum in different
//! orders, so a lone row is padded to two to take the tiled kernel as well.
//! Q4_1, which candle runs with scalar code only, goes to [`Q4_1Matrix`];
//! Q8_0 to [`Q8_0Matrix`], which shares weight loads across rows.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Module, Result, Tensor};

use crate::q4_1::Q4_1Matrix;
use crate::q8_0::Q8_0Matrix;

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
    /// Wraps quantized weights of shape (out, in).
    pub fn new(weights: QTensor) -> Result<Self> {
        Ok(match weights.dtype() {
            GgmlDType::Q4_1 => Self::Q4_1(Arc::new(Q4_1Matrix::new(&weights)?)),
            GgmlDType::Q8_0 => Self::Q8_0(Arc::new(Q8_0Matrix::new(&weights)?)),
            dtype => Self::Candle {
                pad_single_row: dtype == GgmlDType::Q6K,
                matmul: QMatMul::from_qtensor(weights)?,
            },
        })
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
        let rows = x.elem_count() / x.dim(candle_core::D::Minus1)?;
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

//! Quantized projections whose result for one row does not depend on how
//! many rows are computed together, so a batch of sequences gets exactly the
//! numbers each sequence gets alone.
//!
//! candle picks its x86 kernel for Q6_K by the number of rows: compact
//! weights for one row, repacked tiles for several. The two sum in different
//! orders, so a lone row is padded to two to take the tiled kernel as well.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Module, Result, Tensor};

/// A weight matrix applied to the rows of its input (last dimension).
#[derive(Debug, Clone)]
pub struct Linear {
    matmul: QMatMul,
    /// Whether one row must be padded to two to get the multi-row kernel.
    pad_single_row: bool,
}

impl Linear {
    /// Wraps quantized weights of shape (out, in).
    pub fn new(weights: QTensor) -> Result<Self> {
        let pad_single_row = weights.dtype() == GgmlDType::Q6K;
        Ok(Self {
            matmul: QMatMul::from_qtensor(weights)?,
            pad_single_row,
        })
    }

    /// `x` (..., in) times the transposed weights: (..., out).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rows = x.elem_count() / x.dim(candle_core::D::Minus1)?;
        if !(self.pad_single_row && rows == 1) {
            return self.matmul.forward(x);
        }
        let row = x.flatten_all()?.unsqueeze(0)?;
        let out = self.matmul.forward(&Tensor::cat(&[&row, &row], 0)?)?;
        let mut dims = x.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = out.dim(1)?;
        }
        out.narrow(0, 0, 1)?.reshape(dims)
    }
}

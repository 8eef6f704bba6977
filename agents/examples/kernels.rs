//! The matrix kernels alone: Q4_1 and Q8_0 products of SmolLM2's shapes
//! (1536x576, 576x1536) with 1, 4, 8 and 64 activation rows, best of 300
//! products, for the kernel `ARENA_KERNEL` picks. Best-of timing on one
//! thread is steady even on a shared machine:
//!
//!     CANDLE_NUM_THREADS=1 ARENA_KERNEL=avx2 cargo run --release -p agents --example kernels

use std::time::Instant;

use agents::q4_1::Q4_1Matrix;
use agents::q8_0::Q8_0Matrix;
use agents::row_matmul::Kernel;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Result, Tensor};

/// Uniform values in -0.5..0.5 from a fixed seed.
fn random(rows: usize, cols: usize, mut state: u64) -> Result<Tensor> {
    let values: Vec<f32> = (0..rows * cols)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    Tensor::from_vec(values, (rows, cols), &Device::Cpu)
}

/// Best time of `product` over 300 calls, in seconds.
fn best(product: &dyn Fn() -> Result<Tensor>) -> Result<f64> {
    let mut best = f64::MAX;
    for _ in 0..300 {
        let start = Instant::now();
        product()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn main() -> Result<()> {
    let kernel = Kernel::from_env().map_err(candle_core::Error::Msg)?;
    println!("kernel: {}", kernel.name());
    for (out, inp) in [(1536, 576), (576, 1536)] {
        let w = random(out, inp, 1)?;
        let q4_1 = Q4_1Matrix::new(&QTensor::quantize(&w, GgmlDType::Q4_1)?)?;
        let q8_0 = Q8_0Matrix::new(&QTensor::quantize(&w, GgmlDType::Q8_0)?)?;
        for rows in [1, 4, 8, 64] {
            let x = random(rows, inp, 2)?;
            let formats: [(&str, &dyn Fn() -> Result<Tensor>); 2] = [
                ("Q4_1", &|| q4_1.forward(&x)),
                ("Q8_0", &|| q8_0.forward(&x)),
            ];
            for (name, product) in formats {
                let t = best(product)?;
                let macs = (out * inp * rows) as f64;
                println!(
                    "{name} {out}x{inp}, {rows:2} rows: {:8.1} us, {:5.1} G MAC/s",
                    t * 1e6,
                    macs / t / 1e9
                );
            }
        }
    }
    Ok(())
}

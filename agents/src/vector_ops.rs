//! The f32 vector arithmetic of attention: a query's dot products with the
//! keys, and the sum of the values weighted by the scores.
//!
//! Under the project's SIMD kernels it runs with AVX2 and fused
//! multiply-adds; under `ARENA_KERNEL=portable`, in plain Rust that does
//! the same operations in the same order (`f32::mul_add` rounds once, as a
//! fused multiply-add does), so both give the same bits. With the matrix
//! kernels' own parity ([`crate::q8_0`], [`crate::q4_1`]) every kernel then
//! computes the same hidden states, and `arena verify` holds every kernel
//! to the tight tolerance ([`crate::commitment::SAME_KERNEL_TOLERANCE`]).
//! Before, the portable code summed in another order, and the 8-bit
//! rounding of activations before each matrix product turned last-place
//! differences into distances of up to 0.07 (BENCHMARKS.md).

use crate::row_matmul::Kernel;

/// Which code computes attention's vector operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorOps {
    /// 256-bit registers with fused multiply-adds.
    Avx2,
    /// Plain Rust with independent sums the compiler can vectorize.
    Portable,
}

impl VectorOps {
    /// The code that goes with `kernel`: AVX2 under the SIMD kernels, on
    /// machines with AVX2 and FMA; portable Rust otherwise.
    pub fn for_kernel(kernel: Kernel) -> Self {
        #[cfg(target_arch = "x86_64")]
        if kernel != Kernel::Portable
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Self::Avx2;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = kernel;
        Self::Portable
    }

    /// The dot product of `a` and `b` (of equal length).
    pub fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            // SAFETY: `for_kernel` chose Avx2 only where the machine has it.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { dot_avx2(a, b) },
            _ => dot_portable(a, b),
        }
    }

    /// Adds `weights[p]` times `values[p * stride..][..y.len()]` to `y` for
    /// every position `p`.
    pub fn add_weighted(self, y: &mut [f32], weights: &[f32], values: &[f32], stride: usize) {
        if let Some(last) = weights.len().checked_sub(1) {
            assert!(
                values.len() >= last * stride + y.len(),
                "values cover every position"
            );
        }
        match self {
            // SAFETY: as in `dot`; the assert keeps every value row in bounds.
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => unsafe { add_weighted_avx2(y, weights, values, stride) },
            _ => add_weighted_portable(y, weights, values, stride),
        }
    }
}

/// Lanes of one 256-bit register of f32.
const LANES: usize = 8;

/// Dot product with two chains of 8 lanes of fused multiply-adds, 16
/// values a step (then 8), lanes summed pairwise as [`hsum_avx`] does, and
/// the last values (fewer than 8) added one after the other: what
/// [`dot_avx2`] computes.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (mut even, mut odd) = ([0f32; LANES], [0f32; LANES]);
    let fma = |acc: &mut [f32; LANES], x: &[f32], y: &[f32]| {
        for l in 0..LANES {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
    };
    let mut i = 0;
    while i + 2 * LANES <= n {
        fma(&mut even, &a[i..], &b[i..]);
        fma(&mut odd, &a[i + LANES..], &b[i + LANES..]);
        i += 2 * LANES;
    }
    if i + LANES <= n {
        fma(&mut even, &a[i..], &b[i..]);
        i += LANES;
    }
    let v: [f32; LANES] = std::array::from_fn(|l| even[l] + odd[l]);
    let lanes = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
    lanes + tail_dot(&a[i..n], &b[i..n])
}

/// The products of the values after the last whole 8, added in turn.
fn tail_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Dot product with two 8-wide chains of fused multiply-adds.
///
/// # Safety
/// The machine must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut i = 0;
    // SAFETY (all loads): i + 16 <= n or i + 8 <= n, within both slices.
    unsafe {
        while i + 16 <= n {
            let (x, y) = (a.as_ptr().add(i), b.as_ptr().add(i));
            even = _mm256_fmadd_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(y), even);
            odd = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), _mm256_loadu_ps(y.add(8)), odd);
            i += 16;
        }
        if i + 8 <= n {
            let (x, y) = (a.as_ptr().add(i), b.as_ptr().add(i));
            even = _mm256_fmadd_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(y), even);
            i += 8;
        }
    }
    hsum_avx(_mm256_add_ps(even, odd)) + tail_dot(&a[i..n], &b[i..n])
}

/// Values of `y` that [`add_weighted_avx2`] holds in registers at a time;
/// it adds the products to those values with fused multiply-adds, and to
/// the values after the last whole [`WIDE`] with a product and a sum.
const WIDE: usize = 64;

/// [`VectorOps::add_weighted`] one position after another, rounding as
/// [`add_weighted_avx2`] does.
fn add_weighted_portable(y: &mut [f32], weights: &[f32], values: &[f32], stride: usize) {
    let fused = y.len() / WIDE * WIDE;
    for (p, weight) in weights.iter().enumerate() {
        let v = &values[p * stride..p * stride + y.len()];
        let (y_fused, y_rest) = y.split_at_mut(fused);
        let (v_fused, v_rest) = v.split_at(fused);
        y_fused
            .iter_mut()
            .zip(v_fused)
            .for_each(|(y, v)| *y = weight.mul_add(*v, *y));
        add_products(y_rest, *weight, v_rest);
    }
}

/// Adds `weight` times `v` to `y`, a product and a sum per value.
fn add_products(y: &mut [f32], weight: f32, v: &[f32]) {
    y.iter_mut().zip(v).for_each(|(y, v)| *y += weight * v);
}

/// [`VectorOps::add_weighted`] with fused multiply-adds, 64 values of `y`
/// held in 8 registers across all positions.
///
/// # Safety
/// The machine must have AVX2 and FMA, and `values` must hold
/// `(weights.len() - 1) * stride + y.len()` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn add_weighted_avx2(y: &mut [f32], weights: &[f32], values: &[f32], stride: usize) {
    use std::arch::x86_64::*;
    let n = y.len();
    let mut start = 0;
    while start + WIDE <= n {
        // SAFETY (all loads and stores): start + WIDE <= n, and the caller
        // keeps every value row in bounds.
        unsafe {
            let out = y.as_mut_ptr().add(start);
            let mut acc: [__m256; 8] = std::array::from_fn(|k| _mm256_loadu_ps(out.add(8 * k)));
            for (p, weight) in weights.iter().enumerate() {
                let w = _mm256_set1_ps(*weight);
                let v = values.as_ptr().add(p * stride + start);
                for (k, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(v.add(8 * k)), *acc);
                }
            }
            for (k, acc) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.add(8 * k), *acc);
            }
        }
        start += WIDE;
    }
    for (p, weight) in weights.iter().enumerate() {
        add_products(
            &mut y[start..],
            *weight,
            &values[p * stride + start..p * stride + n],
        );
    }
}

/// Sum of the 8 lanes of `v`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
pub(crate) fn hsum_avx(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::tests::pseudo_random;

    /// Every set of operations this machine has.
    fn available() -> Vec<VectorOps> {
        let mut ops: Vec<VectorOps> = Kernel::available()
            .into_iter()
            .map(VectorOps::for_kernel)
            .collect();
        ops.dedup();
        ops
    }

    #[test]
    fn portable_kernel_keeps_portable_arithmetic() {
        assert_eq!(VectorOps::for_kernel(Kernel::Portable), VectorOps::Portable);
    }

    #[test]
    fn dot_products_equal_the_portable_ones_bit_for_bit() {
        for ops in available() {
            // Whole steps of 16, a step of 8, and fewer than 8 left over.
            for n in [0, 7, 8, 24, 64, 100] {
                let (a, b) = (pseudo_random(n, 1), pseudo_random(n, 2));
                let (got, want) = (ops.dot(&a, &b), dot_portable(&a, &b));
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{ops:?} {n}: {got} vs {want}"
                );
                let size: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
                let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                assert!(
                    (got - plain).abs() <= 1e-6 * size.max(1.0),
                    "{n}: {got} vs {plain}"
                );
            }
        }
    }

    #[test]
    fn weighted_sums_equal_the_portable_ones_bit_for_bit() {
        // 136 = two blocks of 64 and 8 values left over; stride 150.
        let (n, stride, positions) = (136, 150, 5);
        let weights = pseudo_random(positions, 4);
        let values = pseudo_random((positions - 1) * stride + n, 5);
        let start = pseudo_random(n, 6);
        let mut want = start.clone();
        add_weighted_portable(&mut want, &weights, &values, stride);
        for (i, w) in want.iter().enumerate() {
            let plain = start[i]
                + (0..positions)
                    .map(|p| weights[p] * values[p * stride + i])
                    .sum::<f32>();
            assert!((w - plain).abs() <= 1e-5, "{i}: {w} vs {plain}");
        }
        for ops in available() {
            let mut got = start.clone();
            ops.add_weighted(&mut got, &weights, &values, stride);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{ops:?}");
        }
    }
}

//! The ceilings the generation ratios in BENCHMARKS.md compare to: 8-bit
//! multiply-accumulates per second with the instructions the kernels use
//! (AVX2's `vpmaddubsw`, AVX-512 VNNI's `vpdpbusd`) on register operands,
//! and memory read bandwidth over a buffer far larger than the caches; on
//! 1 and 2 threads, best of several repetitions.
//!
//!     cargo run --release -p agents --example ceiling

#[cfg(target_arch = "x86_64")]
fn main() {
    use std::arch::is_x86_feature_detected as has;
    use std::time::Instant;

    /// Best time of `f`, run on `threads` threads at once, over 200
    /// repetitions: short ones, so that on a shared machine some run
    /// without being descheduled.
    fn best(threads: usize, f: &(dyn Fn(usize) + Sync)) -> f64 {
        (0..200)
            .map(|_| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        s.spawn(move || f(t));
                    }
                });
                start.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    }

    const STEPS: usize = 100_000;
    // Larger than the last-level cache; ones, so that every page is mapped.
    let buffer = vec![1u8; 128 << 20];
    for threads in [1, 2] {
        if has!("avx2") {
            // 12 independent accumulators, 32 products per instruction.
            let t = best(threads, &|_| {
                // SAFETY: the machine has AVX2 (checked above).
                std::hint::black_box(unsafe { maddubs(STEPS) });
            });
            let macs = (threads * STEPS * 12 * 32) as f64;
            println!(
                "{threads} thread(s): vpmaddubsw (AVX2): {:.0} G 8-bit MAC/s",
                macs / t / 1e9
            );
        }
        if has!("avx512vnni") && has!("avx512f") {
            let t = best(threads, &|_| {
                // SAFETY: the machine has AVX-512 VNNI (checked above).
                std::hint::black_box(unsafe { dpbusd(STEPS) });
            });
            let macs = (threads * STEPS * 12 * 64) as f64;
            println!(
                "{threads} thread(s): vpdpbusd (AVX-512 VNNI): {:.0} G 8-bit MAC/s",
                macs / t / 1e9
            );
        }
        if has!("avx2") {
            let part = buffer.len() / threads;
            let t = best(threads, &|i| {
                // SAFETY: the machine has AVX2 (checked above).
                std::hint::black_box(unsafe { read(&buffer[i * part..(i + 1) * part]) });
            });
            println!(
                "{threads} thread(s): memory read: {:.1} GB/s",
                buffer.len() as f64 / t / 1e9
            );
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn maddubs(steps: usize) -> i32 {
    use std::arch::x86_64::*;
    let b = std::hint::black_box(_mm256_set1_epi8(1));
    // Each accumulator feeds its next product: nothing to hoist.
    let mut acc = [std::hint::black_box(_mm256_set1_epi8(1)); 12];
    for _ in 0..steps {
        for v in acc.iter_mut() {
            *v = _mm256_maddubs_epi16(*v, b);
        }
    }
    acc.iter().map(|v| _mm256_extract_epi16::<0>(*v)).sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
fn dpbusd(steps: usize) -> i32 {
    use std::arch::x86_64::*;
    let a = std::hint::black_box(_mm512_set1_epi8(3));
    let b = std::hint::black_box(_mm512_set1_epi8(-1));
    let mut acc = [_mm512_setzero_si512(); 12];
    for _ in 0..steps {
        for v in acc.iter_mut() {
            *v = _mm512_dpbusd_epi32(*v, a, b);
        }
    }
    acc.iter().map(|v| _mm512_reduce_add_epi32(*v)).sum()
}

/// Sum of all bytes, 32 at a time (a read-only pass over `bytes`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn read(bytes: &[u8]) -> i64 {
    use std::arch::x86_64::*;
    let zero = _mm256_setzero_si256();
    let mut sums = [_mm256_setzero_si256(); 4];
    for chunk in bytes.chunks_exact(128) {
        for (k, s) in sums.iter_mut().enumerate() {
            // SAFETY: the chunk holds 128 bytes.
            let v = unsafe { _mm256_loadu_si256(chunk.as_ptr().add(k * 32) as *const _) };
            *s = _mm256_add_epi64(*s, _mm256_sad_epu8(v, zero));
        }
    }
    let s = _mm256_add_epi64(
        _mm256_add_epi64(sums[0], sums[1]),
        _mm256_add_epi64(sums[2], sums[3]),
    );
    // SAFETY: 256 bits are four 64-bit integers.
    let lanes: [i64; 4] = unsafe { std::mem::transmute(s) };
    lanes.iter().sum()
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("the ceilings are measured with x86 instructions only");
}

//! The f32 block kernel written with AVX2 intrinsics: the compiler does not vectorise the portable loop well
//! (it mixes f32 compares, u32 counts and f64 sums), and f32 blocks are the common case (BF16, F16, F32, FP8).
//!
//! Sixteen values per step, the f64 sums in four vectors of four lanes; sum lane i sees the same values as in
//! the portable kernel. The f64 adds are the bottleneck (two ports on current x86 cores), so the squares are
//! accumulated with a fused multiply-add and |x| is taken in f64 with a mask instead of a second conversion.
//! Counts, extremes and Σ(x−k), Σ|x| are bit-for-bit the portable kernel's; Σ(x−k)² differs only by the
//! rounding the FMA saves.

use super::{Block, Lanes, LANES};
use std::arch::x86_64::*;

/// `finite_block` for f32 values.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn finite_block_f32(xs: &[f32], min_normal: f32) -> Option<Block> {
    let Some(&first) = xs.first() else {
        return Some(Block::EMPTY);
    };
    let k = first as f64;
    let vk = _mm256_set1_pd(k);
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF));
    let zero = _mm256_setzero_ps();
    let normal = _mm256_set1_ps(min_normal);
    // Four vectors of four f64 lanes each for the sums (16 lanes: enough independent chains to hide the
    // latency of the adds); one vector of eight for extremes and counts, which do not depend on order.
    let (mut s0, mut s1, mut s2, mut s3) = (Sums::new(), Sums::new(), Sums::new(), Sums::new());
    let mut min = _mm256_set1_ps(f32::INFINITY);
    let mut max = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut zeros = _mm256_setzero_si256();
    let mut subnormal = _mm256_setzero_si256();
    let mut classify = |x: __m256| {
        // min_ps(x, m) is `x < m ? x : m`, as in `Lanes::add`.
        min = _mm256_min_ps(x, min);
        max = _mm256_max_ps(x, max);
        let a = _mm256_and_ps(x, abs_mask);
        let is_zero = _mm256_cmp_ps::<_CMP_EQ_OQ>(a, zero);
        let below = _mm256_cmp_ps::<_CMP_LT_OQ>(a, normal);
        let nonzero = _mm256_cmp_ps::<_CMP_NEQ_OQ>(a, zero);
        // A true compare is all ones, −1 as an integer: subtracting it counts one.
        zeros = _mm256_sub_epi32(zeros, _mm256_castps_si256(is_zero));
        subnormal = _mm256_sub_epi32(
            subnormal,
            _mm256_castps_si256(_mm256_and_ps(below, nonzero)),
        );
    };

    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        // SAFETY: `c` holds 16 f32; these load them in two unaligned halves.
        let (x, y) = unsafe {
            (
                _mm256_loadu_ps(c.as_ptr()),
                _mm256_loadu_ps(c.as_ptr().add(8)),
            )
        };
        let (x_lo, x_hi) = widen(x);
        let (y_lo, y_hi) = widen(y);
        s0.add(x_lo, vk);
        s1.add(x_hi, vk);
        s2.add(y_lo, vk);
        s3.add(y_hi, vk);
        classify(x);
        classify(y);
    }

    let mut lanes = Lanes::<f32>::default();
    // SAFETY: every store writes 4 f64 into a 16-lane array at 0, 4, 8 or 12, or 8 f32/u32 into lanes 0..8
    // of 16 (lanes 8..16 of the extremes and counts stay at their neutral values).
    unsafe {
        for (j, s) in [s0, s1, s2, s3].iter().enumerate() {
            _mm256_storeu_pd(lanes.s1.as_mut_ptr().add(4 * j), s.s1);
            _mm256_storeu_pd(lanes.s2.as_mut_ptr().add(4 * j), s.s2);
            _mm256_storeu_pd(lanes.sa.as_mut_ptr().add(4 * j), s.sa);
        }
        _mm256_storeu_ps(lanes.min.as_mut_ptr(), min);
        _mm256_storeu_ps(lanes.max.as_mut_ptr(), max);
        _mm256_storeu_si256(lanes.zeros.as_mut_ptr().cast(), zeros);
        _mm256_storeu_si256(lanes.subnormal.as_mut_ptr().cast(), subnormal);
    }
    for (i, &x) in tail.iter().enumerate() {
        lanes.add(i, x, k, min_normal);
    }
    lanes.finish(k, xs.len())
}

/// Σ(x−k), Σ(x−k)², Σ|x| for four lanes.
#[derive(Clone, Copy)]
struct Sums {
    s1: __m256d,
    s2: __m256d,
    sa: __m256d,
}

impl Sums {
    #[inline(always)]
    fn new() -> Self {
        // SAFETY: only called from the AVX2 function above, which these intrinsics inline into.
        unsafe {
            Sums {
                s1: _mm256_setzero_pd(),
                s2: _mm256_setzero_pd(),
                sa: _mm256_setzero_pd(),
            }
        }
    }

    #[inline(always)]
    fn add(&mut self, x: __m256d, k: __m256d) {
        // SAFETY: as above (AVX2 and FMA).
        unsafe {
            let d = _mm256_sub_pd(x, k);
            self.s1 = _mm256_add_pd(self.s1, d);
            self.s2 = _mm256_fmadd_pd(d, d, self.s2);
            let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFF_FFFF_FFFF_FFFF));
            self.sa = _mm256_add_pd(self.sa, _mm256_and_pd(x, abs));
        }
    }
}

/// Lanes 0–3 and 4–7 of an f32 vector as f64 vectors.
#[inline(always)]
fn widen(x: __m256) -> (__m256d, __m256d) {
    // SAFETY: only called from the AVX2 function above, which these intrinsics inline into.
    unsafe {
        (
            _mm256_cvtps_pd(_mm256_castps256_ps128(x)),
            _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{check, finite_block};
    use super::*;

    #[test]
    fn matches_the_portable_kernel() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut xs = check::sample();
        // SAFETY: AVX2 and FMA were detected above.
        check::matches_portable(&xs, &[0, 1, 7, 8, 9, 2045], |s| unsafe {
            finite_block_f32(s, f32::MIN_POSITIVE)
        });
        xs[500] = f32::NAN;
        // SAFETY: as above.
        assert!(unsafe { finite_block_f32(&xs, f32::MIN_POSITIVE) }.is_none());
        assert_eq!(finite_block(&xs[..5], 1.0).unwrap().zeros, 1);
    }
}

//! The f32 block kernel written with AVX2 intrinsics: the compiler does not vectorise the portable loop well
//! (it mixes f32 compares, u32 counts and f64 sums), and f32 blocks are the common case (BF16, F16, F32, FP8).
//!
//! Eight f32 lanes per vector, the f64 sums split into two vectors of four; lane i sees the same values as in
//! the portable kernel. The f64 adds are the bottleneck (two ports on current x86 cores), so the squares are
//! accumulated with a fused multiply-add and |x| is taken in f64 with a mask instead of a second conversion.
//! Counts, extremes and Σ(x−k), Σ|x| are bit-for-bit the portable kernel's; Σ(x−k)² differs only by the
//! rounding the FMA saves.

use super::kernel::{Block, Lanes, LANES};
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
    let abs_mask_pd = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFF_FFFF_FFFF_FFFF));
    let zero = _mm256_setzero_ps();
    let normal = _mm256_set1_ps(min_normal);
    let (mut s1_lo, mut s1_hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let (mut s2_lo, mut s2_hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let (mut sa_lo, mut sa_hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let mut min = _mm256_set1_ps(f32::INFINITY);
    let mut max = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut zeros = _mm256_setzero_si256();
    let mut subnormal = _mm256_setzero_si256();

    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        // SAFETY: `c` holds exactly 8 f32; the load is unaligned.
        let x = unsafe { _mm256_loadu_ps(c.as_ptr()) };
        let (x_lo, x_hi) = widen(x);
        let (d_lo, d_hi) = (_mm256_sub_pd(x_lo, vk), _mm256_sub_pd(x_hi, vk));
        s1_lo = _mm256_add_pd(s1_lo, d_lo);
        s1_hi = _mm256_add_pd(s1_hi, d_hi);
        s2_lo = _mm256_fmadd_pd(d_lo, d_lo, s2_lo);
        s2_hi = _mm256_fmadd_pd(d_hi, d_hi, s2_hi);
        sa_lo = _mm256_add_pd(sa_lo, _mm256_and_pd(x_lo, abs_mask_pd));
        sa_hi = _mm256_add_pd(sa_hi, _mm256_and_pd(x_hi, abs_mask_pd));
        let a = _mm256_and_ps(x, abs_mask);
        // min_ps(x, m) is `x < m ? x : m`, as in `Lanes::add`.
        min = _mm256_min_ps(x, min);
        max = _mm256_max_ps(x, max);
        let is_zero = _mm256_cmp_ps::<_CMP_EQ_OQ>(a, zero);
        let below = _mm256_cmp_ps::<_CMP_LT_OQ>(a, normal);
        let nonzero = _mm256_cmp_ps::<_CMP_NEQ_OQ>(a, zero);
        // A true compare is all ones, −1 as an integer: subtracting it counts one.
        zeros = _mm256_sub_epi32(zeros, _mm256_castps_si256(is_zero));
        subnormal = _mm256_sub_epi32(
            subnormal,
            _mm256_castps_si256(_mm256_and_ps(below, nonzero)),
        );
    }

    let mut lanes = Lanes::<f32>::default();
    // SAFETY: every store writes 4 f64, 8 f32 or 8 u32 into arrays of exactly that size.
    unsafe {
        _mm256_storeu_pd(lanes.s1.as_mut_ptr(), s1_lo);
        _mm256_storeu_pd(lanes.s1.as_mut_ptr().add(4), s1_hi);
        _mm256_storeu_pd(lanes.s2.as_mut_ptr(), s2_lo);
        _mm256_storeu_pd(lanes.s2.as_mut_ptr().add(4), s2_hi);
        _mm256_storeu_pd(lanes.sa.as_mut_ptr(), sa_lo);
        _mm256_storeu_pd(lanes.sa.as_mut_ptr().add(4), sa_hi);
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
    use super::super::kernel::finite_block;
    use super::*;

    #[test]
    fn matches_the_portable_kernel() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut xs: Vec<f32> = (0..2045)
            .map(|i| ((i * 7919) % 2003) as f32 * 1e-3 - 0.9)
            .collect();
        xs[3] = 0.0;
        xs[100] = -0.0;
        xs[200] = 1e-40;
        xs[2044] = -3e-39;
        for len in [0, 1, 7, 8, 9, 2045] {
            let slice = &xs[..len];
            let p = finite_block(slice, f32::MIN_POSITIVE).unwrap();
            // SAFETY: AVX2 and FMA were detected above.
            let s = unsafe { finite_block_f32(slice, f32::MIN_POSITIVE) }.unwrap();
            let exact = |b: &Block| {
                (
                    b.finite,
                    b.mean,
                    b.sum_abs,
                    b.min,
                    b.max,
                    b.zeros,
                    b.subnormal,
                )
            };
            assert_eq!(exact(&p), exact(&s), "{len}");
            assert!(
                (p.m2 - s.m2).abs() <= 1e-14 * p.m2,
                "{len}: {} vs {}",
                p.m2,
                s.m2
            );
        }
        xs[500] = f32::NAN;
        // SAFETY: as above.
        assert!(unsafe { finite_block_f32(&xs, f32::MIN_POSITIVE) }.is_none());
        assert_eq!(finite_block(&xs[..5], 1.0).unwrap().zeros, 1);
    }
}

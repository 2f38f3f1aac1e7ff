//! The f32 block kernel for AVX-512 CPUs: the same sums as the AVX2 kernel in half the instructions, and with
//! 32 vector registers every accumulator stays in a register (the AVX2 kernel spills some).
//!
//! Sixteen values per step; the f64 sums in two vectors of eight lanes, so sum lane i sees the same values as
//! in the portable kernel. Extremes and counts (independent of order) use one vector and mask popcounts.
//! F16 and F32 are read straight from the file's bytes (BF16 has its own kernel, `avx512_bf16`).

use super::{Block, Lanes, LANES};
use std::arch::x86_64::*;

/// Where a block's values come from: read 16 at a time as a vector, or one at a time for the tail. Reading
/// F16 and F32 straight from the mapped bytes saves a pass through a decode buffer.
trait Source {
    fn len(&self) -> usize;
    /// Values i..i+32 (the caller keeps i + 32 ≤ len) as two vectors of 16.
    fn load32(&self, i: usize) -> (__m512, __m512);
    fn value(&self, i: usize) -> f32;
}

struct F32s<'a>(&'a [f32]);
struct F16Bytes<'a>(&'a [u8]);
struct F32Bytes<'a>(&'a [u8]);

impl Source for F32s<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    fn load32(&self, i: usize) -> (__m512, __m512) {
        assert!(i + 32 <= self.0.len());
        // SAFETY: 32 f32 from i are in bounds (asserted); the loads are unaligned.
        unsafe {
            let p = self.0.as_ptr().add(i);
            (_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(16)))
        }
    }
    #[inline(always)]
    fn value(&self, i: usize) -> f32 {
        self.0[i]
    }
}

impl Source for F16Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len() / 2
    }
    #[inline(always)]
    fn load32(&self, i: usize) -> (__m512, __m512) {
        assert!(2 * i + 64 <= self.0.len());
        // SAFETY: 64 bytes from 2i are in bounds (asserted); vcvtph2ps converts IEEE halves exactly.
        unsafe {
            let p = self.0.as_ptr().add(2 * i);
            (
                _mm512_cvtph_ps(_mm256_loadu_si256(p.cast())),
                _mm512_cvtph_ps(_mm256_loadu_si256(p.add(32).cast())),
            )
        }
    }
    #[inline(always)]
    fn value(&self, i: usize) -> f32 {
        half::f16::from_le_bytes([self.0[2 * i], self.0[2 * i + 1]]).to_f32()
    }
}

impl Source for F32Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len() / 4
    }
    #[inline(always)]
    fn load32(&self, i: usize) -> (__m512, __m512) {
        assert!(4 * i + 128 <= self.0.len());
        // SAFETY: 128 bytes from 4i are in bounds (asserted); the loads are unaligned and little-endian.
        unsafe {
            let p = self.0.as_ptr().add(4 * i);
            (_mm512_loadu_ps(p.cast()), _mm512_loadu_ps(p.add(64).cast()))
        }
    }
    #[inline(always)]
    fn value(&self, i: usize) -> f32 {
        f32::from_le_bytes(self.0[4 * i..4 * i + 4].try_into().unwrap())
    }
}

/// `finite_block` for f32 values.
///
/// # Safety
/// The CPU must support AVX-512F and POPCNT.
#[target_feature(enable = "avx512f,popcnt")]
pub unsafe fn finite_block_f32(xs: &[f32], min_normal: f32) -> Option<Block> {
    summarise(F32s(xs), min_normal)
}

/// `finite_block` for little-endian IEEE half bytes (an even number).
///
/// # Safety
/// As `finite_block_f32`.
#[target_feature(enable = "avx512f,popcnt")]
pub unsafe fn finite_block_f16(bytes: &[u8], min_normal: f32) -> Option<Block> {
    summarise(F16Bytes(bytes), min_normal)
}

/// `finite_block` for little-endian F32 bytes (a multiple of 4).
///
/// # Safety
/// As `finite_block_f32`.
#[target_feature(enable = "avx512f,popcnt")]
pub unsafe fn finite_block_f32_bytes(bytes: &[u8], min_normal: f32) -> Option<Block> {
    summarise(F32Bytes(bytes), min_normal)
}

#[inline(always)]
fn summarise<S: Source>(src: S, min_normal: f32) -> Option<Block> {
    let len = src.len();
    if len == 0 {
        return Some(Block::EMPTY);
    }
    // SAFETY (for the intrinsics below): only reached from the AVX-512F functions above.
    unsafe { summarise_values(&src, len, min_normal) }
}

/// The accumulators, all in registers: sums over 16 f64 lanes (two vectors of eight), extremes and counts
/// over one vector of 16 f32.
pub(super) struct State {
    s1_lo: __m512d,
    s1_hi: __m512d,
    s2_lo: __m512d,
    s2_hi: __m512d,
    sa_lo: __m512d,
    sa_hi: __m512d,
    min: __m512,
    max: __m512,
    zeros: u32,
    subnormal: u32,
}

impl State {
    /// Accumulators before the first value.
    #[inline(always)]
    pub(super) fn new() -> Self {
        // SAFETY: only reached from the AVX-512F functions of this module and of `avx512_bf16`.
        unsafe {
            State {
                s1_lo: _mm512_setzero_pd(),
                s1_hi: _mm512_setzero_pd(),
                s2_lo: _mm512_setzero_pd(),
                s2_hi: _mm512_setzero_pd(),
                sa_lo: _mm512_setzero_pd(),
                sa_hi: _mm512_setzero_pd(),
                min: _mm512_set1_ps(f32::INFINITY),
                max: _mm512_set1_ps(f32::NEG_INFINITY),
                zeros: 0,
                subnormal: 0,
            }
        }
    }

    /// Adds 16 values, shifted by `k`; `normal` holds the smallest normal magnitude in every lane.
    #[inline(always)]
    fn add(&mut self, x: __m512, k: __m512d, normal: __m512) {
        self.add_moments(x, k);
        // SAFETY: only reached from the AVX-512F functions above, which these intrinsics inline into.
        unsafe {
            // min_ps(x, m) is `x < m ? x : m`, as in `Lanes::add`.
            self.min = _mm512_min_ps(x, self.min);
            self.max = _mm512_max_ps(x, self.max);
            let a = _mm512_castsi512_ps(_mm512_and_si512(
                _mm512_castps_si512(x),
                _mm512_set1_epi32(0x7FFF_FFFF),
            ));
            let zero = _mm512_setzero_ps();
            let nonzero = _mm512_cmp_ps_mask::<_CMP_NEQ_OQ>(a, zero);
            let below = _mm512_mask_cmp_ps_mask::<_CMP_LT_OQ>(nonzero, a, normal);
            self.zeros += 16 - nonzero.count_ones();
            self.subnormal += below.count_ones();
        }
    }

    /// Adds 16 values, shifted by `k`, to the sums only.
    #[inline(always)]
    pub(super) fn add_moments(&mut self, x: __m512, k: __m512d) {
        // SAFETY: only reached from AVX-512F functions, which these intrinsics inline into.
        unsafe {
            // |x| by masking the sign bit, in the integer domain (the float `and` needs AVX-512DQ).
            let abs_pd = |v: __m512d| {
                _mm512_castsi512_pd(_mm512_and_si512(
                    _mm512_castpd_si512(v),
                    _mm512_set1_epi64(0x7FFF_FFFF_FFFF_FFFF),
                ))
            };
            let x_lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
            let x_hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
                _mm512_castps_pd(x),
            )));
            let (d_lo, d_hi) = (_mm512_sub_pd(x_lo, k), _mm512_sub_pd(x_hi, k));
            self.s1_lo = _mm512_add_pd(self.s1_lo, d_lo);
            self.s1_hi = _mm512_add_pd(self.s1_hi, d_hi);
            self.s2_lo = _mm512_fmadd_pd(d_lo, d_lo, self.s2_lo);
            self.s2_hi = _mm512_fmadd_pd(d_hi, d_hi, self.s2_hi);
            self.sa_lo = _mm512_add_pd(self.sa_lo, abs_pd(x_lo));
            self.sa_hi = _mm512_add_pd(self.sa_hi, abs_pd(x_hi));
        }
    }

    /// The lanes of the sums, extremes and counts, for the scalar tail and `Lanes::finish`.
    #[inline(always)]
    pub(super) fn into_lanes(self) -> Lanes<f32> {
        let mut lanes = Lanes::<f32>::default();
        // SAFETY: each store writes 8 f64 at lane 0 or 8 of a 16-lane array, or 16 f32 into a 16-lane array.
        unsafe {
            _mm512_storeu_pd(lanes.s1.as_mut_ptr(), self.s1_lo);
            _mm512_storeu_pd(lanes.s1.as_mut_ptr().add(8), self.s1_hi);
            _mm512_storeu_pd(lanes.s2.as_mut_ptr(), self.s2_lo);
            _mm512_storeu_pd(lanes.s2.as_mut_ptr().add(8), self.s2_hi);
            _mm512_storeu_pd(lanes.sa.as_mut_ptr(), self.sa_lo);
            _mm512_storeu_pd(lanes.sa.as_mut_ptr().add(8), self.sa_hi);
            _mm512_storeu_ps(lanes.min.as_mut_ptr(), self.min);
            _mm512_storeu_ps(lanes.max.as_mut_ptr(), self.max);
        }
        lanes.zeros[0] = self.zeros;
        lanes.subnormal[0] = self.subnormal;
        lanes
    }
}

#[inline(always)]
unsafe fn summarise_values<S: Source>(src: &S, len: usize, min_normal: f32) -> Option<Block> {
    let k = src.value(0) as f64;
    let vk = _mm512_set1_pd(k);
    let normal = _mm512_set1_ps(min_normal);
    let mut st = State::new();
    let whole = len / 32 * 32;
    for i in (0..whole).step_by(32) {
        let (x, y) = src.load32(i);
        st.add(x, vk, normal);
        st.add(y, vk, normal);
    }

    let mut lanes = st.into_lanes();
    for i in whole..len {
        lanes.add((i - whole) % LANES, src.value(i), k, min_normal);
    }
    lanes.finish(k, len)
}

#[cfg(test)]
mod tests {
    use super::super::{check, finite_block};
    use super::*;

    fn exact_counts(b: &Block) -> (u64, f64, f64, u64, u64) {
        (b.finite, b.min, b.max, b.zeros, b.subnormal)
    }

    #[test]
    fn matches_the_portable_kernel() {
        if !(std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("popcnt"))
        {
            return;
        }
        let mut xs = check::sample();
        // SAFETY: AVX-512F and POPCNT were detected above.
        check::matches_portable(&xs, &[0, 1, 15, 16, 17, 2045], |s| unsafe {
            finite_block_f32(s, f32::MIN_POSITIVE)
        });
        assert_eq!(finite_block(&xs[..201], 1e-30).unwrap().subnormal, 1);
        // Raw BF16 and F16 bytes give what their decoded f32 values give.
        for len in [5, 16, 2045] {
            let bf: Vec<half::bf16> = xs[..len].iter().map(|&x| half::bf16::from_f32(x)).collect();
            let bytes: Vec<u8> = bf.iter().flat_map(|v| v.to_le_bytes()).collect();
            let wide: Vec<f32> = bf.iter().map(|v| v.to_f32()).collect();
            if std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512bf16")
            {
                // SAFETY: as above, and AVX-512BW was detected. BF16 lanes take values in another order:
                // sums may differ by rounding, counts and extremes may not.
                let (raw, decoded) = unsafe {
                    (
                        super::super::avx512_bf16::finite_block_bf16(&bytes).unwrap(),
                        finite_block_f32(&wide, f32::MIN_POSITIVE).unwrap(),
                    )
                };
                assert_eq!(exact_counts(&raw), exact_counts(&decoded), "bf16 {len}");
                for (a, b) in [
                    (raw.mean, decoded.mean),
                    (raw.m2, decoded.m2),
                    (raw.sum_abs, decoded.sum_abs),
                ] {
                    assert!((a - b).abs() <= 1e-14 * b.abs(), "bf16 {len}: {a} vs {b}");
                }
            }
            let h: Vec<half::f16> = xs[..len].iter().map(|&x| half::f16::from_f32(x)).collect();
            let bytes: Vec<u8> = h.iter().flat_map(|v| v.to_le_bytes()).collect();
            let wide: Vec<f32> = h.iter().map(|v| v.to_f32()).collect();
            // SAFETY: as above.
            let (raw, decoded) = unsafe {
                (
                    finite_block_f16(&bytes, 6e-5),
                    finite_block_f32(&wide, 6e-5),
                )
            };
            assert_eq!(format!("{raw:?}"), format!("{decoded:?}"), "f16 {len}");
        }
        xs[500] = f32::NAN;
        // SAFETY: as above.
        assert!(unsafe { finite_block_f32(&xs, f32::MIN_POSITIVE) }.is_none());
    }
}

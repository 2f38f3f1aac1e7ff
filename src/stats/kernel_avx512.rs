//! The f32 block kernel for AVX-512 CPUs: the same sums as the AVX2 kernel in half the instructions, and with
//! 32 vector registers every accumulator stays in a register (the AVX2 kernel spills some).
//!
//! Sixteen values per step; the f64 sums in two vectors of eight lanes, so sum lane i sees the same values as
//! in the portable kernel. Extremes and counts (independent of order) use one vector and mask popcounts.
//! BF16 and F16 are read straight from the file's bytes.

use super::kernel::{Block, Lanes, LANES};
use std::arch::x86_64::*;

/// Where a block's values come from: read 16 at a time as a vector, or one at a time for the tail. Reading
/// BF16 and F16 straight from the mapped bytes saves a pass through a decode buffer.
trait Source {
    fn len(&self) -> usize;
    /// Values i..i+16 (the caller keeps i + 16 ≤ len).
    fn load16(&self, i: usize) -> __m512;
    fn value(&self, i: usize) -> f32;
}

struct F32s<'a>(&'a [f32]);
struct Bf16Bytes<'a>(&'a [u8]);
struct F16Bytes<'a>(&'a [u8]);
struct F32Bytes<'a>(&'a [u8]);

impl Source for F32s<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    fn load16(&self, i: usize) -> __m512 {
        assert!(i + 16 <= self.0.len());
        // SAFETY: 16 f32 from i are in bounds (asserted); the load is unaligned.
        unsafe { _mm512_loadu_ps(self.0.as_ptr().add(i)) }
    }
    #[inline(always)]
    fn value(&self, i: usize) -> f32 {
        self.0[i]
    }
}

impl Source for Bf16Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len() / 2
    }
    #[inline(always)]
    fn load16(&self, i: usize) -> __m512 {
        assert!(2 * i + 32 <= self.0.len());
        // SAFETY: 32 bytes from 2i are in bounds (asserted). A BF16 value is the top half of an f32's bits.
        unsafe {
            let raw = _mm256_loadu_si256(self.0.as_ptr().add(2 * i).cast());
            _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(raw)))
        }
    }
    #[inline(always)]
    fn value(&self, i: usize) -> f32 {
        f32::from_bits((u16::from_le_bytes([self.0[2 * i], self.0[2 * i + 1]]) as u32) << 16)
    }
}

impl Source for F16Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len() / 2
    }
    #[inline(always)]
    fn load16(&self, i: usize) -> __m512 {
        assert!(2 * i + 32 <= self.0.len());
        // SAFETY: 32 bytes from 2i are in bounds (asserted); vcvtph2ps converts IEEE halves exactly.
        unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(self.0.as_ptr().add(2 * i).cast())) }
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
    fn load16(&self, i: usize) -> __m512 {
        assert!(4 * i + 64 <= self.0.len());
        // SAFETY: 64 bytes from 4i are in bounds (asserted); the load is unaligned and little-endian.
        unsafe { _mm512_loadu_ps(self.0.as_ptr().add(4 * i).cast()) }
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

/// `finite_block` for little-endian BF16 bytes (an even number).
///
/// # Safety
/// As `finite_block_f32`.
#[target_feature(enable = "avx512f,popcnt")]
pub unsafe fn finite_block_bf16(bytes: &[u8], min_normal: f32) -> Option<Block> {
    summarise(Bf16Bytes(bytes), min_normal)
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

#[inline(always)]
unsafe fn summarise_values<S: Source>(src: &S, len: usize, min_normal: f32) -> Option<Block> {
    let k = src.value(0) as f64;
    let vk = _mm512_set1_pd(k);
    // |x| by masking the sign bit, in the integer domain (the float `and` needs AVX-512DQ).
    let abs_pd = _mm512_set1_epi64(0x7FFF_FFFF_FFFF_FFFF);
    let abs_ps = _mm512_set1_epi32(0x7FFF_FFFF);
    let abs = |v: __m512d| _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(v), abs_pd));
    let zero = _mm512_setzero_ps();
    let normal = _mm512_set1_ps(min_normal);
    let (mut s1_lo, mut s1_hi) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    let (mut s2_lo, mut s2_hi) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    let (mut sa_lo, mut sa_hi) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    let mut min = _mm512_set1_ps(f32::INFINITY);
    let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
    let (mut zeros, mut subnormal) = (0u32, 0u32);

    let whole = len / LANES * LANES;
    for i in (0..whole).step_by(LANES) {
        let x = src.load16(i);
        let x_lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
        let x_hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
            _mm512_castps_pd(x),
        )));
        let (d_lo, d_hi) = (_mm512_sub_pd(x_lo, vk), _mm512_sub_pd(x_hi, vk));
        s1_lo = _mm512_add_pd(s1_lo, d_lo);
        s1_hi = _mm512_add_pd(s1_hi, d_hi);
        s2_lo = _mm512_fmadd_pd(d_lo, d_lo, s2_lo);
        s2_hi = _mm512_fmadd_pd(d_hi, d_hi, s2_hi);
        sa_lo = _mm512_add_pd(sa_lo, abs(x_lo));
        sa_hi = _mm512_add_pd(sa_hi, abs(x_hi));
        min = _mm512_min_ps(x, min);
        max = _mm512_max_ps(x, max);
        let a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), abs_ps));
        let nonzero = _mm512_cmp_ps_mask::<_CMP_NEQ_OQ>(a, zero);
        let below = _mm512_mask_cmp_ps_mask::<_CMP_LT_OQ>(nonzero, a, normal);
        zeros += 16 - nonzero.count_ones();
        subnormal += below.count_ones();
    }

    let mut lanes = Lanes::<f32>::default();
    // SAFETY: each store writes 8 f64 at lane 0 or 8 of a 16-lane array, or 16 f32 into a 16-lane array.
    unsafe {
        _mm512_storeu_pd(lanes.s1.as_mut_ptr(), s1_lo);
        _mm512_storeu_pd(lanes.s1.as_mut_ptr().add(8), s1_hi);
        _mm512_storeu_pd(lanes.s2.as_mut_ptr(), s2_lo);
        _mm512_storeu_pd(lanes.s2.as_mut_ptr().add(8), s2_hi);
        _mm512_storeu_pd(lanes.sa.as_mut_ptr(), sa_lo);
        _mm512_storeu_pd(lanes.sa.as_mut_ptr().add(8), sa_hi);
        _mm512_storeu_ps(lanes.min.as_mut_ptr(), min);
        _mm512_storeu_ps(lanes.max.as_mut_ptr(), max);
    }
    lanes.zeros[0] = zeros;
    lanes.subnormal[0] = subnormal;
    for i in whole..len {
        lanes.add(i - whole, src.value(i), k, min_normal);
    }
    lanes.finish(k, len)
}

#[cfg(test)]
mod tests {
    use super::super::kernel::finite_block;
    use super::*;

    #[test]
    fn matches_the_portable_kernel() {
        if !(std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("popcnt"))
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
        for len in [0, 1, 15, 16, 17, 2045] {
            let slice = &xs[..len];
            let p = finite_block(slice, f32::MIN_POSITIVE).unwrap();
            // SAFETY: AVX-512F and POPCNT were detected above.
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
        assert_eq!(finite_block(&xs[..201], 1e-30).unwrap().subnormal, 1);
        // Raw BF16 and F16 bytes give what their decoded f32 values give.
        for len in [5, 16, 2045] {
            let bf: Vec<half::bf16> = xs[..len].iter().map(|&x| half::bf16::from_f32(x)).collect();
            let bytes: Vec<u8> = bf.iter().flat_map(|v| v.to_le_bytes()).collect();
            let wide: Vec<f32> = bf.iter().map(|v| v.to_f32()).collect();
            // SAFETY: as above.
            let (raw, decoded) = unsafe {
                (
                    finite_block_bf16(&bytes, 1e-38),
                    finite_block_f32(&wide, 1e-38),
                )
            };
            assert_eq!(format!("{raw:?}"), format!("{decoded:?}"), "bf16 {len}");
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

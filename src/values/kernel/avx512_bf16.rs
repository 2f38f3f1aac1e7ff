//! The BF16 block kernel for AVX-512 CPUs, reading the file's bytes directly.
//!
//! Extremes and counts are taken on the raw 16-bit encodings, 32 at a time with integer instructions. A BF16
//! is sign-magnitude, so:
//! - as signed 16-bit integers, non-negative values order as their magnitudes, and every negative value
//!   (sign bit set) is below every non-negative one: the signed maximum is the largest value whenever one is
//!   non-negative;
//! - as unsigned integers, negative values order by magnitude above all non-negative ones: the unsigned
//!   maximum is the most negative value whenever one is negative;
//! - otherwise (all negative, or all non-negative) the unsigned minimum is the value of smallest magnitude,
//!   which is then the largest, or the smallest, value.
//!
//! Zero and subnormal are read off the exponent field (zero for both; a zero also has no mantissa bits), which
//! is what BF16's smallest normal, f32's, means.
//!
//! The sums are exact. The block is read once: a window of 13 binades is placed from its first 64 values,
//! its top binade 2^E two above theirs, and the sums are taken with it while the extremes are gathered;
//! it is kept when the block's largest magnitude lies in it (E is then at most two above the largest's
//! exponent), else the block is read again with E the largest's exponent. A BF16 has 8
//! significant bits, so every nonzero value of the window is a multiple of 2^(E−19) below 2^(E+1), and
//! - a sum of up to 16 of them is an integer multiple of 2^(E−19) below 2^(E+5), 24 bits: exact in f32, so
//!   Σx and Σ|x| take a BF16 dot product with ones (`vdpbf16ps`, two values per lane per instruction;
//!   its rounding, flushing of subnormals and treatment of subnormal inputs as zero never act on such
//!   values), emptied into f64 every 16 values per lane, where the block's sums need at most 33 bits;
//! - Σx² is taken in integers: a value is m·2^s units of 2^(E−19), m its 8-bit significand and s ≤ 12 its
//!   binade in the window, so below 2^20 units. Split as hi·2^12 + lo (hi < 2^8, lo < 2^12, 16-bit words),
//!   its square is hi²·2^24 + 2·hi·lo·2^12 + lo²: three 16-bit dot products (`vpdpwssd`) into 32-bit
//!   lanes, which for a block of at most 2048 values take at most 64·2·(2^12)² < 2^32 each, summed in
//!   u64. Σx² is below 2^53 units², so it reaches f64 unrounded.
//!
//! From exact Σx and Σx² the block's M2 = (nΣx² − (Σx)²)/n takes three roundings (the square split exactly
//! with an FMA), so unlike shifted sums it loses nothing to cancellation. Nonzero values below the window
//! ("tiny", which takes in every subnormal) are set aside, summed in f64 and merged as a second group with
//! Chan's update: their sums may round, but each value is below 2^-10 of the largest magnitude, so the
//! block's M2 is at least about 2^(2E−5) and their rounding errors are negligible beside it; and they are
//! few (a block with more than `MAX_TINY` takes shifted sums, as the f32 kernel). So do blocks outside the
//! exponents where the bounds hold: all zero, NaN or infinite (which return `None`), or a window top below
//! 2^-107 (multiples of 2^(E−19) would be subnormal in f32) or from 2^124 (sums of 16 could overflow f32).

use super::avx512::State;
use super::{two_sum, Block, LANES};
use crate::values::pow2::pow2;
use std::arch::x86_64::*;

/// Nonzero values more than this many binades below the window's top binade are tiny.
const WINDOW: u16 = 12;

/// At most this many tiny values per block on the exact path: keeps their rounded f64 sums' error negligible.
const MAX_TINY: u64 = 64;

/// The longest block the exact path takes: its integer Σx² lanes stay below 2^32 (module comment).
const EXACT_LEN: usize = 2048;

/// Biased exponents of the window's top for which the exact path's bounds hold (module comment).
const EXACT_EXPONENTS: std::ops::RangeInclusive<u16> = 20..=250;

/// The window's top is guessed this many binades above the first values' largest magnitude.
const GUESS_ABOVE: u16 = 2;

/// `finite_block` for little-endian BF16 bytes (an even number), with f32's smallest normal.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW, AVX512-BF16, AVX512-VNNI and POPCNT.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16,avx512vnni,popcnt,avx2,sse4.1")]
pub unsafe fn finite_block_bf16(bytes: &[u8]) -> Option<Block> {
    let len = bytes.len() / 2;
    if len == 0 {
        return Some(Block::EMPTY);
    }
    // One pass: the window is placed from the first values and checked against the extremes taken with
    // the sums (module comment); a second pass only when the guess was wrong.
    let guess = first_exponent(bytes, len) + GUESS_ABOVE;
    let mut first = None;
    if EXACT_EXPONENTS.contains(&guess) && len <= EXACT_LEN {
        let mut seen = Extremes::new();
        let sums = exact_sums(bytes, len, guess, &mut seen);
        let (min, max) = seen.finish();
        let exponent = largest_exponent(min, max)?;
        if exponent <= guess {
            if let Some(b) = sums {
                return Some(with_extremes(b, min, max));
            }
        }
        first = Some((min, max));
    }
    let (min, max) = first.unwrap_or_else(|| {
        let mut seen = Extremes::new();
        for i in (0..len).step_by(32) {
            seen.add(load(bytes, i, len), tail_mask(i, len));
        }
        seen.finish()
    });
    let exponent = largest_exponent(min, max)?;
    if EXACT_EXPONENTS.contains(&exponent) && len <= EXACT_LEN {
        if let Some(b) = exact_sums(bytes, len, exponent, &mut Extremes::new()) {
            return Some(with_extremes(b, min, max));
        }
    }
    shifted_sums(bytes, len, min, max)
}

fn with_extremes(mut b: Block, min: u16, max: u16) -> Block {
    (b.min, b.max) = (bf16(min) as f64, bf16(max) as f64);
    b
}

/// The biased exponent (E + 127) of the largest magnitude among the extremes' encodings; `None` for a NaN
/// or an infinity.
fn largest_exponent(min: u16, max: u16) -> Option<u16> {
    let largest = (min & 0x7FFF).max(max & 0x7FFF);
    (largest < 0x7F80).then_some(largest >> 7)
}

/// The biased exponent of the largest magnitude among the first 64 values.
#[inline(always)]
unsafe fn first_exponent(bytes: &[u8], len: usize) -> u16 {
    let magnitude = _mm512_set1_epi16(0x7FFF);
    let mut largest = _mm512_and_si512(load(bytes, 0, len), magnitude);
    if len > 32 {
        largest = _mm512_max_epu16(largest, _mm512_and_si512(load(bytes, 32, len), magnitude));
    }
    // The maximum is the complement's minimum.
    !min_word(_mm512_xor_si512(largest, _mm512_set1_epi16(-1))) >> 7
}

/// `finite_block_bf16` with shifted sums only, for AVX-512 CPUs without BF16 or VNNI dot products.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and POPCNT.
#[target_feature(enable = "avx512f,avx512bw,popcnt,avx2,sse4.1")]
pub unsafe fn finite_block_bf16_shifted(bytes: &[u8]) -> Option<Block> {
    let len = bytes.len() / 2;
    if len == 0 {
        return Some(Block::EMPTY);
    }
    let mut seen = Extremes::new();
    for i in (0..len).step_by(32) {
        seen.add(load(bytes, i, len), tail_mask(i, len));
    }
    let (min, max) = seen.finish();
    shifted_sums(bytes, len, min, max)
}

fn total(lanes: &[f64; LANES]) -> f64 {
    lanes.iter().sum()
}

#[inline(always)]
fn bf16(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

/// Values i..i+32, or the ones below `len` with zeros after them.
#[inline(always)]
unsafe fn load(bytes: &[u8], i: usize, len: usize) -> __m512i {
    assert!(i < len && 2 * len <= bytes.len());
    let p = bytes.as_ptr().add(2 * i);
    if i + 32 <= len {
        // SAFETY: 64 bytes from 2i are in bounds (asserted).
        unsafe { _mm512_loadu_si512(p.cast()) }
    } else {
        // SAFETY: only the len − i words in bounds are read; masked-off words are neither read nor faulted.
        unsafe { _mm512_maskz_loadu_epi16(tail_mask(i, len), p.cast()) }
    }
}

#[inline(always)]
fn tail_mask(i: usize, len: usize) -> __mmask32 {
    if i + 32 <= len {
        !0
    } else {
        (1u32 << (len - i)) - 1
    }
}

/// The smallest and the largest value's encodings, gathered 32 at a time (see the module comment).
struct Extremes {
    max_signed: __m512i,
    max_unsigned: __m512i,
    min_unsigned: __m512i,
}

impl Extremes {
    #[inline(always)]
    unsafe fn new() -> Self {
        Extremes {
            max_signed: _mm512_set1_epi16(i16::MIN),
            max_unsigned: _mm512_setzero_si512(),
            min_unsigned: _mm512_set1_epi16(-1),
        }
    }

    /// Takes in the words of `raw` selected by `k` (a last partial vector's zero padding is left out).
    #[inline(always)]
    unsafe fn add(&mut self, raw: __m512i, k: __mmask32) {
        self.max_signed = _mm512_mask_max_epi16(self.max_signed, k, self.max_signed, raw);
        self.max_unsigned = _mm512_mask_max_epu16(self.max_unsigned, k, self.max_unsigned, raw);
        self.min_unsigned = _mm512_mask_min_epu16(self.min_unsigned, k, self.min_unsigned, raw);
    }

    #[inline(always)]
    unsafe fn finish(&self) -> (u16, u16) {
        let flip = |v: __m512i, bits: i16| _mm512_xor_si512(v, _mm512_set1_epi16(bits));
        // Signed order is unsigned order with the sign bit flipped; a maximum is the complement's minimum.
        let max_signed = !min_word(flip(self.max_signed, !i16::MIN)) ^ 0x8000;
        let max_unsigned = !min_word(flip(self.max_unsigned, -1));
        let min_unsigned = min_word(self.min_unsigned);
        let max = if (max_signed as i16) >= 0 {
            max_signed
        } else {
            min_unsigned
        };
        let min = if max_unsigned >= 0x8000 {
            max_unsigned
        } else {
            min_unsigned
        };
        (min, max)
    }
}

/// Horizontal minimum of unsigned words: halve with `min` down to eight, then `phminposuw`.
#[inline(always)]
unsafe fn min_word(v: __m512i) -> u16 {
    let v = _mm256_min_epu16(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64::<1>(v));
    let v = _mm_min_epu16(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    _mm_cvtsi128_si32(_mm_minpos_epu16(v)) as u16
}

/// The block's summary from exact sums (module comment), extremes gathered into `seen` and left to the
/// caller; `None` when the block has too many tiny values. `exponent` is the biased exponent of the window's
/// top, which the caller checks against the largest magnitude `seen`.
#[inline(always)]
unsafe fn exact_sums(
    bytes: &[u8],
    len: usize,
    exponent: u16,
    seen: &mut Extremes,
) -> Option<Block> {
    let below = _mm512_set1_epi16(((exponent - WINDOW) << 7) as i16);
    let (magnitude, ones) = (_mm512_set1_epi16(0x7FFF), _mm512_set1_epi16(0x3F80));
    let ones: __m512bh = std::mem::transmute(ones);
    let zero = _mm512_setzero_si512();
    let (mut s1_lo, mut s1_hi) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    let (mut sa_lo, mut sa_hi) = (_mm512_setzero_pd(), _mm512_setzero_pd());
    // Σx² in fixed point (module comment): each value is m·2^s units, split into hi·2^12 + lo.
    let window_floor = _mm512_set1_epi16((exponent - WINDOW) as i16);
    let (twelve, low_bits) = (_mm512_set1_epi16(12), _mm512_set1_epi16(0xFFF));
    let (mut hh, mut hl, mut ll) = (
        _mm512_setzero_si512(),
        _mm512_setzero_si512(),
        _mm512_setzero_si512(),
    );
    // Σx, Σx², Σ|x| of the tiny values (shift zero), their count and how many are subnormal.
    let mut tiny = State::new();
    let (mut tiny_n, mut subnormal) = (0u64, 0u64);
    let exponent_bits = _mm512_set1_epi16(0x7F80);
    let mut zero_or_tiny_n = 0u64;
    let widen = |s: __m512, lo: &mut __m512d, hi: &mut __m512d| {
        *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(s)));
        *hi = _mm512_add_pd(
            *hi,
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
                _mm512_castps_pd(s),
            ))),
        );
    };
    // 256 values per group: 8 dot products, 16 values per f32 lane.
    for group in (0..len).step_by(256) {
        let (mut s1, mut sa) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        for i in (group..len.min(group + 256)).step_by(32) {
            let mut raw = load(bytes, i, len);
            seen.add(raw, tail_mask(i, len));
            let mut abs = _mm512_and_si512(raw, magnitude);
            // Zeros and tiny values in one compare; told apart only when there are any.
            let zero_or_tiny = _mm512_cmplt_epu16_mask(abs, below);
            if zero_or_tiny != 0 {
                zero_or_tiny_n += zero_or_tiny.count_ones() as u64;
                let small = _mm512_mask_test_epi16_mask(zero_or_tiny, raw, magnitude);
                if small != 0 {
                    tiny_n += small.count_ones() as u64;
                    subnormal +=
                        _mm512_mask_testn_epi16_mask(small, raw, exponent_bits).count_ones() as u64;
                    let t = _mm512_maskz_mov_epi16(small, raw);
                    let no_shift = _mm512_setzero_pd();
                    tiny.add_moments(
                        _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, t)),
                        no_shift,
                    );
                    tiny.add_moments(
                        _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, t)),
                        no_shift,
                    );
                    raw = _mm512_maskz_mov_epi16(!small, raw);
                    abs = _mm512_and_si512(raw, magnitude);
                }
            }
            s1 = _mm512_dpbf16_ps(s1, std::mem::transmute::<__m512i, __m512bh>(raw), ones);
            sa = _mm512_dpbf16_ps(sa, std::mem::transmute::<__m512i, __m512bh>(abs), ones);
            // s = e − floor wraps to 2^16 − k below the window (zeros): both shifts then give 0.
            let s = _mm512_sub_epi16(_mm512_srli_epi16::<7>(abs), window_floor);
            let m = _mm512_ternarylogic_epi32::<0xF8>(
                _mm512_set1_epi16(0x80),
                abs,
                _mm512_set1_epi16(0x7F),
            );
            let hi = _mm512_srlv_epi16(m, _mm512_sub_epi16(twelve, s));
            let lo = _mm512_and_si512(_mm512_sllv_epi16(m, s), low_bits);
            hh = _mm512_dpwssd_epi32(hh, hi, hi);
            hl = _mm512_dpwssd_epi32(hl, hi, lo);
            ll = _mm512_dpwssd_epi32(ll, lo, lo);
        }
        widen(s1, &mut s1_lo, &mut s1_hi);
        widen(sa, &mut sa_lo, &mut sa_hi);
    }
    if tiny_n > MAX_TINY {
        return None;
    }
    let sum = |lo: __m512d, hi: __m512d| _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
    let (s1, sa) = (sum(s1_lo, s1_hi), sum(sa_lo, sa_hi));
    let lanes = |v: __m512i| {
        let words: [u32; 16] = std::mem::transmute(v);
        words.iter().map(|&w| w as u64).sum::<u64>()
    };
    let units = (lanes(hh) << 24) + (lanes(hl) << 13) + lanes(ll);
    let s2 = units as f64 * pow2(2 * (exponent as i32 - WINDOW as i32 - 134));
    let n = len as u64;
    let big = (n - tiny_n) as f64;
    // n·M2 = nΣx² − (Σx)², with (Σx)² = p + e exactly.
    let p = s1 * s1;
    let e = s1.mul_add(s1, -p);
    // Σx is exact, so the division's remainder is too: the mean to twice f64's precision.
    let mut mean = s1 / big;
    let mut mean_lo = (-mean).mul_add(big, s1) / big;
    let mut m2 = ((big.mul_add(s2, -p) - e) / big).max(0.0);
    let mut tiny_sa = 0.0;
    if tiny_n > 0 {
        let tiny = tiny.into_lanes();
        let (tiny_s1, tiny_s2) = (total(&tiny.s1), total(&tiny.s2));
        tiny_sa = total(&tiny.sa);
        let t = tiny_n as f64;
        let mean_t = tiny_s1 / t;
        let m2_t = (tiny_s2 - tiny_s1 * tiny_s1 / t).max(0.0);
        let delta = mean_t - (mean + mean_lo);
        let lo;
        (mean, lo) = two_sum(mean, delta * (t / n as f64));
        mean_lo += lo;
        m2 += m2_t + delta * delta * (big * t / n as f64);
    }
    Some(Block {
        finite: n,
        mean,
        mean_lo,
        m2,
        sum_abs: sa + tiny_sa,
        min: f64::NAN,
        max: f64::NAN,
        // The zero padding of a last partial vector counted as zeros.
        zeros: zero_or_tiny_n - tiny_n - (len.next_multiple_of(32) - len) as u64,
        subnormal,
    })
}

/// Shifted sums (as the f32 kernel) for blocks the exact path does not cover; `min` and `max` are the
/// extremes' encodings.
#[inline(always)]
unsafe fn shifted_sums(bytes: &[u8], len: usize, min: u16, max: u16) -> Option<Block> {
    let value = |i: usize| bf16(u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]));
    let k = value(0) as f64;
    let vk = _mm512_set1_pd(k);
    let mut st = State::new();
    let (magnitude, exponent) = (_mm512_set1_epi16(0x7FFF), _mm512_set1_epi16(0x7F80));
    let zero = _mm512_setzero_si512();
    let (mut nonzero, mut normal) = (0u32, 0u32);
    let whole = len / 32 * 32;
    for i in (0..whole).step_by(32) {
        let raw = load(bytes, i, len);
        // Interleaved as in `exact_sums`: sum lanes see a different subset of the values than the portable
        // kernel's, which only moves roundings.
        st.add_moments(_mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, raw)), vk);
        st.add_moments(_mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, raw)), vk);
        nonzero += _mm512_test_epi16_mask(raw, magnitude).count_ones();
        normal += _mm512_test_epi16_mask(raw, exponent).count_ones();
    }
    let mut lanes = st.into_lanes();
    lanes.min[0] = bf16(min);
    lanes.max[0] = bf16(max);
    lanes.zeros[0] = whole as u32 - nonzero;
    lanes.subnormal[0] = nonzero - normal;
    for i in whole..len {
        lanes.add((i - whole) % LANES, value(i), k, f32::MIN_POSITIVE);
    }
    lanes.finish(k, len)
}

#[cfg(test)]
mod tests {
    use super::super::centred_block;
    use super::super::check::compensated;
    use super::*;

    fn supported() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512bf16")
            && std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("popcnt")
    }

    /// Rounds to BF16 and checks the kernel against a two-pass f64 reference: counts and extremes exactly,
    /// the mean at the scale of the values, M2 and Σ|x| within 1e-14 relative.
    fn check(what: &str, xs: &[f32]) {
        let bf: Vec<half::bf16> = xs.iter().map(|&x| half::bf16::from_f32(x)).collect();
        let bytes: Vec<u8> = bf.iter().flat_map(|v| v.to_le_bytes()).collect();
        let v: Vec<f64> = bf.iter().map(|x| x.to_f64()).collect();
        let n = v.len() as f64;
        let mean = compensated(v.iter().copied()) / n;
        let m2 = compensated(v.iter().map(|x| (x - mean) * (x - mean)));
        // SAFETY: the features were detected by the caller.
        let b = unsafe { finite_block_bf16(&bytes) }.unwrap_or_else(|| {
            // Declined only on the shifted path, for a first value far from the others: the caller then
            // sums the decoded values about their mean.
            let shifted = compensated(v.iter().map(|x| (x - v[0]) * (x - v[0])));
            assert!(shifted > 15.0 * m2, "{what}: declined a finite block");
            let decoded: Vec<f32> = bf.iter().map(|x| x.to_f32()).collect();
            centred_block(&decoded, f32::MIN_POSITIVE)
        });
        let sum_abs: f64 = v.iter().map(|x| x.abs()).sum();
        let zeros = v.iter().filter(|&&x| x == 0.0).count() as u64;
        let subnormal = bf
            .iter()
            .filter(|x| x.to_bits() & 0x7F80 == 0 && x.to_bits() & 0x7F != 0)
            .count() as u64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            (b.finite, b.zeros, b.subnormal, b.min, b.max),
            (v.len() as u64, zeros, subnormal, min, max),
            "{what}"
        );
        // The documented bound (docs/internals.md: every path agrees with an f64 reference to 1e-12 or better), relative to
        // the values' size, plus f32's absolute rounding near its subnormal range (2^-149 per step). Proptest
        // found blocks spreading 30 binary orders of magnitude where the kernel is 1.2e-13 off: within the bound.
        assert!(
            (b.mean - mean).abs() <= 1e-12 * (sum_abs / n) + 1e-42,
            "{what}: mean {} vs {mean}",
            b.mean
        );
        assert!(
            (b.m2 - m2).abs() <= 1e-14 * m2,
            "{what}: m2 {} vs {m2}",
            b.m2
        );
        assert!((b.sum_abs - sum_abs).abs() <= 1e-14 * sum_abs, "{what}");
    }

    fn pseudo_normal(n: usize, scale: f32, seed: u64) -> Vec<f32> {
        let mut state = seed;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n)
            .map(|_| (uniform() + uniform() + uniform() + uniform()) * scale)
            .collect()
    }

    #[test]
    fn exact_and_shifted_paths_match_a_two_pass_reference() {
        if !supported() {
            return;
        }
        for len in [1, 2, 31, 32, 33, 100, 2047, 2048] {
            let mut xs = pseudo_normal(len, 0.035, len as u64);
            check(&format!("normal {len}"), &xs);
            // Zeros of both signs, a tiny value and a subnormal (both set aside from the exact sums).
            for (i, x) in [0.0, -0.0, 1e-7, -3e-39].into_iter().enumerate() {
                if 7 * i < len {
                    xs[7 * i] = x;
                }
            }
            check(&format!("with zeros and tiny values {len}"), &xs);
            let sparse: Vec<f32> = xs.iter().step_by(2).flat_map(|&x| [x, 0.0]).collect();
            check(&format!("half zeros {len}"), &sparse[..len]);
            let negative: Vec<f32> = xs.iter().map(|x| -x.abs() - 1e-3).collect();
            check(&format!("all negative {len}"), &negative);
            let positive: Vec<f32> = xs.iter().map(|x| x.abs()).collect();
            check(&format!("non-negative {len}"), &positive);
        }
        // Far from zero with a small spread: 1 ± a few BF16 ulps, where Σx² − (Σx)²/n cancels 16 bits.
        let near_one: Vec<f32> = (0..2048)
            .map(|i| 1.0 + ((i * 37 % 11) as f32 - 5.0) / 256.0)
            .collect();
        check("near one", &near_one);
        check(
            "near -1000",
            &near_one.iter().map(|x| x * -1000.0).collect::<Vec<_>>(),
        );
        // More tiny values than the exact path takes; the largest magnitude too large or too small for it.
        let mut many_tiny = pseudo_normal(2048, 1.0, 7);
        many_tiny.iter_mut().step_by(16).for_each(|x| *x *= 1e-6);
        check("many tiny", &many_tiny);
        check("huge", &pseudo_normal(999, 1e37, 8));
        check("small", &pseudo_normal(999, 1e-33, 9));
        check("subnormal", &pseudo_normal(64, 1e-39, 10));
        check("zeros", &[0.0; 40]);
        check("one value", &[-2.5]);
    }

    /// A BF16 value with biased exponent `top − below` (a subnormal at 0), or a zero.
    fn bf16_value(sign: bool, top: u16, below: u16, mantissa: u16, zero: bool) -> f32 {
        let exponent = top.saturating_sub(below);
        let bits = if zero {
            0
        } else {
            (exponent << 7) | (mantissa & 0x7F)
        };
        bf16(bits | (sign as u16) << 15)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Blocks of every length, spread over 0–30 binades anywhere in BF16's range (so through the exact
        /// path with a right or a wrong guess, and the shifted fallback), with zeros and subnormals.
        #[test]
        fn any_finite_block_matches_the_reference(
            top in 1u16..=254,
            parts in proptest::collection::vec(
                (proptest::bool::ANY, 0u16..=30, 0u16..128, proptest::bool::weighted(0.05)),
                1..=2048,
            ),
            spread in 0u16..=30,
        ) {
            if !supported() {
                return Ok(());
            }
            let xs: Vec<f32> = parts
                .iter()
                .map(|&(sign, below, m, zero)| bf16_value(sign, top, below % (spread + 1), m, zero))
                .collect();
            check("proptest block", &xs);
        }
    }

    #[test]
    fn a_window_guessed_from_the_first_values_is_checked() {
        if !supported() {
            return;
        }
        // The largest value far after the first 64 and many binades above them: read again.
        let mut late_peak = pseudo_normal(2048, 0.001, 11);
        late_peak[1500] = 3.0;
        check("late peak", &late_peak);
        // Just inside the guessed window (two binades above the first values) and just outside it.
        for peak in [3.9, 4.1] {
            let mut xs: Vec<f32> = (0..2048).map(|i| 0.75 + (i % 13) as f32 / 64.0).collect();
            xs[2000] = peak;
            check(&format!("peak {peak}"), &xs);
        }
    }

    #[test]
    fn integer_square_sums_at_their_bound() {
        if !supported() {
            return;
        }
        // The first values 1.0 put the window's top at 2^2. Values six binades below 1.0 with a full
        // significand are 255·2^4 = 4080 units, the largest `lo` word: each 32-bit lane of Σlo² gets
        // 64·2·4080² ≈ 2^31.
        let mut xs = vec![-(255.0 / 128.0) * 2f32.powi(-6); 2048];
        xs[..64].fill(1.0);
        check("lo at its bound", &xs);
        // Values in the window's top binade with a full significand: 255·2^12 units, the largest `hi` word.
        let mut xs = vec![(255.0 / 128.0) * 4.0; 2048];
        xs[..64].fill(1.0);
        check("hi at its bound", &xs);
    }

    #[test]
    fn non_finite_blocks_are_left_to_the_caller() {
        if !supported() {
            return;
        }
        // Without the exact path: the same checks on shifted sums.
        let bytes: Vec<u8> = pseudo_normal(2045, 0.02, 5)
            .iter()
            .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
            .collect();
        // SAFETY: the features were detected above.
        let (exact, shifted) = unsafe {
            (
                finite_block_bf16(&bytes).unwrap(),
                finite_block_bf16_shifted(&bytes).unwrap(),
            )
        };
        let counts = |b: &Block| (b.finite, b.zeros, b.subnormal, b.min, b.max);
        assert_eq!(counts(&exact), counts(&shifted));
        assert!((exact.m2 - shifted.m2).abs() <= 1e-14 * exact.m2);
        assert!((exact.sum_abs - shifted.sum_abs).abs() <= 1e-14 * exact.sum_abs);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut xs = pseudo_normal(100, 1.0, 3);
            xs[77] = bad;
            let bytes: Vec<u8> = xs
                .iter()
                .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
                .collect();
            // SAFETY: the features were detected above.
            assert!(unsafe { finite_block_bf16(&bytes) }.is_none(), "{bad}");
        }
    }
}

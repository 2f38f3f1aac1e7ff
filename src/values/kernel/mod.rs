//! The inner loop: one pass over a block of decoded values, written so the compiler vectorises it.
//!
//! Values arrive as f32 when the dtype fits (every float of 24 significant bits or fewer, 8- and 16-bit
//! integers) and as f64 otherwise; accumulation is always in f64. `LANES` independent accumulators keep many
//! additions in flight (one running sum would be bound by the latency of an add per value).
//!
//! The block's moments are taken about its first value `k` (shifted sums): with `k` a member of the block,
//! Σ(x−k)² ≤ (n+1)·M2, so M2 = Σ(x−k)² − (Σ(x−k))²/n does not cancel however far the data sit from zero; it
//! still loses up to log2(n+1) bits when `k` itself lies far from the others, so a block that cancels more
//! than `CANCELLING` allows is summed again about its mean. Blocks are then merged with Chan's update.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avx512_bf16;

/// Fixed, so every build (portable or SIMD) adds the same values in the same order.
pub const LANES: usize = 16;

/// A decoded value type the kernel runs on.
pub trait Lane: Copy + PartialOrd + Send + Sync + 'static {
    const INFINITY: Self;
    const NEG_INFINITY: Self;
    const ZERO: Self;
    fn to_f64(self) -> f64;
    fn from_f64(x: f64) -> Self;
    fn abs(self) -> Self;
    fn is_finite(self) -> bool;
    /// Whether squares and sums of this type's finite values can leave f64's range (see `Accumulator::scale`).
    const WIDE: bool;
    /// `finite_block` for this type, through a SIMD kernel where the CPU has one.
    fn block(xs: &[Self], min_normal: Self) -> Option<Block>;
}

macro_rules! lane {
    ($t:ty, $block:path, $wide:expr) => {
        impl Lane for $t {
            const WIDE: bool = $wide;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const ZERO: Self = 0.0;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn block(xs: &[Self], min_normal: Self) -> Option<Block> {
                $block(xs, min_normal)
            }
        }
    };
}
lane!(f32, block_f32, false);
lane!(f64, finite_block, true);

/// Whether the AVX-512 kernels can run (checked once per block: a cached flag).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("popcnt")
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512bw() -> bool {
    std::arch::is_x86_feature_detected!("avx512bw")
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512bf16_vnni() -> bool {
    std::arch::is_x86_feature_detected!("avx512bf16")
        && std::arch::is_x86_feature_detected!("avx512vnni")
}

/// A block of little-endian BF16, F16 or F32 bytes summarised without a decode buffer, where a kernel reads
/// that encoding directly. `None` means: take the general path (no such kernel, or non-finite values).
#[inline(always)]
pub fn raw_block(encoding: RawEncoding, bytes: &[u8], min_normal: f32) -> Option<Block> {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        use avx512 as k;
        // SAFETY: the CPU has AVX-512F and POPCNT (checked just above), and BW, BF16 and VNNI where used.
        return unsafe {
            match encoding {
                RawEncoding::Bf16 if has_avx512bw() && has_avx512bf16_vnni() => {
                    avx512_bf16::finite_block_bf16(bytes)
                }
                RawEncoding::Bf16 if has_avx512bw() => {
                    avx512_bf16::finite_block_bf16_shifted(bytes)
                }
                RawEncoding::Bf16 => None,
                RawEncoding::F16 => k::finite_block_f16(bytes, min_normal),
                RawEncoding::F32 => k::finite_block_f32_bytes(bytes, min_normal),
            }
        };
    }
    let _ = (encoding, bytes, min_normal);
    None
}

/// Encodings a SIMD kernel can read straight from the file's bytes.
#[derive(Debug, Clone, Copy)]
pub enum RawEncoding {
    Bf16,
    F16,
    F32,
}

#[inline(always)]
fn block_f32(xs: &[f32], min_normal: f32) -> Option<Block> {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512F and POPCNT (checked just above).
        return unsafe { avx512::finite_block_f32(xs, min_normal) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::finite_block_f32(xs, min_normal) };
    }
    finite_block(xs, min_normal)
}

/// One block's summary (finite values only).
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub finite: u64,
    /// The mean is `mean + mean_lo` (see `Accumulator::mean_lo`).
    pub mean: f64,
    pub mean_lo: f64,
    pub m2: f64,
    pub sum_abs: f64,
    pub min: f64,
    pub max: f64,
    pub zeros: u64,
    pub subnormal: u64,
}

impl Block {
    pub const EMPTY: Block = Block {
        finite: 0,
        mean: 0.0,
        mean_lo: 0.0,
        m2: 0.0,
        sum_abs: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        zeros: 0,
        subnormal: 0,
    };
}

/// Per-lane accumulators of one block: lane i sees values i, i+LANES, i+2·LANES, …
pub struct Lanes<T> {
    /// Σ(x−k), Σ(x−k)², Σ|x| in f64.
    pub s1: [f64; LANES],
    pub s2: [f64; LANES],
    pub sa: [f64; LANES],
    pub min: [T; LANES],
    pub max: [T; LANES],
    pub zeros: [u32; LANES],
    pub subnormal: [u32; LANES],
}

impl<T: Lane> Default for Lanes<T> {
    #[inline(always)]
    fn default() -> Self {
        Lanes {
            s1: [0.0; LANES],
            s2: [0.0; LANES],
            sa: [0.0; LANES],
            min: [T::INFINITY; LANES],
            max: [T::NEG_INFINITY; LANES],
            zeros: [0; LANES],
            subnormal: [0; LANES],
        }
    }
}

impl<T: Lane> Lanes<T> {
    /// Adds `x` to lane `i`. The SIMD kernel does the same per lane (with a fused multiply-add for s2).
    #[inline(always)]
    pub fn add(&mut self, i: usize, x: T, k: f64, min_normal: T) {
        let d = x.to_f64() - k;
        self.s1[i] += d;
        self.s2[i] += d * d;
        let a = x.abs();
        self.sa[i] += a.to_f64();
        self.min[i] = if x < self.min[i] { x } else { self.min[i] };
        self.max[i] = if x > self.max[i] { x } else { self.max[i] };
        self.zeros[i] += (a == T::ZERO) as u32;
        self.subnormal[i] += (a < min_normal && a != T::ZERO) as u32;
    }

    /// Combines the lanes of a block of `n` values shifted by `k`; `None` if a sum is not finite, or if `k`
    /// lies so far from the block's mean that Σ(x−k)² cancels (see `CANCELLING`).
    #[inline(always)]
    pub fn finish(&self, k: f64, n: usize) -> Option<Block> {
        let (s1, s2, sa) = (sum(&self.s1), sum(&self.s2), sum(&self.sa));
        if !(s1.is_finite() && s2.is_finite() && sa.is_finite()) {
            return None;
        }
        let count = n as f64;
        let m2 = (s2 - s1 * s1 / count).max(0.0);
        if s2 > CANCELLING * m2 {
            return None;
        }
        let fold = |v: &[T; LANES], init: f64, pick: fn(f64, f64) -> f64| {
            v.iter().fold(init, |acc, &x| pick(acc, x.to_f64()))
        };
        let (mean, mean_lo) = two_sum(k, s1 / count);
        Some(Block {
            finite: n as u64,
            mean,
            mean_lo,
            m2,
            sum_abs: sa,
            min: fold(&self.min, f64::INFINITY, f64::min),
            max: fold(&self.max, f64::NEG_INFINITY, f64::max),
            zeros: self.zeros.iter().map(|&z| z as u64).sum(),
            subnormal: self.subnormal.iter().map(|&z| z as u64).sum(),
        })
    }
}

/// Σ(x−k)² = M2 + n·(mean−k)² is at most this many times M2 on the shifted path: beyond, its roundings
/// would weigh that many times more in M2 (a first value far from a tight cluster gave 3e-12 relative), so
/// the block is summed again about its mean (`centred_block`). For Gaussian data the first value is that far
/// (3.9 standard deviations) in one block of 10,000.
const CANCELLING: f64 = 16.0;

/// Summarises a block (at most 2^32 values) in one pass, or `None` when it holds NaN or ±Inf or its sums
/// overflow f64 (the sums then stop being finite, which is checked once per block instead of per value),
/// or its first value lies too far from the others (`CANCELLING`).
#[inline(always)]
pub fn finite_block<T: Lane>(xs: &[T], min_normal: T) -> Option<Block> {
    let Some(&first) = xs.first() else {
        return Some(Block::EMPTY);
    };
    finite_block_about(xs, min_normal, first.to_f64())
}

/// Finite values the one-pass kernels left: summed about their mean (a second pass), or by Welford's
/// update where the sums overflow.
pub fn centred_block<T: Lane>(xs: &[T], min_normal: T) -> Block {
    let mean = xs.iter().map(|x| x.to_f64()).sum::<f64>() / xs.len() as f64;
    mean.is_finite()
        .then(|| finite_block_about(xs, min_normal, mean))
        .flatten()
        .unwrap_or_else(|| serial_block(xs, min_normal))
}

/// `finite_block` with the moments taken about `k`.
#[inline(always)]
fn finite_block_about<T: Lane>(xs: &[T], min_normal: T, k: f64) -> Option<Block> {
    let mut lanes = Lanes::default();
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (i, &x) in c.iter().enumerate() {
            lanes.add(i, x, k, min_normal);
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        lanes.add(i, x, k, min_normal);
    }
    lanes.finish(k, xs.len())
}

#[inline(always)]
fn sum(v: &[f64; LANES]) -> f64 {
    v.iter().sum()
}

/// `a + b` as its rounded sum and the rounding error, exactly (Knuth's TwoSum).
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let a_part = s - b;
    let b_part = s - a_part;
    (s, (a - a_part) + (b - b_part))
}

/// Finite values whose sums overflow f64: Welford one value at a time, which never forms a sum of squares
/// larger than needed; statistics that truly exceed f64 come out infinite.
pub fn serial_block<T: Lane>(xs: &[T], min_normal: T) -> Block {
    let mut b = Block::EMPTY;
    for &x in xs {
        let v = x.to_f64();
        b.finite += 1;
        let delta = v - b.mean;
        b.mean += delta / b.finite as f64;
        b.m2 += delta * (v - b.mean);
        let a = x.abs();
        b.sum_abs += a.to_f64();
        b.min = b.min.min(v);
        b.max = b.max.max(v);
        b.zeros += (a == T::ZERO) as u64;
        b.subnormal += (a < min_normal && a != T::ZERO) as u64;
    }
    b
}

/// The kernels' tests: a compensated-sum reference, one sample with zeros of both signs and subnormals, and
/// the comparison with [`finite_block`] every kernel must pass.
#[cfg(test)]
pub(super) mod check {
    use super::{finite_block, Block};

    /// Neumaier's compensated sum: a reference accurate to about one rounding.
    pub fn compensated(xs: impl Iterator<Item = f64>) -> f64 {
        let (mut sum, mut lost) = (0.0f64, 0.0f64);
        for x in xs {
            let t = sum + x;
            lost += if sum.abs() >= x.abs() {
                (sum - t) + x
            } else {
                (x - t) + sum
            };
            sum = t;
        }
        sum + lost
    }

    pub fn sample() -> Vec<f32> {
        let mut xs: Vec<f32> = (0..2045)
            .map(|i| ((i * 7919) % 2003) as f32 * 1e-3 - 0.9)
            .collect();
        xs[3] = 0.0;
        xs[100] = -0.0;
        xs[200] = 1e-40;
        xs[2044] = -3e-39;
        xs
    }

    /// Counts, extremes, mean and Σ|x| equal the portable kernel's exactly; M2 within 1e-14 relative.
    pub fn matches_portable(xs: &[f32], lens: &[usize], simd: impl Fn(&[f32]) -> Option<Block>) {
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
        for &len in lens {
            let slice = &xs[..len];
            let p = finite_block(slice, f32::MIN_POSITIVE).unwrap();
            let s = simd(slice).unwrap();
            assert_eq!(exact(&p), exact(&s), "{len}");
            assert!(
                (p.m2 - s.m2).abs() <= 1e-14 * p.m2,
                "{len}: {} vs {}",
                p.m2,
                s.m2
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_sums_are_exact_enough_far_from_zero() {
        // Variance 1.25 around 1e9, the first value far from the mean: naive Σx² − (Σx)²/n would give 0 or noise.
        let xs: Vec<f64> = (0..2048)
            .map(|i| 1e9 + [-1.5, -0.5, 0.5, 1.5][i % 4])
            .collect();
        let b = finite_block(&xs, 0.0).unwrap();
        assert!((b.m2 / 2048.0 - 1.25).abs() < 1e-6, "{}", b.m2 / 2048.0);
        assert_eq!(b.mean, 1e9);
    }

    #[test]
    fn f32_and_f64_lanes_agree() {
        let xs: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let wide: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
        let (a, b) = (
            finite_block(&xs, f32::MIN_POSITIVE).unwrap(),
            finite_block(&wide, f32::MIN_POSITIVE as f64).unwrap(),
        );
        assert_eq!((a.min, a.max, a.zeros), (b.min, b.max, b.zeros));
        assert_eq!((a.mean, a.m2, a.sum_abs), (b.mean, b.m2, b.sum_abs));
    }

    #[test]
    fn non_finite_values_are_left_to_the_caller() {
        assert!(finite_block(&[1.0f32, f32::NAN], 0.0).is_none());
        assert!(finite_block(&[f64::INFINITY, 1.0], 0.0).is_none());
        assert!(finite_block(&[f64::MAX, -f64::MAX], 0.0).is_none());
        let b = serial_block(&[f64::MAX, f64::MAX], 0.0);
        assert_eq!((b.mean, b.max), (f64::MAX, f64::MAX));
    }
}

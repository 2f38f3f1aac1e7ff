//! A mergeable summary of a stream of values: counts of every class of value, and moments of the finite ones.
//!
//! Values arrive in blocks of at most `BLOCK_VALUES` (decoded into L1-resident buffers) and are summarised by
//! the kernel; blocks, and then chunks of a tensor, are merged with Chan et al.'s parallel update, in order, so
//! accumulation is numerically stable whatever the data's offset and every result is independent of thread
//! scheduling.

use super::hist::LogHistogram;
use super::kernel::{centred_block, two_sum, Block, Lane};
use super::pow2::{binade, times_pow2};

/// The most values one `add_block` call takes: small enough that a decoded block stays in L1.
pub const BLOCK_VALUES: usize = 2048;

/// f64 blocks whose largest magnitude is beyond 2^±this are summarised scaled (see `Accumulator::scale`): up to
/// here squares of deviations, summed over any count of values below 2^100, stay within f64's normal range.
pub const WIDE_BINADE: i32 = 450;

/// Counts and moments of every value seen so far in one tensor (or one chunk of it); chunks combine with `merge` in order, so the result never depends on thread scheduling.
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    /// Every decoded value, finite or not.
    pub values: u64,
    /// Finite values: the ones the moments, min and max describe.
    pub finite: u64,
    /// The moments `mean`, `m2` and `sum_abs` are in units of 2^scale (`m2` in units of 2^(2·scale)); read them
    /// through `mean()`, `std()` and `mean_abs()`. Zero unless f64 blocks whose largest magnitude lies beyond
    /// 2^±`WIDE_BINADE` came in: their squares and sums would leave f64's range (overflow to infinity, or
    /// underflow into subnormals), so such a block is summarised scaled by a power of two, exactly.
    pub scale: i32,
    /// Mean of the finite values, in units of 2^`scale` and without `mean_lo`; read the true mean through `mean()`.
    pub mean: f64,
    /// What `mean` lost to rounding: the mean is `mean + mean_lo`, to twice f64's precision. Chan's update
    /// weighs the difference of two means by the count; taken from rounded means it would be wrong in
    /// proportion to the mean over the spread, which for data within a few ulps of each other (F32 values
    /// one ulp apart) put several 1e-12 into M2, and 1e-4 for F64 values 100 ulps apart.
    pub mean_lo: f64,
    /// Sum of squared deviations from the mean (finite values).
    pub m2: f64,
    /// Sum of the magnitudes of the finite values, in units of 2^`scale`; `mean_abs()` divides it by `finite`.
    pub sum_abs: f64,
    /// Least finite value (not scaled); `f64::INFINITY` while no finite value has been seen.
    pub min: f64,
    /// Greatest finite value (not scaled); `f64::NEG_INFINITY` while no finite value has been seen.
    pub max: f64,
    /// Zeros of either sign.
    pub zeros: u64,
    /// NaN values, whatever their payload or sign.
    pub nan: u64,
    /// Values equal to +∞.
    pub pos_inf: u64,
    /// Values equal to −∞.
    pub neg_inf: u64,
    /// Finite nonzero values below the source encoding's smallest normal.
    pub subnormal: u64,
    /// Power-of-two histogram of the finite nonzero magnitudes; `None` unless asked for in `new`.
    pub hist: Option<LogHistogram>,
    /// The exact least and greatest value, when every finite value came from a dtype f64 does not hold
    /// exactly (64-bit integers); `None` otherwise.
    pub exact_extremes: Option<(i128, i128)>,
}

impl Accumulator {
    /// An empty accumulator; `with_hist` also keeps a [`LogHistogram`] of magnitudes.
    pub fn new(with_hist: bool) -> Self {
        Accumulator {
            values: 0,
            finite: 0,
            scale: 0,
            mean: 0.0,
            mean_lo: 0.0,
            m2: 0.0,
            sum_abs: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zeros: 0,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            subnormal: 0,
            hist: with_hist.then(LogHistogram::default),
            exact_extremes: None,
        }
    }

    /// Adds one block of at most `BLOCK_VALUES` values; `min_normal` is the source encoding's smallest normal
    /// magnitude.
    #[inline(always)]
    pub fn add_block<T: Lane>(&mut self, xs: &[T], min_normal: T) {
        debug_assert!(xs.len() <= BLOCK_VALUES);
        if T::WIDE {
            if let Some(scale) = wide_scale(xs) {
                return self.add_scaled_block(xs, min_normal, scale);
            }
        }
        let block = match T::block(xs, min_normal) {
            Some(b) => b,
            None => self.mixed_block(xs, min_normal),
        };
        if let Some(h) = &mut self.hist {
            h.add(xs);
        }
        self.add_summary(xs.len() as u64, &block);
    }

    /// Adds a block of `values` values whose finite ones `block` summarises (the non-finite ones already
    /// counted).
    #[inline(always)]
    pub fn add_summary(&mut self, values: u64, block: &Block) {
        self.add_summary_in(values, block, 0);
    }

    /// `add_summary` for a block whose moments are in units of 2^scale.
    #[inline(always)]
    fn add_summary_in(&mut self, values: u64, block: &Block, scale: i32) {
        self.values += values;
        self.merge_moments(
            block.finite,
            (block.mean, block.mean_lo),
            block.m2,
            block.sum_abs,
            scale,
        );
        self.min = self.min.min(block.min);
        self.max = self.max.max(block.max);
        self.zeros += block.zeros;
        self.subnormal += block.subnormal;
    }

    /// Records the exact extremes of a block of this chunk (every block of the chunk must come with them).
    pub fn add_exact_extremes(&mut self, (lo, hi): (i128, i128)) {
        self.exact_extremes = Some(match self.exact_extremes {
            Some((a, b)) => (a.min(lo), b.max(hi)),
            None => (lo, hi),
        });
    }

    /// The slow path for blocks holding NaN or Inf (or finite values whose sums overflow or cancel): count
    /// the non-finite values, then summarise the finite ones.
    #[cold]
    fn mixed_block<T: Lane>(&mut self, xs: &[T], min_normal: T) -> Block {
        let mut finite = [T::ZERO; BLOCK_VALUES];
        let mut kept = 0;
        for &x in xs {
            if x.is_finite() {
                finite[kept] = x;
                kept += 1;
            } else if x.to_f64().is_nan() {
                self.nan += 1;
            } else if x > T::ZERO {
                self.pos_inf += 1;
            } else {
                self.neg_inf += 1;
            }
        }
        let finite = &finite[..kept];
        T::block(finite, min_normal).unwrap_or_else(|| centred_block(finite, min_normal))
    }

    /// A block of `values` f64 values whose largest magnitude is about 2^scale, summarised as x·2^-scale.
    #[cold]
    fn add_scaled_block<T: Lane>(&mut self, xs: &[T], min_normal: T, scale: i32) {
        let mut scaled = [T::ZERO; BLOCK_VALUES];
        for (s, &x) in scaled.iter_mut().zip(xs) {
            *s = T::from_f64(times_pow2(x.to_f64(), -scale));
        }
        let scaled = &scaled[..xs.len()];
        let mut block = match T::block(scaled, T::ZERO) {
            Some(b) => b,
            None => self.mixed_block(scaled, T::ZERO),
        };
        // Classes and extremes from the values themselves: scaling down turns the smallest into zeros.
        let finite = || xs.iter().copied().filter(|x| x.is_finite());
        block.zeros = finite().filter(|x| x.abs() == T::ZERO).count() as u64;
        block.subnormal = finite()
            .filter(|x| x.abs() != T::ZERO && x.abs() < min_normal)
            .count() as u64;
        block.min = finite().map(T::to_f64).fold(f64::INFINITY, f64::min);
        block.max = finite().map(T::to_f64).fold(f64::NEG_INFINITY, f64::max);
        if let Some(h) = &mut self.hist {
            h.add(xs);
        }
        self.add_summary_in(xs.len() as u64, &block, scale);
    }

    /// Folds in the moments of `n_b` finite values (mean `mean_b.0 + mean_b.1`), taken in units of 2^scale_b.
    fn merge_moments(
        &mut self,
        n_b: u64,
        mean_b: (f64, f64),
        m2_b: f64,
        sum_abs_b: f64,
        scale_b: i32,
    ) {
        if n_b == 0 {
            return;
        }
        let ((mut mean_b, mut mean_b_lo), mut m2_b, mut sum_abs_b) = (mean_b, m2_b, sum_abs_b);
        if self.finite == 0 {
            (self.finite, self.mean, self.mean_lo) = (n_b, mean_b, mean_b_lo);
            (self.m2, self.sum_abs, self.scale) = (m2_b, sum_abs_b, scale_b);
            return;
        }
        // Both sides in the larger unit. What the other side loses below f64's range is beneath the values
        // that set the larger unit by more than f64 can tell.
        if scale_b > self.scale {
            let by = self.scale - scale_b;
            self.mean = times_pow2(self.mean, by);
            self.mean_lo = times_pow2(self.mean_lo, by);
            self.m2 = times_pow2(self.m2, 2 * by);
            self.sum_abs = times_pow2(self.sum_abs, by);
            self.scale = scale_b;
        } else if scale_b < self.scale {
            let by = scale_b - self.scale;
            mean_b = times_pow2(mean_b, by);
            mean_b_lo = times_pow2(mean_b_lo, by);
            m2_b = times_pow2(m2_b, 2 * by);
            sum_abs_b = times_pow2(sum_abs_b, by);
        }
        self.sum_abs += sum_abs_b;
        let (n_a, n_b) = (self.finite as f64, n_b as f64);
        let n = n_a + n_b;
        let delta = (mean_b - self.mean) + (mean_b_lo - self.mean_lo);
        let (mean, lo) = two_sum(self.mean, delta * (n_b / n));
        (self.mean, self.mean_lo) = two_sum(mean, self.mean_lo + lo);
        self.m2 += m2_b + delta * delta * (n_a * n_b / n);
        self.finite += n_b as u64;
    }

    /// Folds `other` (the values that came after this accumulator's) into this one.
    pub fn merge(&mut self, other: &Accumulator) {
        let finite_before = self.finite;
        self.values += other.values;
        self.merge_moments(
            other.finite,
            (other.mean, other.mean_lo),
            other.m2,
            other.sum_abs,
            other.scale,
        );
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.zeros += other.zeros;
        self.nan += other.nan;
        self.pos_inf += other.pos_inf;
        self.neg_inf += other.neg_inf;
        self.subnormal += other.subnormal;
        // Exact only while every finite value so far was covered: values without exact extremes end it.
        self.exact_extremes = match (self.exact_extremes, other.exact_extremes) {
            (Some((a, b)), Some((lo, hi))) => Some((a.min(lo), b.max(hi))),
            (kept, None) if other.finite == 0 => kept,
            (None, kept) if finite_before == 0 => kept,
            _ => None,
        };
        match (&mut self.hist, &other.hist) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.hist = Some(b.clone()),
            _ => {}
        }
    }

    /// Mean of the finite values; `None` when there is none.
    pub fn mean(&self) -> Option<f64> {
        (self.finite > 0).then(|| times_pow2(self.mean + self.mean_lo, self.scale))
    }

    /// Population standard deviation (divides by the count, as numpy's default does).
    pub fn std(&self) -> Option<f64> {
        (self.finite > 0).then(|| times_pow2((self.m2 / self.finite as f64).sqrt(), self.scale))
    }

    /// Mean absolute value of the finite values.
    pub fn mean_abs(&self) -> Option<f64> {
        (self.finite > 0).then(|| times_pow2(self.sum_abs / self.finite as f64, self.scale))
    }
}

/// The binade of the block's largest finite magnitude when it lies beyond 2^±`WIDE_BINADE`.
fn wide_scale<T: Lane>(xs: &[T]) -> Option<i32> {
    let largest = xs
        .iter()
        .map(|x| x.to_f64().abs())
        .filter(|a| a.is_finite())
        .fold(0.0, f64::max);
    if largest == 0.0 {
        return None;
    }
    // Subnormals are taken as 2^-1022, still within a factor 2^52.
    let binade = binade(largest).max(-1022);
    (binade.abs() > WIDE_BINADE).then_some(binade)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::kernel::check::compensated;

    fn accumulate(xs: &[f64], block: usize) -> Accumulator {
        let mut acc = Accumulator::new(false);
        for b in xs.chunks(block) {
            acc.add_block(b, 1e-3);
        }
        acc
    }

    #[test]
    fn counts_classes_and_moments_over_finite_values() {
        let xs = [
            1.0,
            -2.0,
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-4,
            4.0,
        ];
        let acc = accumulate(&xs, 4);
        assert_eq!(acc.values, 9);
        assert_eq!(acc.finite, 6);
        assert_eq!((acc.nan, acc.pos_inf, acc.neg_inf), (1, 1, 1));
        assert_eq!(acc.zeros, 2);
        assert_eq!(acc.subnormal, 1);
        assert_eq!((acc.min, acc.max), (-2.0, 4.0));
        let finite = [1.0, -2.0, 0.0, 0.0, 1e-4, 4.0];
        let mean = finite.iter().sum::<f64>() / 6.0;
        let var = finite.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 6.0;
        assert!((acc.mean - mean).abs() < 1e-15);
        assert!((acc.std().unwrap() - var.sqrt()).abs() < 1e-14);
        assert!((acc.sum_abs - 7.0001).abs() < 1e-12);
    }

    #[test]
    fn large_offset_does_not_cancel() {
        // Variance 1.25 around 1e9: a naive sum of squares in f64 loses it entirely.
        let xs: Vec<f64> = (0..1000)
            .map(|i| 1e9 + [-1.5, -0.5, 0.5, 1.5][i % 4])
            .collect();
        let acc = accumulate(&xs, 96);
        assert!((acc.std().unwrap() - 1.25f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn merging_blocks_matches_one_block() {
        let xs: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 90.0)
            .collect();
        let whole = accumulate(&xs, BLOCK_VALUES);
        let mut merged = accumulate(&xs[..3333], 100);
        merged.merge(&accumulate(&xs[3333..], 77));
        assert_eq!(whole.finite, merged.finite);
        assert_eq!((whole.min, whole.max), (merged.min, merged.max));
        assert!((whole.mean - merged.mean).abs() <= 1e-12 * whole.mean.abs());
        assert!((whole.m2 - merged.m2).abs() <= 1e-12 * whole.m2);
    }

    #[test]
    fn exact_extremes_last_only_while_every_value_has_them() {
        let ints = |lo: i128, hi: i128| {
            let mut a = accumulate(&[lo as f64, hi as f64], 2);
            a.add_exact_extremes((lo, hi));
            a
        };
        let mut both = Accumulator::new(false);
        both.merge(&ints(-5, 3));
        both.merge(&Accumulator::new(false));
        both.merge(&ints(i64::MIN as i128, 0));
        assert_eq!(both.exact_extremes, Some((i64::MIN as i128, 3)));
        let mut floats_first = accumulate(&[0.5], 1);
        floats_first.merge(&ints(1, 2));
        assert_eq!(floats_first.exact_extremes, None);
        let mut floats_after = ints(1, 2);
        floats_after.merge(&accumulate(&[0.5], 1));
        assert_eq!(floats_after.exact_extremes, None);
    }

    /// Σ(x−m)² of `xs` in compensated sums about a compensated mean: a reference good to a few roundings.
    fn reference_m2(xs: &[f64]) -> f64 {
        let mean = compensated(xs.iter().copied()) / xs.len() as f64;
        compensated(xs.iter().map(|x| (x - mean) * (x - mean)))
    }

    #[test]
    fn a_first_value_far_from_the_others_keeps_m2_exact() {
        // Blocks are summed about their first value k: here k lies 1000 spreads from a tight cluster, so
        // Σ(x−k)² is about 2048 times M2 and its roundings, 2048 times larger relative to M2, reached 3e-12.
        let cluster = |i: usize| 1001.0 + ((i * 7919) % 2003) as f64 * 1e-3;
        let mut wide: Vec<f64> = (0..2048).map(cluster).collect();
        wide[0] = 0.0;
        let narrow: Vec<f32> = wide.iter().map(|&x| x as f32).collect();
        let narrow_wide: Vec<f64> = narrow.iter().map(|&x| x as f64).collect();
        let mut acc32 = Accumulator::new(false);
        acc32.add_block(&narrow, f32::MIN_POSITIVE);
        for (what, acc, xs) in [
            ("f32", acc32, &narrow_wide),
            ("f64", accumulate(&wide, 2048), &wide),
        ] {
            let m2 = reference_m2(xs);
            assert!(
                (acc.m2 - m2).abs() <= 1e-14 * m2,
                "{what}: {} vs {m2}",
                acc.m2
            );
        }
    }

    #[test]
    fn data_a_few_ulps_apart_keep_their_spread_across_blocks() {
        // x = 1 + j·ulp with small integers j, so M2 = ulp²·(Σj² − (Σj)²/n) exactly. Block means differ by
        // less than an ulp: Chan's update must not take their difference from the rounded means.
        let j = |i: usize| ((i * 7919) % 3) as u64;
        let n = 60 * BLOCK_VALUES;
        let (s1, s2) = (0..n).fold((0u128, 0u128), |(a, b), i| {
            (a + j(i) as u128, b + (j(i) * j(i)) as u128)
        });
        let units = (n as u128 * s2 - s1 * s1) as f64 / n as f64;
        let mean_units = s1 as f64 / n as f64;
        let f32_ulp = f32::EPSILON as f64;
        let xs: Vec<f32> = (0..n).map(|i| 1.0 + j(i) as f32 * f32::EPSILON).collect();
        let mut narrow = Accumulator::new(false);
        for b in xs.chunks(BLOCK_VALUES) {
            narrow.add_block(b, f32::MIN_POSITIVE);
        }
        // F64 values 100 ulps apart.
        let wide: Vec<f64> = (0..n)
            .map(|i| 1.0 + (j(i) * 50) as f64 * f64::EPSILON)
            .collect();
        let wide = accumulate(&wide, BLOCK_VALUES);
        for (what, acc, ulp) in [("f32", narrow, f32_ulp), ("f64", wide, 50.0 * f64::EPSILON)] {
            let m2 = units * ulp * ulp;
            assert!(
                (acc.m2 - m2).abs() <= 1e-14 * m2,
                "{what}: {} vs {m2}",
                acc.m2
            );
            let mean = acc.mean().unwrap();
            assert!(
                (mean - (1.0 + mean_units * ulp)).abs() <= 1e-16,
                "{what}: {mean}"
            );
        }
    }

    #[test]
    fn overflowing_sums_still_count() {
        let xs = [f64::MAX, f64::MAX, f64::NAN];
        let acc = accumulate(&xs, 3);
        assert_eq!((acc.finite, acc.nan), (2, 1));
        assert_eq!(acc.max, f64::MAX);
        assert_eq!(
            (acc.mean(), acc.std(), acc.mean_abs()),
            (Some(f64::MAX), Some(0.0), Some(f64::MAX))
        );
    }
}

//! A mergeable summary of a stream of values: counts of every class of value, and moments of the finite ones.
//!
//! Values arrive in blocks of at most `BLOCK_VALUES` (decoded into L1-resident buffers) and are summarised by
//! the kernel; blocks, and then chunks of a tensor, are merged with Chan et al.'s parallel update, in order, so
//! accumulation is numerically stable whatever the data's offset and every result is independent of thread
//! scheduling.

use super::hist::LogHistogram;
use super::kernel::{serial_block, Block, Lane};

/// The most values one `add_block` call takes: small enough that a decoded block stays in L1.
pub const BLOCK_VALUES: usize = 2048;

#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    /// Every decoded value, finite or not.
    pub values: u64,
    /// Finite values: the ones the moments, min and max describe.
    pub finite: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean (finite values).
    pub m2: f64,
    pub sum_abs: f64,
    pub min: f64,
    pub max: f64,
    /// Zeros of either sign.
    pub zeros: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
    /// Finite nonzero values below the source encoding's smallest normal.
    pub subnormal: u64,
    pub hist: Option<LogHistogram>,
    /// The exact least and greatest value, when every finite value came from a dtype f64 does not hold
    /// exactly (64-bit integers); `None` otherwise.
    pub exact_extremes: Option<(i128, i128)>,
}

impl Accumulator {
    pub fn new(with_hist: bool) -> Self {
        Accumulator {
            values: 0,
            finite: 0,
            mean: 0.0,
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
        self.values += values;
        self.merge_moments(block.finite, block.mean, block.m2);
        self.sum_abs += block.sum_abs;
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

    /// The slow path for blocks holding NaN or Inf (or finite values whose sums overflow): count the
    /// non-finite values, then summarise the finite ones.
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
        T::block(finite, min_normal).unwrap_or_else(|| serial_block(finite, min_normal))
    }

    fn merge_moments(&mut self, n_b: u64, mean_b: f64, m2_b: f64) {
        if n_b == 0 {
            return;
        }
        if self.finite == 0 {
            (self.finite, self.mean, self.m2) = (n_b, mean_b, m2_b);
            return;
        }
        let (n_a, n_b) = (self.finite as f64, n_b as f64);
        let n = n_a + n_b;
        let delta = mean_b - self.mean;
        self.mean += delta * (n_b / n);
        self.m2 += m2_b + delta * delta * (n_a * n_b / n);
        self.finite += n_b as u64;
    }

    /// Folds `other` (the values that came after this accumulator's) into this one.
    pub fn merge(&mut self, other: &Accumulator) {
        let finite_before = self.finite;
        self.values += other.values;
        self.merge_moments(other.finite, other.mean, other.m2);
        self.sum_abs += other.sum_abs;
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

    /// Population variance (divides by the count, as numpy's default does).
    pub fn variance(&self) -> Option<f64> {
        (self.finite > 0).then(|| self.m2 / self.finite as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!((acc.variance().unwrap() - var).abs() < 1e-14);
        assert!((acc.sum_abs - 7.0001).abs() < 1e-12);
    }

    #[test]
    fn large_offset_does_not_cancel() {
        // Variance 1.25 around 1e9: a naive sum of squares in f64 loses it entirely.
        let xs: Vec<f64> = (0..1000)
            .map(|i| 1e9 + [-1.5, -0.5, 0.5, 1.5][i % 4])
            .collect();
        let acc = accumulate(&xs, 96);
        assert!((acc.variance().unwrap() - 1.25).abs() < 1e-9);
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

    #[test]
    fn overflowing_sums_still_count() {
        let xs = [f64::MAX, f64::MAX, f64::NAN];
        let acc = accumulate(&xs, 3);
        assert_eq!((acc.finite, acc.nan), (2, 1));
        assert_eq!(acc.max, f64::MAX);
        assert_eq!(acc.mean, f64::MAX);
    }
}

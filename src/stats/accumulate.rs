//! A mergeable summary of a stream of values: counts of every class of value, and moments of the finite ones.
//!
//! Values arrive in blocks (a few thousand at most, decoded into L1-resident buffers). Each block's mean and
//! centred sum of squares are computed exactly in two passes over the block, then merged with Chan et al.'s
//! parallel update, so accumulation is numerically stable whatever the data's offset. Chunks of a tensor are
//! merged the same way, in chunk order, which makes every result independent of thread scheduling.
//!
//! The block loops run over `LANES` independent accumulators so the compiler can keep several additions in
//! flight (and vectorise them): a single running sum would be bound by the latency of one add per value.

use super::hist::LogHistogram;

const LANES: usize = 8;

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
        }
    }

    /// Adds one block of at most `BLOCK_VALUES` values; `min_normal` is the source encoding's smallest normal
    /// magnitude.
    pub fn add_block(&mut self, xs: &[f64], min_normal: f64) {
        debug_assert!(xs.len() <= BLOCK_VALUES);
        self.values += xs.len() as u64;
        let block = match all_finite_block(xs, min_normal) {
            Some(b) => b,
            None => self.mixed_block(xs, min_normal),
        };
        if let Some(h) = &mut self.hist {
            h.add(xs);
        }
        self.merge_moments(block.finite, block.mean, block.m2);
        self.sum_abs += block.sum_abs;
        self.min = self.min.min(block.min);
        self.max = self.max.max(block.max);
        self.zeros += block.zeros;
        self.subnormal += block.subnormal;
    }

    /// The slow path for blocks holding NaN or Inf: count them, then summarise the finite values.
    fn mixed_block(&mut self, xs: &[f64], min_normal: f64) -> Block {
        let mut finite = [0.0; BLOCK_VALUES];
        let mut kept = 0;
        for &x in xs {
            if x.is_finite() {
                finite[kept] = x;
                kept += 1;
            } else if x.is_nan() {
                self.nan += 1;
            } else if x > 0.0 {
                self.pos_inf += 1;
            } else {
                self.neg_inf += 1;
            }
        }
        // A block of finite values can still overflow its sum (F64 near f64::MAX); its statistics are then Inf.
        let finite = &finite[..kept];
        all_finite_block(finite, min_normal)
            .unwrap_or_else(|| summarise_serially(finite, min_normal))
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

/// One block's summary.
struct Block {
    finite: u64,
    mean: f64,
    m2: f64,
    sum_abs: f64,
    min: f64,
    max: f64,
    zeros: u64,
    subnormal: u64,
}

/// Summarises a block in two lane-parallel passes, or `None` if it holds a non-finite value (the sum of the
/// block is then NaN or Inf, which is checked once instead of per value).
fn all_finite_block(xs: &[f64], min_normal: f64) -> Option<Block> {
    if xs.is_empty() {
        return Some(Block {
            finite: 0,
            mean: 0.0,
            m2: 0.0,
            sum_abs: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zeros: 0,
            subnormal: 0,
        });
    }
    let mut sum = [0.0f64; LANES];
    let mut sum_abs = [0.0f64; LANES];
    let mut min = [f64::INFINITY; LANES];
    let mut max = [f64::NEG_INFINITY; LANES];
    let mut zeros = [0u64; LANES];
    let mut subnormal = [0u64; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut lane = |i: usize, x: f64| {
        let a = x.abs();
        sum[i] += x;
        sum_abs[i] += a;
        min[i] = if x < min[i] { x } else { min[i] };
        max[i] = if x > max[i] { x } else { max[i] };
        zeros[i] += (a == 0.0) as u64;
        subnormal[i] += (a < min_normal && a != 0.0) as u64;
    };
    for c in chunks {
        for (i, &x) in c.iter().enumerate() {
            lane(i, x);
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        lane(i, x);
    }
    let total: f64 = sum.iter().sum();
    if !total.is_finite() {
        return None;
    }
    let n = xs.len() as f64;
    let mean = total / n;
    Some(Block {
        finite: xs.len() as u64,
        mean,
        m2: centred_squares(xs, mean),
        sum_abs: sum_abs.iter().sum(),
        min: min.iter().copied().fold(f64::INFINITY, f64::min),
        max: max.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        zeros: zeros.iter().sum(),
        subnormal: subnormal.iter().sum(),
    })
}

fn centred_squares(xs: &[f64], mean: f64) -> f64 {
    let mut m2 = [0.0f64; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            let d = c[i] - mean;
            m2[i] += d * d;
        }
    }
    for (i, &x) in tail.iter().enumerate() {
        let d = x - mean;
        m2[i] += d * d;
    }
    m2.iter().sum()
}

/// Finite values whose sum overflows f64: Welford one value at a time, which never forms the sum.
fn summarise_serially(xs: &[f64], min_normal: f64) -> Block {
    let mut b = Block {
        finite: 0,
        mean: 0.0,
        m2: 0.0,
        sum_abs: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        zeros: 0,
        subnormal: 0,
    };
    for &x in xs {
        b.finite += 1;
        let delta = x - b.mean;
        b.mean += delta / b.finite as f64;
        b.m2 += delta * (x - b.mean);
        let a = x.abs();
        b.sum_abs += a;
        b.min = b.min.min(x);
        b.max = b.max.max(x);
        b.zeros += (a == 0.0) as u64;
        b.subnormal += (a < min_normal && a != 0.0) as u64;
    }
    b
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
    fn overflowing_sums_still_count() {
        let xs = [f64::MAX, f64::MAX, f64::NAN];
        let acc = accumulate(&xs, 3);
        assert_eq!((acc.finite, acc.nan), (2, 1));
        assert_eq!(acc.max, f64::MAX);
        assert_eq!(acc.mean, f64::MAX);
    }
}

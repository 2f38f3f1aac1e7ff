//! `--hist`: how the magnitudes of a tensor's values spread over powers of two.
//!
//! Bin k counts finite nonzero values with 2^k ≤ |x| < 2^(k+1); zeros, NaN and Inf are counted elsewhere. The
//! bins are fixed (one per f64 binary exponent), so histograms of chunks merge by addition, and log-scaled
//! because weights spread over many orders of magnitude.

use super::kernel::Lane;
use super::pow2::pow2;
use serde::Serialize;

/// Bin of 2^0: bin i holds 2^(i − LOWEST) ≤ |x| < 2^(i − LOWEST + 1).
const LOWEST: i32 = 1074;

/// Counts over the occupied bins only: a checkpoint can hold 100,000 tensors (mixtures of experts), and a
/// histogram per tensor (and per chunk) over all 2,098 bins took 16.8 KB each, gigabytes in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogHistogram {
    /// The bin `counts[0]` counts; `counts` spans the lowest to the highest occupied bin (empty when none).
    first: usize,
    counts: Vec<u64>,
}

impl LogHistogram {
    /// Counts the finite nonzero values of `xs` into their power-of-two bins (zeros, NaN and Inf are not counted).
    pub fn add<T: Lane>(&mut self, xs: &[T]) {
        for x in xs.iter().map(|x| x.to_f64()) {
            if x.is_finite() && x != 0.0 {
                *self.slot(bin(x)) += 1;
            }
        }
    }

    /// Adds `other`'s counts bin by bin (histograms of chunks of one tensor merge into the tensor's).
    pub fn merge(&mut self, other: &LogHistogram) {
        for (i, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                *self.slot(other.first + i) += c;
            }
        }
    }

    /// The count of bin `b`, the span widened to take it in.
    #[inline(always)]
    fn slot(&mut self, b: usize) -> &mut u64 {
        if self.counts.is_empty() {
            self.first = b;
            self.counts.push(0);
        } else if b < self.first {
            self.counts
                .splice(0..0, std::iter::repeat_n(0, self.first - b));
            self.first = b;
        } else if b >= self.first + self.counts.len() {
            self.counts.resize(b - self.first + 1, 0);
        }
        &mut self.counts[b - self.first]
    }

    /// The occupied range of bins, lowest to highest, empty bins inside it included.
    pub fn summary(&self) -> Option<HistogramSummary> {
        let first = self.counts.iter().position(|&c| c > 0)?;
        let last = self.counts.iter().rposition(|&c| c > 0)?;
        let log2_edges: Vec<i32> = (first..=last + 1)
            .map(|i| (self.first + i) as i32 - LOWEST)
            .collect();
        Some(HistogramSummary {
            edges: log2_edges.iter().map(|&k| pow2(k)).collect(),
            log2_edges,
            counts: self.counts[first..=last].to_vec(),
        })
    }
}

/// The bin of a finite nonzero `x`: floor(log2 |x|) + LOWEST, read from the bits. A normal f64's biased
/// exponent field is floor(log2 |x|) + 1023; a subnormal's magnitude is its mantissa field times 2^-1074.
fn bin(x: f64) -> usize {
    let bits = x.to_bits() & !(1 << 63);
    match bits >> 52 {
        0 => 63 - bits.leading_zeros() as usize,
        biased => biased as usize + (LOWEST - 1023) as usize,
    }
}

/// A histogram as reported: `counts[i]` values have `edges[i] ≤ |x| < edges[i+1]` (`edges[i] = 2^log2_edges[i]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramSummary {
    /// Base-2 logarithms of the bin edges: one more than `counts`, consecutive integers.
    pub log2_edges: Vec<i32>,
    /// The bin edges as magnitudes, `2^log2_edges[i]`, exact powers of two.
    pub edges: Vec<f64>,
    /// Values per bin, lowest bin first; bins inside the occupied range may be 0.
    pub counts: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_powers_of_two_of_the_magnitude() {
        let mut h = LogHistogram::default();
        h.add(&[1.0, 1.5, -1.99, 2.0, 0.25, 0.0, f64::NAN, f64::INFINITY]);
        let s = h.summary().unwrap();
        assert_eq!(s.log2_edges, vec![-2, -1, 0, 1, 2]);
        assert_eq!(s.edges, vec![0.25, 0.5, 1.0, 2.0, 4.0]);
        assert_eq!(s.counts, vec![1, 0, 3, 1]);
        assert_eq!(LogHistogram::default().summary(), None);
        let mut top = LogHistogram::default();
        top.add(&[f64::MAX, -f64::from_bits(1)]);
        let s = top.summary().unwrap();
        assert_eq!((s.log2_edges[0], s.log2_edges[2098]), (-1074, 1024));
        assert_eq!((s.counts[0], s.counts[2097]), (1, 1));
        assert_eq!(
            (s.edges[0], s.edges[2097]),
            (f64::from_bits(1), 2f64.powi(1023))
        );
    }
}

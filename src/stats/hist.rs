//! `--hist`: how the magnitudes of a tensor's values spread over powers of two.
//!
//! Bin k counts finite nonzero values with 2^k ≤ |x| < 2^(k+1); zeros, NaN and Inf are counted elsewhere. The
//! bins are fixed (one per f64 binary exponent), so histograms of chunks merge by addition, and log-scaled
//! because weights spread over many orders of magnitude.

use super::kernel::Lane;
use serde::Serialize;

/// f64 exponents: biased 1..=2046 for normals, 0 for subnormals (all put in the lowest bin).
const BINS: usize = 2048;
const BIAS: i32 = 1023;

#[derive(Debug, Clone, PartialEq)]
pub struct LogHistogram {
    counts: Vec<u64>,
}

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram {
            counts: vec![0; BINS],
        }
    }
}

impl LogHistogram {
    pub fn add<T: Lane>(&mut self, xs: &[T]) {
        for x in xs.iter().map(|x| x.to_f64()) {
            if x.is_finite() && x != 0.0 {
                // The biased exponent field is floor(log2 |x|) + 1023 for every normal f64.
                let biased = (x.to_bits() >> 52) & 0x7FF;
                self.counts[biased as usize] += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// The occupied range of bins, lowest to highest, empty bins inside it included.
    pub fn summary(&self) -> Option<HistogramSummary> {
        let first = self.counts.iter().position(|&c| c > 0)?;
        let last = self.counts.iter().rposition(|&c| c > 0)?;
        // Bin 0 holds f64 subnormals, below 2^-1022: label it with the lowest normal exponent.
        let log2_first = (first.max(1) as i32) - BIAS;
        Some(HistogramSummary {
            log2_edges: (0..=(last - first) as i32 + 1)
                .map(|i| log2_first + i)
                .collect(),
            edges: (0..=(last - first) as i32 + 1)
                .map(|i| 2f64.powi(log2_first + i))
                .collect(),
            counts: self.counts[first..=last].to_vec(),
        })
    }
}

/// A histogram as reported: `counts[i]` values have `edges[i] ≤ |x| < edges[i+1]` (`edges[i] = 2^log2_edges[i]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramSummary {
    pub log2_edges: Vec<i32>,
    pub edges: Vec<f64>,
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
    }
}

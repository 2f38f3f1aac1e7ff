//! The value rules (`no-nan`, `no-inf`, `no-all-zero-tensors`), evaluated on one `stats` scan of the checkpoint.
//!
//! A tensor whose dtype is not decoded (sub-byte floats, ggml blocks) cannot be judged: the rule says how many
//! were skipped and of which dtypes, but does not fail on that alone. A gate that failed on every quantized
//! checkpoint would be switched off; one that passes silently would claim too much, so the outcome says it.

use crate::model::dtype::DType;
use crate::stats::{StatsReport, TensorStats};
use std::collections::BTreeSet;

/// A rule on the tensors' values, judged from one `stats` scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueRule {
    /// `no-nan`: no decoded tensor holds a NaN.
    NoNan,
    /// `no-inf`: no decoded tensor holds +∞ or −∞.
    NoInf,
    /// `no-all-zero-tensors`: no decoded tensor with elements is entirely zero.
    NoAllZero,
}

/// What a value rule found in the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValueFindings {
    /// The rule judged.
    pub rule: ValueRule,
    /// Tensors whose values were decoded and judged.
    pub read: usize,
    /// The tensors that break the rule, in the scan's order.
    pub offenders: Vec<Offender>,
    /// Tensors not decoded, so not judged.
    pub skipped: usize,
    /// Their dtypes, each once, in dtype order.
    pub skipped_dtypes: Vec<DType>,
}

/// A tensor that breaks a value rule, with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Offender {
    /// The tensor's name.
    pub name: String,
    /// The tensor's dtype.
    pub dtype: DType,
    /// Decoded values (elements, or twice the elements for C64).
    pub values: u64,
    /// NaN values in the tensor.
    pub nan: u64,
    /// Values equal to +∞.
    pub pos_inf: u64,
    /// Values equal to −∞.
    pub neg_inf: u64,
    /// Zeros of either sign.
    pub zeros: u64,
}

impl ValueRule {
    /// The rule's name, also its flag and rules-file key (`no-nan`).
    pub fn name(self) -> &'static str {
        match self {
            ValueRule::NoNan => "no-nan",
            ValueRule::NoInf => "no-inf",
            ValueRule::NoAllZero => "no-all-zero-tensors",
        }
    }

    fn offends(self, t: &TensorStats) -> bool {
        let s = &t.stats;
        match self {
            ValueRule::NoNan => s.nan > 0,
            ValueRule::NoInf => s.pos_inf + s.neg_inf > 0,
            ValueRule::NoAllZero => s.values > 0 && s.zeros == s.values,
        }
    }

    /// Judges every decoded tensor of the scan; undecoded ones are counted as skipped, never as offenders.
    pub fn evaluate(self, report: &StatsReport) -> ValueFindings {
        let (decoded, skipped): (Vec<&TensorStats>, Vec<&TensorStats>) =
            report.tensors.iter().partition(|t| t.decoded);
        let offenders = decoded
            .iter()
            .filter(|t| self.offends(t))
            .map(|t| Offender {
                name: t.name.clone(),
                dtype: t.dtype,
                values: t.stats.values,
                nan: t.stats.nan,
                pos_inf: t.stats.pos_inf,
                neg_inf: t.stats.neg_inf,
                zeros: t.stats.zeros,
            })
            .collect();
        let skipped_dtypes: BTreeSet<DType> = skipped.iter().map(|t| t.dtype).collect();
        ValueFindings {
            rule: self,
            read: decoded.len(),
            offenders,
            skipped: skipped.len(),
            skipped_dtypes: skipped_dtypes.into_iter().collect(),
        }
    }
}

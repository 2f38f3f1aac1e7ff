//! The value rules (`no-nan`, `no-inf`, `no-all-zero-tensors`), evaluated on one `stats` scan of the checkpoint.
//!
//! A tensor whose dtype is not decoded (sub-byte floats, ggml blocks) cannot be judged: the rule says how many
//! were skipped and of which dtypes, but does not fail on that alone. A gate that failed on every quantized
//! checkpoint would be switched off; one that passes silently would claim too much, so the outcome says it.

use crate::model::dtype::DType;
use crate::stats::{StatsReport, TensorStats};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    NoNan,
    NoInf,
    NoAllZero,
}

/// What a value rule found in the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFindings {
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
pub struct Offender {
    pub name: String,
    pub dtype: DType,
    /// Decoded values (elements, or twice the elements for C64).
    pub values: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
    pub zeros: u64,
}

impl ValueRule {
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

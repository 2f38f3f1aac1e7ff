//! The value rules (`no-nan`, `no-inf`, `no-all-zero-tensors`), evaluated on one `stats` scan of the checkpoint.
//!
//! A tensor whose dtype is not decoded (sub-byte floats, ggml blocks) cannot be judged: the rule says how many
//! were skipped and of which dtypes, but does not fail on that alone. A gate that failed on every quantized
//! checkpoint would be switched off; one that passes silently would claim too much, so the message says it.

use super::{capped, Figure, RuleResult, Status};
use crate::model::dtype::DType;
use crate::model::units;
use crate::stats::{StatsReport, TensorStats};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    NoNan,
    NoInf,
    NoAllZero,
}

impl ValueRule {
    pub fn name(self) -> &'static str {
        match self {
            ValueRule::NoNan => "no-nan",
            ValueRule::NoInf => "no-inf",
            ValueRule::NoAllZero => "no-all-zero-tensors",
        }
    }

    /// What an offending tensor holds, as in `NaN in 1 of 4 tensors read`.
    fn offence(self) -> &'static str {
        match self {
            ValueRule::NoNan => "NaN",
            ValueRule::NoInf => "+Inf or -Inf",
            ValueRule::NoAllZero => "every value zero",
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

    /// `name: 3 NaN of 1,024 values`.
    fn detail(self, t: &TensorStats) -> String {
        let s = &t.stats;
        let name = crate::render::escape(&t.name);
        let word = if s.values == 1 { "value" } else { "values" };
        let of = format!("of {} {word}", units::grouped(s.values));
        match self {
            ValueRule::NoNan => format!("{name}: {} NaN {of}", units::grouped(s.nan)),
            ValueRule::NoInf => format!(
                "{name}: {} +Inf, {} -Inf {of}",
                units::grouped(s.pos_inf),
                units::grouped(s.neg_inf)
            ),
            ValueRule::NoAllZero => {
                format!(
                    "{name}: {}, {}",
                    t.dtype,
                    units::counted(s.zeros, "zero", "zeros")
                )
            }
        }
    }

    pub fn evaluate(self, report: &StatsReport) -> RuleResult {
        let decoded: Vec<&TensorStats> = report.tensors.iter().filter(|t| t.decoded).collect();
        let bad: Vec<&TensorStats> = decoded
            .iter()
            .copied()
            .filter(|t| self.offends(t))
            .collect();
        let mut message = format!(
            "{} in {} of {} read",
            self.offence(),
            units::grouped(bad.len() as u64),
            tensors(decoded.len())
        );
        let skipped: Vec<&TensorStats> = report.tensors.iter().filter(|t| !t.decoded).collect();
        if !skipped.is_empty() {
            let dtypes: BTreeSet<DType> = skipped.iter().map(|t| t.dtype).collect();
            let names: Vec<&str> = dtypes.iter().map(|d| d.name()).collect();
            message.push_str(&format!(
                "; {} not decoded ({})",
                tensors(skipped.len()),
                names.join(", ")
            ));
        }
        RuleResult {
            rule: self.name(),
            status: if bad.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            measured: Figure::Number(bad.len() as u64),
            limit: Some(Figure::Number(0)),
            baseline: None,
            message,
            details: capped(bad.iter().map(|t| self.detail(t))),
        }
    }
}

fn tensors(n: usize) -> String {
    let word = if n == 1 { "tensor" } else { "tensors" };
    format!("{} {word}", units::grouped(n as u64))
}

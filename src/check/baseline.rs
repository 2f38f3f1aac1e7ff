//! `--baseline BASE.json` with `--max-growth 2%`: did this change bloat the model? Parameters and tensor bytes are
//! compared with a saved `inspect --format json` report; shrinking always passes.

use super::limit::Growth;
use super::rules::{bytes_shown, count_shown};
use super::{Figure, RuleResult, Status};
use crate::model::checkpoint::Checkpoint;
use crate::model::units;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The figures of a saved inspect report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub source: PathBuf,
    pub parameters: u64,
    pub tensor_bytes: u64,
}

/// Reads BASE.json; the error names it and says what is wrong.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let at = |why: &str| format!("--baseline {}: {why}", path.display());
    let json = super::read_saved_json(path).map_err(|e| at(&e))?;
    if json.get("checkpoints").is_some() {
        return Err(at("holds several checkpoints; save the report of one"));
    }
    if json.get("filtered") == Some(&Value::Bool(true)) {
        return Err(at(
            "was written with --filter, so its totals are not the whole checkpoint's",
        ));
    }
    let figure = |key: &str| {
        json.get(key).and_then(Value::as_u64).ok_or_else(|| {
            at(&format!(
                "no \"{key}\" integer; save it with `paramscope inspect CHECKPOINT --format json`"
            ))
        })
    };
    Ok(Baseline {
        source: path.to_path_buf(),
        parameters: figure("parameters")?,
        tensor_bytes: figure("tensor_bytes")?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Parameters,
    TensorBytes,
}

#[derive(Debug, Clone)]
pub struct GrowthRule {
    pub measure: Measure,
    pub baseline: Baseline,
    pub allowance: Growth,
}

impl GrowthRule {
    pub fn name(&self) -> &'static str {
        match self.measure {
            Measure::Parameters => "max-params-growth",
            Measure::TensorBytes => "max-bytes-growth",
        }
    }

    pub fn evaluate(&self, checkpoint: &Checkpoint) -> RuleResult {
        let (now, base) = match self.measure {
            Measure::Parameters => (checkpoint.parameters(), self.baseline.parameters),
            Measure::TensorBytes => (checkpoint.tensor_bytes(), self.baseline.tensor_bytes),
        };
        let ceiling = self.allowance.ceiling(base);
        let pass = now <= ceiling;
        let binary = match &self.allowance {
            Growth::Absolute(limit) => limit.binary(),
            Growth::Percent { .. } => true,
        };
        let shown = |n| match self.measure {
            Measure::Parameters => count_shown(n),
            Measure::TensorBytes => bytes_shown(n, binary),
        };
        let (sign, delta) = if now >= base {
            ('+', now - base)
        } else {
            ('-', base - now)
        };
        let percent = if base == 0 {
            String::new()
        } else {
            format!(" ({sign}{:.2}%)", delta as f64 * 100.0 / base as f64)
        };
        let message = format!(
            "{} vs baseline {}: {sign}{}{percent} {} {}",
            shown(now),
            shown(base),
            units::grouped(delta),
            if pass { "<=" } else { ">" },
            self.allowance.shown(),
        );
        RuleResult {
            rule: self.name(),
            status: if pass { Status::Pass } else { Status::Fail },
            measured: Figure::Number(now),
            limit: Some(Figure::Number(ceiling)),
            baseline: Some(base),
            message,
            details: Vec::new(),
        }
    }
}

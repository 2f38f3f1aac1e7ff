//! `check`: rules a checkpoint must satisfy, for CI. Each rule is data ([`Rule`]) evaluated against a loaded
//! checkpoint into a [`RuleResult`] (pass or fail, the measured figure, the limit, a message); a checkpoint that
//! does not load fails the structural rules and is reported with its errors instead.
//!
//! Adding a rule: a field in [`settings::RuleSettings`] (which is both the command-line flag
//! and the rules-file key), a variant of [`Rule`] built from it in [`settings::RuleSettings::into_rules`], and
//! its evaluation in [`Rule::evaluate`] (or, for a rule on values, in [`values::ValueRule::evaluate`]).
//!
//! Header rules read headers only. The value rules read the tensor data, in one `stats` scan per checkpoint
//! shared by all of them, and only when one of them is asked for.

pub mod baseline;
pub mod expect;
pub mod limit;
pub mod rules;
pub mod settings;
pub mod values;

pub use rules::Rule;

use crate::format::error::{ErrorRow, InputError, LoadError};
use crate::model::checkpoint::Checkpoint;
use crate::model::dtype::DType;
use crate::model::filter::TensorFilter;
use crate::stats::{self, ScanOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Reads a saved report (`--baseline`, `--expect-tensors`) as JSON. One saved on Windows may start with a byte
/// order mark: UTF-8's is skipped (PowerShell's `Out-File -Encoding utf8` writes it), UTF-16 is named (Windows
/// PowerShell's `>` writes it), rather than "expected value at line 1 column 1".
pub fn read_saved_json(path: &Path) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(
            "UTF-16 text (Windows PowerShell's `>` writes it); save the report as UTF-8 \
                    (`| Out-File -Encoding utf8 FILE`)"
                .into(),
        );
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))
}

/// At most this many names are listed under a failing rule; the rest are counted.
pub const DETAILS_SHOWN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
}

/// A figure a rule measured or compared with, exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Number(u64),
    Dtypes(Vec<DType>),
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// The rule's name, which is also its flag and rules-file key (`max-params`).
    pub rule: &'static str,
    pub status: Status,
    pub measured: Figure,
    /// `null` for the structural rule, which has no limit.
    pub limit: Option<Figure>,
    /// For growth rules: the baseline figure the limit was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// What was measured against what, in words and figures (`8.03B (8,030,261,248) > 8.0B`).
    pub message: String,
    /// The tensors or files behind a failure, at most [`DETAILS_SHOWN`] and then a count of the rest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The verdict on one checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every rule passed.
    Pass,
    /// At least one rule failed.
    Fail,
    /// The checkpoint could not be read; no rule was evaluated.
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    #[serde(serialize_with = "crate::render::json::lossy_path")]
    pub path: PathBuf,
    pub status: Verdict,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleResult>,
    /// Why the checkpoint could not be read (only when `status` is `error`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorRow>,
}

impl CheckReport {
    pub fn failed_rules(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| r.status == Status::Fail)
    }
}

/// Evaluates every rule, structural rule first. The tensor data is read (once) only when a value rule is asked
/// for; a read error then (the file changed since its header was read) makes the checkpoint unreadable.
pub fn check(
    checkpoint: &Checkpoint,
    rules: &[Rule],
    scan: &ScanOptions,
) -> Result<CheckReport, InputError> {
    let needs_values = rules.iter().any(|r| matches!(r, Rule::Values(_)));
    let values = if needs_values {
        Some(stats::scan(checkpoint, &TensorFilter::all(), scan)?)
    } else {
        None
    };
    let results: Vec<RuleResult> = std::iter::once(&Rule::Structure)
        .chain(rules)
        .filter(|r| !matches!(r, Rule::PickleSafety(_)) || checkpoint.pickle.is_some())
        .map(|r| match (r, &values) {
            (Rule::Values(v), Some(report)) => v.evaluate(report),
            _ => r
                .evaluate(checkpoint)
                .expect("header rule, or values scanned above"),
        })
        .collect();
    let status = if results.iter().all(|r| r.status == Status::Pass) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Ok(CheckReport {
        path: checkpoint.path.clone(),
        status,
        rules: results,
        errors: Vec::new(),
    })
}

/// The report for a checkpoint that could not be read.
pub fn unreadable(path: &Path, error: &LoadError) -> CheckReport {
    CheckReport {
        path: path.to_path_buf(),
        status: Verdict::Error,
        rules: Vec::new(),
        errors: error.rows(),
    }
}

/// Counts over many checkpoints, for the summary line.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub checkpoints: usize,
    pub passed: usize,
    pub failed: usize,
    pub unreadable: usize,
}

impl Summary {
    pub fn add(&mut self, report: &CheckReport) {
        self.checkpoints += 1;
        match report.status {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::Error => self.unreadable += 1,
        }
    }
}

/// Names listed under a rule: the first [`DETAILS_SHOWN`], then how many more there were.
pub(crate) fn capped(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut more = 0usize;
    for item in items {
        if out.len() < DETAILS_SHOWN {
            out.push(item);
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("… and {more} more"));
    }
    out
}

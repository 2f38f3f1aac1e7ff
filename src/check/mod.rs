//! `check`: rules a checkpoint must satisfy, for CI. Each rule is data ([`Rule`]) evaluated against a loaded
//! checkpoint into a [`RuleResult`]: what was measured and compared, as data ([`Outcome`]: the figures, the
//! comparison, the limit as the user wrote it, the tensors or files behind a failure); `render::check` puts it
//! into words. A checkpoint that does not load fails the structural rules and is reported with its errors
//! instead.
//!
//! Adding a rule: a field in [`settings::RuleSettings`] (the rules-file key; the command line mirrors it), a
//! variant of [`Rule`] built from it in [`settings::RuleSettings::into_rules`], its evaluation in
//! [`Rule::evaluate`] (or, for a rule on values, in [`values::ValueRule::evaluate`]) into an [`Outcome`], and its
//! words in `render::check`.
//!
//! Header rules read headers only. The value rules read the tensor data, in one `stats` scan per checkpoint
//! shared by all of them, and only when one of them is asked for.
//!
//! What `paramscope check` does for each checkpoint, as library calls:
//!
//! ```
//! use paramscope::check::{self, limit::Limit, settings::{self, RuleSettings}};
//! use paramscope::format::{self, LoadOptions};
//! use paramscope::stats::ScanOptions;
//! use std::path::Path;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The flags (`--max-params 100K --dtype F32`)…
//! let flags = RuleSettings {
//!     max_params: Some(Limit::count("100K")?),
//!     dtype: vec![settings::parse_dtype("F32")?],
//!     ..RuleSettings::default()
//! };
//! // …over a rules file's (`--rules paramscope.toml`, when there is one); the baseline and expected tensors
//! // they name are read here.
//! let rules_file: Option<&Path> = None;
//! let settings = match rules_file {
//!     Some(path) => flags.over(settings::read_file(path)?),
//!     None => flags,
//! };
//! let rules = settings.into_rules()?;
//! for source in format::discover(Path::new("fixtures/tiny/model.safetensors"))? {
//!     let report = check::check_source(&source, &rules, LoadOptions::default(), &ScanOptions::default())
//!         .unwrap_or_else(|(path, error)| check::unreadable(&path, &error));
//!     // What `--format json` prints for it.
//!     let json = paramscope::render::check::to_json(&report);
//!     assert_eq!(json["rules"][2]["rule"], "dtype");
//! }
//! # Ok(())
//! # }
//! ```

pub mod baseline;
pub mod expect;
pub mod limit;
pub mod rules;
pub mod saved;
pub mod settings;
pub mod values;
pub mod verify;

pub use rules::Rule;

use crate::format::error::{ErrorRow, InputError, LoadError};
use crate::format::{LoadOptions, Source};
use crate::model::checkpoint::Checkpoint;
use crate::model::dtype::DType;
use crate::model::filter::TensorFilter;
use crate::stats::{self, ScanOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Whether one rule held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule held.
    Pass,
    /// The rule is broken (`paramscope check` exits 1).
    Fail,
}

/// A figure a rule measured or compared with, exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Figure {
    /// A count: parameters, bytes, files, offending tensors.
    Number(u64),
    /// A set of dtypes, for the dtype rules (present ones measured, listed ones as the limit).
    Dtypes(Vec<DType>),
    /// The figure could not be measured (`null` in the JSON): a rule on active parameters without the config
    /// fields that give them.
    Unknown,
}

/// What a size rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Measure {
    /// Parameters: all of them (`max-params`), or those one token runs through (`max-active-params`).
    Parameters,
    /// Tensor data bytes (the sum over tensors, headers excluded), as `inspect` reports `tensor_bytes`.
    TensorBytes,
}

/// How a measured figure compared with its limit. The rule passed on [`AtMost`](Comparison::AtMost) and
/// [`AtLeast`](Comparison::AtLeast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// At or below the maximum: passed.
    AtMost,
    /// Above the maximum: failed.
    Above,
    /// At or above the minimum: passed.
    AtLeast,
    /// Below the minimum: failed.
    Below,
}

impl Comparison {
    /// `measured` against a maximum.
    pub fn at_most(measured: u64, limit: u64) -> Comparison {
        if measured <= limit {
            Comparison::AtMost
        } else {
            Comparison::Above
        }
    }

    /// `measured` against a minimum.
    pub fn at_least(measured: u64, limit: u64) -> Comparison {
        if measured >= limit {
            Comparison::AtLeast
        } else {
            Comparison::Below
        }
    }

    /// Whether the rule passed (`AtMost` or `AtLeast`).
    pub fn passed(self) -> bool {
        matches!(self, Comparison::AtMost | Comparison::AtLeast)
    }
}

/// What one rule found, per kind of rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// `structure`.
    Structure(rules::Structure),
    /// `max-params`, `min-params`, `max-bytes`.
    Compared(rules::Compared),
    /// `max-file-bytes`.
    FileSizes(rules::FileSizes),
    /// `dtype`, `forbid-dtype`.
    Dtypes(rules::DtypeCheck),
    /// `expect-tensors`.
    Tensors(expect::TensorComparison),
    /// `max-params-growth`, `max-bytes-growth`.
    Growth(baseline::GrowthOutcome),
    /// `no-nan`, `no-inf`, `no-all-zero-tensors`.
    Values(values::ValueFindings),
    /// `verify`.
    Verify(verify::VerifyFindings),
    /// `pickle-safety`.
    PickleSafety(rules::PickleSafety),
    /// `max-active-params` when the figure is unknown (the rule fails, saying why).
    Unmeasured(rules::Unmeasured),
}

/// What one rule found on one checkpoint, as data; `render::check` puts it into words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleResult {
    /// The rule's name, which is also its flag and rules-file key (`max-params`).
    pub rule: &'static str,
    /// The figures, the comparison and the tensors or files behind a failure, per kind of rule.
    pub outcome: Outcome,
}

impl RuleResult {
    /// Whether the rule passed, decided from its outcome alone.
    pub fn status(&self) -> Status {
        let passed = match &self.outcome {
            Outcome::Structure(s) => s.no_tensors.is_none(),
            Outcome::Compared(c) => c.comparison.passed(),
            Outcome::FileSizes(f) => f.over.is_empty(),
            Outcome::Dtypes(d) => d.offending.is_empty(),
            Outcome::Tensors(t) => t.differences() == 0,
            Outcome::Growth(g) => g.comparison.passed(),
            Outcome::Values(v) => v.offenders.is_empty(),
            Outcome::Verify(v) => v.failing.is_empty() && v.files > 0,
            Outcome::PickleSafety(p) => p.refused.is_empty(),
            Outcome::Unmeasured(_) => false,
        };
        if passed {
            Status::Pass
        } else {
            Status::Fail
        }
    }

    /// The figure the rule measured: for the structural rule, the files read.
    pub fn measured(&self) -> Figure {
        Figure::Number(match &self.outcome {
            Outcome::Structure(s) => s.files as u64,
            Outcome::Compared(c) => c.measured,
            Outcome::FileSizes(f) => f.largest.as_ref().map_or(0, |l| l.bytes),
            Outcome::Dtypes(d) => {
                return Figure::Dtypes(d.present.iter().map(|p| p.dtype).collect())
            }
            Outcome::Tensors(t) => t.differences() as u64,
            Outcome::Growth(g) => g.now,
            Outcome::Values(v) => v.offenders.len() as u64,
            Outcome::Verify(v) => v.failing.len() as u64,
            Outcome::PickleSafety(p) => p.refused.len() as u64,
            Outcome::Unmeasured(_) => return Figure::Unknown,
        })
    }

    /// The figure it was compared with; `None` for the structural rule, which has no limit.
    pub fn limit(&self) -> Option<Figure> {
        Some(Figure::Number(match &self.outcome {
            Outcome::Structure(_) => return None,
            Outcome::Compared(c) => c.limit.value,
            Outcome::FileSizes(f) => f.limit.value,
            Outcome::Dtypes(d) => return Some(Figure::Dtypes(d.listed.clone())),
            Outcome::Tensors(_)
            | Outcome::Values(_)
            | Outcome::PickleSafety(_)
            | Outcome::Verify(_) => 0,
            Outcome::Growth(g) => g.ceiling,
            Outcome::Unmeasured(u) => u.limit.value,
        }))
    }

    /// For growth rules: the baseline figure the limit was computed from.
    pub fn baseline(&self) -> Option<u64> {
        match &self.outcome {
            Outcome::Growth(g) => Some(g.baseline),
            _ => None,
        }
    }
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

/// The rules' results on one checkpoint, or why it could not be read. `render::check::to_json` gives the JSON
/// `paramscope check --format json` prints for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// The checkpoint's path as shown to the user.
    pub path: PathBuf,
    /// Pass, fail, or error when the checkpoint could not be read.
    pub status: Verdict,
    /// Every rule evaluated, the structural rule first; empty when the checkpoint could not be read.
    pub rules: Vec<RuleResult>,
    /// Why the checkpoint could not be read (only when `status` is `error`).
    pub errors: Vec<ErrorRow>,
    /// Where a remote checkpoint was read from and what it cost, as `inspect` reports it; `None` for a local one.
    pub source: Option<crate::model::checkpoint::Origin>,
}

impl CheckReport {
    /// The results of the rules that failed, in evaluation order.
    pub fn failed_rules(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| r.status() == Status::Fail)
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
            (Rule::Values(v), Some(report)) => Ok(RuleResult {
                rule: v.name(),
                outcome: Outcome::Values(v.evaluate(report)),
            }),
            (Rule::Verify(options), _) => Ok(RuleResult {
                rule: "verify",
                outcome: Outcome::Verify(verify::evaluate(checkpoint, options)?),
            }),
            _ => Ok(r
                .evaluate(checkpoint)
                .expect("header rule, or values scanned above")),
        })
        .collect::<Result<_, InputError>>()?;
    let status = if results.iter().all(|r| r.status() == Status::Pass) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Ok(CheckReport {
        path: checkpoint.path.clone(),
        status,
        rules: results,
        errors: Vec::new(),
        source: checkpoint.origin.clone(),
    })
}

/// Reads the checkpoint `source` names and evaluates `rules` on it: what `paramscope check` does with each
/// checkpoint it finds (the module documentation shows the whole sequence, from the settings to the JSON). When
/// it cannot be read, the error comes with the path it is reported under; [`unreadable`] makes its report.
pub fn check_source(
    source: &Source,
    rules: &[Rule],
    load: LoadOptions,
    scan: &ScanOptions,
) -> Result<CheckReport, (PathBuf, LoadError)> {
    let path = || crate::format::discover::walk::source_path(source).to_path_buf();
    let checkpoint = crate::format::load(source, load).map_err(|e| (path(), e))?;
    check(&checkpoint, rules, scan).map_err(|e| (checkpoint.path.clone(), e.into()))
}

/// The report for a checkpoint that could not be read.
pub fn unreadable(path: &Path, error: &LoadError) -> CheckReport {
    CheckReport {
        path: path.to_path_buf(),
        status: Verdict::Error,
        rules: Vec::new(),
        errors: error.rows(),
        source: None,
    }
}

/// Counts over many checkpoints, for the summary line.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Checkpoints whose every rule passed.
    pub passed: usize,
    /// Checkpoints with at least one failed rule.
    pub failed: usize,
    /// Checkpoints that could not be read.
    pub unreadable: usize,
}

impl Summary {
    /// Counts one more checkpoint under its verdict.
    pub fn add(&mut self, report: &CheckReport) {
        self.checkpoints += 1;
        match report.status {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::Error => self.unreadable += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::synth::SafetensorsWriter;

    fn checkpoint(dir: &Path) -> Checkpoint {
        let path = dir.join("m.safetensors");
        let writer = SafetensorsWriter::new()
            .tensor("a", DType::F32, &[2, 3])
            .tensor("b", DType::BF16, &[4]);
        std::fs::write(&path, writer.to_bytes()).unwrap();
        crate::format::load(&Source::File(path), LoadOptions::default()).unwrap()
    }

    #[test]
    fn pickle_safety_refuses_unknown_globals_unless_accepted_and_is_left_out_without_a_pickle() {
        let path = PathBuf::from("fixtures/torch/malicious/unknown-global.pt");
        let c = crate::format::load(&Source::File(path), LoadOptions::default()).unwrap();
        let evaluate = |accepted: &[&str]| {
            let rule = Rule::PickleSafety(accepted.iter().map(|s| s.to_string()).collect());
            rule.evaluate(&c).unwrap()
        };
        let config = "__main__.Config";

        let refused = evaluate(&[]);
        assert_eq!(refused.rule, "pickle-safety");
        assert_eq!(refused.status(), Status::Fail);
        assert_eq!(refused.measured(), Figure::Number(1));
        assert_eq!(refused.limit(), Some(Figure::Number(0)));
        let Outcome::PickleSafety(p) = &refused.outcome else {
            panic!("{refused:?}")
        };
        // _rebuild_tensor_v2, FloatStorage, OrderedDict and the pickled class (tools/make_torch_fixtures.py).
        assert_eq!(p.globals, 4);
        let names: Vec<String> = p.refused.iter().map(|g| g.qualified()).collect();
        assert_eq!(names, [config]);
        assert_eq!(
            p.refused[0].verdict,
            crate::model::checkpoint::Verdict::Unknown
        );
        assert_eq!(p.dangerous(), 0);
        assert!(p.accepted.is_empty());

        let accepted = evaluate(&["os.system", config]);
        assert_eq!(accepted.status(), Status::Pass);
        assert_eq!(accepted.measured(), Figure::Number(0));
        let Outcome::PickleSafety(p) = &accepted.outcome else {
            panic!("{accepted:?}")
        };
        assert!(p.refused.is_empty());
        let names: Vec<String> = p.accepted.iter().map(|g| g.qualified()).collect();
        assert_eq!(names, [config]);

        // A safetensors checkpoint has no pickle: the rule is not reported.
        let dir = tempfile::TempDir::new().unwrap();
        let rules = [Rule::PickleSafety(Vec::new())];
        let report = check(&checkpoint(dir.path()), &rules, &ScanOptions::default()).unwrap();
        let names: Vec<&str> = report.rules.iter().map(|r| r.rule).collect();
        assert_eq!(names, ["structure"]);
        let report = check(&c, &rules, &ScanOptions::default()).unwrap();
        assert_eq!(report.status, Verdict::Fail);
    }

    #[test]
    fn each_result_gives_its_figures() {
        let dir = tempfile::TempDir::new().unwrap();
        let c = checkpoint(dir.path());
        let evaluate = |rule: Rule| rule.evaluate(&c).unwrap();

        let structure = evaluate(Rule::Structure);
        assert_eq!(structure.status(), Status::Pass);
        assert_eq!(structure.measured(), Figure::Number(1));
        assert_eq!(structure.limit(), None);

        // 2 × 3 + 4 = 10 parameters.
        let max = evaluate(Rule::MaxParams(limit::Limit::count("9").unwrap()));
        assert_eq!(max.status(), Status::Fail);
        assert_eq!(max.measured(), Figure::Number(10));
        assert_eq!(max.limit(), Some(Figure::Number(9)));
        assert_eq!(max.baseline(), None);

        // 6 × 4 + 4 × 2 = 32 bytes, 8 of them BF16.
        let growth = evaluate(Rule::Growth(baseline::GrowthRule {
            measure: Measure::TensorBytes,
            baseline: baseline::Baseline {
                source: PathBuf::from("base.json"),
                parameters: 10,
                tensor_bytes: 30,
            },
            allowance: limit::Growth::percent("10%").unwrap(),
        }));
        assert_eq!(growth.status(), Status::Pass);
        assert_eq!(growth.measured(), Figure::Number(32));
        assert_eq!(growth.limit(), Some(Figure::Number(33)));
        assert_eq!(growth.baseline(), Some(30));

        let dtypes = evaluate(Rule::AllowedDtypes(vec![DType::F32]));
        assert_eq!(dtypes.status(), Status::Fail);
        assert_eq!(
            dtypes.measured(),
            Figure::Dtypes(vec![DType::F32, DType::BF16])
        );
        assert_eq!(dtypes.limit(), Some(Figure::Dtypes(vec![DType::F32])));
        let Outcome::Dtypes(d) = &dtypes.outcome else {
            panic!("{dtypes:?}")
        };
        assert_eq!(d.tensors, [("b".to_string(), DType::BF16)]);
    }
}

//! `--baseline BASE.json` with `--max-growth 2%`: did this change bloat the model? Parameters and tensor bytes are
//! compared with a saved `inspect --format json` report; shrinking always passes.

use super::limit::Growth;
use super::saved::{read_saved_json, SavedJsonError};
use super::{Comparison, Measure};
use crate::model::checkpoint::Checkpoint;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The figures of a saved inspect report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// BASE.json, as given.
    pub source: PathBuf,
    /// The report's `parameters`: the Hub count of the checkpoint it describes.
    pub parameters: u64,
    /// The report's `tensor_bytes`: the tensor data bytes of the checkpoint it describes.
    pub tensor_bytes: u64,
}

/// Why BASE.json cannot serve as a baseline; the message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// BASE.json could not be read or is not JSON.
    #[error("--baseline {}: {source}", path.display())]
    Unreadable {
        /// The baseline file, as given.
        path: PathBuf,
        /// Why it could not be read.
        source: SavedJsonError,
    },
    /// BASE.json is a report over several checkpoints.
    #[error("--baseline {}: holds several checkpoints; save the report of one", path.display())]
    SeveralCheckpoints {
        /// The baseline file, as given.
        path: PathBuf,
    },
    /// BASE.json was written with `--filter`, so its totals cover part of the checkpoint.
    #[error(
        "--baseline {}: was written with --filter, so its totals are not the whole checkpoint's",
        path.display()
    )]
    Filtered {
        /// The baseline file, as given.
        path: PathBuf,
    },
    /// BASE.json lacks a figure the rule compares with.
    #[error(
        "--baseline {}: no \"{key}\" integer; save it with `paramscope inspect CHECKPOINT --format json`",
        path.display()
    )]
    NoFigure {
        /// The baseline file, as given.
        path: PathBuf,
        /// The missing key (`parameters` or `tensor_bytes`).
        key: &'static str,
    },
}

/// Reads BASE.json.
pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let path_buf = || path.to_path_buf();
    let json = read_saved_json(path).map_err(|source| BaselineError::Unreadable {
        path: path_buf(),
        source,
    })?;
    if json.get("checkpoints").is_some() {
        return Err(BaselineError::SeveralCheckpoints { path: path_buf() });
    }
    if json.get("filtered") == Some(&Value::Bool(true)) {
        return Err(BaselineError::Filtered { path: path_buf() });
    }
    let figure = |key: &'static str| {
        json.get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| BaselineError::NoFigure {
                path: path_buf(),
                key,
            })
    };
    Ok(Baseline {
        source: path_buf(),
        parameters: figure("parameters")?,
        tensor_bytes: figure("tensor_bytes")?,
    })
}

/// `max-params-growth` or `max-bytes-growth`: the figure may grow over the baseline's by at most the allowance.
#[derive(Debug, Clone)]
pub struct GrowthRule {
    /// Parameters or tensor bytes.
    pub measure: Measure,
    /// The saved report's figures.
    pub baseline: Baseline,
    /// How much growth passes (`--max-growth`: a percentage or an amount).
    pub allowance: Growth,
}

/// A figure now and in the baseline, against the ceiling the allowance gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrowthOutcome {
    /// Parameters or tensor bytes.
    pub measure: Measure,
    /// The figure measured on the checkpoint now.
    pub now: u64,
    /// The same figure in the baseline.
    pub baseline: u64,
    /// The growth allowed, as the user wrote it.
    pub allowance: Growth,
    /// The largest figure the allowance lets through: the baseline plus the allowance, exactly.
    pub ceiling: u64,
    /// `now` against `ceiling`: [`Comparison::AtMost`] or [`Comparison::Above`].
    pub comparison: Comparison,
}

impl GrowthRule {
    /// The rule's name, also its key in reports: `max-params-growth` or `max-bytes-growth`.
    pub fn name(&self) -> &'static str {
        match self.measure {
            Measure::Parameters => "max-params-growth",
            Measure::TensorBytes => "max-bytes-growth",
        }
    }

    /// Measures the checkpoint and compares it with the baseline plus the allowance.
    pub fn evaluate(&self, checkpoint: &Checkpoint) -> GrowthOutcome {
        let (now, baseline) = match self.measure {
            Measure::Parameters => (checkpoint.parameters(), self.baseline.parameters),
            Measure::TensorBytes => (checkpoint.tensor_bytes(), self.baseline.tensor_bytes),
        };
        let ceiling = self.allowance.ceiling(baseline);
        GrowthOutcome {
            measure: self.measure,
            now,
            baseline,
            allowance: self.allowance.clone(),
            ceiling,
            comparison: Comparison::at_most(now, ceiling),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (PathBuf, Result<Baseline, BaselineError>) {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("base.json");
        std::fs::write(&path, text).unwrap();
        let read = read(&path);
        (path, read)
    }

    #[test]
    fn reads_the_two_figures() {
        let (path, read) = read_text(r#"{"parameters": 22688, "tensor_bytes": 45376}"#);
        assert_eq!(
            read.unwrap(),
            Baseline {
                source: path,
                parameters: 22688,
                tensor_bytes: 45376,
            }
        );
    }

    #[test]
    fn says_why_a_report_cannot_serve() {
        let (path, read) = read_text(r#"{"checkpoints": []}"#);
        let e = read.unwrap_err();
        assert!(matches!(&e, BaselineError::SeveralCheckpoints { path: p } if *p == path));
        assert_eq!(
            e.to_string(),
            format!(
                "--baseline {}: holds several checkpoints; save the report of one",
                path.display()
            )
        );

        let (_, read) = read_text(r#"{"filtered": true, "parameters": 1, "tensor_bytes": 2}"#);
        assert!(matches!(read, Err(BaselineError::Filtered { .. })));

        let (path, read) = read_text(r#"{"parameters": 1}"#);
        let e = read.unwrap_err();
        assert!(matches!(
            &e,
            BaselineError::NoFigure {
                key: "tensor_bytes",
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            format!(
                "--baseline {}: no \"tensor_bytes\" integer; save it with \
                 `paramscope inspect CHECKPOINT --format json`",
                path.display()
            )
        );

        let (path, read) = read_text("[");
        let e = read.unwrap_err();
        assert!(matches!(
            &e,
            BaselineError::Unreadable {
                source: SavedJsonError::NotJson { .. },
                ..
            }
        ));
        assert!(e
            .to_string()
            .starts_with(&format!("--baseline {}: not JSON: ", path.display())));
    }
}

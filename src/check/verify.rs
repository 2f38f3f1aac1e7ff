//! The `verify` rule: every file of the checkpoint hashed and compared with its reference hashes, as
//! `paramscope verify` does for those files (the Hugging Face cache's blob names, and the `verify-sha256`
//! manifest when one is given). A file with no reference fails the rule, as one that differs does: a gate that
//! passed on files nobody could check would claim too much. A file that cannot be read while it is hashed makes
//! the checkpoint unreadable, as a read error in the value rules does.

use crate::format::error::{InputError, Problem};
use crate::model::checkpoint::Checkpoint;
use crate::verify::{self, FileStatus, VerifyOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// A file that did not verify, with what shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unverified {
    /// The file's path as shown to the user.
    pub path: PathBuf,
    /// `Mismatch`, `Missing` or `Unverified`.
    pub status: FileStatus,
    /// For a mismatch: the first reference it differs from, as (expected hex, where it came from), and the
    /// file's own digest by the same algorithm.
    pub expected: Option<(String, String)>,
    /// For a mismatch: the file's digest in hex, by the algorithm of `expected`.
    pub actual: Option<String>,
    /// For a missing file: what expected it.
    pub note: Option<String>,
}

/// What the rule found: how many files were hashed, and the ones that did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyFindings {
    /// Files hashed (the index, when read through one, and every shard or part).
    pub files: usize,
    /// Bytes read to hash them.
    pub bytes_hashed: u64,
    /// The files that did not verify (mismatched, missing or without a reference), in the checkpoint's order.
    pub failing: Vec<Unverified>,
}

/// The files reading the checkpoint opened: its index, when it was read through one, and every shard or part.
fn files(checkpoint: &Checkpoint) -> Vec<PathBuf> {
    let index = checkpoint
        .path
        .to_string_lossy()
        .ends_with(".safetensors.index.json")
        .then(|| checkpoint.path.clone());
    index
        .into_iter()
        .chain(checkpoint.files.iter().map(|f| f.path.clone()))
        .collect()
}

/// Hashes the checkpoint's files and compares them with their references.
pub fn evaluate(
    checkpoint: &Checkpoint,
    options: &VerifyOptions,
) -> Result<VerifyFindings, InputError> {
    let report = verify::verify(&files(checkpoint), options, None);
    if let Some(row) = report.errors.first() {
        // A file read a moment ago is gone: the checkpoint changed while it was checked.
        return Err(InputError::new(
            &row.path,
            Problem::Io(std::io::Error::other(row.message.clone())),
        ));
    }
    let failing_read = report.files.iter().find_map(|f| f.error.clone());
    if let Some(e) = failing_read {
        return Err(Arc::try_unwrap(e).unwrap_or_else(|shared| {
            InputError::new(
                &shared.path,
                Problem::Io(std::io::Error::other(shared.problem.to_string())),
            )
        }));
    }
    let failing = report
        .files
        .iter()
        .filter(|f| f.status != FileStatus::Ok)
        .map(|f| {
            let mismatched = f.mismatched();
            Unverified {
                path: f.path.clone(),
                status: f.status,
                expected: mismatched
                    .map(|c| (c.reference.expected.clone(), c.reference.origin.clone())),
                actual: mismatched.map(|c| f.actual(c.reference.algorithm).to_string()),
                note: f.note.clone(),
            }
        })
        .collect();
    Ok(VerifyFindings {
        files: report.summary.files,
        bytes_hashed: report.summary.bytes_hashed,
        failing,
    })
}

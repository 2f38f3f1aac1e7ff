//! `verify`: the data bytes, not only the headers. Every file a target names is hashed ([`hash`]) and compared
//! with each reference hash available for it ([`reference`](mod@reference): `--sha256 HEX`, a manifest, the Hugging Face cache's
//! blob names, a listing of the repository on the Hub), found before anything is read ([`plan`]).
//!
//! Each file ends in one state: `ok` (it matches every reference it has, and has one), `mismatch` (a reference
//! disagrees), `missing` (something expects it and it is not there), `unverified` (no reference: hashed, and
//! its digest reported, but never called ok) or `unreadable`. The verdict: `failed` when a file is proven
//! wrong (a mismatch or a missing file: re-fetch it), else `incomplete` when something could not be verified
//! (an unverified or unreadable file, a target that cannot be read), else `verified`.

pub mod hash;
pub mod plan;
pub mod reference;

use crate::format::error::{ErrorRow, InputError, LoadError};
use hash::{Digests, HashJob};
use reference::{Reference, ReferenceList};
use serde::Serialize;
use serde::Serializer;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the references come from, besides the cache (always consulted).
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// `--sha256 HEX` (lowercase hex): the SHA-256 of the one target, a file.
    pub digest: Option<String>,
    /// Manifests (`--sha256 FILE`) and listings of a repository on the Hub.
    pub lists: Vec<ReferenceList>,
}

/// Told how many bytes will be hashed, then (from worker threads) each piece as it is.
pub trait Progress: Sync {
    /// Called once, before hashing starts, with the bytes all files to hash hold.
    fn start(&self, total_bytes: u64);
    /// Called from worker threads with the length of each piece just hashed.
    fn advance(&self, bytes: u64);
}

/// The outcome of `verify` over all its targets (`paramscope verify` exits 0 on `Verified`, 1 on `Failed`, 2 on
/// `Incomplete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every file matched its references.
    Verified,
    /// A file differs from a reference, or is missing.
    Failed,
    /// No file is proven wrong, but not everything could be verified.
    Incomplete,
}

/// The state one file ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FileStatus {
    /// It has at least one reference and matches every one.
    Ok,
    /// A reference disagrees with its bytes (or its size): re-fetch it.
    Mismatch,
    /// Something expects it (an index, a manifest, a cache link) and it is not there.
    Missing,
    /// No reference exists for it: hashed and its digest reported, never called ok.
    Unverified,
    /// It could not be read while it was hashed (`error` says why).
    Unreadable,
}

/// A reference and whether the file's bytes match it (`null` when the file was not hashed).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Checked {
    /// The reference checked; flattened into the JSON.
    #[serde(flatten)]
    pub reference: Reference,
    /// Whether the file's digest equals the reference's; `None` when the file was not hashed.
    pub matches: Option<bool>,
}

/// One file's verification: its digests and every reference checked.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileResult {
    /// The file's path as shown to the user.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The state it ended in.
    pub status: FileStatus,
    /// Bytes hashed (`null` unless hashed).
    pub size: Option<u64>,
    /// The file's SHA-256 (`null` unless hashed).
    pub sha256: Option<String>,
    /// Its git blob id, computed only when a reference is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_blob_sha1: Option<String>,
    /// Every reference found for the file, in `ReferenceKind` order.
    pub references: Vec<Checked>,
    /// Why a missing file was expected, or why an unreadable one could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The read problem of an unreadable file, as `{"code", "message", "path"}`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "error_row")]
    pub error: Option<Arc<InputError>>,
}

impl FileResult {
    /// The first reference the file does not match.
    pub fn mismatched(&self) -> Option<&Checked> {
        self.references.iter().find(|c| c.matches == Some(false))
    }

    /// The file's digest by `algorithm`, when it was computed.
    pub fn actual(&self, algorithm: reference::Algorithm) -> &str {
        match algorithm {
            reference::Algorithm::Sha256 => self.sha256.as_deref(),
            reference::Algorithm::GitBlobSha1 => self.git_blob_sha1.as_deref(),
        }
        .unwrap_or("(not computed)")
    }
}

/// How many files ended in each state.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Files reported, whatever their state.
    pub files: usize,
    /// Files that matched every reference.
    pub ok: usize,
    /// Files a reference disagrees with.
    pub mismatch: usize,
    /// Expected files that are not there.
    pub missing: usize,
    /// Files hashed without any reference to compare with.
    pub unverified: usize,
    /// Files that could not be read.
    pub unreadable: usize,
    /// Bytes hashed over all files.
    pub bytes_hashed: u64,
}

/// What `verify` finds for all its targets: the verdict, counts, and a row per file; its JSON is `paramscope verify --format json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// `Failed` on any mismatch or missing file, else `Incomplete` when anything went unverified (or there was no file), else `Verified`.
    pub verdict: Verdict,
    /// Counts of files per state.
    pub summary: Summary,
    /// One row per file, in the targets' order, each file once.
    pub files: Vec<FileResult>,
    /// Targets that could not be read at all.
    pub errors: Vec<ErrorRow>,
}

impl VerifyReport {
    fn new(files: Vec<FileResult>, errors: Vec<ErrorRow>) -> VerifyReport {
        let mut s = Summary {
            files: files.len(),
            ..Summary::default()
        };
        for f in &files {
            match f.status {
                FileStatus::Ok => s.ok += 1,
                FileStatus::Mismatch => s.mismatch += 1,
                FileStatus::Missing => s.missing += 1,
                FileStatus::Unverified => s.unverified += 1,
                FileStatus::Unreadable => s.unreadable += 1,
            }
            s.bytes_hashed += f.size.unwrap_or(0);
        }
        let verdict = if s.mismatch + s.missing > 0 {
            Verdict::Failed
        } else if s.unverified + s.unreadable + errors.len() > 0 || s.files == 0 {
            Verdict::Incomplete
        } else {
            Verdict::Verified
        };
        VerifyReport {
            verdict,
            summary: s,
            files,
            errors,
        }
    }
}

/// Verifies every file the targets name (see [`plan`]) against the references available for it.
pub fn verify(
    targets: &[PathBuf],
    options: &VerifyOptions,
    progress: Option<&dyn Progress>,
) -> VerifyReport {
    let (planned, target_errors) = plan::plan(targets, options.digest.as_deref(), &options.lists);
    let jobs: Vec<HashJob> = planned
        .iter()
        .filter(|p| p.missing.is_none())
        .map(|p| HashJob {
            path: p.path.clone(),
            git_sha1: p
                .references
                .iter()
                .any(|r| r.algorithm == reference::Algorithm::GitBlobSha1),
        })
        .collect();
    if let Some(p) = progress {
        let total = jobs
            .iter()
            .map(|j| std::fs::metadata(&j.path).map_or(0, |m| m.len()))
            .sum();
        p.start(total);
    }
    let advance = |n: u64| {
        if let Some(p) = progress {
            p.advance(n)
        }
    };
    let mut hashed = hash::hash_files(&jobs, &advance).into_iter();
    let files = planned
        .into_iter()
        .map(|p| match p.missing {
            Some(why) => result(p.path, p.references, None, Some(why)),
            None => {
                let digests = hashed.next().expect("a result per file hashed");
                result(p.path, p.references, Some(digests), None)
            }
        })
        .collect();
    let errors = target_errors
        .into_iter()
        .flat_map(|e| LoadError::from(e).rows())
        .collect();
    VerifyReport::new(files, errors)
}

fn result(
    path: PathBuf,
    references: Vec<Reference>,
    digests: Option<Result<Digests, InputError>>,
    missing: Option<String>,
) -> FileResult {
    let unchecked = |references: Vec<Reference>| -> Vec<Checked> {
        references
            .into_iter()
            .map(|reference| Checked {
                reference,
                matches: None,
            })
            .collect()
    };
    let mut r = FileResult {
        path,
        status: FileStatus::Missing,
        size: None,
        sha256: None,
        git_blob_sha1: None,
        references: Vec::new(),
        note: missing,
        error: None,
    };
    match digests {
        None => r.references = unchecked(references),
        Some(Err(e)) => {
            r.status = FileStatus::Unreadable;
            r.references = unchecked(references);
            r.error = Some(Arc::new(e));
        }
        Some(Ok(d)) => {
            r.references = references
                .into_iter()
                .map(|reference| {
                    let matches = d.of(reference.algorithm) == Some(reference.expected.as_str())
                        && reference.size.is_none_or(|s| s == d.size);
                    Checked {
                        reference,
                        matches: Some(matches),
                    }
                })
                .collect();
            r.status = if r.references.is_empty() {
                FileStatus::Unverified
            } else if r.mismatched().is_some() {
                FileStatus::Mismatch
            } else {
                FileStatus::Ok
            };
            r.size = Some(d.size);
            r.sha256 = Some(d.sha256);
            r.git_blob_sha1 = d.git_sha1;
        }
    }
    r
}

/// A read problem as the rows of every other error in JSON.
fn error_row<S: Serializer>(e: &Option<Arc<InputError>>, s: S) -> Result<S::Ok, S::Error> {
    e.as_ref()
        .map(|e| ErrorRow {
            code: e.problem.code(),
            message: e.problem.to_string(),
            path: e.path.clone(),
        })
        .serialize(s)
}

/// Whether `path` names one file (what `--sha256 HEX` needs).
pub fn is_one_file(path: &Path) -> bool {
    path.is_file() && !path.to_string_lossy().ends_with(".safetensors.index.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference::{Algorithm, ListedFile, ReferenceKind};

    #[test]
    fn a_listed_size_that_differs_is_a_mismatch_though_the_hash_matches() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("w.gguf"), b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let listing = |size| ReferenceList {
            root: dir.path().to_path_buf(),
            files: vec![ListedFile {
                path: "w.gguf".into(),
                reference: Reference {
                    kind: ReferenceKind::HubListing,
                    algorithm: Algorithm::Sha256,
                    expected: abc.into(),
                    size: Some(size),
                    origin: "hf://org/name".into(),
                },
            }],
        };
        let run = |size| {
            let options = VerifyOptions {
                digest: None,
                lists: vec![listing(size)],
            };
            verify(&[dir.path().to_path_buf()], &options, None)
        };
        let good = run(3);
        assert_eq!(good.verdict, Verdict::Verified);
        assert_eq!(good.files[0].status, FileStatus::Ok);
        let bad = run(4);
        assert_eq!(bad.verdict, Verdict::Failed);
        assert_eq!(bad.files[0].status, FileStatus::Mismatch);
        assert_eq!(bad.summary.bytes_hashed, 3);
    }
}

//! Hashing whole files: SHA-256 with the `sha2` crate, which picks its SHA-NI (x86) or ARMv8 crypto-extension
//! code at run time when the CPU has it (cpufeatures), and git's blob SHA-1 for the small files a Hugging Face
//! cache names that way. Files are read with positioned reads ([`DataFile`]) in pieces of
//! [`HASH_READ_BYTES`], so a file that shrinks or grows while it is hashed is an error naming it, never a
//! signal and never a digest of bytes that were not all there.
//!
//! SHA-256 is serial within a file: each block's state depends on the previous one. Files are therefore hashed
//! one per core, largest first from a shared queue, so that the cores finish together.

use super::reference::Algorithm;
use crate::format::data::{pieces, DataFile};
use crate::format::error::InputError;
use rayon::prelude::*;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Bytes per read while hashing (measured against other sizes: BENCHMARKS.md).
pub const HASH_READ_BYTES: usize = 1 << 20;

/// What to hash: a file, and whether its git blob id is wanted besides its SHA-256.
#[derive(Debug, Clone)]
pub struct HashJob {
    /// The file to hash.
    pub path: PathBuf,
    /// Whether to compute its git blob SHA-1 too (a reference is one).
    pub git_sha1: bool,
}

/// A file's digests, lowercase hex, and the bytes they cover.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Digests {
    /// Bytes hashed: the file's length.
    pub size: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// The git blob SHA-1, lowercase hex, when it was asked for.
    pub git_sha1: Option<String>,
}

impl Digests {
    /// The digest by `algorithm`; `None` for a git blob id that was not computed.
    pub fn of(&self, algorithm: Algorithm) -> Option<&str> {
        match algorithm {
            Algorithm::Sha256 => Some(&self.sha256),
            Algorithm::GitBlobSha1 => self.git_sha1.as_deref(),
        }
    }
}

/// Hashes one file; `progress` is told each piece's length as it is hashed.
pub fn hash_file(
    path: &Path,
    git_sha1: bool,
    buf: &mut Vec<u8>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Digests, InputError> {
    let data = DataFile::open_whole(path)?;
    let mut sha256 = Sha256::new();
    let mut sha1 = git_sha1.then(|| {
        let mut h = Sha1::new();
        h.update(format!("blob {}\0", data.len()).as_bytes());
        h
    });
    for r in pieces(0..data.len(), HASH_READ_BYTES as u64) {
        let bytes = data.read(r, buf)?;
        sha256.update(bytes);
        if let Some(h) = &mut sha1 {
            h.update(bytes);
        }
        progress(bytes.len() as u64);
    }
    data.check_ends()?;
    Ok(Digests {
        size: data.len(),
        sha256: hex(&sha256.finalize()),
        git_sha1: sha1.map(|h| hex(&h.finalize())),
    })
}

/// Hashes every job, one file per worker at a time, largest first; results in the jobs' order.
pub fn hash_files(
    jobs: &[HashJob],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<Digests, InputError>> {
    let size = |j: &HashJob| std::fs::metadata(&j.path).map_or(0, |m| m.len());
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&jobs[i])));
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Digests, InputError>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let workers = rayon::current_num_threads().min(jobs.len()).max(1);
    (0..workers).into_par_iter().for_each(|_| {
        let mut buf = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let job = &jobs[i];
            let r = hash_file(&job.path, job.git_sha1, &mut buf, progress);
            *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every job is taken by a worker")
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_published_test_vectors_and_git() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let d = hash_file(&path, true, &mut Vec::new(), &|_| {}).unwrap();
        // FIPS 180-2's example for "abc".
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // `printf abc | git hash-object --stdin`.
        assert_eq!(
            d.git_sha1.as_deref(),
            Some("f2ba8f84ab5c1bce84a7b441cb1959cfc7093b7f")
        );
        assert_eq!(d.size, 3);
    }

    #[test]
    fn a_file_spanning_several_reads_hashes_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let bytes: Vec<u8> = (0..HASH_READ_BYTES * 2 + 123)
            .map(|i| (i * 7) as u8)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let seen = std::sync::atomic::AtomicU64::new(0);
        let jobs = [
            HashJob {
                path: path.clone(),
                git_sha1: false,
            },
            HashJob {
                path: dir.path().join("absent"),
                git_sha1: false,
            },
        ];
        let results = hash_files(&jobs, &|n| {
            seen.fetch_add(n, Ordering::Relaxed);
        });
        assert_eq!(
            results[0].as_ref().unwrap().sha256,
            hex(&Sha256::digest(&bytes))
        );
        assert_eq!(results[1].as_ref().unwrap_err().problem.code(), "io");
        assert_eq!(seen.into_inner(), bytes.len() as u64);
    }
}

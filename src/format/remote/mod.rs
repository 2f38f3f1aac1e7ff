//! Remote sources: a checkpoint on the Hugging Face Hub (`hf://ORG/REPO`, the Hub's web URLs, a mirror at
//! `HF_ENDPOINT`) or at any HTTP(S) URL, read like a local one through the [`ByteSource`] seam: only header
//! bytes cross the network, by range requests, the shards concurrently. [`hub`] knows the Hub's conventions,
//! `http` speaks HTTP; the readers are the local ones.
//!
//! [`ByteSource`]: super::source::ByteSource

#[cfg(feature = "remote")]
mod http;
#[cfg(feature = "remote")]
pub mod hub;
#[cfg(feature = "remote")]
mod load;

use super::error::{InputError, LoadError, RemoteProblem};
use super::LoadOptions;
use crate::model::checkpoint::Checkpoint;

/// Whether `spec` is spelled as a remote source (`hf://`, `http://`, `https://`) rather than a local path.
pub fn is_remote(spec: &str) -> bool {
    ["hf://", "http://", "https://"].iter().any(|p| {
        spec.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    })
}

/// Reads the checkpoint `spec` names (see [`is_remote`]) from the network, or from the local Hugging Face cache
/// when the revision is complete there. Every shard is read even when one fails.
pub fn load(spec: &str, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    #[cfg(feature = "remote")]
    return load::load(spec, options);
    #[cfg(not(feature = "remote"))]
    {
        let _ = options;
        Err(InputError::new(spec, RemoteProblem::Unsupported.into()).into())
    }
}

/// One file of a Hub repository's tree listing: its path in the repository, its size and the hashes the Hub
/// gives (the LFS object's SHA-256 for an LFS file, git's blob id for every file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// Path in the repository.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The LFS object's SHA-256, lowercase hex.
    pub sha256: Option<String>,
    /// Git's blob SHA-1, lowercase hex.
    pub git_oid: Option<String>,
}

/// The files of the Hub repository `spec` names (`hf://ORG/REPO[@REV]`) with their hashes, from its tree listing
/// alone, and the listing's address (what `verify --against` compares local files with).
pub fn listing(spec: &str) -> Result<(String, Vec<ListedFile>), InputError> {
    #[cfg(feature = "remote")]
    return load::listing(spec).map(|(url, files)| {
        let files = files
            .into_iter()
            .map(|f| ListedFile {
                path: f.path,
                size: f.size,
                sha256: f.sha256,
                git_oid: f.git_oid,
            })
            .collect();
        (url, files)
    });
    #[cfg(not(feature = "remote"))]
    Err(InputError::new(spec, RemoteProblem::Unsupported.into()))
}

/// Progress of the remote load under way: files done, files to read, body bytes received. The command line
/// polls it for its progress line; loads one after another each start it from zero.
pub fn progress() -> (u64, u64, u64) {
    #[cfg(feature = "remote")]
    return load::progress();
    #[cfg(not(feature = "remote"))]
    (0, 0, 0)
}

/// The error for a command that would read every tensor's data of a remote source.
pub fn needs_data(spec: &str, command: &'static str) -> InputError {
    InputError::new(spec, RemoteProblem::NeedsData { command }.into())
}

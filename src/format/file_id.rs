//! What makes two paths one file: device and inode where there are such (hard links too), else the path with
//! every symlink resolved.

use std::path::Path;

/// What identifies a file on Unix: its (device, inode) pair.
#[cfg(unix)]
pub type FileId = (u64, u64);
#[cfg(not(unix))]
pub type FileId = std::path::PathBuf;

/// `None` when the path cannot be examined (it does not exist, say).
#[cfg(unix)]
pub fn identity(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
pub fn identity(path: &Path) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

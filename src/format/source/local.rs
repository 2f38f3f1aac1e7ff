//! A local file as a [`ByteSource`]: positioned reads of an open regular file.

use super::ByteSource;
use crate::format::error::Problem;
use std::fs::File;
use std::path::Path;

/// The bytes of a first read of a local file: one page, which holds most headers of small files whole; a longer
/// header costs one more read, which locally is cheap.
const LOCAL_FIRST_READ: usize = 4096;

/// A regular file open for positioned reads, with the length it had when opened.
#[derive(Debug)]
pub struct LocalFile {
    file: File,
    len: u64,
}

impl LocalFile {
    /// Opens `path`, refusing anything but a regular file (a FIFO or device could block forever).
    pub fn open(path: &Path) -> std::io::Result<LocalFile> {
        let file = crate::format::open_regular(path)?;
        let len = file.metadata()?.len();
        Ok(LocalFile { file, len })
    }

    /// What tells this file's contents apart from another's or from its own before a write: device, inode, length
    /// and modification time of the open file. `None` where the system does not give them.
    pub fn stamp(&self) -> Option<Stamp> {
        let meta = self.file.metadata().ok()?;
        let modified = meta.modified().ok()?;
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let id = (0, 0);
        Some(Stamp {
            id,
            len: meta.len(),
            modified,
        })
    }
}

/// A local file's identity and version, as [`LocalFile::stamp`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    id: (u64, u64),
    len: u64,
    modified: std::time::SystemTime,
}

impl ByteSource for LocalFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Problem> {
        let mut filled = 0;
        while filled < buf.len() {
            match read_at(&self.file, &mut buf[filled..], offset + filled as u64) {
                Ok(0) => {
                    return Err(Problem::ChangedWhileRead {
                        expected: self.len,
                        found: offset + filled as u64,
                    })
                }
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Problem::Io(e)),
            }
        }
        Ok(())
    }

    fn first_read(&self) -> usize {
        LOCAL_FIRST_READ
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

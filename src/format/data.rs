//! Reading the data bytes of a file: positioned reads (`pread`) of an open file into the caller's buffer, the
//! one way `stats`, `check`'s value rules, `diff` and `verify` read tensor data and whole files.
//!
//! Not a memory mapping: a mapped page whose file another process has truncated raises SIGBUS when it is
//! touched, and no check made beforehand can rule that out. A positioned read of a file that shrank returns
//! fewer bytes instead, which becomes [`Problem::ChangedWhileRead`] naming the file, and a failing disk's EIO
//! becomes [`Problem::Io`]: an error and exit 2, never a signal. A file replaced under its name (a rename over
//! it) keeps being read from the open handle, consistently. Reading costs no more than a fresh mapping of the
//! same bytes: the benchmark's `read(2)` row and its fresh-mapping row are equal, and the data is copied once
//! into a buffer that stays in cache.

use super::error::{InputError, Problem};
use super::open_regular;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Bytes per read: large enough that the per-call cost vanishes, small enough that the buffer stays in a
/// core's cache while its bytes are decoded or hashed (measured: BENCHMARKS.md).
pub const READ_BYTES: usize = 1 << 20;

/// One file open for reading, with the length its bytes are read against.
#[derive(Debug)]
pub struct DataFile {
    file: File,
    path: PathBuf,
    len: u64,
}

impl DataFile {
    /// Opens `path`, whose header was validated against a file of `expected_len` bytes: a file of another length
    /// now has changed since ([`Problem::ChangedSinceRead`]).
    pub fn open(path: &Path, expected_len: u64) -> Result<DataFile, InputError> {
        let data = DataFile::open_whole(path)?;
        if data.len != expected_len {
            return Err(InputError::new(
                path,
                Problem::ChangedSinceRead {
                    expected: expected_len,
                    found: data.len,
                },
            ));
        }
        Ok(data)
    }

    /// Opens `path` to read all of it, at the length it has now (a FIFO or a device is refused: reading one
    /// could wait forever).
    pub fn open_whole(path: &Path) -> Result<DataFile, InputError> {
        // Tensor data is read locally only: a remote checkpoint's data is never downloaded behind the user's back.
        if let Some(spec) = path.to_str().filter(|s| super::remote::is_remote(s)) {
            return Err(super::remote::needs_data(spec, "reading tensor values"));
        }
        let err = |e| InputError::new(path, Problem::Io(e));
        let file = open_regular(path).map_err(err)?;
        let len = file.metadata().map_err(err)?.len();
        Ok(DataFile {
            file,
            path: path.to_path_buf(),
            len,
        })
    }

    /// The file's length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file was empty when it was opened.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The path the file was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the bytes of `range` into `buf` (grown to fit; the caller bounds the range) and returns them. A file
    /// that ends before the range does is [`Problem::ChangedWhileRead`].
    pub fn read<'b>(
        &self,
        range: Range<u64>,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], InputError> {
        let n = (range.end - range.start) as usize;
        if buf.len() < n {
            buf.resize(n, 0);
        }
        let out = &mut buf[..n];
        let mut filled = 0;
        while filled < n {
            match read_at(&self.file, &mut out[filled..], range.start + filled as u64) {
                Ok(0) => {
                    return Err(self.changed(range.start + filled as u64));
                }
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(InputError::new(&self.path, Problem::Io(e))),
            }
        }
        Ok(out)
    }

    /// Checks that nothing follows the length the file had when it was opened: a file that grew while it was
    /// being read is [`Problem::ChangedWhileRead`] too (its bytes read so far need not be what it now holds).
    pub fn check_ends(&self) -> Result<(), InputError> {
        let mut one = [0u8; 1];
        loop {
            match read_at(&self.file, &mut one, self.len) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    let now = self.file.metadata().map_or(self.len + 1, |m| m.len());
                    return Err(self.changed(now));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(InputError::new(&self.path, Problem::Io(e))),
            }
        }
    }

    fn changed(&self, found: u64) -> InputError {
        InputError::new(
            &self.path,
            Problem::ChangedWhileRead {
                expected: self.len,
                found,
            },
        )
    }
}

/// A read at `offset`, so threads share one handle (on Unix it moves no cursor; on Windows the cursor it moves
/// is used by nothing else).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// `range` cut into consecutive pieces of `piece` bytes (the last one shorter), in order.
pub fn pieces(range: Range<u64>, piece: u64) -> impl Iterator<Item = Range<u64>> {
    let piece = piece.max(1);
    let mut at = range.start;
    std::iter::from_fn(move || {
        (at < range.end).then(|| {
            let next = range.end.min(at.saturating_add(piece));
            let r = at..next;
            at = next;
            r
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_shrinks_or_grows_while_read_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 64 << 10]).unwrap();
        let data = DataFile::open(&path, 64 << 10).unwrap();
        let mut buf = Vec::new();
        assert_eq!(data.read(100..200, &mut buf).unwrap(), &[7u8; 100][..]);
        data.check_ends().unwrap();
        let handle = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        handle.set_len(5000).unwrap();
        let e = data.read(4096..8192, &mut buf).unwrap_err();
        assert_eq!(e.path, path);
        assert_eq!(e.problem.code(), "changed_while_read");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: changed while being read (expected 65,536 bytes, got 5,000)",
                path.display()
            )
        );
        handle.set_len(70_000).unwrap();
        let e = data.check_ends().unwrap_err();
        assert_eq!(
            e.problem.to_string(),
            "changed while being read (expected 65,536 bytes, got 70,000)"
        );
    }

    #[test]
    fn a_length_other_than_the_headers_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [1u8; 10]).unwrap();
        let e = DataFile::open(&path, 12).unwrap_err();
        assert_eq!(e.problem.code(), "changed_since_read");
    }

    #[test]
    fn pieces_cover_the_range_in_order() {
        let cut: Vec<_> = pieces(10..35, 10).collect();
        assert_eq!(cut, vec![10..20, 20..30, 30..35]);
        assert_eq!(pieces(5..5, 10).count(), 0);
    }
}

//! Where a file's bytes come from: one seam between the readers and the storage, so a reader asks for a range of
//! bytes and never knows whether they came from a local file, an HTTP server or (later, through the
//! `object_store` crate) an object store. Header parsing stays a function over a byte slice; this module only
//! obtains the bytes.

mod local;
mod reader;

pub use local::{LocalFile, Stamp};
pub use reader::{unwrap_problem, SourceReader};

use super::error::Problem;

/// A file's bytes, read by position. Implementations are shared between threads (the shards of one checkpoint
/// are read concurrently) and read without a cursor.
pub trait ByteSource: Send + Sync {
    /// The file's length in bytes.
    fn len(&self) -> u64;

    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`; a source that ends before `buf` is filled is an error, never a
    /// short read.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Problem>;

    /// How many bytes a first read should ask for: a request to a remote server costs a round trip whatever its
    /// size, a local read costs little, so a remote source asks for more at once.
    fn first_read(&self) -> usize;

    /// Appends `len` bytes at `offset` to `out` (the caller bounds `len` by the file's length before calling).
    fn read_into(&self, offset: u64, len: usize, out: &mut Vec<u8>) -> Result<(), Problem> {
        let start = out.len();
        out.resize(start + len, 0);
        self.read_at(offset, &mut out[start..])
    }
}

/// The first bytes of `source`, at least `at_least` of them when the file has that many (one read of
/// [`ByteSource::first_read`] bytes, and one more when more are needed): what a header reader starts from.
pub fn prefix(source: &dyn ByteSource, at_least: u64) -> Result<Vec<u8>, Problem> {
    let len = source.len();
    let first = (source.first_read() as u64).max(at_least).min(len);
    let mut out = Vec::with_capacity(first as usize);
    source.read_into(0, first as usize, &mut out)?;
    Ok(out)
}

/// Grows `bytes`, the first bytes of `source`, to its first `want` bytes (capped at the file's length) with one
/// more read when it holds fewer.
pub fn extend_prefix(
    source: &dyn ByteSource,
    bytes: &mut Vec<u8>,
    want: u64,
) -> Result<(), Problem> {
    let want = want.min(source.len());
    let have = bytes.len() as u64;
    if want > have {
        source.read_into(have, (want - have) as usize, bytes)?;
    }
    Ok(())
}

//! A [`ByteSource`] as `Read + Seek`, for readers that walk a header field by field (GGUF): each refill asks for
//! a chunk twice the size of the last, so metadata of any length costs a number of reads logarithmic in its
//! size (a remote source's round trips), while a small header costs one.

use super::ByteSource;
use crate::format::error::Problem;
use std::io::{Read, Seek, SeekFrom};

/// The largest chunk one refill asks for.
const MAX_CHUNK: usize = 16 << 20;

/// Sequential reads over a [`ByteSource`], buffered in growing chunks.
pub struct SourceReader<'a> {
    source: &'a dyn ByteSource,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    chunk: usize,
}

impl<'a> SourceReader<'a> {
    /// A reader at the start of `source`; the first refill asks for [`ByteSource::first_read`] bytes.
    pub fn new(source: &'a dyn ByteSource) -> Self {
        SourceReader {
            source,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            chunk: source.first_read().max(64),
        }
    }

    fn refill(&mut self, wanted: usize) -> std::io::Result<()> {
        let left = self.source.len().saturating_sub(self.pos);
        let n = (wanted.max(self.chunk) as u64).min(left) as usize;
        self.buf.clear();
        self.buf_start = self.pos;
        self.source
            .read_into(self.pos, n, &mut self.buf)
            .map_err(into_io)?;
        self.chunk = (self.chunk * 2).min(MAX_CHUNK);
        Ok(())
    }
}

/// A source's problem carried through `std::io` (the GGUF reader's cursor speaks `Read`); [`from_io`] takes it
/// back out.
fn into_io(problem: Problem) -> std::io::Error {
    match problem {
        Problem::Io(e) => e,
        p => std::io::Error::other(SourceProblem(p)),
    }
}

/// The problem of a source that failed inside a `Read` call, to be recovered by [`from_io`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SourceProblem(Problem);

/// The source's own problem when `e` carries one (a remote server's refusal), else the I/O error.
fn from_io(e: std::io::Error) -> Problem {
    if !e.get_ref().is_some_and(|inner| inner.is::<SourceProblem>()) {
        return Problem::Io(e);
    }
    let kind = e.kind();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<SourceProblem>())
    {
        Some(Ok(p)) => p.0,
        Some(Err(inner)) => Problem::Io(std::io::Error::new(kind, inner)),
        None => Problem::Io(kind.into()),
    }
}

/// The source's own problem carried inside a reader's I/O error (a remote refusal), taken back out; any other
/// problem unchanged.
pub fn unwrap_problem(problem: Problem) -> Problem {
    match problem {
        Problem::Io(e) => from_io(e),
        p => p,
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() || self.pos >= self.source.len() {
            return Ok(0);
        }
        let end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos >= end {
            self.refill(out.len())?;
        }
        let at = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SourceReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.source.len().checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

//! A reader that knows how many bytes the file has left, so every length or count read from the file is checked
//! against what could possibly follow before anything is allocated or skipped.

use crate::format::error::{GgufProblem, Problem};
use std::io::{Read, Seek};

pub struct Cursor<R> {
    inner: R,
    pos: u64,
    size: u64,
}

/// Describes what is being read, for error messages; only called when something is wrong, so the happy path
/// (hundreds of thousands of tokenizer strings) allocates nothing for it.
pub type What<'a> = &'a dyn Fn() -> String;

impl<R: Read + Seek> Cursor<R> {
    pub fn new(inner: R, size: u64) -> Self {
        Cursor {
            inner,
            pos: 0,
            size,
        }
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn remaining(&self) -> u64 {
        self.size - self.pos
    }

    /// Fails unless `n` more bytes exist.
    pub fn require(&self, n: u64, what: What) -> Result<(), Problem> {
        if n > self.remaining() {
            return Err(GgufProblem::HeaderTruncated {
                what: what(),
                at: self.pos,
                needed: n,
                size: self.size,
            }
            .into());
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: What) -> Result<[u8; N], Problem> {
        self.require(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf)?;
        self.pos += N as u64;
        Ok(buf)
    }

    pub fn u8(&mut self, what: What) -> Result<u8, Problem> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: What) -> Result<u16, Problem> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: What) -> Result<u32, Problem> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: What) -> Result<u64, Problem> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn magic(&mut self) -> Result<[u8; 4], Problem> {
        self.array(&|| "the magic number".to_string())
    }

    /// Skips `n` bytes the caller has already checked with [`require`](Self::require).
    pub fn skip(&mut self, n: u64) -> Result<(), Problem> {
        debug_assert!(n <= self.remaining());
        // Seeking past the end of a file is allowed by the OS; `require` is what keeps us inside it.
        self.inner.seek_relative(n as i64)?;
        self.pos += n;
        Ok(())
    }

    /// A GGUF string (u64 length + bytes): returned when `keep`, skipped otherwise. Invalid UTF-8 is replaced
    /// rather than refused, as ggml does not check it either.
    pub fn string(&mut self, keep: bool, what: What) -> Result<Option<String>, Problem> {
        let at = self.pos;
        let length = self.u64(what)?;
        if length > self.remaining() {
            return Err(GgufProblem::StringPastEnd {
                what: what(),
                at,
                length,
                available: self.remaining(),
            }
            .into());
        }
        if !keep {
            self.skip(length)?;
            return Ok(None);
        }
        // Bounded by the bytes left in the file, checked just above.
        let mut buf = vec![0u8; length as usize];
        self.inner.read_exact(&mut buf)?;
        self.pos += length;
        Ok(Some(match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_past_the_end_are_refused_before_reading() {
        let mut bytes = (u64::MAX).to_le_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        let mut c = Cursor::new(std::io::Cursor::new(&bytes), bytes.len() as u64);
        let e = c.string(true, &|| "s".into()).unwrap_err();
        assert_eq!(e.code(), "gguf_string_past_end");

        let bytes = [1u8, 2];
        let mut c = Cursor::new(std::io::Cursor::new(&bytes), 2);
        let e = c.u32(&|| "count".into()).unwrap_err();
        assert_eq!(e.code(), "gguf_header_truncated");
        assert!(
            e.to_string().contains("count needs 4 bytes at byte 0"),
            "{e}"
        );
    }

    #[test]
    fn strings_are_read_or_skipped() {
        let mut bytes = 2u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"hi");
        bytes.extend_from_slice(&3u64.to_le_bytes());
        bytes.extend_from_slice(b"abc");
        let mut c = Cursor::new(std::io::Cursor::new(&bytes), bytes.len() as u64);
        assert_eq!(c.string(false, &|| "a".into()).unwrap(), None);
        assert_eq!(c.pos(), 10);
        assert_eq!(
            c.string(true, &|| "b".into()).unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(c.remaining(), 0);
    }
}

//! The bytes a pickle is read from, with the number of bytes left known up front: every length an opcode claims
//! is checked against it before a buffer is allocated, so a 4 GB BINUNICODE in a 100-byte file is a truncation,
//! not an allocation.

use super::{Fault, PickleError, Value};
use std::io::{BufRead, Read};

/// A byte source for the pickle reader that knows how many bytes are left, so no claimed length is allocated before
/// it is checked.
pub struct Input<R> {
    reader: R,
    pos: u64,
    end: u64,
}

impl<R: BufRead> Input<R> {
    /// `len` is how many bytes `reader` may yield (a zip entry's size, the rest of a file).
    pub fn new(reader: R, len: u64) -> Self {
        Input {
            reader,
            pos: 0,
            end: len,
        }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Bytes left before the input's end.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }

    fn fail(&self, fault: Fault) -> PickleError {
        PickleError {
            at: self.pos,
            fault,
        }
    }

    fn io(&self, e: std::io::Error) -> PickleError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            self.fail(Fault::Truncated)
        } else {
            self.fail(Fault::Io(e.to_string()))
        }
    }

    fn claim(&self, n: u64) -> Result<(), PickleError> {
        if n > self.remaining() {
            return Err(self.fail(Fault::Truncated));
        }
        Ok(())
    }

    /// The next byte.
    pub fn byte(&mut self) -> Result<u8, PickleError> {
        Ok(self.array::<1>()?[0])
    }

    /// The next `N` bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        self.claim(N as u64)?;
        let mut buf = [0u8; N];
        self.reader.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.pos += N as u64;
        Ok(buf)
    }

    /// The next 4 bytes as a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, PickleError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// The next 8 bytes as a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, PickleError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// `n` bytes, after checking that the input holds them.
    pub fn take(&mut self, n: u64) -> Result<Vec<u8>, PickleError> {
        self.claim(n)?;
        let mut buf = Vec::with_capacity(n as usize);
        (&mut self.reader)
            .take(n)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(e))?;
        if buf.len() as u64 != n {
            return Err(self.fail(Fault::Truncated));
        }
        self.pos += n;
        Ok(buf)
    }

    /// Skips `n` bytes without keeping them, after checking that the input holds them.
    pub fn skip(&mut self, n: u64) -> Result<(), PickleError> {
        self.claim(n)?;
        let copied = std::io::copy(&mut (&mut self.reader).take(n), &mut std::io::sink())
            .map_err(|e| self.io(e))?;
        if copied != n {
            return Err(self.fail(Fault::Truncated));
        }
        self.pos += n;
        Ok(())
    }

    /// A Python 2 `str` (BINSTRING, SHORT_BINSTRING): bytes, read as UTF-8 as `torch.load` does by default.
    pub fn text(&mut self, n: u64) -> Result<String, PickleError> {
        Ok(String::from_utf8_lossy(&self.take(n)?).into_owned())
    }

    /// A `str` of protocol 3 and later, which pickle writes as UTF-8 (surrogates aside, which Python's own
    /// decoder also refuses without `surrogatepass`).
    pub fn utf8(&mut self, n: u64, at: u64) -> Result<String, PickleError> {
        String::from_utf8(self.take(n)?).map_err(|_| PickleError {
            at,
            fault: Fault::Malformed("a string that is not UTF-8".into()),
        })
    }

    /// The operand of a text opcode, up to its newline (dropped, with a `\r` before it).
    pub fn line(&mut self) -> Result<Vec<u8>, PickleError> {
        let mut line = Vec::new();
        let limit = self.remaining();
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| self.io(e))?;
        self.pos += n as u64;
        if line.pop() != Some(b'\n') {
            return Err(self.fail(Fault::Truncated));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(line)
    }

    /// A memo key of PUT or GET, in decimal.
    pub fn line_u32(&mut self, at: u64) -> Result<u32, PickleError> {
        let line = self.line()?;
        std::str::from_utf8(&line)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or(PickleError {
                at,
                fault: Fault::Malformed("a memo key that is not a 32-bit number".into()),
            })
    }

    /// LONG1/LONG4: `n` bytes of little-endian two's complement.
    pub fn long(&mut self, n: u64) -> Result<Value, PickleError> {
        if n > 8 {
            self.skip(n)?;
            return Ok(Value::BigInt);
        }
        let bytes = self.take(n)?;
        let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
        let mut le = [if negative { 0xFF } else { 0 }; 8];
        le[..bytes.len()].copy_from_slice(&bytes);
        Ok(Value::Int(i64::from_le_bytes(le)))
    }
}

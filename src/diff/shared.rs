//! What `--identical`, `--values` and `--renames` read, and what they need not: a tensor both sides hold in the
//! very same file (one path given twice, a symlink or a hard link, a shard two Hugging Face cache snapshots
//! share) at the same offset, with the same dtype and shape, is equal without a look. Files are opened only when
//! a tensor in them has to be read, so a checkpoint diffed with itself costs its headers. What is read is read
//! in bounded pieces ([`DataFile`]): a file that shrinks meanwhile is an error naming it, never a signal.

use super::Pair;
use crate::format::data::{pieces, DataFile, READ_BYTES};
use crate::format::error::InputError;
use crate::format::file_id::{identity, FileId};
use crate::model::checkpoint::{Checkpoint, Elements, Tensor};
use crate::values::scan::{gather_from, view_span};
use std::ops::Range;

/// The identities of both sides' files.
pub struct FileIds {
    a: Vec<Option<FileId>>,
    b: Vec<Option<FileId>>,
}

impl FileIds {
    /// The identities of A's and B's files (device and inode on Unix, the path elsewhere).
    pub fn of(a: &Checkpoint, b: &Checkpoint) -> FileIds {
        let ids = |c: &Checkpoint| c.files.iter().map(|f| identity(&f.path)).collect();
        FileIds {
            a: ids(a),
            b: ids(b),
        }
    }

    /// Whether the pair's tensors are the same bytes of one file, read alike (rows not permuted).
    pub fn shared(&self, a: &Checkpoint, b: &Checkpoint, p: &Pair) -> bool {
        let id = &self.a[p.a.file];
        id.is_some()
            && *id == self.b[p.b.file]
            && p.rope.is_none()
            && p.a.dtype == p.b.dtype
            && p.a.shape == p.b.shape
            && p.a.view == p.b.view
            && a.files[p.a.file].header_bytes + p.a.data_offsets[0]
                == b.files[p.b.file].header_bytes + p.b.data_offsets[0]
    }
}

/// The files of one checkpoint that hold a tensor to read, open for positioned reads ([`DataFile`]).
pub struct Files<'c> {
    checkpoint: &'c Checkpoint,
    files: Vec<Option<DataFile>>,
}

impl<'c> Files<'c> {
    /// Opens, for positioned reads, the files of `checkpoint` that hold one of `tensors`; other files stay closed.
    pub fn of<'t>(
        checkpoint: &'c Checkpoint,
        tensors: impl IntoIterator<Item = &'t Tensor>,
    ) -> Result<Files<'c>, InputError> {
        let mut files: Vec<Option<DataFile>> = checkpoint.files.iter().map(|_| None).collect();
        for t in tensors {
            if files[t.file].is_none() {
                let info = &checkpoint.files[t.file];
                files[t.file] = Some(DataFile::open(&info.path, info.size_bytes)?);
            }
        }
        Ok(Files { checkpoint, files })
    }

    /// The bytes `range` of `t`'s elements in row-major order (offsets within them; `t` one of the tensors the
    /// files were opened for), from `window` when it holds them, else read into it with up to [`READ_BYTES`] of
    /// what follows. A strided PyTorch view is gathered from the part of its storage it spans, which the window
    /// then holds.
    pub fn read<'w>(
        &self,
        t: &Tensor,
        range: Range<u64>,
        window: &'w mut Window,
    ) -> Result<&'w [u8], InputError> {
        let file = self.files[t.file]
            .as_ref()
            .expect("the file of a tensor to read is open");
        let id = file as *const DataFile as usize;
        match self.checkpoint.elements_of(t) {
            Elements::Contiguous { start: base, .. } => {
                let (start, end) = (base + range.start, base + range.end);
                window.fill(file, id, start, end, start + READ_BYTES as u64)?;
                let at = (start - window.start) as usize;
                Ok(&window.bytes[at..at + (end - start) as usize])
            }
            Elements::Strided {
                base,
                offset,
                strides,
            } => {
                let span = view_span(t, base, offset, strides);
                window.fill(file, id, span.start, span.end, span.end)?;
                // PyTorch dtypes are whole bytes: byte offsets within the elements are element offsets × size.
                let size = t.dtype.bytes_for(1).unwrap_or(1);
                let elements = range.start / size..range.end / size;
                let held = &window.bytes[..window.len];
                gather_from(t, strides, held, elements, &mut window.gathered);
                Ok(&window.gathered)
            }
        }
    }

    /// `t`'s elements' bytes cut into consecutive pieces of at most [`READ_BYTES`] (offsets within them).
    pub fn pieces(&self, t: &Tensor) -> impl Iterator<Item = Range<u64>> {
        let bytes = t.dtype.bytes_for(t.elements()).unwrap_or(t.bytes());
        pieces(0..bytes, READ_BYTES as u64)
    }
}

/// Bytes of one file read ahead, kept by a caller between reads: consecutive small tensors (a checkpoint of
/// 60,000 of them) cost one read, not one each.
#[derive(Debug, Default)]
pub struct Window {
    /// The open file the bytes are from, by its address (0: none yet), so that one window never serves another
    /// checkpoint's file of the same index.
    file: usize,
    /// Where `bytes` start in the file, and how many of them were read.
    start: u64,
    len: usize,
    bytes: Vec<u8>,
    /// A strided view's elements, gathered in order from `bytes`.
    gathered: Vec<u8>,
}

impl Window {
    /// Makes the window hold bytes `start..end` of `file` (`id` its address), reading `start..upto` when it
    /// does not (`upto` past `end` reads ahead, bounded by the file's length).
    fn fill(
        &mut self,
        file: &DataFile,
        id: usize,
        start: u64,
        end: u64,
        upto: u64,
    ) -> Result<(), InputError> {
        let held = self.file == id && start >= self.start && end <= self.start + self.len as u64;
        if !held {
            // Tensor offsets were validated against the file's length: `end` is within it.
            let upto = file.len().min(upto).max(end);
            self.len = file.read(start..upto, &mut self.bytes)?.len();
            (self.file, self.start) = (id, start);
        }
        Ok(())
    }
}

/// A window for each side of a comparison.
pub type Buffers = (Window, Window);

/// Where the data of `ta` (in `a`) and `tb` (in `b`), of equal length, first differ; `None` when they are
/// equal. Read in pieces side by side through `bufs`, stopping at the first that differs.
pub fn first_difference(
    a: &Files,
    ta: &Tensor,
    b: &Files,
    tb: &Tensor,
    bufs: &mut Buffers,
) -> Result<Option<u64>, InputError> {
    let (buf_a, buf_b) = bufs;
    for r in a.pieces(ta) {
        let x = a.read(ta, r.clone(), buf_a)?;
        let y = b.read(tb, r.clone(), buf_b)?;
        if x != y {
            let at = x.iter().zip(y).position(|(u, v)| u != v).unwrap_or(0);
            return Ok(Some(r.start + at as u64));
        }
    }
    Ok(None)
}

/// A hash of `t`'s data, read in pieces through `buf` (equal bytes always hash alike: the pieces are cut the
/// same way).
pub fn hash(files: &Files, t: &Tensor, buf: &mut Window) -> Result<u64, InputError> {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for r in files.pieces(t) {
        h.write(files.read(t, r, buf)?);
    }
    Ok(h.finish())
}

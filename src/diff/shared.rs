//! What `--identical`, `--values` and `--renames` read, and what they need not: a tensor both sides hold in the
//! very same file (one path given twice, a symlink or a hard link, a shard two Hugging Face cache snapshots
//! share) at the same offset, with the same dtype and shape, is equal without a look. Files are mapped only when
//! a tensor in them has to be read, so a checkpoint diffed with itself costs its headers.

use super::Pair;
use crate::format::error::InputError;
use crate::format::file_id::{identity, FileId};
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::values::scan::{element_bytes, map_file};
use memmap2::Mmap;
use std::borrow::Cow;

/// The identities of both sides' files.
pub struct FileIds {
    a: Vec<Option<FileId>>,
    b: Vec<Option<FileId>>,
}

impl FileIds {
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

/// Mappings of the files of one checkpoint that hold a tensor to read.
pub struct Maps<'c> {
    checkpoint: &'c Checkpoint,
    maps: Vec<Option<Mmap>>,
}

impl<'c> Maps<'c> {
    pub fn of<'t>(
        checkpoint: &'c Checkpoint,
        tensors: impl IntoIterator<Item = &'t Tensor>,
    ) -> Result<Maps<'c>, InputError> {
        let mut maps: Vec<Option<Mmap>> = checkpoint.files.iter().map(|_| None).collect();
        for t in tensors {
            if maps[t.file].is_none() {
                maps[t.file] = Some(map_file(&checkpoint.files[t.file])?);
            }
        }
        Ok(Maps { checkpoint, maps })
    }

    /// The bytes of `t`, one of the tensors the maps were made for, in element order (gathered for a strided
    /// PyTorch view).
    pub fn data(&self, t: &Tensor) -> Cow<'_, [u8]> {
        self.elements(t, 0..t.elements())
    }

    /// The bytes of elements `range` of `t`.
    pub fn elements(&self, t: &Tensor, range: std::ops::Range<u64>) -> Cow<'_, [u8]> {
        let map = self.maps[t.file]
            .as_ref()
            .expect("the file of a tensor to read is mapped");
        element_bytes(self.checkpoint, t, map, range)
    }
}

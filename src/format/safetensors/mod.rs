//! safetensors: one file's header ([`header`]), assembled into a [`Checkpoint`]; an index and its shards are
//! read by [`super::sharded`].

pub mod header;
mod scan;

pub use header::{read, read_bytes, read_source, MAX_HEADER_BYTES};

use super::assemble;
use super::discover::series;
use super::error::LoadError;
use crate::model::checkpoint::{Checkpoint, Format, Layout};
use std::path::Path;

/// A single safetensors file.
pub fn load_file(path: &Path) -> Result<Checkpoint, LoadError> {
    let parsed = read(path, path)?;
    let notes = series::lone_shard_note(path).into_iter().collect();
    Ok(assemble(
        Format::Safetensors,
        Layout::SingleFile,
        path,
        vec![parsed],
        None,
        notes,
    ))
}

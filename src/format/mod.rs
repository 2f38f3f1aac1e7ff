//! Finding checkpoints on disk and reading them into the format-neutral `Checkpoint`.
//! Nothing outside this folder knows a byte layout.

pub mod discover;
pub mod error;
pub mod file_id;
pub mod foreign;
pub mod gguf;
pub mod safetensors;
pub mod torch;
#[cfg(feature = "synth")]
pub mod synth;

pub use discover::{discover, Source};

use crate::format::error::{InputError, LoadError, ShardedProblem};
use crate::model::checkpoint::Checkpoint;
use crate::model::metadata::MetadataDetail;
use std::collections::HashMap;
use std::path::Path;

/// Reading options that change what is accepted.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Follow symlinked shards that resolve outside the checkpoint's folder.
    pub follow_symlinks: bool,
    /// How much of each metadata array (GGUF) to keep.
    pub metadata: MetadataDetail,
}

/// Opens a file to read, refusing anything but a regular file: opening a FIFO waits for a writer and a device
/// may never end, so a path or an index naming one would hang the tool.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a folder, FIFO, socket or device)",
        ));
    }
    std::fs::File::open(path)
}

/// Reads one checkpoint. Every shard is read even when one fails, so the user sees every broken shard at once.
pub fn load(source: &Source, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    match source {
        Source::File(path) => safetensors::load_file(path),
        Source::Shards { folder, files } => safetensors::load_shards(folder, files),
        Source::Index { path, unindexed } => safetensors::load_indexed(path, unindexed, options),
        Source::Gguf { shown, parts } => gguf::split::load(shown, parts, options.metadata),
    }
}

/// A tensor name in two files of one checkpoint (shards, GGUF parts): each repeat, named with both files.
pub(crate) fn duplicate_names(checkpoint: &Checkpoint) -> Vec<InputError> {
    let mut first_file: HashMap<&str, usize> = HashMap::with_capacity(checkpoint.tensors.len());
    let mut errors = Vec::new();
    for t in &checkpoint.tensors {
        if let Some(&f) = first_file.get(t.name.as_str()) {
            errors.push(InputError::new(
                &checkpoint.path,
                ShardedProblem::TensorInTwoFiles {
                    name: t.name.clone(),
                    first: checkpoint.files[f].path.display().to_string(),
                    second: checkpoint.files[t.file].path.display().to_string(),
                }
                .into(),
            ));
        } else {
            first_file.insert(&t.name, t.file);
        }
    }
    errors
}

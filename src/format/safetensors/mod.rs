//! safetensors: one file's header ([`header`]), the index of a sharded checkpoint ([`index`]) and the checks
//! between an index and its shards (`sharded`), assembled into a [`Checkpoint`].

pub mod header;
pub mod index;
mod sharded;

pub use header::{read, read_bytes, ParsedFile, MAX_HEADER_BYTES};

use super::discover::series;
use super::error::{DiscoveryProblem, InputError, LoadError};
use super::{duplicate_names, LoadOptions};
use crate::model::checkpoint::{Checkpoint, FileInfo, Format, Layout, Tensor};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A single safetensors file.
pub fn load_file(path: &Path) -> Result<Checkpoint, LoadError> {
    let parsed = read(path, path)?;
    let notes = series::lone_shard_note(path).into_iter().collect();
    Ok(assemble(
        Layout::SingleFile,
        path,
        vec![parsed],
        None,
        notes,
    ))
}

/// The shards of one checkpoint in a folder without an index. Every shard is read even when one fails.
pub fn load_shards(folder: &Path, files: &[PathBuf]) -> Result<Checkpoint, LoadError> {
    let mut errors: Vec<InputError> = series::missing(files)
        .into_iter()
        .map(|(part, count, file)| {
            let file = file.display().to_string();
            InputError::new(
                folder,
                DiscoveryProblem::MissingPart { part, count, file }.into(),
            )
        })
        .collect();
    let results: Vec<_> = files.par_iter().map(|f| read(f, f)).collect();
    let parsed = match collect_results(results) {
        Ok(parsed) if errors.is_empty() => parsed,
        Ok(_) => return Err(LoadError { errors }),
        Err(e) => {
            errors.extend(e.errors);
            return Err(LoadError { errors });
        }
    };
    let checkpoint = assemble(Layout::Directory, folder, parsed, None, Vec::new());
    let errors = duplicate_names(&checkpoint);
    if errors.is_empty() {
        Ok(checkpoint)
    } else {
        Err(LoadError { errors })
    }
}

/// An index and the shards it names.
pub fn load_indexed(
    index_path: &Path,
    unindexed: &[PathBuf],
    options: LoadOptions,
) -> Result<Checkpoint, LoadError> {
    sharded::load(index_path, unindexed, options)
}

fn collect_results(
    results: Vec<Result<ParsedFile, InputError>>,
) -> Result<Vec<ParsedFile>, LoadError> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(p) => ok.push(p),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(LoadError { errors })
    }
}

pub(super) fn assemble(
    layout: Layout,
    path: &Path,
    parsed: Vec<ParsedFile>,
    index: Option<crate::model::checkpoint::IndexInfo>,
    notes: Vec<String>,
) -> Checkpoint {
    let mut files: Vec<FileInfo> = Vec::with_capacity(parsed.len());
    let mut tensors: Vec<Tensor> = Vec::with_capacity(parsed.iter().map(|p| p.tensors.len()).sum());
    for (i, p) in parsed.into_iter().enumerate() {
        files.push(p.info);
        tensors.extend(p.tensors.into_iter().map(|t| Tensor { file: i, ..t }));
    }
    Checkpoint {
        format: Format::Safetensors,
        layout,
        path: path.to_path_buf(),
        files,
        tensors,
        index,
        metadata: Vec::new(),
        notes,
    }
}

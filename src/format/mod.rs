//! Finding checkpoints on disk and reading them into the format-neutral `Checkpoint`.
//! Nothing outside this folder knows a byte layout.

pub mod data;
pub mod discover;
pub mod error;
pub mod file_id;
pub mod foreign;
pub mod gguf;
mod json;
pub mod remote;
pub mod safetensors;
pub mod sharded;
pub mod source;
#[cfg(feature = "synth")]
pub mod synth;
pub mod torch;

pub use discover::{discover, Source};

use crate::format::error::{InputError, LoadError, ShardedProblem};
use crate::model::checkpoint::{
    Checkpoint, FileInfo, Format, IndexInfo, Layout, PickleReport, StorageInfo, Tensor,
};
use crate::model::metadata::{MetaValue, MetadataDetail};
use std::path::Path;

/// Reading options that change what is accepted.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
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
/// A file or shards are PyTorch's when their first bytes say so, an index when its name does
/// (`pytorch_model.bin.index.json`).
pub fn load(source: &Source, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    match source {
        Source::File(path) if torch::recognised(path) => torch::load_file(path),
        Source::File(path) => safetensors::load_file(path),
        Source::Shards { folder, files } => match files.first() {
            Some(first) if torch::recognised(first) => {
                sharded::load_unindexed(folder, files, Format::Pytorch, torch::read)
            }
            _ => sharded::load_unindexed(folder, files, Format::Safetensors, safetensors::read),
        },
        Source::Index { path, unindexed } if discover::is_torch_index(path) => {
            sharded::load_indexed(path, unindexed, Format::Pytorch, torch::read)
        }
        Source::Index { path, unindexed } => {
            sharded::load_indexed(path, unindexed, Format::Safetensors, safetensors::read)
        }
        Source::Gguf { shown, parts } => gguf::split::load(shown, parts, options.metadata),
        Source::Remote(spec) => remote::load(spec, options),
    }
}

/// One weight file read, in any format the shard readers know: its description and tensors (each with `file`
/// 0, views into `storages` counted from 0), and what else the format carries.
pub struct ParsedFile {
    /// The file's description.
    pub info: FileInfo,
    /// The tensors, with `file` 0.
    pub tensors: Vec<Tensor>,
    /// PyTorch only: the storages the tensors view, with `file` 0 (empty for other formats).
    pub storages: Vec<StorageInfo>,
    /// PyTorch only: the globals the file's pickles name; `None` for other formats.
    pub pickle: Option<PickleReport>,
    /// Typed key/values (GGUF; PyTorch's plain values), in file order.
    pub metadata: Vec<(String, MetaValue)>,
    /// Things worth telling the user that do not make the file unusable.
    pub notes: Vec<String>,
}

impl ParsedFile {
    /// A file of tensors and nothing else (safetensors).
    pub fn new(info: FileInfo, tensors: Vec<Tensor>) -> Self {
        ParsedFile {
            info,
            tensors,
            storages: Vec::new(),
            pickle: None,
            metadata: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// One checkpoint of the files read, in file order: each tensor's and storage's `file` set, views renumbered,
/// the pickles' globals merged.
pub(crate) fn assemble(
    format: Format,
    layout: Layout,
    path: &Path,
    parsed: Vec<ParsedFile>,
    index: Option<IndexInfo>,
    mut notes: Vec<String>,
) -> Checkpoint {
    let mut files: Vec<FileInfo> = Vec::with_capacity(parsed.len());
    let total: usize = parsed.iter().map(|p| p.tensors.len()).sum();
    let mut tensors: Vec<Tensor> = Vec::new();
    let mut storages: Vec<StorageInfo> = Vec::new();
    let mut pickles = Vec::new();
    let mut metadata = Vec::new();
    for (i, mut p) in parsed.into_iter().enumerate() {
        let base = storages.len();
        files.push(p.info);
        for t in &mut p.tensors {
            t.file = i;
            if let Some(v) = &mut t.view {
                v.storage += base;
            }
        }
        // The first file's tensors are kept where they are: a single file of 1.4M tensors is not copied.
        if tensors.is_empty() {
            tensors = p.tensors;
            tensors.reserve(total - tensors.len());
        } else {
            tensors.append(&mut p.tensors);
        }
        storages.extend(p.storages.into_iter().map(|s| StorageInfo { file: i, ..s }));
        pickles.extend(p.pickle);
        metadata.extend(p.metadata);
        notes.extend(p.notes);
    }
    Checkpoint {
        format,
        layout,
        path: path.to_path_buf(),
        files,
        tensors,
        index,
        metadata,
        notes,
        storages,
        pickle: (!pickles.is_empty()).then(|| PickleReport::merge(pickles)),
        origin: None,
    }
}

/// A tensor name in two files of one checkpoint (shards, GGUF parts): each repeat, named with both files.
pub(crate) fn duplicate_names(checkpoint: &Checkpoint) -> Vec<InputError> {
    // foldhash: see `safetensors::header::find_duplicates`.
    let mut first_file: foldhash::HashMap<&str, usize> =
        foldhash::HashMap::with_capacity_and_hasher(checkpoint.tensors.len(), Default::default());
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

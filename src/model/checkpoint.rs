//! The format-neutral description of a checkpoint. Readers in `format/` produce it; every analysis and renderer
//! works on it and never on a format's bytes.

use crate::model::dtype::DType;
use crate::model::metadata::MetaValue;
use serde::Serialize;
use std::path::PathBuf;

/// The container format a checkpoint was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `.safetensors` files, single or sharded.
    Safetensors,
    /// A GGUF file (llama.cpp), single or multi-part.
    Gguf,
    /// `torch.save` (zip or legacy), TorchScript archives, transformers' `pytorch_model.bin` shards.
    Pytorch,
}

impl Format {
    /// The format's lower-case name, as in JSON (`"safetensors"`, `"gguf"`, `"pytorch"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::Pytorch => "pytorch",
        }
    }
}

/// How the checkpoint was found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One weight file given directly.
    SingleFile,
    /// A `*.safetensors.index.json` and the shards it names.
    Sharded,
    /// A directory without an index: every weight file in it.
    Directory,
    /// A multi-part GGUF (`NAME-00001-of-00003.gguf` …), its parts named by `split.*` metadata.
    Split,
}

/// A checkpoint described from its headers: files, tensors (name, dtype, shape, byte range) and metadata, in
/// whichever format it was stored.
/// Readers in [`crate::format`] build it without reading tensor data.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The format of its files (all files of one checkpoint share it).
    pub format: Format,
    /// How its files were found on disk.
    pub layout: Layout,
    /// What the user named (a file, an index or a directory), as given.
    pub path: PathBuf,
    /// Every file that holds its tensors (one for a single file; shards or parts in order), the index not included.
    pub files: Vec<FileInfo>,
    /// In file order: files in the order of `files`, tensors by data offset within a file.
    pub tensors: Vec<Tensor>,
    /// The sharded index, when the checkpoint was read through one (`None` for every other layout).
    pub index: Option<IndexInfo>,
    /// Typed key/values of formats that have them (GGUF; for a multi-part file, those of the first part), in
    /// file order. Safetensors' string `__metadata__` stays per file in `FileInfo::metadata`.
    pub metadata: Vec<(String, MetaValue)>,
    /// Things worth telling the user that do not make the checkpoint unusable.
    pub notes: Vec<String>,
    /// PyTorch only: the storages tensors view, each stored once (empty for other formats).
    pub storages: Vec<StorageInfo>,
    /// PyTorch only: every global the pickles name, with a verdict; `None` for formats without a pickle.
    pub pickle: Option<PickleReport>,
    /// Where a remote checkpoint was read from (the Hub, a URL); `None` for a local path.
    pub origin: Option<Origin>,
}

/// Where a remote checkpoint came from and what reading its headers cost (JSON `source`).
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    /// `hub` for a Hugging Face repository, `url` for any other HTTP(S) URL.
    pub kind: OriginKind,
    /// The repository (`ORG/NAME`), for the Hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The revision asked for (a branch, tag or commit), for the Hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The commit the revision resolved to (the Hub's `X-Repo-Commit`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The endpoint and repository, or the file's URL (never with a token).
    pub url: String,
    /// The files read, in the order read (the index first), relative to the repository.
    pub files: Vec<String>,
    /// Read from the local Hugging Face cache, without the network.
    pub cached: bool,
    /// HTTP requests made (redirects and retries included).
    pub requests: u64,
    /// Response body bytes received.
    pub bytes_transferred: u64,
    /// The repository's `config.json`, when it has one (read for footprint and the architecture).
    #[serde(skip)]
    pub config_json: Option<Vec<u8>>,
}

/// What kind of remote source a checkpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginKind {
    /// A Hugging Face Hub repository (or a mirror at `HF_ENDPOINT`).
    Hub,
    /// Any other HTTP(S) URL of a weight file or index.
    Url,
}

/// One file of a checkpoint, as its header describes it.
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    /// Path as shown to the user (relative to the checkpoint's folder for shards).
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The file's length in bytes when it was read.
    pub size_bytes: u64,
    /// Bytes before the data region (for safetensors: the 8-byte length prefix plus the JSON header).
    pub header_bytes: u64,
    /// How many tensors the file holds.
    pub tensors: usize,
    /// String metadata stored in the file (safetensors `__metadata__`), in file order.
    pub metadata: Vec<(String, String)>,
    /// The format's version field where it has one (GGUF 2 or 3); safetensors has none.
    pub format_version: Option<u32>,
}

/// One tensor as the header declares it; its data is not read.
#[derive(Debug, Clone)]
pub struct Tensor {
    /// The name as stored in the file (for PyTorch, the key path in the pickled object, joined by dots).
    pub name: String,
    /// The element type as stored.
    pub dtype: DType,
    /// Dimensions, outermost first, as PyTorch and safetensors write them (GGUF's innermost-first dimensions are
    /// reversed); `[]` is a scalar.
    pub shape: Vec<u64>,
    /// Index into `Checkpoint::files`.
    pub file: usize,
    /// Byte range relative to the file's data region (which starts at `header_bytes`): the bytes on disk this
    /// tensor accounts for. For safetensors, GGUF and a PyTorch tensor that is its storage's only user, exactly its
    /// elements. Where several PyTorch tensors view one storage, the first of them spans the whole storage and
    /// the others none of it (`[s, s]`), so sums over tensors count each stored byte once.
    pub data_offsets: [u64; 2],
    /// PyTorch only: the storage the tensor views, where in it and with which strides. Boxed: every tensor of
    /// every format carries the field, and inline it made a tensor 32 bytes larger (45 MB at 1.4M tensors).
    pub view: Option<Box<View>>,
}

/// A PyTorch tensor's place in its storage (`torch/_utils.py` `_rebuild_tensor_v2(storage, storage_offset,
/// size, stride, …)`): offsets and strides count elements, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Index into `Checkpoint::storages`.
    pub storage: usize,
    /// The tensor's first element, counted in elements from the start of the storage (`storage_offset`).
    pub offset: u64,
    /// Elements to step over per index of each dimension, outermost first (`tensor.stride()`).
    pub strides: Vec<u64>,
}

/// One PyTorch storage: a block of elements of one dtype that one or more tensors view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInfo {
    /// The key the pickle names it by (the archive's `data/KEY`).
    pub key: String,
    /// Index into `Checkpoint::files`.
    pub file: usize,
    /// Byte range relative to the file's data region.
    pub data_offsets: [u64; 2],
    /// The element type of the storage.
    pub dtype: DType,
    /// How many tensors view it; more than one marks a shared storage (tied weights, a transposed copy).
    pub tensors: usize,
}

impl StorageInfo {
    /// The storage's length in bytes.
    pub fn bytes(&self) -> u64 {
        self.data_offsets[1] - self.data_offsets[0]
    }
}

/// Where a tensor's elements are, in bytes of its file (`header_bytes` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elements<'a> {
    /// In order, one after another, in `start..end`.
    Contiguous {
        /// File offset of the first element's first byte.
        start: u64,
        /// File offset just past the last element's last byte.
        end: u64,
    },
    /// Element `(i0, i1, …)` at byte `base + (offset + Σ ik × strides[k]) × element bytes`.
    Strided {
        /// File offset of the storage's first byte.
        base: u64,
        /// The tensor's first element, counted in elements from `base`.
        offset: u64,
        /// Elements to step over per index of each dimension, outermost first.
        strides: &'a [u64],
    },
}

/// How safe a pickle's globals are to import: torch's `weights_only` allow-list and the lists scanners use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Known to build tensors, storages or plain containers.
    Allowed,
    /// On no list: not known to be harmful, not known to be harmless (lists are never complete).
    Unknown,
    /// Runs commands, opens files or sockets, imports or evaluates code.
    Dangerous,
}

impl Verdict {
    /// The verdict's lower-case name, as in JSON (`"allowed"`, `"unknown"`, `"dangerous"`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Unknown => "unknown",
            Verdict::Dangerous => "dangerous",
        }
    }
}

/// Every global the pickles of a PyTorch checkpoint name (none of which was imported or called).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PickleReport {
    /// The worst verdict of any global (`allowed` when there are none).
    pub verdict: Verdict,
    /// In order of first appearance; one row per `module.name`, counts summed over files.
    pub globals: Vec<PickleGlobal>,
}

/// One global (`module.name`) a pickle names, with how safe it is to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PickleGlobal {
    /// The module part, e.g. `torch._utils`.
    pub module: String,
    /// The name within the module, e.g. `_rebuild_tensor_v2`.
    pub name: String,
    /// How safe importing it would be.
    pub verdict: Verdict,
    /// How many times the pickles name it.
    pub count: u64,
}

impl PickleGlobal {
    /// `module.name`, as `--allow-global` takes it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

impl PickleReport {
    /// Globals named in several reports (the shards of one checkpoint) merged, counts added.
    pub fn merge(reports: impl IntoIterator<Item = PickleReport>) -> PickleReport {
        let mut globals: Vec<PickleGlobal> = Vec::new();
        for g in reports.into_iter().flat_map(|r| r.globals) {
            match globals
                .iter_mut()
                .find(|m| m.module == g.module && m.name == g.name)
            {
                Some(m) => m.count += g.count,
                None => globals.push(g),
            }
        }
        PickleReport {
            verdict: globals
                .iter()
                .map(|g| g.verdict)
                .max()
                .unwrap_or(Verdict::Allowed),
            globals,
        }
    }
}

impl Tensor {
    /// A tensor of no name, type or bytes, holding a place in a list until a real one takes it; allocates nothing.
    pub(crate) fn placeholder() -> Self {
        Tensor {
            name: String::new(),
            dtype: DType::BOOL,
            shape: Vec::new(),
            file: 0,
            data_offsets: [0, 0],
            view: None,
        }
    }

    /// Element count; a shape of `[]` is a scalar with one element, as huggingface_hub counts it.
    /// Readers have already rejected shapes whose product overflows; a zero dimension is checked first, since
    /// the dimensions before it may overflow on their own (`[2^40, 2^40, 0]` holds no element).
    pub fn elements(&self) -> u64 {
        if self.shape.contains(&0) {
            return 0;
        }
        self.shape.iter().product()
    }

    /// The bytes on disk the tensor accounts for (`data_offsets[1] - data_offsets[0]`); zero for a PyTorch tensor
    /// sharing a storage that an earlier tensor already counts.
    pub fn bytes(&self) -> u64 {
        self.data_offsets[1] - self.data_offsets[0]
    }
}

/// The `*.safetensors.index.json` of a sharded checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct IndexInfo {
    /// The index file's path, as the user named it or as found in the folder.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// `metadata.total_size` as the index claims it.
    pub total_size: Option<u64>,
    /// `metadata.total_parameters` as the index claims it (recent transformers only); a claim, not a count.
    pub total_parameters: Option<u64>,
    /// The index's whole `metadata` object, as written.
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl Checkpoint {
    /// Why a checkpoint without a single tensor has none (`None` when it has some): a safetensors header with
    /// only `__metadata__`, an index whose weight_map is empty, a GGUF with tensor_count 0 (a vocab-only file).
    /// Every figure of such a checkpoint is zero, which a gate would otherwise take for a pass.
    pub fn no_tensors(&self) -> Option<String> {
        if !self.tensors.is_empty() {
            return None;
        }
        let why = match (self.format, self.layout) {
            (_, Layout::Sharded) => "the index's weight_map is empty",
            (Format::Safetensors, _) => "the header names no tensors",
            (Format::Gguf, _) => "tensor_count is 0 (a vocab-only file?)",
            (Format::Pytorch, _) => "the pickled object holds no tensor",
        };
        Some(format!("no tensors: {why}"))
    }

    /// The file that holds `tensor`.
    pub fn file_of(&self, tensor: &Tensor) -> &FileInfo {
        &self.files[tensor.file]
    }

    /// A typed metadata value by key.
    pub fn meta(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The Hub's parameter count: the sum of every tensor's elements, buffers and quantisation auxiliaries included
    /// (exact).
    pub fn parameters(&self) -> u64 {
        self.tensors.iter().map(Tensor::elements).sum()
    }

    /// The bytes of tensor data on disk (each stored byte counted once), headers excluded (exact).
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(Tensor::bytes).sum()
    }

    /// Where `t`'s elements are: its `data_offsets` unless it is a PyTorch view whose elements are not simply
    /// those bytes in order (a transposed weight, a row of a larger storage, a tensor sharing its storage).
    pub fn elements_of<'t>(&self, t: &'t Tensor) -> Elements<'t> {
        let base = self.files[t.file].header_bytes;
        let Some(view) = &t.view else {
            return Elements::Contiguous {
                start: base + t.data_offsets[0],
                end: base + t.data_offsets[1],
            };
        };
        let storage = &self.storages[view.storage];
        let start = base + storage.data_offsets[0];
        // Readers validated that every element lies inside the storage, so none of this overflows; PyTorch
        // dtypes are whole bytes.
        if is_row_major(&t.shape, &view.strides) {
            let size = t.dtype.bytes_for(1).unwrap_or(1);
            let first = start + view.offset * size;
            return Elements::Contiguous {
                start: first,
                end: first + t.elements() * size,
            };
        }
        Elements::Strided {
            base: start,
            offset: view.offset,
            strides: &view.strides,
        }
    }

    /// `__metadata__` entries that every file carrying the key agrees on, in first-seen order.
    pub fn shared_metadata(&self) -> Vec<(String, String)> {
        let mut merged: Vec<(String, String)> = Vec::new();
        let mut conflicting: Vec<String> = Vec::new();
        for file in &self.files {
            for (k, v) in &file.metadata {
                match merged.iter().find(|(mk, _)| mk == k) {
                    Some((_, mv)) if mv != v => conflicting.push(k.clone()),
                    Some(_) => {}
                    None => merged.push((k.clone(), v.clone())),
                }
            }
        }
        merged.retain(|(k, _)| !conflicting.contains(k));
        merged
    }
}

/// Whether `strides` lay `shape` out in row-major order without gaps (dimensions of one element, whose stride
/// never matters, aside), as `torch.Tensor.is_contiguous` decides.
pub fn is_row_major(shape: &[u64], strides: &[u64]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut expected: u64 = 1;
    for (&dim, &stride) in shape.iter().zip(strides).rev() {
        if dim != 1 && stride != expected {
            return false;
        }
        expected = expected.saturating_mul(dim);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_dimension_anywhere_holds_no_element_without_overflow() {
        // Found by the corruption property tests: a flipped byte turned [0, 0, 0] into [0, 2^40, 2^40].
        for shape in [vec![0, 1 << 40, 1 << 40], vec![1 << 40, 1 << 40, 0]] {
            let t = Tensor {
                name: "t".into(),
                dtype: DType::F32,
                shape,
                file: 0,
                data_offsets: [0, 0],
                view: None,
            };
            assert_eq!(t.elements(), 0);
        }
    }

    #[test]
    fn row_major_strides_are_contiguous_whatever_the_unit_dimensions() {
        assert!(is_row_major(&[4, 3], &[3, 1]));
        assert!(!is_row_major(&[3, 4], &[1, 3]));
        assert!(is_row_major(&[1, 3], &[99, 1]));
        assert!(is_row_major(&[], &[]));
        assert!(is_row_major(&[0, 3], &[7, 7]));
        assert!(!is_row_major(&[2, 2], &[0, 1]));
    }
}

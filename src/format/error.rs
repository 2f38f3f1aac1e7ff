//! Input problems as data: each variant is one broken rule, with the numbers that show it broken.
//! The binary prints `error: PATH: MESSAGE` and exits 2 for any of them.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with one input file, named by the path the user would recognise.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    /// Boxed: results carrying this error stay small on the happy path.
    pub problem: Box<Problem>,
}

impl InputError {
    pub fn new(path: impl AsRef<Path>, problem: Problem) -> Self {
        InputError {
            path: path.as_ref().to_path_buf(),
            problem: Box::new(problem),
        }
    }
}

/// Everything that went wrong while reading one checkpoint (several shards can fail at once).
#[derive(Debug)]
pub struct LoadError {
    pub errors: Vec<InputError>,
}

impl From<InputError> for LoadError {
    fn from(e: InputError) -> Self {
        LoadError { errors: vec![e] }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a file or directory paramscope can read (expected .safetensors, *.safetensors.index.json, .gguf or a folder)")]
    UnknownKind,
    #[error(
        "no checkpoint found in this directory (no *.safetensors, *.safetensors.index.json or *.gguf)"
    )]
    EmptyDirectory,
    /// A folder whose only weight files are in formats paramscope does not read (`pytorch_model.bin`).
    #[error("no checkpoint paramscope reads in this directory: {file} is {what}")]
    OnlyForeign { file: String, what: String },
    /// A PyTorch pickle, HDF5 or ONNX file, recognised by its first bytes (see format/foreign.rs).
    #[error("{format}: {advice}")]
    ForeignFormat {
        format: String,
        advice: &'static str,
    },
    /// `~/.cache/huggingface/hub/models--ORG--NAME` holds `blobs/`, `refs/` and `snapshots/REV/`: the checkpoint
    /// is a snapshot, which a user naming the repository folder would not guess from "no checkpoint found".
    #[error(
        "a Hugging Face cache repository, not a checkpoint folder: name a snapshot ({snapshot})"
    )]
    CacheRepository { snapshot: String },

    // safetensors header
    #[error("file is empty")]
    Empty,
    #[error("file is {len} bytes, too small for the 8-byte header length")]
    HeaderTooSmall { len: u64 },
    #[error("header length {claimed} exceeds the safetensors limit of 100,000,000 bytes")]
    HeaderTooLarge { claimed: u64 },
    #[error("header length {claimed} goes past the end of the file ({available} bytes follow the length prefix; truncated download?)")]
    HeaderPastEnd { claimed: u64, available: u64 },
    #[error("header is not valid UTF-8 (invalid byte at header offset {at})")]
    HeaderNotUtf8 { at: usize },
    #[error("header is not a JSON object (it starts with {first:?})")]
    HeaderNotObject { first: String },
    #[error("header is not valid JSON: {0}")]
    HeaderJson(String),
    #[error("tensor '{name}': unknown dtype '{dtype}'")]
    UnknownDtype { name: String, dtype: String },
    #[error("tensor '{name}': {reason}")]
    BadTensorEntry { name: String, reason: String },
    #[error("tensor name '{0}' appears more than once in the header")]
    DuplicateTensor(String),
    #[error("tensor '{name}': shape {shape:?} has more elements than fit in 64 bits")]
    ShapeOverflow { name: String, shape: Vec<u64> },
    #[error("tensor '{name}': data_offsets [{begin}, {end}] end before they begin")]
    OffsetsReversed { name: String, begin: u64, end: u64 },
    #[error("tensor '{name}': {dtype} {shape:?} holds {bits} bits, not a whole number of bytes")]
    PartialByte {
        name: String,
        dtype: String,
        shape: Vec<u64>,
        bits: u128,
    },
    #[error("tensor '{name}': {dtype} {shape:?} needs {expected} bytes but data_offsets [{begin}, {end}] span {actual}")]
    SizeMismatch {
        name: String,
        dtype: String,
        shape: Vec<u64>,
        expected: u64,
        begin: u64,
        end: u64,
        actual: u64,
    },
    #[error("tensor '{name}' starts at byte {begin} but the data region must start with a tensor at byte 0 ({begin} bytes unaccounted for)")]
    GapAtStart { name: String, begin: u64 },
    #[error("tensor '{name}' starts at byte {begin} but '{previous}' ends at byte {previous_end}: {gap} bytes belong to no tensor")]
    OffsetGap {
        name: String,
        begin: u64,
        previous: String,
        previous_end: u64,
        gap: u64,
    },
    #[error("tensor '{name}' starts at byte {begin} but '{previous}' ends at byte {previous_end}: {overlap} bytes overlap")]
    OffsetOverlap {
        name: String,
        begin: u64,
        previous: String,
        previous_end: u64,
        overlap: u64,
    },
    #[error("expected {expected} bytes, found {found} (truncated download?): tensor '{last}' data ends at byte {data_end} of a {data_region}-byte data region")]
    Truncated {
        expected: u64,
        found: u64,
        last: String,
        data_end: u64,
        data_region: u64,
    },
    #[error("{trailing} trailing bytes after the last tensor (the tensors end at byte {expected}, the file is {found} bytes)")]
    TrailingBytes {
        trailing: u64,
        expected: u64,
        found: u64,
    },
    #[error("__metadata__ {0}")]
    BadMetadata(String),
    #[error("rejected by the safetensors crate: {0}")]
    Reference(String),
    #[error("file is now {found} bytes but was {expected} when its header was read (changed or truncated since?)")]
    ChangedSinceRead { expected: u64, found: u64 },

    // sharded checkpoints
    #[error("index is not valid JSON: {0}")]
    IndexJson(String),
    #[error("index has no \"weight_map\" object{hint}")]
    IndexNoWeightMap { hint: String },
    #[error("index: weight_map entry '{name}' is not a string file name")]
    IndexBadEntry { name: String },
    #[error("index: metadata.{key} is not a non-negative integer ({value})")]
    IndexBadMetadata { key: String, value: String },
    #[error("index names shard '{shard}', which is outside the checkpoint's folder")]
    ShardOutsideFolder { shard: String },
    #[error("shard '{shard}' named by the index does not exist")]
    MissingShard { shard: String },
    #[error("tensor '{name}' is mapped to '{expected}' but is not in that shard")]
    TensorNotInShard { name: String, expected: String },
    #[error("tensor '{name}' is in shard '{shard}' but the index maps it to '{expected}'")]
    TensorInWrongShard {
        name: String,
        shard: String,
        expected: String,
    },
    #[error("tensor '{name}' is in shard '{shard}' but not in the index's weight_map")]
    TensorNotInIndex { name: String, shard: String },
    #[error("tensor '{name}' is in more than one file: '{first}' and '{second}'")]
    TensorInTwoFiles {
        name: String,
        first: String,
        second: String,
    },
    #[error(
        "index metadata.total_size is {claimed} but the shards hold {actual} bytes of tensor data"
    )]
    TotalSizeMismatch { claimed: u64, actual: u64 },

    // GGUF (docs/FORMATS.md §4)
    #[error("not a GGUF file: it starts with {found:?}, not \"GGUF\"")]
    GgufBadMagic { found: String },
    #[error("GGUF version {version} is not supported ({reason})")]
    GgufUnsupportedVersion { version: u32, reason: &'static str },
    #[error("big-endian GGUF (the version reads as {read:#010x}, byte-swapped {swapped}); only little-endian files are supported")]
    GgufBigEndian { read: u32, swapped: u32 },
    #[error("file ends inside the GGUF header: {what} needs {needed} bytes at byte {at}, but the file is {size} bytes (truncated download?)")]
    GgufHeaderTruncated {
        what: String,
        at: u64,
        needed: u64,
        size: u64,
    },
    #[error("{what} is {count}, which needs at least {min_bytes} bytes, but only {available} bytes follow in the file")]
    GgufCountTooLarge {
        what: &'static str,
        count: u64,
        min_bytes: u128,
        available: u64,
    },
    #[error("{what}: string length {length} at byte {at} goes past the end of the file ({available} bytes follow)")]
    GgufStringPastEnd {
        what: String,
        at: u64,
        length: u64,
        available: u64,
    },
    #[error("{what}: array of {length} {element} elements at byte {at} needs at least {min_bytes} bytes, but only {available} follow in the file")]
    GgufArrayPastEnd {
        what: String,
        at: u64,
        length: u64,
        element: String,
        min_bytes: u128,
        available: u64,
    },
    #[error("{what}: unknown value type {value_type} at byte {at} (GGUF defines 0..=12)")]
    GgufUnknownValueType {
        what: String,
        at: u64,
        value_type: u32,
    },
    #[error("metadata key '{0}' appears more than once")]
    GgufDuplicateKey(String),
    #[error("metadata '{key}': {reason}")]
    GgufBadMetadata { key: String, reason: String },
    #[error("tensor '{name}': {reason}")]
    GgufUnknownTensorType { name: String, reason: String },
    #[error("tensor '{name}': {reason}")]
    GgufRetiredTensorType { name: String, reason: String },
    #[error("tensor '{name}' has {n_dims} dimensions; GGUF allows at most 4")]
    GgufTooManyDims { name: String, n_dims: u32 },
    #[error("tensor '{name}': {dtype} stores blocks of {block} elements, but its innermost dimension is {inner} (ggml dims {dims:?})")]
    GgufPartialBlock {
        name: String,
        dtype: String,
        block: u32,
        inner: u64,
        dims: Vec<u64>,
    },
    #[error(
        "tensor '{name}': data offset {offset} is not a multiple of the alignment {alignment}"
    )]
    GgufOffsetMisaligned {
        name: String,
        offset: u64,
        alignment: u64,
    },
    #[error("tensor '{name}' is at data offset {offset}, but ggml expects {expected}: tensors must follow each other in header order, each at the previous one's end rounded up to the alignment")]
    GgufOffsetOrder {
        name: String,
        offset: u64,
        expected: u64,
    },
    #[error("tensor '{name}' is at data offset {offset}, but the previous tensor ends (padded to the alignment) at {expected}: {gap} bytes belong to no tensor")]
    GgufOffsetGap {
        name: String,
        offset: u64,
        expected: u64,
        gap: u64,
    },
    #[error("tensor '{name}': data ends at byte {data_end} of the file, which is {size} bytes (truncated download?)")]
    GgufDataPastEnd {
        name: String,
        data_end: u128,
        size: u64,
    },
    /// A part of a series named `NAME-00002-of-00003` (GGUF parts, or safetensors shards without an index).
    #[error("part {part} of {count} ('{file}') is missing")]
    MissingPart { part: u64, count: u64, file: String },
    #[error("multi-part GGUF: {0}")]
    GgufSplitInconsistent(String),
}

impl Problem {
    /// A stable, machine-readable class for the problem (used in JSON output and tests).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Io(_) => "io",
            Problem::UnknownKind => "unknown_kind",
            Problem::ForeignFormat { .. } => "unsupported_format",
            Problem::EmptyDirectory
            | Problem::CacheRepository { .. }
            | Problem::OnlyForeign { .. } => "empty_directory",
            Problem::Empty => "empty_file",
            Problem::HeaderTooSmall { .. } => "header_too_small",
            Problem::HeaderTooLarge { .. } => "header_too_large",
            Problem::HeaderPastEnd { .. } => "header_past_end",
            Problem::HeaderNotUtf8 { .. } => "header_not_utf8",
            Problem::HeaderNotObject { .. } => "header_not_object",
            Problem::HeaderJson(_) => "header_json",
            Problem::UnknownDtype { .. } => "unknown_dtype",
            Problem::BadTensorEntry { .. } => "bad_tensor_entry",
            Problem::DuplicateTensor(_) => "duplicate_tensor",
            Problem::ShapeOverflow { .. } => "shape_overflow",
            Problem::OffsetsReversed { .. } => "offsets_reversed",
            Problem::PartialByte { .. } => "partial_byte",
            Problem::SizeMismatch { .. } => "size_mismatch",
            Problem::GapAtStart { .. } | Problem::OffsetGap { .. } => "offset_gap",
            Problem::OffsetOverlap { .. } => "offset_overlap",
            Problem::Truncated { .. } => "truncated",
            Problem::TrailingBytes { .. } => "trailing_bytes",
            Problem::BadMetadata(_) => "bad_metadata",
            Problem::Reference(_) => "reference_rejected",
            Problem::ChangedSinceRead { .. } => "changed_since_read",
            Problem::IndexJson(_) => "index_json",
            Problem::IndexNoWeightMap { .. } => "index_no_weight_map",
            Problem::IndexBadEntry { .. } => "index_bad_entry",
            Problem::IndexBadMetadata { .. } => "index_bad_metadata",
            Problem::ShardOutsideFolder { .. } => "shard_outside_folder",
            Problem::MissingShard { .. } => "missing_shard",
            Problem::TensorNotInShard { .. } => "tensor_not_in_shard",
            Problem::TensorInWrongShard { .. } => "tensor_in_wrong_shard",
            Problem::TensorNotInIndex { .. } => "tensor_not_in_index",
            Problem::TensorInTwoFiles { .. } => "tensor_in_two_files",
            Problem::TotalSizeMismatch { .. } => "total_size_mismatch",
            Problem::GgufBadMagic { .. } => "gguf_bad_magic",
            Problem::GgufUnsupportedVersion { .. } => "gguf_unsupported_version",
            Problem::GgufBigEndian { .. } => "gguf_big_endian",
            Problem::GgufHeaderTruncated { .. } => "gguf_header_truncated",
            Problem::GgufCountTooLarge { .. } => "gguf_count_too_large",
            Problem::GgufStringPastEnd { .. } => "gguf_string_past_end",
            Problem::GgufArrayPastEnd { .. } => "gguf_array_past_end",
            Problem::GgufUnknownValueType { .. } => "gguf_unknown_value_type",
            Problem::GgufDuplicateKey(_) => "gguf_duplicate_key",
            Problem::GgufBadMetadata { .. } => "gguf_bad_metadata",
            Problem::GgufUnknownTensorType { .. } => "gguf_unknown_tensor_type",
            Problem::GgufRetiredTensorType { .. } => "gguf_retired_tensor_type",
            Problem::GgufTooManyDims { .. } => "gguf_too_many_dims",
            Problem::GgufPartialBlock { .. } => "gguf_partial_block",
            Problem::GgufOffsetMisaligned { .. } => "gguf_offset_misaligned",
            Problem::GgufOffsetOrder { .. } => "gguf_offset_order",
            Problem::GgufOffsetGap { .. } => "offset_gap",
            Problem::GgufDataPastEnd { .. } => "truncated",
            Problem::MissingPart { .. } => "missing_shard",
            Problem::GgufSplitInconsistent(_) => "gguf_split_inconsistent",
        }
    }
}

/// One problem as data, for JSON output: `{"code", "message", "path"}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorRow {
    pub code: &'static str,
    pub message: String,
    #[serde(serialize_with = "crate::render::json::lossy_path")]
    pub path: PathBuf,
}

impl LoadError {
    pub fn rows(&self) -> Vec<ErrorRow> {
        self.errors
            .iter()
            .map(|e| ErrorRow {
                code: e.problem.code(),
                message: e.problem.to_string(),
                path: e.path.clone(),
            })
            .collect()
    }
}

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

/// Why an input cannot be read: one broken rule, with the numbers that show it broken. Problems every reader can
/// meet are variants of their own; the rest are grouped by what was being read.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is empty")]
    Empty,
    #[error("tensor name '{0}' appears more than once in the header")]
    DuplicateTensor(String),
    #[error("tensor '{name}': shape {shape:?} has more elements than fit in 64 bits")]
    ShapeOverflow { name: String, shape: Vec<u64> },
    #[error("file is now {found} bytes but was {expected} when its header was read (changed or truncated since?)")]
    ChangedSinceRead { expected: u64, found: u64 },
    /// The file ended (or went on) elsewhere than its length when it was opened, while its bytes were being read:
    /// another process truncated, extended or rewrote it.
    #[error("changed while being read (expected {expected} bytes, got {found})")]
    ChangedWhileRead { expected: u64, found: u64 },
    /// A list of reference hashes (`verify --sha256 FILE`) that cannot be read as one.
    #[error("{0}")]
    BadManifest(String),
    #[error(transparent)]
    Discovery(#[from] DiscoveryProblem),
    #[error(transparent)]
    Safetensors(#[from] HeaderProblem),
    #[error(transparent)]
    Sharded(#[from] ShardedProblem),
    #[error(transparent)]
    Gguf(#[from] GgufProblem),
    #[error(transparent)]
    Torch(#[from] TorchProblem),
    #[error(transparent)]
    Remote(#[from] RemoteProblem),
}

impl Problem {
    /// A stable, machine-readable class for the problem (used in JSON output and tests).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Io(_) => "io",
            Problem::Empty => "empty_file",
            Problem::DuplicateTensor(_) => "duplicate_tensor",
            Problem::ShapeOverflow { .. } => "shape_overflow",
            Problem::ChangedSinceRead { .. } => "changed_since_read",
            Problem::ChangedWhileRead { .. } => "changed_while_read",
            Problem::BadManifest(_) => "bad_manifest",
            Problem::Discovery(p) => p.code(),
            Problem::Safetensors(p) => p.code(),
            Problem::Sharded(p) => p.code(),
            Problem::Gguf(p) => p.code(),
            Problem::Torch(p) => p.code(),
            Problem::Remote(p) => p.code(),
        }
    }
}

/// What a PATH names cannot be read as a checkpoint: no weights there, a format paramscope does not read, a part
/// of a series missing.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryProblem {
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
    /// A part of a series named `NAME-00002-of-00003` (GGUF parts, or safetensors shards without an index).
    #[error("part {part} of {count} ('{file}') is missing")]
    MissingPart { part: u64, count: u64, file: String },
}

impl DiscoveryProblem {
    /// The stable, machine-readable class of the problem (JSON `code`, `fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            DiscoveryProblem::UnknownKind => "unknown_kind",
            DiscoveryProblem::EmptyDirectory => "empty_directory",
            DiscoveryProblem::OnlyForeign { .. } => "empty_directory",
            DiscoveryProblem::ForeignFormat { .. } => "unsupported_format",
            DiscoveryProblem::CacheRepository { .. } => "empty_directory",
            DiscoveryProblem::MissingPart { .. } => "missing_shard",
        }
    }
}

/// A broken rule of one safetensors file's header or of its data region's length (docs/FORMATS.md §1).
#[derive(Debug, thiserror::Error)]
pub enum HeaderProblem {
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
}

impl HeaderProblem {
    /// The stable, machine-readable class of the problem (JSON `code`, `fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            HeaderProblem::HeaderTooSmall { .. } => "header_too_small",
            HeaderProblem::HeaderTooLarge { .. } => "header_too_large",
            HeaderProblem::HeaderPastEnd { .. } => "header_past_end",
            HeaderProblem::HeaderNotUtf8 { .. } => "header_not_utf8",
            HeaderProblem::HeaderNotObject { .. } => "header_not_object",
            HeaderProblem::HeaderJson(_) => "header_json",
            HeaderProblem::UnknownDtype { .. } => "unknown_dtype",
            HeaderProblem::BadTensorEntry { .. } => "bad_tensor_entry",
            HeaderProblem::OffsetsReversed { .. } => "offsets_reversed",
            HeaderProblem::PartialByte { .. } => "partial_byte",
            HeaderProblem::SizeMismatch { .. } => "size_mismatch",
            HeaderProblem::GapAtStart { .. } => "offset_gap",
            HeaderProblem::OffsetGap { .. } => "offset_gap",
            HeaderProblem::OffsetOverlap { .. } => "offset_overlap",
            HeaderProblem::Truncated { .. } => "truncated",
            HeaderProblem::TrailingBytes { .. } => "trailing_bytes",
            HeaderProblem::BadMetadata(_) => "bad_metadata",
            HeaderProblem::Reference(_) => "reference_rejected",
        }
    }
}

/// An index that is not a valid index, or that disagrees with its shards (docs/FORMATS.md §3).
#[derive(Debug, thiserror::Error)]
pub enum ShardedProblem {
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
}

impl ShardedProblem {
    /// The stable, machine-readable class of the problem (JSON `code`, `fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            ShardedProblem::IndexJson(_) => "index_json",
            ShardedProblem::IndexNoWeightMap { .. } => "index_no_weight_map",
            ShardedProblem::IndexBadEntry { .. } => "index_bad_entry",
            ShardedProblem::IndexBadMetadata { .. } => "index_bad_metadata",
            ShardedProblem::ShardOutsideFolder { .. } => "shard_outside_folder",
            ShardedProblem::MissingShard { .. } => "missing_shard",
            ShardedProblem::TensorNotInShard { .. } => "tensor_not_in_shard",
            ShardedProblem::TensorInWrongShard { .. } => "tensor_in_wrong_shard",
            ShardedProblem::TensorNotInIndex { .. } => "tensor_not_in_index",
            ShardedProblem::TensorInTwoFiles { .. } => "tensor_in_two_files",
            ShardedProblem::TotalSizeMismatch { .. } => "total_size_mismatch",
        }
    }
}

/// A broken rule of a GGUF file's header, metadata or tensor table, or of a multi-part set (docs/FORMATS.md §4).
#[derive(Debug, thiserror::Error)]
pub enum GgufProblem {
    #[error("not a GGUF file: it starts with {found:?}, not \"GGUF\"")]
    BadMagic { found: String },
    #[error("GGUF version {version} is not supported ({reason})")]
    UnsupportedVersion { version: u32, reason: &'static str },
    #[error("big-endian GGUF (the version reads as {read:#010x}, byte-swapped {swapped}); only little-endian files are supported")]
    BigEndian { read: u32, swapped: u32 },
    #[error("file ends inside the GGUF header: {what} needs {needed} bytes at byte {at}, but the file is {size} bytes (truncated download?)")]
    HeaderTruncated {
        what: String,
        at: u64,
        needed: u64,
        size: u64,
    },
    #[error("{what} is {count}, which needs at least {min_bytes} bytes, but only {available} bytes follow in the file")]
    CountTooLarge {
        what: &'static str,
        count: u64,
        min_bytes: u128,
        available: u64,
    },
    #[error("{what}: string length {length} at byte {at} goes past the end of the file ({available} bytes follow)")]
    StringPastEnd {
        what: String,
        at: u64,
        length: u64,
        available: u64,
    },
    #[error("{what}: array of {length} {element} elements at byte {at} needs at least {min_bytes} bytes, but only {available} follow in the file")]
    ArrayPastEnd {
        what: String,
        at: u64,
        length: u64,
        element: String,
        min_bytes: u128,
        available: u64,
    },
    #[error("{what}: unknown value type {value_type} at byte {at} (GGUF defines 0..=12)")]
    UnknownValueType {
        what: String,
        at: u64,
        value_type: u32,
    },
    #[error("metadata key '{0}' appears more than once")]
    DuplicateKey(String),
    #[error("metadata '{key}': {reason}")]
    BadMetadata { key: String, reason: String },
    #[error("tensor '{name}': {reason}")]
    UnknownTensorType { name: String, reason: String },
    #[error("tensor '{name}': {reason}")]
    RetiredTensorType { name: String, reason: String },
    #[error("tensor '{name}' has {n_dims} dimensions; GGUF allows at most 4")]
    TooManyDims { name: String, n_dims: u32 },
    #[error("tensor '{name}': {dtype} stores blocks of {block} elements, but its innermost dimension is {inner} (ggml dims {dims:?})")]
    PartialBlock {
        name: String,
        dtype: String,
        block: u32,
        inner: u64,
        dims: Vec<u64>,
    },
    #[error(
        "tensor '{name}': data offset {offset} is not a multiple of the alignment {alignment}"
    )]
    OffsetMisaligned {
        name: String,
        offset: u64,
        alignment: u64,
    },
    #[error("tensor '{name}' is at data offset {offset}, but ggml expects {expected}: tensors must follow each other in header order, each at the previous one's end rounded up to the alignment")]
    OffsetOrder {
        name: String,
        offset: u64,
        expected: u64,
    },
    #[error("tensor '{name}' is at data offset {offset}, but the previous tensor ends (padded to the alignment) at {expected}: {gap} bytes belong to no tensor")]
    OffsetGap {
        name: String,
        offset: u64,
        expected: u64,
        gap: u64,
    },
    #[error("tensor '{name}': data ends at byte {data_end} of the file, which is {size} bytes (truncated download?)")]
    DataPastEnd {
        name: String,
        data_end: u128,
        size: u64,
    },
    #[error("multi-part GGUF: {0}")]
    SplitInconsistent(String),
}

impl GgufProblem {
    /// The stable, machine-readable class of the problem (JSON `code`, `fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            GgufProblem::BadMagic { .. } => "gguf_bad_magic",
            GgufProblem::UnsupportedVersion { .. } => "gguf_unsupported_version",
            GgufProblem::BigEndian { .. } => "gguf_big_endian",
            GgufProblem::HeaderTruncated { .. } => "gguf_header_truncated",
            GgufProblem::CountTooLarge { .. } => "gguf_count_too_large",
            GgufProblem::StringPastEnd { .. } => "gguf_string_past_end",
            GgufProblem::ArrayPastEnd { .. } => "gguf_array_past_end",
            GgufProblem::UnknownValueType { .. } => "gguf_unknown_value_type",
            GgufProblem::DuplicateKey(_) => "gguf_duplicate_key",
            GgufProblem::BadMetadata { .. } => "gguf_bad_metadata",
            GgufProblem::UnknownTensorType { .. } => "gguf_unknown_tensor_type",
            GgufProblem::RetiredTensorType { .. } => "gguf_retired_tensor_type",
            GgufProblem::TooManyDims { .. } => "gguf_too_many_dims",
            GgufProblem::PartialBlock { .. } => "gguf_partial_block",
            GgufProblem::OffsetMisaligned { .. } => "gguf_offset_misaligned",
            GgufProblem::OffsetOrder { .. } => "gguf_offset_order",
            GgufProblem::OffsetGap { .. } => "offset_gap",
            GgufProblem::DataPastEnd { .. } => "truncated",
            GgufProblem::SplitInconsistent(_) => "gguf_split_inconsistent",
        }
    }
}

/// A broken rule of a PyTorch checkpoint: its zip archive or legacy layout, a pickle, or a tensor's place in its
/// storage (docs/pytorch.md).
#[derive(Debug, thiserror::Error)]
pub enum TorchProblem {
    #[error("not a readable zip archive: {0}")]
    Zip(String),
    #[error("the zip archive lists {count} entries; more than {max} is not a checkpoint")]
    TooManyEntries { count: usize, max: usize },
    #[error("a zip archive without a data.pkl: not a torch.save checkpoint")]
    NoDataPkl,
    #[error("entry '{entry}' is compressed ({method}); torch.save stores entries uncompressed, and paramscope reads them in place")]
    Compressed { entry: String, method: String },
    #[error(
        "entry '{entry}' is {size} bytes, past the end of the {file_size}-byte file (truncated?)"
    )]
    EntryPastEnd {
        entry: String,
        size: u64,
        file_size: u64,
    },
    #[error("{what} says the storages are big-endian; only little-endian checkpoints are read")]
    BigEndian { what: String },
    #[error("{what}: {error}")]
    Pickle {
        what: String,
        error: crate::format::torch::pickle::PickleError,
    },
    #[error("not a legacy torch.save file: {0}")]
    Legacy(String),
    #[error("tensor '{name}': {reason}")]
    BadTensor { name: String, reason: String },
    #[error("storage '{key}' named by the pickle is not in the file")]
    MissingStorage { key: String },
    #[error("storage '{key}': the pickle declares {expected} bytes but the file holds {found}")]
    StorageSize {
        key: String,
        expected: u64,
        found: u64,
    },
    /// `view`: dtype, shape, offset and strides as written, e.g. `F32 [4, 3] at offset 2 with strides [3, 1]`.
    #[error(
        "tensor '{name}': {view} reaches byte {reaches} of storage '{key}', which holds {bytes}"
    )]
    ViewOutsideStorage {
        name: String,
        view: String,
        key: String,
        reaches: u128,
        bytes: u64,
    },
    #[error("legacy storage '{key}' ends at byte {end}, past the end of the {size}-byte file (truncated download?)")]
    DataPastEnd { key: String, end: u128, size: u64 },
    #[error("{0}")]
    TooLarge(String),
}

impl TorchProblem {
    /// The stable, machine-readable class of the problem (JSON `code`, `fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            TorchProblem::Zip(_) => "torch_zip",
            TorchProblem::TooManyEntries { .. } => "torch_zip_too_many_entries",
            TorchProblem::NoDataPkl => "torch_no_data_pkl",
            TorchProblem::Compressed { .. } => "torch_compressed_entry",
            TorchProblem::EntryPastEnd { .. } => "truncated",
            TorchProblem::BigEndian { .. } => "torch_big_endian",
            TorchProblem::Pickle { error, .. } => error.fault.code(),
            TorchProblem::Legacy(_) => "torch_legacy_header",
            TorchProblem::BadTensor { .. } => "torch_bad_tensor",
            TorchProblem::MissingStorage { .. } => "torch_missing_storage",
            TorchProblem::StorageSize { .. } => "torch_storage_size",
            TorchProblem::ViewOutsideStorage { .. } => "torch_view_outside_storage",
            TorchProblem::DataPastEnd { .. } => "truncated",
            TorchProblem::TooLarge(_) => "pickle_too_large",
        }
    }
}

/// One problem as data, for JSON output: `{"code", "message", "path"}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorRow {
    pub code: &'static str,
    pub message: String,
    #[serde(serialize_with = "crate::model::path::lossy")]
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

/// A remote source (the Hugging Face Hub, an HTTP(S) URL) that could not be read: what the server said, or why it
/// could not be reached. Never carries a token.
#[derive(Debug, thiserror::Error)]
pub enum RemoteProblem {
    /// This build has no HTTP client (the library without the `remote` feature).
    #[error("remote sources need paramscope built with the `remote` feature")]
    Unsupported,
    /// Not a URL or `hf://` spelling paramscope understands.
    #[error("not a remote source paramscope reads: {0}")]
    BadUrl(String),
    /// 401: the repository is gated or private and no (valid) token was sent.
    #[error("401 Unauthorized: the repository is gated or private; set HF_TOKEN or log in (`hf auth login`)")]
    Unauthorized,
    /// 403: a token was sent but grants no access.
    #[error("403 Forbidden: the token has no access to this repository; request access on its model page")]
    Forbidden,
    /// 404 with `X-Error-Code: RepoNotFound` (the Hub also says so for a private repository without a token).
    #[error("repository not found (a private repository needs HF_TOKEN)")]
    RepoNotFound,
    /// 404 with `X-Error-Code: RevisionNotFound`.
    #[error("revision not found in the repository")]
    RevisionNotFound,
    /// 404 with `X-Error-Code: EntryNotFound`, or a plain 404.
    #[error("file not found (HTTP 404)")]
    NotFound,
    /// Any other status.
    #[error("HTTP {status}{}", if reason.is_empty() { String::new() } else { format!(": {reason}") })]
    Status { status: u16, reason: String },
    /// No connection: the name does not resolve, the connection is refused or reset.
    #[error("cannot connect: {0}")]
    Network(String),
    /// The server did not answer within the timeout.
    #[error("timed out: {0} (PARAMSCOPE_HTTP_TIMEOUT sets the seconds to wait)")]
    Timeout(String),
    #[error("more than {max} redirects")]
    TooManyRedirects { max: u32 },
    /// A 200 answer with the whole body to a range request: abandoned at once, never downloaded.
    #[error("the server ignores range requests (answered 200 with the whole {size} file); not downloading it")]
    RangeIgnored { size: String },
    /// A `Content-Range` (or length) other than the range asked for: a lying or broken server.
    #[error("asked for bytes {asked}, the server answered {answered}")]
    BadRange { asked: String, answered: String },
    /// The body ended before the range asked for did.
    #[error("asked for {asked} bytes, the server sent {got}")]
    ShortBody { asked: u64, got: u64 },
    /// The Hub's API answered something that is not what it documents.
    #[error("unexpected answer from the Hub API: {0}")]
    Api(String),
    /// A repository without safetensors or GGUF weights.
    #[error("no *.safetensors, *.safetensors.index.json or *.gguf in the repository{listing}")]
    NoWeights { listing: String },
    /// A repository with several GGUF files and none chosen.
    #[error(
        "holds {count} GGUF models; name one (hf://REPO/FILE.gguf) or pass --quant: {listing}"
    )]
    ChooseGguf { count: usize, listing: String },
    /// `--quant` matched no GGUF file of the repository (or several).
    #[error("--quant {quant} matches {matched} of the GGUF files: {listing}")]
    QuantNotFound {
        quant: String,
        matched: usize,
        listing: String,
    },
    /// `HF_HUB_OFFLINE=1` and the revision is not complete in the local cache.
    #[error("not in the local cache ({cache}) and HF_HUB_OFFLINE is set")]
    NotCached { cache: String },
    /// A command that reads every tensor's data refuses a remote source rather than download it.
    #[error("{command}: needs every tensor's data, and a remote source is not downloaded; download it first (`hf download REPO`) and name the local copy")]
    NeedsData { command: &'static str },
}

impl RemoteProblem {
    /// The stable, machine-readable class of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            RemoteProblem::Unsupported => "remote_unsupported",
            RemoteProblem::BadUrl(_) => "remote_bad_url",
            RemoteProblem::Unauthorized => "remote_unauthorized",
            RemoteProblem::Forbidden => "remote_forbidden",
            RemoteProblem::RepoNotFound => "remote_repo_not_found",
            RemoteProblem::RevisionNotFound => "remote_revision_not_found",
            RemoteProblem::NotFound => "remote_not_found",
            RemoteProblem::Status { .. } => "remote_http_status",
            RemoteProblem::Network(_) => "remote_network",
            RemoteProblem::Timeout(_) => "remote_timeout",
            RemoteProblem::TooManyRedirects { .. } => "remote_redirects",
            RemoteProblem::RangeIgnored { .. } => "remote_no_range",
            RemoteProblem::BadRange { .. } | RemoteProblem::ShortBody { .. } => "remote_bad_range",
            RemoteProblem::Api(_) => "remote_api",
            RemoteProblem::NoWeights { .. } => "empty_directory",
            RemoteProblem::ChooseGguf { .. } | RemoteProblem::QuantNotFound { .. } => {
                "remote_choose_file"
            }
            RemoteProblem::NotCached { .. } => "remote_not_cached",
            RemoteProblem::NeedsData { .. } => "remote_needs_data",
        }
    }
}

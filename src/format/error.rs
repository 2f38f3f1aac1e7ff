//! Input problems as data: each variant is one broken rule, with the numbers that show it broken.
//! The binary prints `error: PATH: MESSAGE` and exits 2 for any of them.

use crate::model::units;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with one input file, named by the path the user would recognise.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct InputError {
    /// The file the problem is in, as the user named it or as discovery found it (a shard, a GGUF part).
    pub path: PathBuf,
    /// Boxed: results carrying this error stay small on the happy path.
    pub problem: Box<Problem>,
}

impl InputError {
    /// A problem with the file at `path`.
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
    /// One entry per failing file, in the order the files were read; never empty when returned by a reader.
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
#[non_exhaustive]
pub enum Problem {
    /// The operating system refused to open or read the file (missing, permission denied, I/O error).
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The file has zero bytes.
    #[error("file is empty")]
    Empty,
    /// A tensor name (carried) that a header or index lists more than once.
    #[error("tensor name '{0}' appears more than once in the header")]
    DuplicateTensor(String),
    /// A tensor whose shape's element count overflows `u64`.
    #[error("tensor '{name}': shape {shape:?} has more elements than fit in 64 bits")]
    ShapeOverflow {
        /// The tensor's name as written in the file.
        name: String,
        /// The shape as written, outermost dimension first.
        shape: Vec<u64>,
    },
    /// The file's length differs from what it was when its header was read, by the time its data was read.
    #[error("file is now {found_grouped} bytes but was {expected_grouped} when its header was read (changed or truncated since?)", found_grouped = grouped(.found), expected_grouped = grouped(.expected))]
    ChangedSinceRead {
        /// The length in bytes when the header was read.
        expected: u64,
        /// The length in bytes now.
        found: u64,
    },
    /// The file ended (or went on) elsewhere than its length when it was opened, while its bytes were being read:
    /// another process truncated, extended or rewrote it.
    #[error("changed while being read (expected {expected_grouped} bytes, got {found_grouped})", expected_grouped = grouped(.expected), found_grouped = grouped(.found))]
    ChangedWhileRead {
        /// The length in bytes when the file was opened.
        expected: u64,
        /// The number of bytes actually read, or the length found at the end.
        found: u64,
    },
    /// A list of reference hashes (`verify --sha256 FILE`) that cannot be read as one.
    #[error("{0}")]
    BadManifest(String),
    /// A `config.json` named on the command line (`footprint --config FILE`) that cannot be used.
    #[error("{0}")]
    BadConfig(String),
    /// What a PATH names cannot be read as a checkpoint at all.
    #[error(transparent)]
    Discovery(#[from] DiscoveryProblem),
    /// A broken rule of a safetensors header or data region.
    #[error(transparent)]
    Safetensors(#[from] HeaderProblem),
    /// A broken rule of a sharded index, or a disagreement between the index and its shards.
    #[error(transparent)]
    Sharded(#[from] ShardedProblem),
    /// A broken rule of a GGUF file or multi-part set.
    #[error(transparent)]
    Gguf(#[from] GgufProblem),
    /// A broken rule of a PyTorch checkpoint.
    #[error(transparent)]
    Torch(#[from] TorchProblem),
    #[error(transparent)]
    /// A remote source that could not be read (HTTP, the Hub's API, the local cache offline).
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
            Problem::BadConfig(_) => "bad_config",
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
#[non_exhaustive]
pub enum DiscoveryProblem {
    /// The path is neither a folder nor a file of a kind paramscope recognises.
    #[error("not a file or directory paramscope can read (expected .safetensors, *.safetensors.index.json, .gguf, PyTorch .bin/.pt/.pth/.ckpt or a folder)")]
    UnknownKind,
    /// A folder that holds no weight files at all.
    #[error(
        "no checkpoint found in this directory (no *.safetensors, *.safetensors.index.json, *.gguf or PyTorch *.bin/*.pt/*.pth)"
    )]
    EmptyDirectory,
    /// A folder whose only weight files are in formats paramscope does not read (`pytorch_model.bin`).
    #[error("no checkpoint paramscope reads in this directory: {file} is {what}")]
    OnlyForeign {
        /// The name of the first weight file found.
        file: String,
        /// What that file is, in words (e.g. "a PyTorch pickle").
        what: String,
    },
    /// A PyTorch pickle, HDF5 or ONNX file, recognised by its first bytes (see format/foreign.rs).
    #[error("{format}: {advice}")]
    ForeignFormat {
        /// The format recognised, in words (e.g. "ONNX model").
        format: String,
        /// What the user can do instead, e.g. how to convert the file.
        advice: &'static str,
    },
    /// `~/.cache/huggingface/hub/models--ORG--NAME` holds `blobs/`, `refs/` and `snapshots/REV/`: the checkpoint
    /// is a snapshot, which a user naming the repository folder would not guess from "no checkpoint found".
    #[error(
        "a Hugging Face cache repository, not a checkpoint folder: name a snapshot ({snapshot})"
    )]
    CacheRepository {
        /// The path of a snapshot folder to name instead.
        snapshot: String,
    },
    /// A Hugging Face cache repository without the snapshot asked for (`--revision`, else `refs/main`, else the
    /// only one).
    #[error(
        "a Hugging Face cache repository with no snapshot for revision '{revision}' (refs: {}; snapshots: {}); \
         pick one with --revision REF or name its snapshots/COMMIT folder",
        listed(refs), listed(snapshots)
    )]
    NoSnapshot {
        /// The revision asked for.
        revision: String,
        /// The snapshot folders the repository holds.
        snapshots: Vec<String>,
        /// The refs the repository holds (`main`, …).
        refs: Vec<String>,
    },
    /// A part of a series named `NAME-00002-of-00003` (GGUF parts, or safetensors shards without an index).
    #[error("part {part} of {count} ('{file}') is missing")]
    MissingPart {
        /// The 1-based number of the missing part.
        part: u64,
        /// How many parts the series' names say there are.
        count: u64,
        /// The file name the missing part would have.
        file: String,
    },
}

/// `a, b` or `none`, for lists in messages.
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
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
            DiscoveryProblem::NoSnapshot { .. } => "no_snapshot",
            DiscoveryProblem::MissingPart { .. } => "missing_shard",
        }
    }
}

/// A broken rule of one safetensors file's header or of its data region's length (docs/FORMATS.md §1).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// The file is shorter than the 8-byte little-endian header length that starts every safetensors file.
    #[error("file is {len_grouped} bytes, too small for the 8-byte header length", len_grouped = grouped(.len))]
    HeaderTooSmall {
        /// The file's length in bytes.
        len: u64,
    },
    /// The header length exceeds the format's 100,000,000-byte limit (a corrupt or hostile length prefix).
    #[error("header length {claimed_grouped} exceeds the safetensors limit of 100,000,000 bytes", claimed_grouped = grouped(.claimed))]
    HeaderTooLarge {
        /// The header length the prefix claims, in bytes.
        claimed: u64,
    },
    /// The header length points past the end of the file.
    #[error("header length {claimed_grouped} goes past the end of the file ({available_grouped} bytes follow the length prefix; truncated download?)", available_grouped = grouped(.available), claimed_grouped = grouped(.claimed))]
    HeaderPastEnd {
        /// The header length the prefix claims, in bytes.
        claimed: u64,
        /// How many bytes follow the 8-byte prefix.
        available: u64,
    },
    /// The header bytes are not UTF-8.
    #[error("header is not valid UTF-8 (invalid byte at header offset {at})")]
    HeaderNotUtf8 {
        /// The offset of the first invalid byte, counted from the start of the header (after the prefix).
        at: usize,
    },
    /// The header is JSON-like text but its top level is not an object.
    #[error("header is not a JSON object (it starts with {first:?})")]
    HeaderNotObject {
        /// The header's first characters, for the message.
        first: String,
    },
    /// The header is not valid JSON; carries the parser's message.
    #[error("header is not valid JSON: {0}")]
    HeaderJson(String),
    /// A tensor's `dtype` is not one safetensors defines.
    #[error("tensor '{name}': unknown dtype '{dtype}'")]
    UnknownDtype {
        /// The tensor's name.
        name: String,
        /// The dtype string as written.
        dtype: String,
    },
    /// A tensor's entry is malformed (missing or mistyped `dtype`, `shape` or `data_offsets`).
    #[error("tensor '{name}': {reason}")]
    BadTensorEntry {
        /// The tensor's name.
        name: String,
        /// What is wrong with the entry, in words.
        reason: String,
    },
    /// A tensor's `data_offsets` end before they begin.
    #[error("tensor '{name}': data_offsets [{begin}, {end}] end before they begin")]
    OffsetsReversed {
        /// The tensor's name.
        name: String,
        /// The begin offset, relative to the start of the data region.
        begin: u64,
        /// The end offset (exclusive), relative to the start of the data region.
        end: u64,
    },
    /// A tensor of a sub-byte dtype whose element count does not fill a whole number of bytes.
    #[error("tensor '{name}': {dtype} {shape:?} holds {bits} bits, not a whole number of bytes")]
    PartialByte {
        /// The tensor's name.
        name: String,
        /// The dtype as written.
        dtype: String,
        /// The shape as written, outermost dimension first.
        shape: Vec<u64>,
        /// The total number of bits the tensor's elements take.
        bits: u128,
    },
    /// A tensor's `data_offsets` span a different number of bytes than its dtype and shape need.
    #[error("tensor '{name}': {dtype} {shape:?} needs {expected_grouped} bytes but data_offsets [{begin}, {end}] span {actual_grouped}", expected_grouped = grouped(.expected), actual_grouped = grouped(.actual))]
    SizeMismatch {
        /// The tensor's name.
        name: String,
        /// The dtype as written.
        dtype: String,
        /// The shape as written, outermost dimension first.
        shape: Vec<u64>,
        /// The bytes the dtype and shape need.
        expected: u64,
        /// The begin offset, relative to the start of the data region.
        begin: u64,
        /// The end offset (exclusive), relative to the start of the data region.
        end: u64,
        /// The bytes the offsets span (`end - begin`).
        actual: u64,
    },
    /// The first tensor in offset order does not start at byte 0 of the data region.
    #[error("tensor '{name}' starts at byte {begin} but the data region must start with a tensor at byte 0 ({begin_grouped} bytes unaccounted for)", begin_grouped = grouped(.begin))]
    GapAtStart {
        /// The name of the tensor with the lowest begin offset.
        name: String,
        /// Its begin offset: the number of leading bytes that belong to no tensor.
        begin: u64,
    },
    /// Bytes between two tensors (in offset order) that belong to neither.
    #[error("tensor '{name}' starts at byte {begin} but '{previous}' ends at byte {previous_end}: {gap_grouped} bytes belong to no tensor", gap_grouped = grouped(.gap))]
    OffsetGap {
        /// The tensor after the gap.
        name: String,
        /// Its begin offset, relative to the start of the data region.
        begin: u64,
        /// The tensor before the gap.
        previous: String,
        /// Where that tensor ends (exclusive), relative to the start of the data region.
        previous_end: u64,
        /// The gap's length in bytes.
        gap: u64,
    },
    /// Two tensors whose byte ranges overlap.
    #[error("tensor '{name}' starts at byte {begin} but '{previous}' ends at byte {previous_end}: {overlap_grouped} bytes overlap", overlap_grouped = grouped(.overlap))]
    OffsetOverlap {
        /// The tensor that starts inside the previous one.
        name: String,
        /// Its begin offset, relative to the start of the data region.
        begin: u64,
        /// The tensor it overlaps.
        previous: String,
        /// Where that tensor ends (exclusive), relative to the start of the data region.
        previous_end: u64,
        /// The overlap's length in bytes.
        overlap: u64,
    },
    /// The file ends before the last tensor's data does (typically an interrupted download).
    #[error("expected {expected_grouped} bytes, found {found_grouped} (truncated download?): tensor '{last}' data ends at byte {data_end} of a {data_region_grouped}-byte data region", expected_grouped = grouped(.expected), data_region_grouped = grouped(.data_region), found_grouped = grouped(.found))]
    Truncated {
        /// The file length in bytes the header implies.
        expected: u64,
        /// The file's actual length in bytes.
        found: u64,
        /// The name of the tensor whose data ends last.
        last: String,
        /// Where that tensor's data ends, relative to the start of the data region.
        data_end: u64,
        /// How many bytes of data region the file actually holds.
        data_region: u64,
    },
    /// The file goes on after the last tensor's data.
    #[error("{trailing_grouped} trailing bytes after the last tensor (the tensors end at byte {expected}, the file is {found_grouped} bytes)", found_grouped = grouped(.found), trailing_grouped = grouped(.trailing))]
    TrailingBytes {
        /// How many bytes follow the last tensor.
        trailing: u64,
        /// The file length in bytes the header implies.
        expected: u64,
        /// The file's actual length in bytes.
        found: u64,
    },
    /// The `__metadata__` entry is not an object of strings; carries what is wrong.
    #[error("__metadata__ {0}")]
    BadMetadata(String),
    /// The header passed paramscope's own checks but the safetensors crate (the reference reader) refused it;
    /// carries its reason.
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
#[non_exhaustive]
pub enum ShardedProblem {
    /// The index file is not valid JSON, or not a JSON object; carries the reason.
    #[error("index is not valid JSON: {0}")]
    IndexJson(String),
    /// The index has no `weight_map` object.
    #[error("index has no \"weight_map\" object{hint}")]
    IndexNoWeightMap {
        /// Extra advice for the message (starts with a space), or empty.
        hint: String,
    },
    /// A `weight_map` value is not a string.
    #[error("index: weight_map entry '{name}' is not a string file name")]
    IndexBadEntry {
        /// The tensor name whose value is wrong.
        name: String,
    },
    /// A known `metadata` entry (such as `total_size`) is not a non-negative integer.
    #[error("index: metadata.{key} is not a non-negative integer ({value})")]
    IndexBadMetadata {
        /// The metadata key.
        key: String,
        /// The value as written, in JSON.
        value: String,
    },
    /// The index names a shard outside the index's folder (an absolute path, `..`, or a symlink out of it when
    /// symlinks are not followed).
    #[error("index names shard '{shard}', which is outside the checkpoint's folder")]
    ShardOutsideFolder {
        /// The shard file name as written in the index (with the symlink's target when that is the reason).
        shard: String,
    },
    /// A shard the index names does not exist.
    #[error("shard '{shard}' named by the index does not exist")]
    MissingShard {
        /// The shard file name as written in the index.
        shard: String,
    },
    /// The index maps a tensor to a shard whose header does not list it.
    #[error("tensor '{name}' is mapped to '{expected}' but is not in that shard")]
    TensorNotInShard {
        /// The tensor's name.
        name: String,
        /// The shard the index maps it to.
        expected: String,
    },
    /// A tensor is in a different shard than the index says.
    #[error("tensor '{name}' is in shard '{shard}' but the index maps it to '{expected}'")]
    TensorInWrongShard {
        /// The tensor's name.
        name: String,
        /// The shard that holds it.
        shard: String,
        /// The shard the index maps it to.
        expected: String,
    },
    /// A shard holds a tensor that the index does not list.
    #[error("tensor '{name}' is in shard '{shard}' but not in the index's weight_map")]
    TensorNotInIndex {
        /// The tensor's name.
        name: String,
        /// The shard that holds it.
        shard: String,
    },
    /// The same tensor name is in two files of one checkpoint.
    #[error("tensor '{name}' is in more than one file: '{first}' and '{second}'")]
    TensorInTwoFiles {
        /// The tensor's name.
        name: String,
        /// The first file holding it.
        first: String,
        /// The second file holding it.
        second: String,
    },
    /// The index's `metadata.total_size` differs from the bytes of tensor data the shards hold.
    #[error(
        "index metadata.total_size is {claimed_grouped} but the shards hold {actual_grouped} bytes of tensor data",
        claimed_grouped = grouped(.claimed),
        actual_grouped = grouped(.actual)
    )]
    TotalSizeMismatch {
        /// The total the index claims, in bytes.
        claimed: u64,
        /// The sum of the shards' tensor data, in bytes.
        actual: u64,
    },
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
#[non_exhaustive]
pub enum GgufProblem {
    /// The file does not start with the magic `GGUF`.
    #[error("not a GGUF file: it starts with {found:?}, not \"GGUF\"")]
    BadMagic {
        /// The first bytes found, for the message.
        found: String,
    },
    /// A GGUF version other than 2 or 3.
    #[error("GGUF version {version} is not supported ({reason})")]
    UnsupportedVersion {
        /// The version the file declares.
        version: u32,
        /// Why it is not read, with what to do.
        reason: &'static str,
    },
    /// A big-endian GGUF file, recognised by its byte-swapped version number.
    #[error("big-endian GGUF (the version reads as {read:#010x}, byte-swapped {swapped}); only little-endian files are supported")]
    BigEndian {
        /// The version as read in little-endian order.
        read: u32,
        /// The version byte-swapped (what the file means).
        swapped: u32,
    },
    /// The file ends inside its header, metadata or tensor table.
    #[error("file ends inside the GGUF header: {what} needs {needed_grouped} bytes at byte {at}, but the file is {size_grouped} bytes (truncated download?)", needed_grouped = grouped(.needed), size_grouped = grouped(.size))]
    HeaderTruncated {
        /// The field being read (e.g. "type of tensor 'x'").
        what: String,
        /// The file offset of that field.
        at: u64,
        /// The bytes that field needs.
        needed: u64,
        /// The file's length in bytes.
        size: u64,
    },
    /// A metadata or tensor count too large for the rest of the file even at the smallest size per entry.
    #[error("{what} is {count}, which needs at least {min_bytes_grouped} bytes, but only {available_grouped} bytes follow in the file", min_bytes_grouped = grouped(.min_bytes), available_grouped = grouped(.available))]
    CountTooLarge {
        /// Which count: `metadata_kv_count` or `tensor_count`.
        what: &'static str,
        /// The count the file declares.
        count: u64,
        /// The fewest bytes that many entries could take.
        min_bytes: u128,
        /// The bytes that follow in the file.
        available: u64,
    },
    /// A string whose declared length goes past the end of the file.
    #[error("{what}: string length {length} at byte {at} goes past the end of the file ({available_grouped} bytes follow)", available_grouped = grouped(.available))]
    StringPastEnd {
        /// The string being read (a key, a value, a tensor name).
        what: String,
        /// The file offset of the string's length prefix.
        at: u64,
        /// The declared length in bytes.
        length: u64,
        /// The bytes that follow in the file.
        available: u64,
    },
    /// An array whose declared length cannot fit in the rest of the file.
    #[error("{what}: array of {length} {element} elements at byte {at} needs at least {min_bytes_grouped} bytes, but only {available_grouped} follow in the file", min_bytes_grouped = grouped(.min_bytes), available_grouped = grouped(.available))]
    ArrayPastEnd {
        /// The array being read (its metadata key).
        what: String,
        /// The file offset of the array's length prefix.
        at: u64,
        /// The declared number of elements.
        length: u64,
        /// The element type's name.
        element: String,
        /// The fewest bytes that many elements could take.
        min_bytes: u128,
        /// The bytes that follow in the file.
        available: u64,
    },
    /// A metadata value type number GGUF does not define.
    #[error("{what}: unknown value type {value_type} at byte {at} (GGUF defines 0..=12)")]
    UnknownValueType {
        /// The value being read (its metadata key).
        what: String,
        /// The file offset of the type number.
        at: u64,
        /// The type number found.
        value_type: u32,
    },
    /// A metadata key (carried) that appears more than once.
    #[error("metadata key '{0}' appears more than once")]
    DuplicateKey(String),
    /// A metadata value paramscope relies on has the wrong type or an impossible value (e.g. a bad
    /// `general.alignment`, arrays nested too deep).
    #[error("metadata '{key}': {reason}")]
    BadMetadata {
        /// The metadata key.
        key: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// A tensor's ggml type number is not one paramscope knows.
    #[error("tensor '{name}': {reason}")]
    UnknownTensorType {
        /// The tensor's name.
        name: String,
        /// The type number and what is known about it.
        reason: String,
    },
    /// A tensor's ggml type was removed from ggml (e.g. `Q4_2`); current tools cannot read it either.
    #[error("tensor '{name}': {reason}")]
    RetiredTensorType {
        /// The tensor's name.
        name: String,
        /// Which type it is and what to do.
        reason: String,
    },
    /// A tensor with more than the 4 dimensions GGUF allows.
    #[error("tensor '{name}' has {n_dims} dimensions; GGUF allows at most 4")]
    TooManyDims {
        /// The tensor's name.
        name: String,
        /// The number of dimensions it declares.
        n_dims: u32,
    },
    /// A block-quantized tensor whose innermost dimension is not a multiple of the block size.
    #[error("tensor '{name}': {dtype} stores blocks of {block} elements, but its innermost dimension is {inner} (ggml dims {dims:?})")]
    PartialBlock {
        /// The tensor's name.
        name: String,
        /// The ggml type's name.
        dtype: String,
        /// Elements per block of that type.
        block: u32,
        /// The innermost dimension (ggml's `ne[0]`).
        inner: u64,
        /// The dimensions in ggml's order, innermost first.
        dims: Vec<u64>,
    },
    /// A tensor's data offset is not a multiple of the file's alignment.
    #[error(
        "tensor '{name}': data offset {offset} is not a multiple of the alignment {alignment}"
    )]
    OffsetMisaligned {
        /// The tensor's name.
        name: String,
        /// Its offset, relative to the start of the data section.
        offset: u64,
        /// The file's alignment in bytes (`general.alignment`, 32 by default).
        alignment: u64,
    },
    /// A tensor is not where ggml expects it: tensors follow each other in header order, each aligned.
    #[error("tensor '{name}' is at data offset {offset}, but ggml expects {expected}: tensors must follow each other in header order, each at the previous one's end rounded up to the alignment")]
    OffsetOrder {
        /// The tensor's name.
        name: String,
        /// Its offset, relative to the start of the data section.
        offset: u64,
        /// The offset ggml expects: the previous tensor's end rounded up to the alignment.
        expected: u64,
    },
    /// Bytes between two tensors, beyond alignment padding, that belong to neither.
    #[error("tensor '{name}' is at data offset {offset}, but the previous tensor ends (padded to the alignment) at {expected}: {gap_grouped} bytes belong to no tensor", gap_grouped = grouped(.gap))]
    OffsetGap {
        /// The tensor after the gap.
        name: String,
        /// Its offset, relative to the start of the data section.
        offset: u64,
        /// Where the previous tensor ends, padded to the alignment.
        expected: u64,
        /// The gap's length in bytes.
        gap: u64,
    },
    /// A tensor's data ends past the end of the file (typically an interrupted download).
    #[error("tensor '{name}': data ends at byte {data_end} of the file, which is {size_grouped} bytes (truncated download?)", size_grouped = grouped(.size))]
    DataPastEnd {
        /// The tensor's name.
        name: String,
        /// The file offset where its data ends.
        data_end: u128,
        /// The file's length in bytes.
        size: u64,
    },
    /// The parts of a multi-part GGUF disagree about the split (count, numbering, tensor total); carries which way.
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
#[non_exhaustive]
pub enum TorchProblem {
    /// The file is not a readable zip archive; carries the zip reader's reason.
    #[error("not a readable zip archive: {0}")]
    Zip(String),
    /// The zip archive has more entries than any checkpoint would.
    #[error("the zip archive lists {count} entries; more than {max} is not a checkpoint")]
    TooManyEntries {
        /// The number of entries the archive lists.
        count: usize,
        /// The most paramscope accepts.
        max: usize,
    },
    /// A zip archive without the `data.pkl` that `torch.save` writes.
    #[error("a zip archive without a data.pkl: not a torch.save checkpoint")]
    NoDataPkl,
    /// An entry is compressed, where `torch.save` stores entries uncompressed so they can be read in place.
    #[error("entry '{entry}' is compressed ({method}); torch.save stores entries uncompressed, and paramscope reads them in place")]
    Compressed {
        /// The entry's name inside the archive.
        entry: String,
        /// The compression method's name.
        method: String,
    },
    /// An entry's data goes past the end of the file.
    #[error(
        "entry '{entry}' is {size_grouped} bytes, past the end of the {file_size_grouped}-byte file (truncated?)",
        size_grouped = grouped(.size),
        file_size_grouped = grouped(.file_size)
    )]
    EntryPastEnd {
        /// The entry's name inside the archive.
        entry: String,
        /// The entry's size in bytes.
        size: u64,
        /// The file's length in bytes.
        file_size: u64,
    },
    /// The checkpoint declares big-endian storages.
    #[error("{what} says the storages are big-endian; only little-endian checkpoints are read")]
    BigEndian {
        /// Where it says so (the archive's `byteorder` entry, or a legacy file's `sys_info`).
        what: String,
    },
    /// A pickle could not be read (malformed, refused or too large).
    #[error("{what}: {error}")]
    Pickle {
        /// Which pickle (e.g. the archive's `data.pkl`).
        what: String,
        /// The pickle reader's error, with its byte offset.
        error: crate::format::torch::pickle::PickleError,
    },
    /// A file that looks like a legacy (pre-zip) `torch.save` file but is not one; carries the reason.
    #[error("not a legacy torch.save file: {0}")]
    Legacy(String),
    /// A tensor the pickle describes cannot be one (unknown storage type, impossible shape or strides).
    #[error("tensor '{name}': {reason}")]
    BadTensor {
        /// The tensor's key path in the pickled object.
        name: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// The pickle names a storage the file does not hold.
    #[error("storage '{key}' named by the pickle is not in the file")]
    MissingStorage {
        /// The storage's key.
        key: String,
    },
    /// A storage's size in the pickle differs from the bytes the file holds for it.
    #[error("storage '{key}': the pickle declares {expected_grouped} bytes but the file holds {found_grouped}", expected_grouped = grouped(.expected), found_grouped = grouped(.found))]
    StorageSize {
        /// The storage's key.
        key: String,
        /// The bytes the pickle declares (element count times element size).
        expected: u64,
        /// The bytes the file holds.
        found: u64,
    },
    /// `view`: dtype, shape, offset and strides as written, e.g. `F32 [4, 3] at offset 2 with strides [3, 1]`.
    #[error(
        "tensor '{name}': {view} reaches byte {reaches} of storage '{key}', which holds {bytes}"
    )]
    ViewOutsideStorage {
        /// The tensor's key path in the pickled object.
        name: String,
        /// The tensor's dtype, shape, storage offset and strides as written.
        view: String,
        /// The storage's key.
        key: String,
        /// The byte (exclusive) the view reaches, relative to the start of the storage.
        reaches: u128,
        /// The storage's length in bytes.
        bytes: u64,
    },
    /// A legacy file's storage goes past the end of the file.
    #[error("legacy storage '{key}' ends at byte {end}, past the end of the {size_grouped}-byte file (truncated download?)", size_grouped = grouped(.size))]
    DataPastEnd {
        /// The storage's key.
        key: String,
        /// The file offset where the storage ends.
        end: u128,
        /// The file's length in bytes.
        size: u64,
    },
    /// The pickled object is too large or too deep to walk (a limit against hostile files); carries which limit.
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
#[non_exhaustive]
pub struct ErrorRow {
    /// The problem's stable class, as from [`Problem::code`].
    pub code: &'static str,
    /// The problem in words, as the binary prints it after the path.
    pub message: String,
    /// The file the problem is in (lossy UTF-8 in JSON).
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
}

impl LoadError {
    /// One row per failing file, in order, for the JSON `errors` list.
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
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's reason phrase or error message, possibly empty.
        reason: String,
    },
    /// No connection: the name does not resolve, the connection is refused or reset.
    #[error("cannot connect: {0}")]
    Network(String),
    /// The server did not answer within the timeout.
    #[error("timed out: {0} (PARAMSCOPE_HTTP_TIMEOUT sets the seconds to wait)")]
    Timeout(String),
    /// Redirects beyond the bound followed.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The most redirects followed.
        max: u32,
    },
    /// A 200 answer with the whole body to a range request: abandoned at once, never downloaded.
    #[error("the server ignores range requests (answered 200 with the whole {size} file); not downloading it")]
    RangeIgnored {
        /// The file's size as the server gave it, in words.
        size: String,
    },
    /// A `Content-Range` (or length) other than the range asked for: a lying or broken server.
    #[error("asked for bytes {asked}, the server answered {answered}")]
    BadRange {
        /// The range asked for.
        asked: String,
        /// The range or length the server answered.
        answered: String,
    },
    /// The body ended before the range asked for did.
    #[error("asked for {asked_grouped} bytes, the server sent {got_grouped}", asked_grouped = grouped(.asked), got_grouped = grouped(.got))]
    ShortBody {
        /// Bytes asked for.
        asked: u64,
        /// Bytes received.
        got: u64,
    },
    /// The Hub's API answered something that is not what it documents.
    #[error("unexpected answer from the Hub API: {0}")]
    Api(String),
    /// A repository without safetensors or GGUF weights.
    #[error("no *.safetensors, *.safetensors.index.json or *.gguf in the repository{listing}")]
    NoWeights {
        /// What the repository holds, for the message (empty or a `: …` list).
        listing: String,
    },
    /// A repository with several GGUF files and none chosen.
    #[error(
        "holds {count} GGUF models; name one (hf://REPO/FILE.gguf) or pass --quant: {listing}"
    )]
    ChooseGguf {
        /// How many GGUF models the repository holds.
        count: usize,
        /// Their names and sizes.
        listing: String,
    },
    /// `--quant` matched no GGUF file of the repository (or several).
    #[error("--quant {quant} matches {matched} of the GGUF files: {listing}")]
    QuantNotFound {
        /// The quantisation asked for.
        quant: String,
        /// How many GGUF files it matched (0 or more than 1).
        matched: usize,
        /// The repository's GGUF files.
        listing: String,
    },
    /// `HF_HUB_OFFLINE=1` and the revision is not complete in the local cache.
    #[error("not in the local cache ({cache}) and HF_HUB_OFFLINE is set")]
    NotCached {
        /// The cache folder looked in.
        cache: String,
    },
    /// A command that reads every tensor's data refuses a remote source rather than download it.
    #[error("{command}: needs every tensor's data, and a remote source is not downloaded; download it first (`hf download REPO`) and name the local copy")]
    NeedsData {
        /// The command refused (`stats`, `diff --values`, …).
        command: &'static str,
    },
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

/// A byte count in a message, with thousands separators ("header claims 123,456,789 bytes"): a count of that size
/// is read by its groups, and the error codes, not the wording, are what scripts match.
fn grouped<T: Copy + TryInto<u64>>(n: &T) -> String {
    (*n).try_into()
        .map_or_else(|_| "?".to_string(), units::grouped)
}

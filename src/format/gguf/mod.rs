//! The GGUF reader (llama.cpp, Ollama, LM Studio): header, metadata and tensor infos in, `FileInfo` + `Tensor`s +
//! typed metadata out (docs/FORMATS.md §4).
//!
//! Like the safetensors reader it uses plain buffered reads of the header region, never a memory map, and
//! checks every count and length against the bytes left in the file before acting on it.

mod cursor;
pub mod hparams;
pub mod split;
mod tensors;
pub mod values;

use crate::format::error::{GgufProblem, InputError, Problem};
use crate::model::checkpoint::{FileInfo, Tensor};
use crate::model::metadata::{MetaValue, MetadataDetail};
use cursor::Cursor;
use std::collections::HashSet;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

pub use tensors::MAX_DIMS;

/// The four bytes every GGUF file starts with.
pub const MAGIC: &[u8; 4] = b"GGUF";
/// ggml's default when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u32 = 32;
const ALIGNMENT_KEY: &str = "general.alignment";
/// The fewest bytes a key/value can take: key length, value type, a one-byte value.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;

/// One parsed GGUF file (tensors have `file` 0 for the caller to set).
#[derive(Debug)]
pub struct ParsedGguf {
    /// The file's description (size, header length, version); its metadata are in `metadata`, not here.
    pub info: FileInfo,
    /// The tensors, in the tensor table's order, shapes outermost first.
    pub tensors: Vec<Tensor>,
    /// Every metadata key/value, in file order.
    pub metadata: Vec<(String, MetaValue)>,
    /// The GGUF version (2 or 3).
    pub version: u32,
    /// The tensor data alignment in bytes (`general.alignment`, or 32 when absent).
    pub alignment: u32,
    /// Things worth telling the user that do not make the file unusable.
    pub notes: Vec<String>,
}

impl ParsedGguf {
    /// A metadata value by key.
    pub fn meta(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Reads and validates the GGUF file at `path`; errors name `shown` as the file.
pub fn read(path: &Path, shown: &Path, detail: MetadataDetail) -> Result<ParsedGguf, InputError> {
    let err = |problem| InputError::new(shown, problem);
    let file = super::open_regular(path).map_err(|e| err(Problem::Io(e)))?;
    let size = file.metadata().map_err(|e| err(Problem::Io(e)))?.len();
    let reader = BufReader::with_capacity(1 << 16, file);
    parse(Cursor::new(reader, size), shown, detail).map_err(|problem| match problem {
        // A misnamed PyTorch or HDF5 file is named as what it is.
        Problem::Gguf(GgufProblem::BadMagic { .. }) => {
            err(super::foreign::sniff(path).map_or(problem, super::foreign::Foreign::problem))
        }
        problem => err(problem),
    })
}

/// The same as [`read`] for a file already in memory (fuzzing, tests).
pub fn read_bytes(
    bytes: &[u8],
    shown: &Path,
    detail: MetadataDetail,
) -> Result<ParsedGguf, InputError> {
    let c = Cursor::new(std::io::Cursor::new(bytes), bytes.len() as u64);
    parse(c, shown, detail).map_err(|p| InputError::new(shown, p))
}

/// Whether the first bytes say GGUF (for files without the `.gguf` extension).
pub fn has_magic(path: &Path) -> bool {
    let mut start = [0u8; 4];
    super::open_regular(path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && &start == MAGIC
}

fn parse<R: Read + Seek>(
    mut c: Cursor<R>,
    shown: &Path,
    detail: MetadataDetail,
) -> Result<ParsedGguf, Problem> {
    if c.size() == 0 {
        return Err(Problem::Empty);
    }
    let magic = c.magic()?;
    if &magic != MAGIC {
        return Err(GgufProblem::BadMagic {
            found: String::from_utf8_lossy(&magic).into_owned(),
        }
        .into());
    }
    let version = check_version(c.u32(&|| "the version".into())?)?;
    let tensor_count = c.u64(&|| "tensor_count".into())?;
    let kv_count = c.u64(&|| "metadata_kv_count".into())?;
    check_counts(tensor_count, kv_count, c.remaining())?;

    let mut metadata = Vec::with_capacity(kv_count.min(1024) as usize);
    let mut keys = HashSet::new();
    for i in 0..kv_count {
        let (key, value) = values::read_kv(&mut c, i, detail)?;
        if !keys.insert(key.clone()) {
            return Err(GgufProblem::DuplicateKey(key).into());
        }
        metadata.push((key, value));
    }
    let alignment = alignment(&metadata)?;

    let mut infos = Vec::with_capacity(tensor_count.min(1 << 16) as usize);
    for i in 0..tensor_count {
        infos.push(tensors::read_info(&mut c, i, alignment as u64)?);
    }
    let header_end = c.pos();
    let aligned = tensors::align_up(header_end, alignment as u64).unwrap_or(u64::MAX);
    // ggml and gguf-py pad the header to the alignment even when no tensor follows (gguf-split's metadata-only
    // first part, vocab-only files); ggml's reader seeks there without requiring the file to reach it.
    let data_start = if tensor_count > 0 {
        aligned
    } else {
        aligned.min(c.size())
    };
    if data_start > c.size() {
        return Err(GgufProblem::HeaderTruncated {
            what: "padding before the tensor data".into(),
            at: header_end,
            needed: data_start - header_end,
            size: c.size(),
        }
        .into());
    }
    let (tensors, data_len) = tensors::place(infos, alignment as u64, data_start, c.size())?;

    let mut notes = Vec::new();
    let padded_end = data_start.saturating_add(data_len);
    if c.size() > padded_end {
        // llama.cpp ignores bytes after the data; worth saying, not worth refusing.
        notes.push(format!(
            "{}: {} bytes after the end of the tensor data (at byte {padded_end})",
            shown.display(),
            c.size() - padded_end
        ));
    }
    Ok(ParsedGguf {
        info: FileInfo {
            path: shown.to_path_buf(),
            size_bytes: c.size(),
            header_bytes: data_start,
            tensors: tensors.len(),
            metadata: Vec::new(),
            format_version: Some(version),
        },
        tensors,
        metadata,
        version,
        alignment,
        notes,
    })
}

/// Versions 2 and 3 share one layout. A big-endian file shows its version byte-swapped (3 reads as 0x03000000).
fn check_version(version: u32) -> Result<u32, Problem> {
    match version {
        2 | 3 => Ok(version),
        1 => Err(GgufProblem::UnsupportedVersion {
            version,
            reason: "version 1 used 32-bit counts and lengths; ggml no longer reads it: re-convert the model",
        }.into()),
        v if v & 0xFFFF == 0 && v != 0 => Err(GgufProblem::BigEndian {
            read: v,
            swapped: v.swap_bytes(),
        }.into()),
        _ => Err(GgufProblem::UnsupportedVersion {
            version,
            reason: "paramscope reads versions 2 and 3",
        }.into()),
    }
}

/// The counts must fit in what is left of the file even at the smallest possible size per entry, so a file
/// claiming 2^60 tensors is refused at once instead of read until it runs out.
fn check_counts(tensor_count: u64, kv_count: u64, available: u64) -> Result<(), Problem> {
    let kv_bytes = kv_count as u128 * MIN_KV_BYTES as u128;
    if kv_bytes > available as u128 {
        return Err(GgufProblem::CountTooLarge {
            what: "metadata_kv_count",
            count: kv_count,
            min_bytes: kv_bytes,
            available,
        }
        .into());
    }
    let all = kv_bytes + tensor_count as u128 * tensors::MIN_INFO_BYTES as u128;
    if all > available as u128 {
        return Err(GgufProblem::CountTooLarge {
            what: "tensor_count",
            count: tensor_count,
            min_bytes: all,
            available,
        }
        .into());
    }
    Ok(())
}

/// `general.alignment`: a u32 power of two, as ggml requires; 32 when absent.
fn alignment(metadata: &[(String, MetaValue)]) -> Result<u32, Problem> {
    let Some((_, value)) = metadata.iter().find(|(k, _)| k == ALIGNMENT_KEY) else {
        return Ok(DEFAULT_ALIGNMENT);
    };
    let bad = |reason: String| {
        GgufProblem::BadMetadata {
            key: ALIGNMENT_KEY.into(),
            reason,
        }
        .into()
    };
    match value {
        MetaValue::U32(a) if a.is_power_of_two() => Ok(*a),
        MetaValue::U32(a) => Err(bad(format!("{a} is not a power of two"))),
        other => Err(bad(format!("must be a u32, found a {}", other.kind()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(check_version(3).unwrap(), 3);
        assert_eq!(check_version(2).unwrap(), 2);
        assert_eq!(
            check_version(1).unwrap_err().code(),
            "gguf_unsupported_version"
        );
        assert_eq!(
            check_version(4).unwrap_err().code(),
            "gguf_unsupported_version"
        );
        assert_eq!(
            check_version(0).unwrap_err().code(),
            "gguf_unsupported_version"
        );
        let e = check_version(0x0300_0000).unwrap_err();
        assert_eq!(e.code(), "gguf_big_endian");
        assert!(e.to_string().contains("byte-swapped 3"), "{e}");
    }

    #[test]
    fn counts_are_checked_against_the_bytes_left() {
        assert!(check_counts(1, 1, 13 + 24).is_ok());
        assert_eq!(
            check_counts(1, 1, 13 + 23).unwrap_err().code(),
            "gguf_count_too_large"
        );
        let e = check_counts(0, 1 << 60, 1000).unwrap_err();
        assert!(
            e.to_string()
                .contains("metadata_kv_count is 1152921504606846976"),
            "{e}"
        );
        let e = check_counts(u64::MAX, u64::MAX, u64::MAX).unwrap_err();
        assert_eq!(e.code(), "gguf_count_too_large");
    }
}

//! The safetensors reader: header bytes in, `FileInfo` + `Tensor`s out.
//!
//! The header is read with plain `read` calls, not through a memory map: a file truncated by another process while
//! mapped raises SIGBUS on access, and `inspect` needs nothing beyond the header anyway. Our own parse keeps the
//! header's order, finds duplicate names (serde keeps the last one silently) and names the tensor and numbers for
//! every broken rule, in one pass over the header bytes (tensor entries deserialised straight into typed fields).
//! The rules are those of the reference crate's `Metadata::new`; a test runs it beside this reader on the fuzz
//! seeds and malformed fixtures and requires the same verdict on each.

use crate::format::error::{HeaderProblem, InputError, Problem};
use crate::format::source::{extend_prefix, prefix, unwrap_problem, ByteSource, LocalFile};
use crate::format::ParsedFile;
use crate::model::checkpoint::{FileInfo, Tensor};
use crate::model::dtype::{DType, SizeError};
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The reference crate's limit on header length (docs/FORMATS.md §1 rule 2).
pub const MAX_HEADER_BYTES: u64 = 100_000_000;
const LENGTH_PREFIX: u64 = 8;

/// Reads and validates the header of the safetensors file at `path`; errors name `shown` as the file.
pub fn read(path: &Path, shown: &Path) -> Result<ParsedFile, InputError> {
    let file = LocalFile::open(path).map_err(|e| InputError::new(shown, Problem::Io(e)))?;
    read_source(&file, shown)
}

/// The same as [`read`] for the file `source` holds, local or remote: its first bytes in one read, and the rest
/// of the header in one more when it is longer (a length past the limit or the file is never fetched; the checks
/// below name it).
pub fn read_source(source: &dyn ByteSource, shown: &Path) -> Result<ParsedFile, InputError> {
    let err = |problem| InputError::new(shown, unwrap_problem(problem));
    let mut bytes = prefix(source, LENGTH_PREFIX).map_err(err)?;
    if let Some(length) = bytes.first_chunk::<8>() {
        let claimed = u64::from_le_bytes(*length);
        if claimed <= MAX_HEADER_BYTES {
            extend_prefix(source, &mut bytes, LENGTH_PREFIX + claimed).map_err(err)?;
        }
    }
    read_from(&bytes, source.len(), shown)
}

/// The same as [`read`] for a file already in memory (fuzzing, tests).
pub fn read_bytes(bytes: &[u8], shown: &Path) -> Result<ParsedFile, InputError> {
    read_from(bytes, bytes.len() as u64, shown)
}

/// `start` is the file's first bytes (the length prefix and as much of the header as was read), `size` its length.
fn read_from(start: &[u8], size: u64, shown: &Path) -> Result<ParsedFile, InputError> {
    let err = |problem| InputError::new(shown, problem);
    let header = header_bytes(start, size).map_err(err)?;
    let parsed = parse_header(header, size).map_err(err)?;
    Ok(ParsedFile::new(
        FileInfo {
            path: shown.to_path_buf(),
            size_bytes: size,
            header_bytes: LENGTH_PREFIX + header.len() as u64,
            tensors: parsed.tensors.len(),
            metadata: parsed.metadata,
            format_version: None,
        },
        parsed.tensors,
    ))
}

/// The JSON header within `start` after checking its claimed length against the limit and the file size. The
/// header is borrowed where it was read, not copied: at 97 MB a copy was a third of the peak memory.
fn header_bytes(start: &[u8], size: u64) -> Result<&[u8], Problem> {
    if size == 0 {
        return Err(Problem::Empty);
    }
    if size < LENGTH_PREFIX {
        return Err(HeaderProblem::HeaderTooSmall { len: size }.into());
    }
    let Some(prefix) = start.first_chunk::<8>() else {
        return Err(short_read(start.len() as u64, LENGTH_PREFIX));
    };
    let claimed = u64::from_le_bytes(*prefix);
    if claimed > MAX_HEADER_BYTES.min(size - LENGTH_PREFIX) {
        // A misnamed PyTorch or HDF5 file: its magic number read as a length is why.
        let sniff = start.len().min(crate::format::foreign::SNIFF_BYTES);
        if let Some(foreign) = crate::format::foreign::recognise(&start[..sniff], Path::new("")) {
            return Err(foreign.problem());
        }
    }
    if claimed > MAX_HEADER_BYTES {
        return Err(HeaderProblem::HeaderTooLarge { claimed }.into());
    }
    let available = size - LENGTH_PREFIX;
    if claimed > available {
        return Err(HeaderProblem::HeaderPastEnd { claimed, available }.into());
    }
    let read = (start.len() as u64 - LENGTH_PREFIX).min(claimed);
    if read != claimed {
        return Err(HeaderProblem::HeaderPastEnd {
            claimed,
            available: read,
        }
        .into());
    }
    Ok(&start[LENGTH_PREFIX as usize..(LENGTH_PREFIX + claimed) as usize])
}

/// Fewer bytes than the length prefix where the file's size promised more (it shrank while read).
fn short_read(read: u64, wanted: u64) -> Problem {
    Problem::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("read {read} bytes where {wanted} were expected"),
    ))
}

struct ParsedHeader {
    metadata: Vec<(String, String)>,
    tensors: Vec<Tensor>,
}

/// Parses and validates a header of a file `file_size` bytes long.
fn parse_header(header: &[u8], file_size: u64) -> Result<ParsedHeader, Problem> {
    let text = std::str::from_utf8(header).map_err(|e| HeaderProblem::HeaderNotUtf8 {
        at: e.valid_up_to(),
    })?;
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        let first: String = trimmed.chars().take(16).collect();
        return Err(HeaderProblem::HeaderNotObject { first }.into());
    }
    // The list is sized once, for the entries the header holds: each is an object, so the count of `{` less the
    // root's gives the count, or more when names or metadata hold the byte, never more than the header's length
    // allows (an entry takes at least `MIN_ENTRY_BYTES`). Growing the list by doubling held the old and the new
    // list at once; sizing it by the length alone reserved 40% more than 1.4M one-byte tensors needed, and the
    // allocator committed it all (56 MB). Counted in blocks of 255 bytes, so that the compiler counts 32 bytes
    // at a time: finding each `"data_offsets"` (one every 70 bytes) took 20 ms at 97 MB, this 8.
    let braces: usize = header
        .chunks(255)
        .map(|block| usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(b == b'{'))))
        .sum();
    let capacity = braces
        .saturating_sub(1)
        .min(header.len() / MIN_ENTRY_BYTES + 1);
    let raw = match quick(text, capacity) {
        Some(raw) => raw,
        None => general(text, capacity)?,
    };
    // Entries were checked one by one as they were parsed (the first broken one ends the parse).
    let mut tensors = raw.tensors?;
    find_duplicates(&tensors)?;
    // Tiling is checked in offset order; ties keep header order so the message names tensors as written. Writers
    // put the entries in offset order or near it; already sorted, the copy a stable sort makes is not needed.
    if !tensors.is_sorted_by_key(|t| t.data_offsets) {
        tensors.sort_by_key(|t| t.data_offsets);
    }
    let data_end = check_tiling(&tensors)?;
    check_file_length(header.len() as u64, data_end, file_size, &tensors)?;
    check_reference_dtypes(&tensors)?;
    Ok(ParsedHeader {
        metadata: raw.metadata,
        tensors,
    })
}

/// The header of the common shape read the quick way (`scan`), every entry checked as it comes; `None` for any
/// other header, or one with a broken entry, which the general reader then reads and words the error of.
fn quick(text: &str, capacity: usize) -> Option<RawHeader> {
    let mut tensors = Vec::with_capacity(capacity);
    let metadata = super::scan::scan(text, |e| {
        let entry = RawEntry {
            name: e.name.to_string(),
            dtype: e.dtype,
            shape: e.shape,
            data_offsets: e.data_offsets,
        };
        check_entry(entry).map(|t| tensors.push(t)).is_ok()
    })?;
    Some(RawHeader {
        metadata,
        tensors: Ok(tensors),
    })
}

/// Any header, by serde_json: every entry checked as it comes, every error worded.
fn general(text: &str, capacity: usize) -> Result<RawHeader, Problem> {
    let mut json = serde_json::Deserializer::from_str(text);
    json.deserialize_map(HeaderVisitor { capacity })
        .and_then(|raw| json.end().map(|()| raw))
        .map_err(classify_json_error)
}

/// Our own errors (unknown dtype, bad metadata) travel through serde as custom messages tagged with a prefix
/// so they come back out as the precise problem rather than as generic JSON errors.
fn classify_json_error(e: serde_json::Error) -> Problem {
    let message = e.to_string();
    if let Some(rest) = message.strip_prefix(UNKNOWN_DTYPE_TAG) {
        if let Some((name, dtype)) = rest.split_once('\u{0}') {
            let dtype = dtype.split(" at line ").next().unwrap_or(dtype);
            return HeaderProblem::UnknownDtype {
                name: name.to_string(),
                dtype: dtype.to_string(),
            }
            .into();
        }
    }
    if let Some(rest) = message.strip_prefix(ENTRY_TAG) {
        if let Some((name, reason)) = rest.split_once('\u{0}') {
            return HeaderProblem::BadTensorEntry {
                name: name.to_string(),
                reason: reason.to_string(),
            }
            .into();
        }
    }
    if let Some(rest) = message.strip_prefix(METADATA_TAG) {
        return HeaderProblem::BadMetadata(rest.to_string()).into();
    }
    HeaderProblem::HeaderJson(message).into()
}

const UNKNOWN_DTYPE_TAG: &str = "\u{1}unknown-dtype\u{1}";
const METADATA_TAG: &str = "\u{1}metadata\u{1}";
const ENTRY_TAG: &str = "\u{1}entry\u{1}";

fn check_entry(entry: RawEntry) -> Result<Tensor, Problem> {
    let RawEntry {
        name,
        dtype,
        shape,
        data_offsets: (begin, end),
    } = entry;
    if end < begin {
        return Err(HeaderProblem::OffsetsReversed { name, begin, end }.into());
    }
    let Some(elements) = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)) else {
        return Err(Problem::ShapeOverflow { name, shape });
    };
    let expected = match dtype.bytes_for(elements) {
        Ok(bytes) => bytes,
        Err(SizeError::PartialByte { bits }) => {
            return Err(HeaderProblem::PartialByte {
                name,
                dtype: dtype.to_string(),
                shape,
                bits,
            }
            .into())
        }
        // Safetensors dtypes are never block-quantised, so only overflow remains.
        Err(SizeError::Overflow | SizeError::PartialBlock { .. }) => {
            return Err(Problem::ShapeOverflow { name, shape })
        }
    };
    if end - begin != expected {
        return Err(HeaderProblem::SizeMismatch {
            name,
            dtype: dtype.to_string(),
            shape,
            expected,
            begin,
            end,
            actual: end - begin,
        }
        .into());
    }
    Ok(Tensor {
        name,
        dtype,
        shape,
        file: 0,
        data_offsets: [begin, end],
        view: None,
    })
}

fn find_duplicates(tensors: &[Tensor]) -> Result<(), Problem> {
    // foldhash, not SipHash: names are not hash-flooding targets for a local reader, and the keyed hasher was the
    // largest single cost of reading a 90k-tensor checkpoint. The table holds positions (4 bytes), not names
    // (16): a set of 1.4M `&str` took 35 MB while the header was still held.
    let hasher = foldhash::fast::FixedState::default();
    let hash = |name: &str| std::hash::BuildHasher::hash_one(&hasher, name);
    let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(tensors.len());
    for (i, t) in tensors.iter().enumerate() {
        let name = t.name.as_str();
        let h = hash(name);
        if seen
            .find(h, |&j| tensors[j as usize].name == name)
            .is_some()
        {
            return Err(Problem::DuplicateTensor(t.name.clone()));
        }
        // A header's entries number fewer than 2^32 (at least 49 bytes each within 100 MB).
        seen.insert_unique(h, i as u32, |&j| hash(&tensors[j as usize].name));
    }
    Ok(())
}

/// Sorted by offset, tensors must tile the data region from byte 0 with no gap and no overlap (rule 5).
/// Returns where the last tensor ends.
fn check_tiling(sorted: &[Tensor]) -> Result<u64, Problem> {
    let mut previous: Option<&Tensor> = None;
    for t in sorted {
        let begin = t.data_offsets[0];
        match previous {
            None if begin != 0 => {
                return Err(HeaderProblem::GapAtStart {
                    name: t.name.clone(),
                    begin,
                }
                .into())
            }
            None => {}
            Some(p) => {
                let previous_end = p.data_offsets[1];
                if begin > previous_end {
                    return Err(HeaderProblem::OffsetGap {
                        name: t.name.clone(),
                        begin,
                        previous: p.name.clone(),
                        previous_end,
                        gap: begin - previous_end,
                    }
                    .into());
                }
                if begin < previous_end {
                    return Err(HeaderProblem::OffsetOverlap {
                        name: t.name.clone(),
                        begin,
                        previous: p.name.clone(),
                        previous_end,
                        overlap: previous_end - begin,
                    }
                    .into());
                }
            }
        }
        previous = Some(t);
    }
    Ok(previous.map_or(0, |t| t.data_offsets[1]))
}

/// The data region must end exactly where the file ends (rule 7); say which way it is off.
fn check_file_length(
    header_len: u64,
    data_end: u64,
    file_size: u64,
    sorted: &[Tensor],
) -> Result<(), Problem> {
    let data_start = LENGTH_PREFIX + header_len;
    let Some(expected) = data_start.checked_add(data_end) else {
        let last = sorted.last().map(|t| t.name.clone()).unwrap_or_default();
        return Err(HeaderProblem::Truncated {
            expected: u64::MAX,
            found: file_size,
            last,
            data_end,
            data_region: file_size - data_start,
        }
        .into());
    };
    if expected > file_size {
        let last = sorted.last().map(|t| t.name.clone()).unwrap_or_default();
        return Err(HeaderProblem::Truncated {
            expected,
            found: file_size,
            last,
            data_end,
            data_region: file_size - data_start,
        }
        .into());
    }
    if expected < file_size {
        return Err(HeaderProblem::TrailingBytes {
            trailing: file_size - expected,
            expected,
            found: file_size,
        }
        .into());
    }
    Ok(())
}

/// The one rule of the reference crate's `Metadata::new` our checks above do not already make: every dtype must be
/// one the `safetensors` crate knows. Handing it the whole description instead cost a copy of every name and a
/// second hash map per file; `tests/cli/reference_agreement.rs` runs both readers on the fuzz seeds and the
/// malformed fixtures and requires the same verdict.
fn check_reference_dtypes(sorted: &[Tensor]) -> Result<(), Problem> {
    match sorted.iter().find(|t| t.dtype.to_safetensors().is_none()) {
        Some(t) => Err(HeaderProblem::Reference(format!(
            "tensor '{}': dtype {} is not a safetensors dtype",
            t.name, t.dtype
        ))
        .into()),
        None => Ok(()),
    }
}

// ---- serde plumbing: an order-preserving, duplicate-keeping view of the header object ----

struct RawHeader {
    metadata: Vec<(String, String)>,
    /// The entries as tensors, or the first broken entry's problem.
    tensors: Result<Vec<Tensor>, Problem>,
}

struct RawEntry {
    name: String,
    dtype: DType,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// The fields of one tensor entry; unknown fields are ignored, as the reference crate does.
#[derive(Deserialize)]
struct RawFields<'a> {
    #[serde(borrow)]
    dtype: std::borrow::Cow<'a, str>,
    #[serde(deserialize_with = "exact_shape")]
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

/// A shape in a list of exactly its length: serde's own `Vec` starts at room for four dims, and a one-dim shape
/// took 32 bytes instead of 8 (34 MB at 1.4M tensors).
fn exact_shape<'de, D: de::Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    struct Dims;
    impl<'de> Visitor<'de> for Dims {
        type Value = Vec<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of dimensions")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
            const INLINE: usize = 8;
            let mut first = [0u64; INLINE];
            let mut n = 0;
            while n < INLINE {
                match seq.next_element()? {
                    Some(d) => first[n] = d,
                    None => return Ok(first[..n].to_vec()),
                }
                n += 1;
            }
            // Rarer than any real model has: the rest grows as it comes.
            let mut dims = first.to_vec();
            while let Some(d) = seq.next_element()? {
                dims.push(d);
            }
            Ok(dims)
        }
    }
    d.deserialize_seq(Dims)
}

/// The shortest entry there can be: `"":{"dtype":"U8","shape":[],"data_offsets":[0,0]},`.
const MIN_ENTRY_BYTES: usize = 49;

struct HeaderVisitor {
    /// How many tensors the list is made for (at least as many as the header can hold).
    capacity: usize,
}

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RawHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object mapping tensor names to {dtype, shape, data_offsets}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader, A::Error> {
        let mut metadata = Vec::new();
        let mut seen_metadata = false;
        let mut tensors = Vec::with_capacity(self.capacity);
        let mut broken = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "__metadata__" {
                if seen_metadata {
                    return Err(de::Error::custom(format!(
                        "{METADATA_TAG}appears more than once in the header"
                    )));
                }
                seen_metadata = true;
                metadata = map.next_value_seed(MetadataSeed)?;
                continue;
            }
            let fields: RawFields<'de> = map.next_value().map_err(|e: A::Error| {
                // A header cut short is a JSON problem, not a problem of the tensor it was cut in.
                let message = e.to_string();
                if message.starts_with("EOF while parsing") {
                    e
                } else {
                    de::Error::custom(format!("{ENTRY_TAG}{key}\u{0}{message}"))
                }
            })?;
            let Some(dtype) = DType::from_safetensors(&fields.dtype) else {
                return Err(de::Error::custom(format!(
                    "{UNKNOWN_DTYPE_TAG}{key}\u{0}{}",
                    fields.dtype
                )));
            };
            // Checked here, straight into the tensor: no second list of entries at 1.4M tensors.
            let entry = RawEntry {
                name: key,
                dtype,
                shape: fields.shape,
                data_offsets: fields.data_offsets,
            };
            // The first broken entry is the one reported, after the rest of the header parsed: a JSON error or
            // unknown dtype further on still comes first, as when every entry was checked after the parse.
            if broken.is_none() {
                match check_entry(entry) {
                    Ok(t) => tensors.push(t),
                    Err(problem) => broken = Some(problem),
                }
            }
        }
        Ok(RawHeader {
            metadata,
            tensors: broken.map_or(Ok(tensors), Err),
        })
    }
}

/// `__metadata__` must map strings to strings (docs/FORMATS.md §1 rule 4); say which key breaks it.
struct MetadataSeed;

impl<'de> DeserializeSeed<'de> for MetadataSeed {
    type Value = Vec<(String, String)>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if value.is_null() {
            return Ok(Vec::new());
        }
        let serde_json::Value::Object(map) = value else {
            return Err(de::Error::custom(format!(
                "{METADATA_TAG}is not an object of strings"
            )));
        };
        map.into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, s)),
                other => Err(de::Error::custom(format!(
                    "{METADATA_TAG}value of '{k}' is not a string: {other}"
                ))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every header under fixtures/ and a few written here, and variations of each: cut short, or a byte replaced
    /// by a JSON-significant one.
    fn headers() -> Vec<Vec<u8>> {
        fn walk(dir: &Path, out: &mut Vec<Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "safetensors") {
                    let bytes = std::fs::read(&path).unwrap();
                    if let Ok(h) = header_bytes(&bytes, bytes.len() as u64) {
                        out.push(h.to_vec());
                    }
                }
            }
        }
        let mut seeds = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut seeds,
        );
        seeds.push(
            br#" { "b" : { "shape" : [ 2 , 3 ] , "data_offsets" : [ 0 , 24 ] , "dtype" : "F32" } ,
            "__metadata__" : { "format" : "pt" , "n" : "1" } , "a":{"dtype":"U8","shape":[],"data_offsets":[24,25]},
            "big":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[25,26]} }   "#
                .to_vec(),
        );
        seeds.push(br#"{"__metadata__":null,"x":{"dtype":"BF16","shape":[1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,2]}}"#.to_vec());
        seeds.push(b"{}".to_vec());
        let mut out = Vec::new();
        for seed in seeds {
            let step = (seed.len() / 48).max(1);
            for at in (0..seed.len()).step_by(step) {
                out.push(seed[..at].to_vec());
                for b in [
                    b'"', b'\\', b',', b'}', b'{', b'[', b']', b':', b' ', b'0', b'-', b'.', 0x01,
                ] {
                    let mut m = seed.clone();
                    m[at] = b;
                    out.push(m);
                }
            }
            out.push(seed);
        }
        out
    }

    #[test]
    fn the_quick_way_reads_only_what_serde_json_reads_and_the_same_entries() {
        let (mut quick_read, mut all) = (0, 0);
        for header in headers() {
            let Ok(text) = std::str::from_utf8(&header) else {
                continue;
            };
            all += 1;
            let Some(q) = quick(text, 0) else {
                continue;
            };
            quick_read += 1;
            let g = general(text, 0).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(q.metadata, g.metadata, "{text}");
            match (q.tensors, g.tensors) {
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text}"),
                (a, b) => panic!("{:?} vs {:?}: {text}", a.is_ok(), b.is_ok()),
            }
        }
        // Most variations are broken; the seeds and harmless changes are read the quick way.
        assert!(
            quick_read >= 20 && quick_read < all,
            "{quick_read} of {all}"
        );
    }
}

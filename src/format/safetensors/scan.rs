//! The common shape of a safetensors header read by hand: entries `"NAME":{"dtype":"…","shape":[…],
//! "data_offsets":[B,E]}` (the three keys in any order, each once, nothing else), names without escapes, and an
//! optional `__metadata__` object (read by serde_json). Anything else makes [`scan`] give up, and the header is read
//! by serde_json (`header::parse_header`), which reads all of JSON and words every error: so the quick way accepts
//! only what that reader accepts, with the same entries (a test compares both on every fixture and on
//! variations of each).
//!
//! Why by hand: serde_json read DeepSeek-V3's 163 headers (11.5 MB) at ~1.3 GB/s, most of reading its shards.

use crate::format::json::{is, one_value, string, uint, ws};
use crate::model::dtype::DType;

/// One tensor entry as written.
pub(super) struct Entry<'a> {
    pub name: &'a str,
    pub dtype: DType,
    pub shape: Vec<u64>,
    pub data_offsets: (u64, u64),
}

/// Reads `header` (valid UTF-8), handing each entry to `entry` in order, which answers whether to go on; gives the
/// `__metadata__` pairs (in order), or `None` when the header is not of the common shape or `entry` stopped.
pub(super) fn scan<'a>(
    header: &'a str,
    mut entry: impl FnMut(Entry<'a>) -> bool,
) -> Option<Vec<(String, String)>> {
    let text = header.as_bytes();
    let to = text.len();
    let mut at = ws(text, 0, to);
    if !is(text, at, to, b'{') {
        return None;
    }
    at = ws(text, at + 1, to);
    let mut metadata = None;
    if !is(text, at, to, b'}') {
        loop {
            let (key, after) = string(text, at, to)?;
            // Between two quotes of `header`, which is UTF-8: on character boundaries.
            let key = header.get(at + 1..at + 1 + key.len())?;
            at = ws(text, after, to);
            if !is(text, at, to, b':') {
                return None;
            }
            at = ws(text, at + 1, to);
            if key == "__metadata__" {
                if metadata.is_some() {
                    return None;
                }
                let (value, used) = one_value::<serde_json::Value>(&text[at..])?;
                metadata = Some(string_pairs(value)?);
                at += used;
            } else {
                let (e, after) = fields(header, key, at)?;
                if !entry(e) {
                    return None;
                }
                at = after;
            }
            at = ws(text, at, to);
            match text.get(at)? {
                b',' => at = ws(text, at + 1, to),
                b'}' => break,
                _ => return None,
            }
        }
    }
    (ws(text, at + 1, to) == to).then(|| metadata.unwrap_or_default())
}

/// `__metadata__` as the general reader takes it: `null` is none, an object must map strings to strings.
fn string_pairs(value: serde_json::Value) -> Option<Vec<(String, String)>> {
    match value {
        serde_json::Value::Null => Some(Vec::new()),
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The object of entry `name` at `at`: the entry, and the offset after its `}`.
fn fields<'a>(header: &str, name: &'a str, mut at: usize) -> Option<(Entry<'a>, usize)> {
    let text = header.as_bytes();
    let to = text.len();
    if !is(text, at, to, b'{') {
        return None;
    }
    at = ws(text, at + 1, to);
    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    loop {
        // The three keys as writers spell them are compared whole; any other spelling is read as a string.
        let (key, after) = match FIELDS.iter().find(|f| text[at..].starts_with(f)) {
            Some(f) => (&f[1..f.len() - 1], at + f.len()),
            None => string(text, at, to)?,
        };
        at = ws(text, after, to);
        if !is(text, at, to, b':') {
            return None;
        }
        at = ws(text, at + 1, to);
        match key {
            b"dtype" if dtype.is_none() => {
                let (name, after) = string(text, at, to)?;
                dtype = Some(DType::from_safetensors(
                    header.get(at + 1..at + 1 + name.len())?,
                )?);
                at = after;
            }
            b"shape" if shape.is_none() => {
                let (dims, after) = list(text, at)?;
                shape = Some(dims);
                at = after;
            }
            b"data_offsets" if offsets.is_none() => {
                let mut pair = [0u64; 2];
                let (n, after) = integers(text, at, |i, d| {
                    if let Some(slot) = pair.get_mut(i) {
                        *slot = d;
                    }
                })?;
                if n != 2 {
                    return None;
                }
                offsets = Some((pair[0], pair[1]));
                at = after;
            }
            _ => return None,
        }
        at = ws(text, at, to);
        match text.get(at)? {
            b',' => at = ws(text, at + 1, to),
            b'}' => break,
            _ => return None,
        }
    }
    let entry = Entry {
        name,
        dtype: dtype?,
        shape: shape?,
        data_offsets: offsets?,
    };
    Some((entry, at + 1))
}

/// The keys of an entry's object, with their quotes.
const FIELDS: [&[u8]; 3] = [b"\"dtype\"", b"\"shape\"", b"\"data_offsets\""];

/// A list of unsigned integers at `at`, in a list of exactly its length, and the offset after its `]`.
fn list(text: &[u8], at: usize) -> Option<(Vec<u64>, usize)> {
    // Most shapes have at most 8 dimensions: gathered on the stack, then copied once at their length.
    let mut first = [0u64; 8];
    let mut more = Vec::new();
    let (n, after) = integers(text, at, |i, d| match first.get_mut(i) {
        Some(slot) => *slot = d,
        None => more.push(d),
    })?;
    let mut dims = Vec::with_capacity(n);
    dims.extend_from_slice(&first[..n.min(first.len())]);
    dims.extend(more);
    Some((dims, after))
}

/// The unsigned integers of the list at `at`, each handed to `each` with its place: how many, and the offset after
/// the list's `]`.
fn integers(
    text: &[u8],
    mut at: usize,
    mut each: impl FnMut(usize, u64),
) -> Option<(usize, usize)> {
    let to = text.len();
    if !is(text, at, to, b'[') {
        return None;
    }
    at = ws(text, at + 1, to);
    let mut n = 0;
    if !is(text, at, to, b']') {
        loop {
            let (d, after) = uint(text, at, to)?;
            each(n, d);
            n += 1;
            at = ws(text, after, to);
            match text.get(at)? {
                b',' => at = ws(text, at + 1, to),
                b']' => break,
                _ => return None,
            }
        }
    }
    Some((n, at + 1))
}

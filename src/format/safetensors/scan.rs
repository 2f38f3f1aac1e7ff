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
            // Within `header`, which is UTF-8, between two quotes.
            let key = std::str::from_utf8(key).ok()?;
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
        let (key, after) = string(text, at, to)?;
        at = ws(text, after, to);
        if !is(text, at, to, b':') {
            return None;
        }
        at = ws(text, at + 1, to);
        match key {
            b"dtype" if dtype.is_none() => {
                let (name, after) = string(text, at, to)?;
                dtype = Some(DType::from_safetensors(std::str::from_utf8(name).ok()?)?);
                at = after;
            }
            b"shape" if shape.is_none() => {
                let (dims, after) = list(text, at)?;
                shape = Some(dims);
                at = after;
            }
            b"data_offsets" if offsets.is_none() => {
                let (pair, after) = list(text, at)?;
                let [begin, end] = pair[..] else {
                    return None;
                };
                offsets = Some((begin, end));
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

/// A list of unsigned integers at `at`, in a list of exactly its length, and the offset after its `]`.
fn list(text: &[u8], mut at: usize) -> Option<(Vec<u64>, usize)> {
    let to = text.len();
    if !is(text, at, to, b'[') {
        return None;
    }
    at = ws(text, at + 1, to);
    // Most shapes have at most 8 dimensions: gathered on the stack, then copied once at their length.
    let mut first = [0u64; 8];
    let mut n = 0;
    let mut more = Vec::new();
    if !is(text, at, to, b']') {
        loop {
            let (d, after) = uint(text, at, to)?;
            if n < first.len() {
                first[n] = d;
            } else {
                more.push(d);
            }
            n += 1;
            at = ws(text, after, to);
            match text.get(at)? {
                b',' => at = ws(text, at + 1, to),
                b']' => break,
                _ => return None,
            }
        }
    }
    let mut dims = Vec::with_capacity(n);
    dims.extend_from_slice(&first[..n.min(first.len())]);
    dims.extend(more);
    Some((dims, at + 1))
}

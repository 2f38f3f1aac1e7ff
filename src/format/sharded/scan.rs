//! The common shape of an index read by hand, on every core: a root object whose `weight_map` maps names to file
//! names in strings without escapes. Anything else (an escape, a repeated key, a number where a string goes, a
//! syntax error) makes [`scan`] return `None`, and the index is read by serde_json, which gives every error its
//! exact message.
//!
//! Why by hand, when serde_json reads JSON: serde_json reads DeepSeek-V3's 8.9 MB index at ~1.3 GB/s on one core
//! (7 ms), the longest step of inspecting it that nothing could run beside, since the shards to read are named
//! in it. A newline can only be whitespace in JSON (never inside a string), so the `weight_map` of an index written
//! one entry per line, as `save_pretrained` writes them, splits at newlines into parts that are read side by side;
//! and its entries need only the names' hashes, not the names: [`Tally`] compares a shard's names with the
//! index's as a sum of hashes, and the names themselves are read (by serde_json) only when the sums disagree.
//! Everything outside `weight_map` (`metadata` and any other key) is read by serde_json.
//!
//! What is accepted is strictly JSON: whitespace is space, tab, CR and LF; strings hold no control character, no
//! backslash and only UTF-8; an object has no trailing comma; nothing follows the root.

use crate::format::json::{is, one_value, string, ws};
use crate::format::source::ByteSource;
use foldhash::quality::RandomState;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::hash::BuildHasher;

/// A shard's names as the consistency checks compare them: how many, and the sum of their hashes under the
/// index's hasher (seeded per process, so a file cannot be made to collide on purpose).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Names.
    pub count: u64,
    /// Their hashes, summed with wrap-around.
    pub sum: u64,
}

impl Tally {
    /// Counts one name whose hash is `hash`.
    pub fn add(&mut self, hash: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(hash);
    }

    /// Two tallies as one.
    pub fn merge(mut self, other: Tally) -> Tally {
        self.count += other.count;
        self.sum = self.sum.wrapping_add(other.sum);
        self
    }
}

/// The hash of a tensor name (its UTF-8 bytes) that tallies sum: the same for the index's names and the shards'.
pub fn name_hash(hasher: &RandomState, name: &[u8]) -> u64 {
    hasher.hash_one(name)
}

/// An index read the quick way.
pub struct Scanned {
    /// The `metadata` object (empty when absent or not an object, as the general path has it).
    pub metadata: Map<String, Value>,
    /// Every shard file name, once, in order of first appearance.
    pub shards: Vec<String>,
    /// Per shard (in the order of `shards`), its names.
    pub tallies: Vec<Tally>,
}

/// Below this many bytes the `weight_map` is read in one part: handing parts to the pool costs more. (Small in
/// unit tests, so that small texts are read in parts too.)
const SPLIT_FROM: usize = if cfg!(test) { 1 << 10 } else { 1 << 20 };

/// The index in `text`, its names hashed by `hasher`; `None` when it is not of the common shape, or names a tensor
/// twice (serde_json's map keeps the last of a repeated key in the first one's place: the general path does that).
pub fn scan(text: &[u8], hasher: &RandomState) -> Option<Scanned> {
    root(text, |at| weight_map(text, at + 1, hasher))
}

/// The root object in `text`, `weight_map`'s value read by `map` given the offset of its `{`: the map's parts and
/// the offset of its closing `}`.
fn root(text: &[u8], map: impl FnOnce(usize) -> Option<(Vec<Part>, usize)>) -> Option<Scanned> {
    let mut map = Some(map);
    let mut at = ws(text, 0, text.len());
    if !is(text, at, text.len(), b'{') {
        return None;
    }
    at = ws(text, at + 1, text.len());
    let (mut metadata, mut body) = (None, None);
    if text.get(at) != Some(&b'}') {
        loop {
            let (key, after) = string(text, at, text.len())?;
            let key = std::str::from_utf8(key).ok()?;
            at = ws(text, after, text.len());
            if !is(text, at, text.len(), b':') {
                return None;
            }
            at = ws(text, at + 1, text.len());
            match key {
                "weight_map" if body.is_none() => {
                    if !is(text, at, text.len(), b'{') {
                        return None;
                    }
                    let (entries, end) = map.take()?(at)?;
                    body = Some(entries);
                    at = end + 1;
                }
                "metadata" if metadata.is_none() => {
                    let (value, used) = one_value::<Value>(&text[at..])?;
                    metadata = Some(value);
                    at += used;
                }
                "weight_map" | "metadata" => return None,
                _ => at += one_value::<serde::de::IgnoredAny>(&text[at..])?.1,
            }
            at = ws(text, at, text.len());
            match text.get(at)? {
                b',' => at = ws(text, at + 1, text.len()),
                b'}' => break,
                _ => return None,
            }
        }
    }
    if ws(text, at + 1, text.len()) != text.len() {
        return None;
    }
    let parts = body?;
    let metadata = match metadata {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    merge(parts, metadata)
}

/// One part of `weight_map`: the hash of each name in order, and per shard (by first appearance) its tally.
#[derive(Default)]
struct Part {
    hashes: Vec<u64>,
    shards: Vec<(Box<[u8]>, Tally)>,
}

/// How one part ended.
enum Ended {
    /// After a comma, at the part's end: the next part goes on.
    Comma,
    /// At the `}` closing `weight_map`, at this offset.
    Close(usize),
}

/// Reads `weight_map` from `start` (just after its `{`): its parts and the offset of its closing `}`.
fn weight_map(text: &[u8], start: usize, hasher: &RandomState) -> Option<(Vec<Part>, usize)> {
    let bounds = split(text, start);
    let read: Vec<Option<(Part, Ended)>> = if bounds.len() > 2 {
        bounds
            .par_windows(2)
            .enumerate()
            .map(|(i, w)| part(text, w[0], w[1], i == 0, hasher))
            .collect()
    } else {
        vec![part(text, start, text.len(), true, hasher)]
    };
    // The part holding the closing brace ends the map; the parts after it read the rest of the root as entries
    // and are dropped, whatever they found.
    let mut parts = Vec::new();
    for r in read {
        let (p, ended) = r?;
        parts.push(p);
        if let Ended::Close(end) = ended {
            return Some((parts, end));
        }
    }
    None
}

/// Where the parts start: `start`, then about every [`SPLIT_FROM`] bytes a place just after a newline whose last
/// other byte before it is a comma (a newline is never inside a string, so neither is that comma), and the end.
fn split(text: &[u8], start: usize) -> Vec<usize> {
    let mut bounds = vec![start];
    let rest = text.len() - start;
    if rest >= 2 * SPLIT_FROM {
        let parts = (rest / SPLIT_FROM).min(4 * rayon::current_num_threads().max(1));
        let step = rest / parts;
        for k in 1..parts {
            let from = (start + k * step).max(*bounds.last().unwrap_or(&start));
            if let Some(b) = boundary_after(text, from) {
                if b > *bounds.last().unwrap_or(&start) && b < text.len() {
                    bounds.push(b);
                }
            }
        }
    }
    bounds.push(text.len());
    bounds
}

/// The first place at or after `from` just after a newline that follows a comma and whitespace; a few newlines
/// are tried.
fn boundary_after(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..64 {
        let nl = at + memchr::memchr(b'\n', &text[at..])?;
        // Looked for back to `at` only, so that a long run of spaces is not scanned once per newline.
        let before = text[at..nl]
            .iter()
            .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'));
        if before.is_some_and(|b| text[at + b] == b',') {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
    None
}

/// Reads the entries in `text[from..to]`: from just after the map's `{` (`first`) or just after a comma, to the
/// part's end (just after a comma) or the map's closing `}`.
fn part(
    text: &[u8],
    from: usize,
    to: usize,
    first: bool,
    hasher: &RandomState,
) -> Option<(Part, Ended)> {
    std::str::from_utf8(&text[from..to]).ok()?;
    let mut p = Part::default();
    let mut at = ws(text, from, to);
    if first && text.get(at) == Some(&b'}') {
        return Some((p, Ended::Close(at)));
    }
    let mut last: Option<usize> = None;
    loop {
        if at == to {
            return None; // a part never ends between entries without a comma
        }
        let (name, after) = string(text, at, to)?;
        at = ws(text, after, to);
        if text.get(at) != Some(&b':') || at == to {
            return None;
        }
        at = ws(text, at + 1, to);
        let (shard, after) = string(text, at, to)?;
        let hash = name_hash(hasher, name);
        p.hashes.push(hash);
        // Entries in a row mostly name the shard the one before did.
        let i = match last {
            Some(i) if *p.shards[i].0 == *shard => i,
            _ => match p.shards.iter().position(|(s, _)| **s == *shard) {
                Some(i) => i,
                None => {
                    p.shards.push((shard.into(), Tally::default()));
                    p.shards.len() - 1
                }
            },
        };
        p.shards[i].1.add(hash);
        last = Some(i);
        at = ws(text, after, to);
        match text.get(at) {
            Some(b',') if at < to => {
                at = ws(text, at + 1, to);
                if at == to {
                    return Some((p, Ended::Comma));
                }
            }
            Some(b'}') if at < to => return Some((p, Ended::Close(at))),
            _ => return None,
        }
    }
}

/// How much of an index [`scan_source`] reads before `weight_map`'s `{` (`metadata` is a few keys).
const HEAD: usize = 64 << 10;

/// How many bytes past its end a part of `weight_map` reads to find where the next part starts: a boundary is
/// found within 64 lines.
const OVERLAP: usize = 64 << 10;

/// [`scan`] of the index `source` holds (`len` bytes), read in parts into buffers of their own rather than whole:
/// its start up to `weight_map`'s `{`, then the map in parts on every core, each part scanned as soon as it is
/// read, then what follows the map. Holding DeepSeek-V3's 8.9 MB index whole cost more (the kernel zeroing the
/// fresh pages it filled) than scanning it. The same verdicts as [`scan`] on the whole text: the parts are read
/// from the same boundaries, and what surrounds the map is read by the same code. `None` also when the map does
/// not start within [`HEAD`] bytes or a read fails: the caller then reads the index whole.
pub fn scan_source(source: &dyn ByteSource, len: usize, hasher: &RandomState) -> Option<Scanned> {
    let mut head = Vec::new();
    source.read_into(0, len.min(HEAD), &mut head).ok()?;
    let mut open = None;
    root(&head, |at| {
        open = Some(at);
        None
    });
    let open = open?;
    let (parts, close) = streamed_map(source, len, open + 1, hasher)?;
    // The index without its map's entries: its start to the map's `{`, then from the map's `}` to its end.
    let mut skeleton = head;
    skeleton.truncate(open + 1);
    source
        .read_into(close as u64, len - close, &mut skeleton)
        .ok()?;
    root(&skeleton, |at| (at == open).then_some((parts, at + 1)))
}

/// `weight_map` read from `source` from `start` (just after its `{`) in parts, each into a buffer of its own: the
/// parts and the file offset of the map's closing `}`.
fn streamed_map(
    source: &dyn ByteSource,
    len: usize,
    start: usize,
    hasher: &RandomState,
) -> Option<(Vec<Part>, usize)> {
    let rest = len - start;
    let count = (rest / SPLIT_FROM).clamp(1, 4 * rayon::current_num_threads().max(1));
    let step = rest / count;
    // Per part: what it read, how it ended, and the file offsets it started and ended at.
    let read: Vec<Option<(Part, Ended, usize, usize)>> = (0..count)
        .into_par_iter()
        .map(|k| {
            let from = start + k * step;
            let last = k + 1 == count;
            let to = if last { len } else { from + step };
            let mut buf = Vec::new();
            let end = if last { len } else { (to + OVERLAP).min(len) };
            source.read_into(from as u64, end - from, &mut buf).ok()?;
            let first = if k == 0 { 0 } else { boundary_after(&buf, 0)? };
            let until = if last {
                buf.len()
            } else {
                boundary_after(&buf, to - from)?
            };
            if first >= until {
                return None;
            }
            let (p, ended) = part(&buf, first, until, k == 0, hasher)?;
            let ended = match ended {
                Ended::Close(at) => Ended::Close(from + at),
                Ended::Comma => Ended::Comma,
            };
            Some((p, ended, from + first, from + until))
        })
        .collect();
    let mut parts = Vec::new();
    let mut next = start;
    for r in read {
        let (p, ended, from, to) = r?;
        // Each part starts where the one before it ended (both found the same boundary in the same bytes).
        if from != next {
            return None;
        }
        next = to;
        parts.push(p);
        if let Ended::Close(close) = ended {
            return Some((parts, close));
        }
    }
    None
}

/// The parts as one: shards numbered by first appearance, tallies summed; `None` when a name's hash repeats (a
/// name given twice, or two names whose 64-bit hashes meet: the general path sorts either out).
fn merge(parts: Vec<Part>, metadata: Map<String, Value>) -> Option<Scanned> {
    let mut shards: Vec<String> = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut number: foldhash::HashMap<&[u8], usize> = Default::default();
    for p in &parts {
        for (shard, tally) in &p.shards {
            let (shard, tally) = (&**shard, *tally);
            let n = *number.entry(shard).or_insert_with(|| {
                // Checked with its part's text.
                shards.push(String::from_utf8_lossy(shard).into_owned());
                tallies.push(Tally::default());
                shards.len() - 1
            });
            tallies[n] = tallies[n].merge(tally);
        }
    }
    // The hashes are already uniform: each is its own place in the table.
    let count = parts.iter().map(|p| p.hashes.len()).sum();
    let mut seen = hashbrown::HashTable::<u64>::with_capacity(count);
    for &h in parts.iter().flat_map(|p| &p.hashes) {
        match seen.entry(h, |&x| x == h, |&x| x) {
            hashbrown::hash_table::Entry::Occupied(_) => return None,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(h);
            }
        }
    }
    Some(Scanned {
        metadata,
        shards,
        tallies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tallies(text: &str) -> Option<Vec<(String, u64)>> {
        let s = scan(text.as_bytes(), &RandomState::default())?;
        Some(
            s.shards
                .into_iter()
                .zip(s.tallies)
                .map(|(n, t)| (n, t.count))
                .collect(),
        )
    }

    #[test]
    fn reads_the_common_shape_and_refuses_everything_else() {
        let ok = r#" {"metadata": {"total_size": 10}, "weight_map": {"a": "s1", "b": "s2",
            "c": "s1"}, "other": [1, {"x": null}]} "#;
        assert_eq!(tallies(ok), Some(vec![("s1".into(), 2), ("s2".into(), 1)]));
        assert_eq!(tallies(r#"{"weight_map":{}}"#), Some(vec![]));
        for refused in [
            r#"{"weight_map":{"a":"s1","a":"s2"}}"#, // a name twice
            r#"{"weight_map":{"a":"s1"},"weight_map":{}}"#, // a key twice
            r#"{"weight_map":{"a\u0062":"s1"}}"#,    // an escape
            r#"{"weight_map":{"a":1}}"#,             // not a string
            r#"{"weight_map":{"a":"s1",}}"#,         // a trailing comma
            r#"{"weight_map":{"a":"s1"}} x"#,        // something after the root
            r#"{"weight_map":{"a":"s1"}"#,           // unclosed
            "{\"weight_map\":{\"a\u{1}\":\"s1\"}}",  // a control character
            r#"{"metadata":{}}"#,                    // no weight_map
            r#"[]"#,
            "",
        ] {
            assert!(tallies(refused).is_none(), "{refused}");
        }
        assert!(scan(
            b"{\"weight_map\":{\"\xff\":\"s\"}}",
            &RandomState::default()
        )
        .is_none());
    }

    #[test]
    fn a_large_map_read_in_parts_agrees_with_one_part() {
        let mut text =
            String::from("{\n  \"metadata\": {\"total_size\": 1},\n  \"weight_map\": {\n");
        let n = 600;
        for i in 0..n {
            let sep = if i + 1 == n { "" } else { "," };
            text.push_str(&format!(
                "    \"model.layers.{i}.mlp.weight\": \"model-{:05}.safetensors\"{sep}\n",
                i % 7
            ));
        }
        text.push_str("  }\n}\n");
        assert!(text.len() > 2 * SPLIT_FROM);
        let hasher = RandomState::default();
        assert!(split(text.as_bytes(), 0).len() > 3);
        let parts = scan(text.as_bytes(), &hasher).unwrap();
        let one = merge(
            vec![
                part(
                    text.as_bytes(),
                    text.find("\"model.").unwrap(),
                    text.len(),
                    false,
                    &hasher,
                )
                .unwrap()
                .0,
            ],
            Map::new(),
        )
        .unwrap();
        assert_eq!(parts.shards, one.shards);
        assert_eq!(parts.tallies, one.tallies);
        assert_eq!(parts.tallies.iter().map(|t| t.count).sum::<u64>(), n);
        // A repeated name in the last part is still found.
        let twice = text.replace(&format!("\"model.layers.{}.", n - 1), "\"model.layers.0.");
        assert!(scan(twice.as_bytes(), &hasher).is_none());
    }

    /// `scan_source` of `text` written to a file: the same as `scan` of the text whenever it gives an answer.
    fn from_file(text: &[u8], hasher: &RandomState) -> Option<Scanned> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors.index.json");
        std::fs::write(&path, text).unwrap();
        let file = crate::format::source::LocalFile::open(&path).unwrap();
        scan_source(&file, text.len(), hasher)
    }

    #[test]
    fn an_index_read_from_its_file_in_parts_agrees_with_its_whole_text() {
        let map = |n: usize, name_len: usize| {
            (0..n)
                .map(|i| {
                    let sep = if i + 1 == n { "" } else { "," };
                    let pad = "x".repeat(name_len);
                    format!(
                        "    \"model.layers.{i}.{pad}\": \"model-{:05}.safetensors\"{sep}\n",
                        i % 7
                    )
                })
                .collect::<String>()
        };
        let hasher = RandomState::default();
        let whole = |t: &str| {
            format!(
                "{{\n  \"metadata\": {{\"total_size\": 1}},\n  \"weight_map\": {{\n{t}  }}\n}}\n"
            )
        };
        let good = whole(&map(600, 0));
        let cases = [
            good.clone(),
            // Keys after the map, and the metadata after it.
            format!(
                "{{\"weight_map\": {{\n{}}},\n \"metadata\": {{\"total_size\": 3}}, \"x\": [1]}}",
                map(600, 0)
            ),
            // A name repeated across parts, a trailing comma, garbage after the root, an unclosed map.
            good.replace("\"model.layers.599.", "\"model.layers.0."),
            good.replace("safetensors\"\n  }", "safetensors\",\n  }"),
            format!("{good} x"),
            good.replace("  }\n}\n", ""),
            // A line longer than a part reads past its end.
            whole(&map(40, 70_000)),
        ];
        let mut answered = 0;
        for text in &cases {
            assert!(text.len() > 2 * SPLIT_FROM);
            let expected = scan(text.as_bytes(), &hasher);
            match from_file(text.as_bytes(), &hasher) {
                Some(got) => {
                    answered += 1;
                    let expected = expected.expect("scan_source accepted what scan refuses");
                    assert_eq!(got.shards, expected.shards);
                    assert_eq!(got.tallies, expected.tallies);
                    assert_eq!(got.metadata, expected.metadata);
                }
                None => assert!(
                    expected.is_none() || text.len() > 40 * 70_000,
                    "refused a readable index"
                ),
            }
        }
        assert!(answered >= 2, "the readable indexes were read");
        // A map that starts after the first HEAD bytes is left to the whole-text reader.
        let late = format!(
            "{{\"x\": \"{}\", \"weight_map\": {{\n{}}}}}",
            "y".repeat(HEAD),
            map(600, 0)
        );
        assert!(scan(late.as_bytes(), &hasher).is_some());
        assert!(from_file(late.as_bytes(), &hasher).is_none());
    }
}

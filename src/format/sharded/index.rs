//! Sharded safetensors checkpoints: the `*.safetensors.index.json` file and its consistency with the shards
//! (docs/FORMATS.md §3).

use crate::format::error::{InputError, Problem, ShardedProblem};
use crate::format::source::{ByteSource, LocalFile};
use crate::model::checkpoint::IndexInfo;
use foldhash::quality::RandomState;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::path::{Component, Path};
use std::sync::{Arc, OnceLock};

use super::scan::{self, Tally};
pub use super::weight_map::WeightMap;
use super::weight_map::{Repeated, TooLarge};

/// The parts of an index paramscope relies on.
pub struct Index {
    /// The index's path and `metadata`, as the checkpoint reports them.
    pub info: IndexInfo,
    /// The shard file names, each once, in order of first appearance.
    shard_names: Vec<Arc<str>>,
    /// Per shard (in the order of `shard_names`), its names as a [`Tally`], when the index was read the quick way
    /// ([`scan`]); the consistency checks compare these first.
    quick: Option<Quick>,
    /// Where `weight_map` is read whole from when it is asked for (the quick way keeps no names).
    text: Text,
    weight_map: OnceLock<WeightMap>,
}

/// The index's text, for reading `weight_map` whole later.
enum Text {
    /// None needed: the map was read whole at once.
    Unneeded,
    /// Kept (an index that is not a local file).
    Kept(Box<[u8]>),
    /// Read again from this file: holding 8.9 MB of text through the whole command would keep the shards'
    /// descriptions from reusing that memory, and it is needed only for a checkpoint that disagrees with it.
    File(std::path::PathBuf),
}

/// The quick way's tallies and the hasher they were made with.
pub(crate) struct Quick {
    pub hasher: RandomState,
    pub tallies: Vec<Tally>,
}

impl Index {
    /// Shard names each once, in shard order: the series number (`model-00002-of-00004`), else the name, both
    /// given by the natural order of the names. Not the order of first appearance: `weight_map` is alphabetical by
    /// tensor, so `lm_head.weight` would put the last shard first.
    pub fn shards(&self) -> Vec<&str> {
        let mut shards: Vec<&str> = self.shard_names.iter().map(|s| &**s).collect();
        shards.sort_by(|a, b| crate::model::order::natural_cmp(a, b));
        shards
    }

    /// `weight_map` in file order: tensor name → shard file name as written. When the index was read the quick way
    /// (which reads no names: only broken checkpoints need them), read whole on first use, from the text kept or
    /// from the file again; an error when that file can no longer be read or no longer holds what it held.
    pub fn weight_map(&self) -> Result<&WeightMap, Problem> {
        if let Some(map) = self.weight_map.get() {
            return Ok(map);
        }
        let map = match &self.text {
            Text::Unneeded => WeightMap::default(),
            Text::Kept(text) => exact(text)?.0,
            Text::File(path) => self.read_again(path)?,
        };
        Ok(self.weight_map.get_or_init(|| map))
    }

    fn read_again(&self, path: &Path) -> Result<WeightMap, Problem> {
        let file = LocalFile::open(path).map_err(Problem::Io)?;
        let mut text = Vec::new();
        file.read_into(0, file.len().min(MAX_INDEX_BYTES) as usize, &mut text)?;
        let same = self.quick.as_ref().is_some_and(|q| {
            scan::scan(&text, &q.hasher).is_some_and(|s| {
                s.tallies == q.tallies
                    && s.shards
                        .iter()
                        .map(String::as_str)
                        .eq(self.shard_names.iter().map(|n| &**n))
            })
        });
        if !same {
            return Err(Problem::Io(std::io::Error::other(
                "the index changed while it was read",
            )));
        }
        Ok(exact(&text)?.0)
    }

    /// The quick way's tallies, when the index was read that way.
    pub(crate) fn quick(&self) -> Option<&Quick> {
        self.quick.as_ref()
    }

    /// The number of the shard named `name` (as written) among the shards in order of first appearance (the order
    /// of the tallies), if the index names it.
    pub(crate) fn shard_number(&self, name: &str) -> Option<usize> {
        self.shard_names.iter().position(|s| &**s == name)
    }
}

/// Reads and parses the index file at `path`; errors name `path`. An index read before in this process and
/// unchanged since (same file, length and modification time) is not parsed again: discovery, de-duplication of
/// the paths given and loading each need it, and DeepSeek-V3's 8.9 MB index costs tens of milliseconds a parse.
pub fn read(path: &Path) -> Result<Arc<Index>, InputError> {
    let file = LocalFile::open(path).map_err(|e| InputError::new(path, Problem::Io(e)))?;
    let stamp = file.stamp();
    if let Some(index) = stamp.as_ref().and_then(|s| recent::get(path, s)) {
        return Ok(index);
    }
    let mut index = read_with(&file, path, true)?;
    if let Text::Kept(_) = index.text {
        index.text = Text::File(path.to_path_buf());
    }
    let index = Arc::new(index);
    if let Some(stamp) = stamp {
        recent::put(path, stamp, &index);
    }
    Ok(index)
}

/// The last few indexes [`read`] parsed, so one command's several looks at one index parse it once.
mod recent {
    use super::Index;
    use crate::format::source::Stamp;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    /// A few, not all: the index of every checkpoint `check -r` visits would otherwise stay in memory.
    const KEPT: usize = 4;

    type Entry = (PathBuf, Stamp, Arc<Index>);
    static RECENT: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

    pub(super) fn get(path: &Path, stamp: &Stamp) -> Option<Arc<Index>> {
        let recent = RECENT.lock().ok()?;
        recent
            .iter()
            .find(|(p, s, _)| p == path && s == stamp)
            .map(|(_, _, index)| Arc::clone(index))
    }

    pub(super) fn put(path: &Path, stamp: Stamp, index: &Arc<Index>) {
        let Ok(mut recent) = RECENT.lock() else {
            return;
        };
        recent.retain(|(p, _, _)| p != path);
        if recent.len() == KEPT {
            recent.remove(0);
        }
        recent.push((path.to_path_buf(), stamp, Arc::clone(index)));
    }
}

/// The largest index read: the biggest published ones (DeepSeek-V3's, ~100k tensors) are a few MB.
pub const MAX_INDEX_BYTES: u64 = 64 << 20;

/// Reads and parses the index `source` holds (local or remote); errors name `shown`.
pub fn read_source(source: &dyn ByteSource, shown: &Path) -> Result<Index, InputError> {
    read_with(source, shown, false)
}

/// [`read_source`], the text read in parts on every core when `in_parts` (a local file).
fn read_with(source: &dyn ByteSource, shown: &Path, in_parts: bool) -> Result<Index, InputError> {
    let err = |problem| InputError::new(shown, problem);
    if source.len() > MAX_INDEX_BYTES {
        return Err(err(ShardedProblem::IndexJson(format!(
            "{} bytes, more than any index ({MAX_INDEX_BYTES} at most)",
            source.len()
        ))
        .into()));
    }
    let len = source.len() as usize;
    if in_parts && len >= 2 * PART {
        let hasher = RandomState::default();
        if let Some(scanned) = scan::scan_source(source, len, &hasher) {
            // A local index: read again from its file when its names are needed.
            let text = Text::File(shown.to_path_buf());
            return quick(scanned, hasher, text, shown).map_err(err);
        }
    }
    let text = read_text(source, in_parts).map_err(err)?;
    parse_text(Cow::Owned(text), shown).map_err(err)
}

/// How much of an index one task reads when a local one is read in parts.
const PART: usize = 1 << 20;

/// All of `source`'s bytes (at most [`MAX_INDEX_BYTES`]); a local one (`in_parts`) of 2 MB or more in parts on
/// every core: the first touch of the fresh pages it fills, not the copy, is most of reading 8.9 MB here, and it
/// spreads over cores as the copy does.
fn read_text(source: &dyn ByteSource, in_parts: bool) -> Result<Vec<u8>, Problem> {
    let len = source.len().min(MAX_INDEX_BYTES) as usize;
    if !in_parts || len < 2 * PART {
        let mut text = Vec::new();
        source.read_into(0, len, &mut text)?;
        return Ok(text);
    }
    // Zeroed by the allocator as fresh pages are (untouched until read into), not written here first.
    let mut text = vec![0u8; len];
    text.par_chunks_mut(PART)
        .enumerate()
        .try_for_each(|(i, part)| source.read_at((i * PART) as u64, part))?;
    Ok(text)
}

/// Parses an index. The common shape is read the quick way (the `scan` module: on every core, names hashed, not
/// kept); a well-formed index of another shape in one pass straight into a [`WeightMap`]; anything else the general
/// way, which gives every error its exact message.
pub fn parse(text: &[u8], path: &Path) -> Result<Index, Problem> {
    parse_text(Cow::Borrowed(text), path)
}

fn parse_text(text: Cow<[u8]>, path: &Path) -> Result<Index, Problem> {
    let hasher = RandomState::default();
    if let Some(scanned) = scan::scan(&text, &hasher) {
        let text = Text::Kept(text.into_owned().into_boxed_slice());
        return quick(scanned, hasher, text, path);
    }
    let (weight_map, metadata) = exact(&text)?;
    let shard_names = weight_map.shard_names().to_vec();
    finish(
        shard_names,
        None,
        Text::Unneeded,
        Some(weight_map),
        metadata,
        path,
    )
}

/// `weight_map` whole, and `metadata`: in one pass when well-formed, else the general way.
fn exact(text: &[u8]) -> Result<(WeightMap, Map<String, Value>), Problem> {
    if let Some(read) = fast(text) {
        return Ok(read);
    }
    let value: Value =
        serde_json::from_slice(text).map_err(|e| ShardedProblem::IndexJson(e.to_string()))?;
    let Value::Object(mut root) = value else {
        return Err(ShardedProblem::IndexJson("the index is not a JSON object".into()).into());
    };
    let weight_map = match root.remove("weight_map") {
        Some(Value::Object(map)) => map,
        _ => {
            let hint = if root.contains_key("shards") {
                " (it lists \"shards\" instead; shards cannot be checked without a weight_map)"
                    .to_string()
            } else {
                String::new()
            };
            return Err(ShardedProblem::IndexNoWeightMap { hint }.into());
        }
    };
    let mut entries = WeightMap::with_capacity(weight_map.len());
    for (name, shard) in weight_map {
        let Value::String(shard) = shard else {
            return Err(ShardedProblem::IndexBadEntry { name }.into());
        };
        entries
            .push(&name, &shard, Repeated::KeepLast)
            .map_err(|TooLarge| ShardedProblem::IndexJson("too many entries".into()))?;
    }
    let metadata = match root.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    Ok((entries, metadata))
}

/// The index read the quick way: its shards' tallies, `text` to read its names from when they are needed.
fn quick(
    scanned: scan::Scanned,
    hasher: RandomState,
    text: Text,
    path: &Path,
) -> Result<Index, Problem> {
    let shard_names = scanned.shards.into_iter().map(Arc::from).collect();
    let quick = Quick {
        hasher,
        tallies: scanned.tallies,
    };
    finish(shard_names, Some(quick), text, None, scanned.metadata, path)
}

fn finish(
    shard_names: Vec<Arc<str>>,
    quick: Option<Quick>,
    text: Text,
    weight_map: Option<WeightMap>,
    metadata: Map<String, Value>,
    path: &Path,
) -> Result<Index, Problem> {
    let total_size = claimed_integer(&metadata, "total_size")?;
    // Only a claim to compare: a malformed total_parameters is not worth refusing the checkpoint over.
    let total_parameters = claimed_integer(&metadata, "total_parameters").unwrap_or(None);
    Ok(Index {
        info: IndexInfo {
            path: path.to_path_buf(),
            total_size,
            total_parameters,
            metadata,
        },
        shard_names,
        quick,
        text,
        weight_map: weight_map.map(OnceLock::from).unwrap_or_default(),
    })
}

/// The common case in one pass: a root object whose `weight_map` maps names to strings, with no name twice
/// (serde_json's map keeps the last of a repeated key in the first one's place; the general path does that).
/// `None` for anything else. Keys are borrowed where the JSON has no escapes; only the kept strings are allocated.
fn fast(text: &[u8]) -> Option<(WeightMap, Map<String, Value>)> {
    // Room for every entry at once, from the text: an entry has four quotes and takes at least 6 bytes
    // (`"a":"b",`), so this is never fewer than there are (growing the table and the names by doubling was a
    // third of the parse) and never more than the file's own length allows.
    let quotes = memchr::memchr_iter(b'"', text).count();
    let room = Room {
        entries: (quotes / 4).min(text.len() / 6),
        name_bytes: text.len() / 2,
    };
    let mut json = serde_json::Deserializer::from_slice(text);
    let (weight_map, metadata) = serde::Deserializer::deserialize_map(&mut json, FastRoot(room))
        .and_then(|root| json.end().map(|()| root))
        .ok()?;
    let metadata = match metadata {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    Some((weight_map?, metadata))
}

/// How much the fast path makes room for.
#[derive(Clone, Copy)]
struct Room {
    entries: usize,
    name_bytes: usize,
}

/// The root object as the fast path reads it: `weight_map` and `metadata`, others skipped unparsed; a key twice
/// ends the fast path.
struct FastRoot(Room);

impl<'de> serde::de::Visitor<'de> for FastRoot {
    type Value = (Option<WeightMap>, Option<Value>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an index object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut weight_map, mut metadata) = (None, None);
        while let Some(Borrowed(key)) = map.next_key::<Borrowed<'de>>()? {
            let twice = match &*key {
                "weight_map" => weight_map
                    .replace(map.next_value_seed(InOrder(self.0))?)
                    .is_some(),
                "metadata" => metadata.replace(map.next_value::<Value>()?).is_some(),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    false
                }
            };
            if twice {
                return Err(serde::de::Error::custom("a key twice"));
            }
        }
        Ok((weight_map, metadata))
    }
}

/// `weight_map` straight into a [`WeightMap`], names and shard names borrowed from the text while read.
struct InOrder(Room);

impl<'de> serde::de::DeserializeSeed<'de> for InOrder {
    type Value = WeightMap;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<WeightMap, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for InOrder {
    type Value = WeightMap;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of tensor name to shard file name")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<WeightMap, A::Error> {
        // A repeated name ends the fast path: the general one keeps serde_json's meaning of it.
        let mut out = WeightMap::with_room(self.0.entries, self.0.name_bytes);
        while let Some((Borrowed(name), Borrowed(shard))) =
            map.next_entry::<Borrowed<'de>, Borrowed<'de>>()?
        {
            if !matches!(out.push(&name, &shard, Repeated::Refuse), Ok(true)) {
                return Err(serde::de::Error::custom("a repeated or too many names"));
            }
        }
        Ok(out)
    }
}

/// A JSON string borrowed from the text where it has no escapes (serde's own `Cow<str>` always copies).
struct Borrowed<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Borrowed<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Borrowed<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Borrowed(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Borrowed(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(Text)
    }
}

fn claimed_integer(metadata: &Map<String, Value>, key: &str) -> Result<Option<u64>, Problem> {
    match metadata.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) => Ok(Some(n)),
            None => Err(ShardedProblem::IndexBadMetadata {
                key: key.to_string(),
                value: v.to_string(),
            }
            .into()),
        },
    }
}

/// A shard name must be a plain relative path that stays inside the index's folder: no root, no `..`. Backslashes
/// count as separators too: an index written on Windows (or by an attacker) must not climb out on either system.
pub fn shard_name_is_contained(shard: &str) -> bool {
    let path = Path::new(shard);
    !shard.is_empty()
        && !shard.starts_with(['/', '\\'])
        && !shard.contains(':')
        && shard.split(['/', '\\']).all(|c| c != "..")
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_must_stay_inside() {
        assert!(shard_name_is_contained("model-00001-of-00002.safetensors"));
        assert!(shard_name_is_contained("sub/model.safetensors"));
        assert!(!shard_name_is_contained("../model.safetensors"));
        assert!(!shard_name_is_contained("a/../../b.safetensors"));
        assert!(!shard_name_is_contained("/etc/passwd"));
        assert!(!shard_name_is_contained(""));
        // Found by fuzzing (fuzz/regressions/index_json-backslash-dotdot): `..` between backslashes.
        assert!(!shard_name_is_contained("m&o\\\\..\\s"));
        assert!(!shard_name_is_contained("..\\model.safetensors"));
        assert!(!shard_name_is_contained("C:\\model.safetensors"));
    }

    #[test]
    fn reads_claims_and_lists_shards_in_order() {
        let text = br#"{"metadata":{"total_size":10,"total_parameters":"x"},
            "weight_map":{"b":"s2","a":"s1","c":"s2"}}"#;
        let index = parse(text, Path::new("i.json")).unwrap();
        assert_eq!(index.info.total_size, Some(10));
        assert_eq!(index.info.total_parameters, None);
        // Shard order, not the order of first appearance.
        assert_eq!(index.shards(), vec!["s1", "s2"]);
    }

    #[test]
    fn a_repeated_name_keeps_the_last_shard_in_the_first_place() {
        let text = br#"{"weight_map":{"a":"s1","b":"s2","a":"s3"}}"#;
        let index = parse(text, Path::new("i.json")).unwrap();
        assert_eq!(
            index.weight_map().unwrap().iter().collect::<Vec<_>>(),
            vec![("a", "s3"), ("b", "s2")]
        );
    }

    #[test]
    fn refuses_non_string_entry_and_non_object_root() {
        let e = parse(br#"{"weight_map":{"a":1}}"#, Path::new("i.json"))
            .err()
            .unwrap();
        assert_eq!(e.code(), "index_bad_entry");
        let e = parse(b"[1]", Path::new("i.json")).err().unwrap();
        assert!(e.to_string().contains("not a JSON object"), "{e}");
    }

    #[test]
    fn refuses_shards_list_without_weight_map() {
        let text = br#"{"metadata":{},"shards":["a.safetensors"]}"#;
        let e = parse(text, Path::new("i.json")).err().unwrap();
        assert_eq!(e.code(), "index_no_weight_map");
        assert!(e.to_string().contains("shards"));
    }

    #[test]
    fn refuses_non_integer_total_size() {
        let text = br#"{"metadata":{"total_size":"big"},"weight_map":{}}"#;
        let e = parse(text, Path::new("i.json")).err().unwrap();
        assert_eq!(e.code(), "index_bad_metadata");
    }

    /// Every index under fixtures/ and a few written here (one large enough to be read in parts), and variations
    /// of each: cut short, or a byte replaced by a JSON-significant one.
    fn texts() -> Vec<Vec<u8>> {
        fn walk(dir: &Path, out: &mut Vec<Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.to_string_lossy().ends_with(".index.json") {
                    out.push(std::fs::read(&path).unwrap());
                }
            }
        }
        let mut seeds = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut seeds,
        );
        let mut large =
            String::from("{\n  \"metadata\": {\"total_size\": 5},\n  \"weight_map\": {\n");
        for i in 0..200 {
            large.push_str(&format!(
                "    \"layers.{i}.w\": \"model-{}.safetensors\",\n",
                i % 3
            ));
        }
        large.push_str("    \"last\": \"model-0.safetensors\"\n  },\n  \"after\": [1, 2]\n}\n");
        seeds.push(large.into_bytes());
        seeds.push(br#"{"weight_map":{"a":"s1","b":"s2"},"metadata":{"total_size":3}}"#.to_vec());
        let mut out = Vec::new();
        for seed in seeds {
            let step = (seed.len() / 40).max(1);
            for at in (0..seed.len()).step_by(step) {
                out.push(seed[..at].to_vec());
                for b in [
                    b'"', b'\\', b',', b'}', b'{', b':', b' ', b'\n', b'1', 0x01, 0xff,
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
    fn the_quick_way_accepts_only_what_serde_json_reads_and_tallies_the_same_names() {
        let hasher = RandomState::default();
        let (mut quick, mut all) = (0, 0);
        for text in texts() {
            all += 1;
            let Some(s) = scan::scan(&text, &hasher) else {
                continue;
            };
            quick += 1;
            let shown = String::from_utf8_lossy(&text).into_owned();
            assert!(serde_json::from_slice::<Value>(&text).is_ok(), "{shown}");
            let (map, metadata) = exact(&text).unwrap_or_else(|e| panic!("{e}: {shown}"));
            let names: Vec<&str> = map.shard_names().iter().map(|s| &**s).collect();
            assert_eq!(s.shards, names, "{shown}");
            let mut tallies = vec![Tally::default(); names.len()];
            for (i, (name, _)) in map.iter().enumerate() {
                tallies[map.shard_of(i)].add(scan::name_hash(&hasher, name.as_bytes()));
            }
            assert_eq!(s.tallies, tallies, "{shown}");
            assert_eq!(s.metadata, metadata, "{shown}");
        }
        // Most variations are broken; the seeds and harmless changes (a space for a space) are read quickly.
        assert!(quick >= 10 && quick < all, "{quick} of {all}");
    }

    #[test]
    fn a_local_index_is_read_again_for_its_names_and_a_changed_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors.index.json");
        std::fs::write(&path, r#"{"weight_map":{"a":"s1","b":"s2"}}"#).unwrap();
        let index = read_source(&LocalFile::open(&path).unwrap(), &path).unwrap();
        assert!(index.quick().is_some());
        let mut index = index;
        index.text = Text::File(path.clone());
        let map = index.weight_map().unwrap();
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            vec![("a", "s1"), ("b", "s2")]
        );
        // Read once: a change after that is not seen.
        std::fs::write(&path, r#"{"weight_map":{"a":"s1"}}"#).unwrap();
        assert_eq!(index.weight_map().unwrap().len(), 2);
        let again = {
            let mut i = read_source(&LocalFile::open(&path).unwrap(), &path).unwrap();
            i.text = Text::File(path.clone());
            i
        };
        std::fs::write(&path, r#"{"weight_map":{"a":"s2"}}"#).unwrap();
        let e = again.weight_map().err().unwrap();
        assert!(e.to_string().contains("changed while it was read"), "{e}");
    }
}

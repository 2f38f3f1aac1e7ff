//! An index's `weight_map` (tensor name → shard file) as the consistency checks use it: names in file order,
//! each shard named once, and a name's place found by one hash lookup.
//!
//! Built for DeepSeek-V3's 92k entries: the names sit one after another in one string (a `String` each was
//! 92k allocations and 4 MB more), shards are numbers into a list of a few hundred names, and one table of
//! positions serves the duplicate check while parsing and every lookup after (a set of names to find
//! duplicates and a map of names for the checks hashed every name twice).

use std::sync::Arc;

/// `weight_map` in file order, with each name's place by name.
#[derive(Default)]
pub struct WeightMap {
    /// Every name, one after another.
    names: String,
    /// Per entry: where its name ends in `names`, and its shard (a place in `shards`).
    entries: Vec<(u32, u32)>,
    /// The shard file names as written, each once, in order of first appearance.
    shards: Vec<Arc<str>>,
    /// Their numbers by name (entries come in tensor order, so their shards jump about).
    shard_numbers: foldhash::HashMap<Arc<str>, u32>,
    /// Entry places by the hash of their names. foldhash, not SipHash: the names of a local index are not a
    /// hash-flooding target, and this table holds every tensor of the checkpoint.
    by_name: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for WeightMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Where a name goes that is already in the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeated {
    /// Refused: the caller reads the index again another way.
    Refuse,
    /// The new shard replaces the old one, in the first entry's place (what a JSON object with a repeated key
    /// means to serde_json, and so to the general reader).
    KeepLast,
}

/// More entries or name bytes than positions of 32 bits count (never for an index within its 64 MiB limit).
#[derive(Debug)]
pub struct TooLarge;

impl WeightMap {
    /// An empty map with room for about `entries` entries (a hint: never trusted beyond a cap).
    pub fn with_capacity(entries: usize) -> Self {
        Self::with_room(entries.min(1 << 16), 0)
    }

    /// An empty map with room for `entries` entries and `name_bytes` of names: the caller bounds both by what
    /// it has read.
    pub fn with_room(entries: usize, name_bytes: usize) -> Self {
        WeightMap {
            names: String::with_capacity(name_bytes),
            entries: Vec::with_capacity(entries),
            by_name: hashbrown::HashTable::with_capacity(entries),
            ..Default::default()
        }
    }

    fn hash(&self, name: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, name)
    }

    fn name_at(&self, i: usize) -> &str {
        name_in(&self.names, &self.entries, i)
    }

    /// Adds `name` → `shard` at the end; a name already present goes as `repeated` says: `Ok(false)` when
    /// refused.
    pub fn push(&mut self, name: &str, shard: &str, repeated: Repeated) -> Result<bool, TooLarge> {
        let shard = self.shard_number(shard)?;
        let h = self.hash(name);
        let (names, entries) = (&self.names, &self.entries);
        if let Some(&at) = self
            .by_name
            .find(h, |&i| name_in(names, entries, i as usize) == name)
        {
            return Ok(match repeated {
                Repeated::Refuse => false,
                Repeated::KeepLast => {
                    self.entries[at as usize].1 = shard;
                    true
                }
            });
        }
        self.names.push_str(name);
        let end = u32::try_from(self.names.len()).map_err(|_| TooLarge)?;
        let at = u32::try_from(self.entries.len()).map_err(|_| TooLarge)?;
        self.entries.push((end, shard));
        let (entries, names, hasher) = (&self.entries, &self.names, &self.hasher);
        self.by_name.insert_unique(h, at, |&i| {
            std::hash::BuildHasher::hash_one(hasher, name_in(names, entries, i as usize))
        });
        Ok(true)
    }

    /// The shard's number, the name added when new.
    fn shard_number(&mut self, shard: &str) -> Result<u32, TooLarge> {
        if let Some(&i) = self.shard_numbers.get(shard) {
            return Ok(i);
        }
        let i = u32::try_from(self.shards.len()).map_err(|_| TooLarge)?;
        let name: Arc<str> = Arc::from(shard);
        self.shards.push(Arc::clone(&name));
        self.shard_numbers.insert(name, i);
        Ok(i)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`: its tensor name and shard file name.
    pub fn get(&self, i: usize) -> (&str, &str) {
        (self.name_at(i), &self.shards[self.entries[i].1 as usize])
    }

    /// Every entry in file order: tensor name, shard file name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The place of `name` among the entries.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.by_name
            .find(self.hash(name), |&i| self.name_at(i as usize) == name)
            .map(|&i| i as usize)
    }

    /// Entry `i`'s shard, as a number into [`WeightMap::shard_names`].
    pub fn shard_of(&self, i: usize) -> usize {
        self.entries[i].1 as usize
    }

    /// The number of the shard named `name` (as written), if any entry names it.
    pub fn shard_number_of(&self, name: &str) -> Option<usize> {
        self.shard_numbers.get(name).map(|&i| i as usize)
    }

    /// The shard file names, each once, in order of first appearance.
    pub fn shard_names(&self) -> &[Arc<str>] {
        &self.shards
    }
}

/// Entry `i`'s name: from where the one before it ends to where it ends.
fn name_in<'a>(names: &'a str, entries: &[(u32, u32)], i: usize) -> &'a str {
    let start = match i {
        0 => 0,
        _ => entries[i - 1].0 as usize,
    };
    &names[start..entries[i].0 as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_finds_names_and_numbers_shards() {
        let mut m = WeightMap::with_capacity(usize::MAX);
        for (n, s) in [("b", "s2"), ("a", "s1"), ("c", "s2")] {
            assert!(m.push(n, s, Repeated::Refuse).unwrap());
        }
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            vec![("b", "s2"), ("a", "s1"), ("c", "s2")]
        );
        assert_eq!(m.position("c"), Some(2));
        assert_eq!(m.position("d"), None);
        assert_eq!(m.shard_of(2), m.shard_of(0));
        assert_eq!(&*m.shard_names()[m.shard_of(1)], "s1");
        assert_eq!(m.shard_number_of("s1"), Some(m.shard_of(1)));
        assert_eq!(m.shard_number_of("s3"), None);
    }

    #[test]
    fn a_repeated_name_is_refused_or_keeps_the_last_shard_in_the_first_place() {
        let mut m = WeightMap::default();
        m.push("a", "s1", Repeated::Refuse).unwrap();
        assert!(!m.push("a", "s3", Repeated::Refuse).unwrap());
        assert!(m.push("a", "s3", Repeated::KeepLast).unwrap());
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![("a", "s3")]);
        // Names that run into each other stay apart.
        m.push("ab", "s1", Repeated::Refuse).unwrap();
        m.push("", "s1", Repeated::Refuse).unwrap();
        assert_eq!(m.position("ab"), Some(1));
        assert_eq!(m.position(""), Some(2));
        assert_eq!(m.get(2), ("", "s1"));
    }
}

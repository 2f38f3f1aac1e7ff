//! A checkpoint named twice is read once: the sources several PATHs name, less those another of them reads.

use super::{resolved, resolved_folder, Source};
use crate::format::sharded::index;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Drops from `items` what another of them already reads: a shard file that an index also named covers, an
/// index or a file named twice. `paramscope model/*` names the index and each of its shards, `paramscope model
/// model/model.safetensors.index.json` the index twice; each was read again and counted twice in the total.
/// `source` finds an item's source; items without one (a path that could not be listed) are all kept, in order.
pub fn without_repeats<T>(items: Vec<T>, source: impl Fn(&T) -> Option<&Source>) -> Vec<T> {
    let mut repeats = Repeats::default();
    // Shards are named before their index in `model/*`: every index is known before any file is kept.
    if items
        .iter()
        .any(|s| matches!(source(s), Some(Source::File(_))))
    {
        for item in &items {
            if let Some(Source::Index { path, .. }) = source(item) {
                repeats.cover(path);
            }
        }
    }
    items
        .into_iter()
        .filter(|item| !source(item).is_some_and(|s| repeats.repeated(s)))
        .collect()
}

/// The indexes and single files handed over so far, and the shards those indexes read.
#[derive(Default)]
pub struct Repeats {
    covered: std::collections::HashSet<PathBuf>,
    seen: std::collections::HashSet<PathBuf>,
}

impl Repeats {
    /// Whether what `source` reads was read already (and remembers it otherwise): an index or file seen before,
    /// or a file that an index seen before names as a shard.
    pub fn repeated(&mut self, source: &Source) -> bool {
        match source {
            Source::File(path) => {
                let path = resolved(path);
                self.covered.contains(&path) || !self.seen.insert(path)
            }
            Source::Index { path, .. } => {
                if !self.seen.insert(resolved(path)) {
                    return true;
                }
                self.cover(path);
                false
            }
            _ => false,
        }
    }

    fn cover(&mut self, index_path: &Path) {
        if let Ok(index) = index::read(index_path) {
            let folder = index_path.parent().unwrap_or(Path::new(""));
            // The shards' folders resolved once each, not once per shard: resolving one is a system call per
            // component of its path, and DeepSeek-V3's 163 shards share one.
            let mut folders: HashMap<PathBuf, PathBuf> = HashMap::new();
            for shard in index.shards() {
                let path = folder.join(shard);
                let parent = path.parent().unwrap_or(Path::new("")).to_path_buf();
                let real = folders
                    .entry(parent)
                    .or_insert_with_key(|parent| resolved_folder(parent));
                self.covered
                    .insert(real.join(path.file_name().unwrap_or_default()));
            }
        }
    }
}

//! Finding checkpoints on disk: what a PATH names (a file, an index, a folder, the parts of a series), before any
//! header is read. [`walk`] goes through a model store, [`without_repeats`] keeps a checkpoint named twice from being read
//! twice, [`series`] knows the `NAME-00001-of-00004` naming of shards and parts.

pub mod cache;
pub mod named;
mod repeats;
pub mod series;
pub mod walk;

pub use repeats::{without_repeats, Repeats};

use super::error::{DiscoveryProblem, InputError, Problem};
use super::{foreign, gguf, open_regular, safetensors, sharded, torch};
use crate::model::order::natural_path_cmp;
use std::path::{Path, PathBuf};

/// One checkpoint found on disk, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A single weight file: safetensors, or PyTorch when its first bytes say so.
    File(PathBuf),
    /// A `*.safetensors.index.json` (or `pytorch_model.bin.index.json`); `unindexed` lists weight files beside it
    /// that it does not name.
    Index {
        /// The index file.
        path: PathBuf,
        /// Weight files in the index's folder that the index does not name (reported, not read).
        unindexed: Vec<PathBuf>,
    },
    /// The shards of one checkpoint in a folder without an index.
    Shards {
        /// The folder holding the shards.
        folder: PathBuf,
        /// The shard files, in name order.
        files: Vec<PathBuf>,
    },
    /// A GGUF file (`parts` = itself), or every part of a multi-part GGUF, first to last (some may be missing).
    Gguf {
        /// The path to show for the checkpoint: the file the user named.
        shown: PathBuf,
        /// Every part's path, first to last, whether it exists or not.
        parts: Vec<PathBuf>,
    },
    /// A remote source as the user spelled it (`hf://ORG/REPO`, an HTTP(S) URL): resolved when it is read.
    Remote(String),
}

impl Source {
    /// For a multi-part GGUF, its parts with their folder resolved: the same for every part and for the folder
    /// that holds them, so `inspect model-*.gguf` reads the model once instead of once per part.
    pub fn split_identity(&self) -> Option<Vec<PathBuf>> {
        let Source::Gguf { parts, .. } = self else {
            return None;
        };
        if parts.len() < 2 {
            return None;
        }
        Some(parts.iter().map(|p| resolved(p)).collect())
    }
}

/// A path with its folder made absolute and free of symlinks, the file name kept: the same for `model/x` and
/// `./model/x`, while two snapshot files linking to one blob stay two files.
pub(crate) fn resolved(path: &Path) -> PathBuf {
    let folder = path.parent().unwrap_or(Path::new(""));
    resolved_folder(folder).join(path.file_name().unwrap_or_default())
}

/// A folder made absolute and free of symlinks (`""` is the current one), or as given when it cannot be.
pub(crate) fn resolved_folder(folder: &Path) -> PathBuf {
    std::fs::canonicalize(if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    })
    .unwrap_or_else(|_| folder.to_path_buf())
}

const INDEX_SUFFIX: &str = ".safetensors.index.json";
/// transformers' index of PyTorch shards (`pytorch_model.bin.index.json`), with the safetensors index's schema.
const TORCH_INDEX_SUFFIXES: [&str; 3] = [".bin.index.json", ".pt.index.json", ".pth.index.json"];

fn is_index(path: &Path) -> bool {
    file_name(path).ends_with(INDEX_SUFFIX)
}

/// Whether an index names PyTorch shards.
pub fn is_torch_index(path: &Path) -> bool {
    let name = file_name(path);
    TORCH_INDEX_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// A PyTorch checkpoint in a folder: named like one and starting like one.
fn is_torch_file(path: &Path) -> bool {
    foreign::torch_extension(path) && torch::recognised(path)
}

fn is_weights(path: &Path) -> bool {
    file_name(path).ends_with(".safetensors")
}

fn is_gguf(path: &Path) -> bool {
    file_name(path).ends_with(".gguf")
}

/// A GGUF source for a file: all its parts when it is named like one part of several.
fn gguf_source(path: &Path) -> Source {
    Source::Gguf {
        shown: path.to_path_buf(),
        parts: gguf::split::part_paths(path).unwrap_or_else(|| vec![path.to_path_buf()]),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What the user's PATH holds: one checkpoint for a file or index, possibly several for a folder.
pub fn discover(path: &Path) -> Result<Vec<Source>, InputError> {
    if let Some(spec) = path.to_str().filter(|s| super::remote::is_remote(s)) {
        return Ok(vec![Source::Remote(spec.to_string())]);
    }
    let meta = std::fs::metadata(path).map_err(|e| InputError::new(path, Problem::Io(e)))?;
    if meta.is_dir() {
        return discover_folder(path);
    }
    if is_index(path) || is_torch_index(path) {
        return Ok(vec![Source::Index {
            path: path.to_path_buf(),
            unindexed: Vec::new(),
        }]);
    }
    // PyTorch by its first bytes, whatever the name (a `model.gguf` that is a legacy torch.save pickle).
    if torch::recognised(path) {
        return Ok(vec![Source::File(path.to_path_buf())]);
    }
    if is_gguf(path) {
        return Ok(vec![gguf_source(path)]);
    }
    if is_weights(path) || looks_like_safetensors(path) {
        return Ok(vec![Source::File(path.to_path_buf())]);
    }
    if gguf::has_magic(path) {
        return Ok(vec![gguf_source(path)]);
    }
    let problem = foreign::sniff(path).map_or(
        DiscoveryProblem::UnknownKind.into(),
        foreign::Foreign::problem,
    );
    Err(InputError::new(path, problem))
}

/// A file without the usual extension is still read as safetensors when its first bytes say so.
fn looks_like_safetensors(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 9];
    let Ok(mut f) = open_regular(path) else {
        return false;
    };
    f.read_exact(&mut start).is_ok()
        && u64::from_le_bytes(start[..8].try_into().unwrap()) <= safetensors::MAX_HEADER_BYTES
        && start[8] == b'{'
}

fn discover_folder(folder: &Path) -> Result<Vec<Source>, InputError> {
    let read = std::fs::read_dir(folder).map_err(|e| InputError::new(folder, Problem::Io(e)))?;
    let mut indexes = Vec::new();
    let mut weights = Vec::new();
    let mut ggufs = Vec::new();
    let mut torch_indexes = Vec::new();
    let mut torch_files = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| InputError::new(folder, Problem::Io(e)))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if is_index(&path) {
            indexes.push(path);
        } else if is_weights(&path) {
            weights.push(path);
        } else if is_gguf(&path) {
            ggufs.push(path);
        } else if is_torch_index(&path) {
            torch_indexes.push(path);
        } else if foreign::torch_extension(&path) {
            torch_files.push(path);
        }
    }
    indexes.sort_by(|a, b| natural_path_cmp(a, b));
    weights.sort_by(|a, b| natural_path_cmp(a, b));
    ggufs.sort_by(|a, b| natural_path_cmp(a, b));
    // PyTorch files are read where nothing else is: a Hub repository with model.safetensors beside
    // pytorch_model.bin holds one model twice, and the safetensors copy is the one read.
    if indexes.is_empty() && weights.is_empty() && ggufs.is_empty() {
        torch_indexes.sort_by(|a, b| natural_path_cmp(a, b));
        torch_files.retain(|f| is_torch_file(f));
        torch_files.sort_by(|a, b| natural_path_cmp(a, b));
        if !torch_indexes.is_empty() {
            return Ok(indexed(folder, torch_indexes, torch_files));
        }
        if !torch_files.is_empty() {
            return Ok(group_shards(folder, torch_files));
        }
    }
    if indexes.is_empty() && weights.is_empty() && ggufs.is_empty() {
        let problem = match cache_snapshot(folder) {
            Some(snapshot) => DiscoveryProblem::CacheRepository {
                snapshot: snapshot.display().to_string(),
            }
            .into(),
            None => match foreign::in_folder(folder) {
                Some((file, foreign)) => DiscoveryProblem::OnlyForeign {
                    file: file_name(&file).to_string(),
                    what: foreign.problem().to_string(),
                }
                .into(),
                None => DiscoveryProblem::EmptyDirectory.into(),
            },
        };
        return Err(InputError::new(folder, problem));
    }
    let gguf_sources = group_gguf(ggufs);
    if !indexes.is_empty() {
        let mut sources = indexed(folder, indexes, weights);
        sources.extend(gguf_sources);
        return Ok(sources);
    }
    let mut sources = group_shards(folder, weights);
    sources.extend(gguf_sources);
    Ok(sources)
}

/// One source per index. Weight files no index names (e.g. Mistral's consolidated.safetensors beside the HF
/// shards) are reported, not silently added to a checkpoint they do not belong to.
fn indexed(folder: &Path, indexes: Vec<PathBuf>, weights: Vec<PathBuf>) -> Vec<Source> {
    let mut named = std::collections::HashSet::new();
    for idx in &indexes {
        if let Ok(index) = sharded::index::read(idx) {
            for shard in index.shards() {
                named.insert(folder.join(shard));
            }
        }
    }
    let unindexed: Vec<PathBuf> = weights.into_iter().filter(|w| !named.contains(w)).collect();
    indexes
        .into_iter()
        .map(|path| Source::Index {
            path,
            unindexed: unindexed.clone(),
        })
        .collect()
}

/// For a Hugging Face cache repository (`models--ORG--NAME` with `snapshots/`), the snapshot `refs/main` names,
/// or the `snapshots` folder when it names none.
fn cache_snapshot(folder: &Path) -> Option<PathBuf> {
    let snapshots = folder.join("snapshots");
    if !snapshots.is_dir() {
        return None;
    }
    let main = std::fs::read_to_string(folder.join("refs").join("main")).ok();
    let named = main.map(|rev| snapshots.join(rev.trim()));
    Some(named.filter(|s| s.is_dir()).unwrap_or(snapshots))
}

/// GGUF files in a folder: the parts of one multi-part file form one checkpoint (named by its first part
/// present); every other file is a checkpoint of its own.
fn group_gguf(files: Vec<PathBuf>) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    let mut seen_groups = std::collections::HashSet::new();
    for f in files {
        match gguf::split::PartName::parse(&file_name(&f)) {
            Some(name) => {
                if seen_groups.insert(name.group_key()) {
                    sources.push(gguf_source(&f));
                }
            }
            None => sources.push(gguf_source(&f)),
        }
    }
    sources
}

/// Files named like shards of one checkpoint (`PREFIX-00001-of-00004.safetensors`) form one checkpoint;
/// every other file is a checkpoint of its own.
fn group_shards(folder: &Path, weights: Vec<PathBuf>) -> Vec<Source> {
    let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut sources = Vec::new();
    for w in weights {
        match shard_group_key(&file_name(&w)) {
            Some(key) => match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, files)) => files.push(w),
                None => groups.push((key, vec![w])),
            },
            None => sources.push(Source::File(w)),
        }
    }
    for (_, files) in groups {
        sources.push(Source::Shards {
            folder: folder.to_path_buf(),
            files,
        });
    }
    sources
}

/// Shards of one series named one by one (`llama3-8b/*.safetensors`) form one checkpoint, as their folder does:
/// the index beside them that names them all, else the shards alone (a missing member then reported). Every
/// other source is kept as it is, in order; the merged one takes its first shard's place.
pub fn named_series(found: Vec<Result<Source, InputError>>) -> Vec<Result<Source, InputError>> {
    let key = |item: &Result<Source, InputError>| match item {
        Ok(Source::File(path)) => shard_group_key(&file_name(path)).map(|k| {
            let folder = resolved(path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            (folder, k)
        }),
        _ => None,
    };
    let mut groups: Vec<((PathBuf, String), Vec<PathBuf>)> = Vec::new();
    for item in &found {
        if let (Some(k), Ok(Source::File(path))) = (key(item), item) {
            match groups.iter_mut().find(|(g, _)| *g == k) {
                // One file named by two paths (`x` and `./x`) is one shard, not two.
                Some((_, files)) if files.iter().any(|f| resolved(f) == resolved(path)) => {}
                Some((_, files)) => files.push(path.clone()),
                None => groups.push((k, vec![path.clone()])),
            }
        }
    }
    // One shard named by two paths (`x` and `./x`) is one file, not a series.
    groups.retain(|(_, files)| {
        let distinct: std::collections::HashSet<PathBuf> =
            files.iter().map(|f| resolved(f)).collect();
        distinct.len() > 1
    });
    if groups.is_empty() {
        return found;
    }
    let mut out = Vec::with_capacity(found.len());
    let mut merged = std::collections::HashSet::new();
    for item in found {
        let Some(k) = key(&item).filter(|k| groups.iter().any(|(g, _)| g == k)) else {
            out.push(item);
            continue;
        };
        // The group's first shard stands for all of them; the others are dropped as they come.
        if merged.insert(k.clone()) {
            let (_, files) = groups.iter().find(|(g, _)| *g == k).expect("found above");
            let mut files = files.clone();
            files.sort();
            files.dedup();
            out.push(Ok(series_source(files)));
        }
    }
    out
}

/// The source for shards of one series: the index in their folder that names every one of them, else the
/// shards themselves.
fn series_source(files: Vec<PathBuf>) -> Source {
    let folder = files[0].parent().unwrap_or(Path::new("")).to_path_buf();
    let listing = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &folder
    };
    let index = std::fs::read_dir(listing)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| folder.join(e.file_name()))
        .filter(|p| is_index(p) || is_torch_index(p))
        .find(|p| {
            sharded::index::read(p).is_ok_and(|index| {
                let named: std::collections::HashSet<String> =
                    index.shards().iter().map(|s| s.to_string()).collect();
                files.iter().all(|f| named.contains(&file_name(f)))
            })
        });
    match index {
        Some(path) => Source::Index {
            path,
            unindexed: Vec::new(),
        },
        None => Source::Shards { folder, files },
    }
}

/// `model-00001-of-00004.safetensors` → `model|00004`: the prefix and the total, which all shards share.
pub fn shard_group_key(name: &str) -> Option<String> {
    series::ShardName::parse(name).map(|n| n.group_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_group_by_prefix_and_total() {
        assert_eq!(
            shard_group_key("model-00001-of-00004.safetensors").as_deref(),
            Some("model|00004")
        );
        assert_eq!(
            shard_group_key("model_000001-of-000163.safetensors").as_deref(),
            Some("model|000163")
        );
        assert_eq!(shard_group_key("model.safetensors"), None);
        assert_eq!(shard_group_key("model-1-of-4.safetensors"), None);
    }
}

//! Finding checkpoints on disk and reading them into the format-neutral `Checkpoint`.
//! Nothing outside this folder knows a byte layout.

pub mod error;
pub mod file_id;
pub mod foreign;
pub mod gguf;
pub mod index;
mod repeats;
pub mod safetensors;
pub mod shard_series;
#[cfg(feature = "synth")]
pub mod synth;
pub mod walk;

pub use repeats::{without_repeats, Repeats};

use crate::format::error::{InputError, LoadError, Problem};
use crate::model::checkpoint::{Checkpoint, FileInfo, Format, Layout, Tensor};
use crate::model::metadata::MetadataDetail;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reading options that change what is accepted.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Follow symlinked shards that resolve outside the checkpoint's folder.
    pub follow_symlinks: bool,
    /// How much of each metadata array (GGUF) to keep.
    pub metadata: MetadataDetail,
}

/// One checkpoint found on disk, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A single safetensors file.
    File(PathBuf),
    /// A `*.safetensors.index.json`; `unindexed` lists weight files beside it that it does not name.
    Index {
        path: PathBuf,
        unindexed: Vec<PathBuf>,
    },
    /// The shards of one checkpoint in a folder without an index.
    Shards {
        folder: PathBuf,
        files: Vec<PathBuf>,
    },
    /// A GGUF file (`parts` = itself), or every part of a multi-part GGUF, first to last (some may be missing).
    Gguf { shown: PathBuf, parts: Vec<PathBuf> },
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
fn resolved(path: &Path) -> PathBuf {
    let folder = path.parent().unwrap_or(Path::new(""));
    let folder = std::fs::canonicalize(if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    })
    .unwrap_or_else(|_| folder.to_path_buf());
    folder.join(path.file_name().unwrap_or_default())
}

const INDEX_SUFFIX: &str = ".safetensors.index.json";

fn is_index(path: &Path) -> bool {
    file_name(path).ends_with(INDEX_SUFFIX)
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

/// Opens a file to read, refusing anything but a regular file: opening a FIFO waits for a writer and a device
/// may never end, so a path or an index naming one would hang the tool.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a folder, FIFO, socket or device)",
        ));
    }
    std::fs::File::open(path)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What the user's PATH holds: one checkpoint for a file or index, possibly several for a folder.
pub fn discover(path: &Path) -> Result<Vec<Source>, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| InputError::new(path, Problem::Io(e)))?;
    if meta.is_dir() {
        return discover_folder(path);
    }
    if is_index(path) {
        return Ok(vec![Source::Index {
            path: path.to_path_buf(),
            unindexed: Vec::new(),
        }]);
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
    let problem = foreign::sniff(path).map_or(Problem::UnknownKind, foreign::Foreign::problem);
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
        }
    }
    indexes.sort();
    weights.sort();
    ggufs.sort();
    if indexes.is_empty() && weights.is_empty() && ggufs.is_empty() {
        let problem = match cache_snapshot(folder) {
            Some(snapshot) => Problem::CacheRepository {
                snapshot: snapshot.display().to_string(),
            },
            None => match foreign::in_folder(folder) {
                Some((file, foreign)) => Problem::OnlyForeign {
                    file: file_name(&file).to_string(),
                    what: foreign.problem().to_string(),
                },
                None => Problem::EmptyDirectory,
            },
        };
        return Err(InputError::new(folder, problem));
    }
    let gguf_sources = group_gguf(ggufs);
    if !indexes.is_empty() {
        // Weight files no index names (e.g. Mistral's consolidated.safetensors beside the HF shards) are
        // reported, not silently added to a checkpoint they do not belong to.
        let mut named = std::collections::HashSet::new();
        for idx in &indexes {
            if let Ok(index) = index::read(idx) {
                for shard in index.shards() {
                    named.insert(folder.join(shard));
                }
            }
        }
        let unindexed: Vec<PathBuf> = weights.into_iter().filter(|w| !named.contains(w)).collect();
        let mut sources: Vec<Source> = indexes
            .into_iter()
            .map(|path| Source::Index {
                path,
                unindexed: unindexed.clone(),
            })
            .collect();
        sources.extend(gguf_sources);
        return Ok(sources);
    }
    let mut sources = group_shards(folder, weights);
    sources.extend(gguf_sources);
    Ok(sources)
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

/// `model-00001-of-00004.safetensors` → `model|00004`: the prefix and the total, which all shards share.
pub fn shard_group_key(name: &str) -> Option<String> {
    shard_series::ShardName::parse(name).map(|n| n.group_key())
}

/// Reads one checkpoint. Every shard is read even when one fails, so the user sees every broken shard at once.
pub fn load(source: &Source, options: LoadOptions) -> Result<Checkpoint, LoadError> {
    match source {
        Source::File(path) => {
            let parsed = safetensors::read(path, path)?;
            let notes = shard_series::lone_shard_note(path).into_iter().collect();
            Ok(assemble(
                Layout::SingleFile,
                path,
                vec![parsed],
                None,
                notes,
            ))
        }
        Source::Shards { folder, files } => {
            let mut errors: Vec<InputError> = shard_series::missing(files)
                .into_iter()
                .map(|(part, count, file)| {
                    let file = file.display().to_string();
                    InputError::new(folder, Problem::MissingPart { part, count, file })
                })
                .collect();
            let results: Vec<_> = files.par_iter().map(|f| safetensors::read(f, f)).collect();
            let parsed = match collect_results(results) {
                Ok(parsed) if errors.is_empty() => parsed,
                Ok(_) => return Err(LoadError { errors }),
                Err(e) => {
                    errors.extend(e.errors);
                    return Err(LoadError { errors });
                }
            };
            let checkpoint = assemble(Layout::Directory, folder, parsed, None, Vec::new());
            let errors = duplicate_names(&checkpoint);
            if errors.is_empty() {
                Ok(checkpoint)
            } else {
                Err(LoadError { errors })
            }
        }
        Source::Index { path, unindexed } => load_sharded(path, unindexed, options),
        Source::Gguf { shown, parts } => gguf::split::load(shown, parts, options.metadata),
    }
}

fn collect_results(
    results: Vec<Result<safetensors::ParsedFile, InputError>>,
) -> Result<Vec<safetensors::ParsedFile>, LoadError> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(p) => ok.push(p),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(LoadError { errors })
    }
}

fn assemble(
    layout: Layout,
    path: &Path,
    parsed: Vec<safetensors::ParsedFile>,
    index: Option<crate::model::checkpoint::IndexInfo>,
    notes: Vec<String>,
) -> Checkpoint {
    let mut files: Vec<FileInfo> = Vec::with_capacity(parsed.len());
    let mut tensors: Vec<Tensor> = Vec::with_capacity(parsed.iter().map(|p| p.tensors.len()).sum());
    for (i, p) in parsed.into_iter().enumerate() {
        files.push(p.info);
        tensors.extend(p.tensors.into_iter().map(|t| Tensor { file: i, ..t }));
    }
    Checkpoint {
        format: Format::Safetensors,
        layout,
        path: path.to_path_buf(),
        files,
        tensors,
        index,
        metadata: Vec::new(),
        notes,
    }
}

fn duplicate_names(checkpoint: &Checkpoint) -> Vec<InputError> {
    let mut first_file: HashMap<&str, usize> = HashMap::with_capacity(checkpoint.tensors.len());
    let mut errors = Vec::new();
    for t in &checkpoint.tensors {
        if let Some(&f) = first_file.get(t.name.as_str()) {
            errors.push(InputError::new(
                &checkpoint.path,
                Problem::TensorInTwoFiles {
                    name: t.name.clone(),
                    first: checkpoint.files[f].path.display().to_string(),
                    second: checkpoint.files[t.file].path.display().to_string(),
                },
            ));
        } else {
            first_file.insert(&t.name, t.file);
        }
    }
    errors
}

fn load_sharded(
    index_path: &Path,
    unindexed: &[PathBuf],
    options: LoadOptions,
) -> Result<Checkpoint, LoadError> {
    let index = index::read(index_path)?;
    let folder = index_path.parent().unwrap_or(Path::new(""));
    let shards = index.shards();
    let mut errors = Vec::new();

    // Resolve every shard first; a missing or escaping shard is reported and the rest are still read.
    let mut readable: Vec<(&str, PathBuf)> = Vec::new();
    for shard in &shards {
        match resolve_shard(folder, shard, options) {
            Ok(p) => readable.push((shard, p)),
            Err(problem) => errors.push(InputError::new(index_path, problem)),
        }
    }
    let results: Vec<_> = readable
        .par_iter()
        .map(|(_, p)| safetensors::read(p, p))
        .collect();
    let mut parsed = Vec::new();
    let mut parsed_shards = Vec::new();
    for ((shard, _), r) in readable.iter().zip(results) {
        match r {
            Ok(p) => {
                parsed.push(p);
                parsed_shards.push(*shard);
            }
            Err(e) => errors.push(e),
        }
    }

    let notes = unindexed
        .iter()
        .map(|p| format!("{} is not named by the index and was not read", p.display()))
        .collect();
    let all_shards_read = errors.is_empty();
    let checkpoint = assemble(
        Layout::Sharded,
        index_path,
        parsed,
        Some(index.info.clone()),
        notes,
    );
    errors.extend(duplicate_names(&checkpoint));
    errors.extend(consistency(
        &checkpoint,
        &index,
        &parsed_shards,
        all_shards_read,
    ));
    if errors.is_empty() {
        Ok(checkpoint)
    } else {
        Err(LoadError { errors })
    }
}

fn resolve_shard(folder: &Path, shard: &str, options: LoadOptions) -> Result<PathBuf, Problem> {
    if !index::shard_name_is_contained(shard) {
        return Err(Problem::ShardOutsideFolder {
            shard: shard.to_string(),
        });
    }
    let path = folder.join(shard);
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Problem::MissingShard {
            shard: shard.to_string(),
        });
    }
    if !options.follow_symlinks {
        // A symlink may point anywhere; only accept it when it resolves inside the checkpoint's folder.
        let real = path.canonicalize().map_err(|_| Problem::MissingShard {
            shard: shard.to_string(),
        })?;
        let base = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        let inside = base
            .canonicalize()
            .map(|b| real.starts_with(&b) || hub_cache_blob(&b, &real))
            .unwrap_or(false);
        if !inside {
            return Err(Problem::ShardOutsideFolder {
                shard: format!(
                    "{shard} (a symlink to {}; pass --follow-symlinks to allow)",
                    real.display()
                ),
            });
        }
    }
    Ok(path)
}

/// The Hugging Face cache stores a download's files in `REPO/blobs/` and links them from `REPO/snapshots/REV/`;
/// a link from a snapshot (or a folder in it) into its own repository's blobs stays inside that download.
fn hub_cache_blob(folder: &Path, real: &Path) -> bool {
    folder.ancestors().any(|snapshot| {
        let Some(snapshots) = snapshot.parent() else {
            return false;
        };
        snapshots.file_name() == Some("snapshots".as_ref())
            && snapshots
                .parent()
                .is_some_and(|repo| real.parent() == Some(&repo.join("blobs")))
    })
}

/// Index vs shards: every mapped tensor is in its shard, every shard tensor is mapped there, and
/// `total_size` is the sum of tensor bytes (docs/FORMATS.md §3).
fn consistency(
    checkpoint: &Checkpoint,
    index: &index::Index,
    parsed_shards: &[&str],
    all_shards_read: bool,
) -> Vec<InputError> {
    let at_index = |problem| InputError::new(&index.info.path, problem);
    let mut errors = Vec::new();
    let mapped: HashMap<&str, &str> = index
        .weight_map
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let mut present: HashMap<&str, &str> = HashMap::with_capacity(checkpoint.tensors.len());
    for t in &checkpoint.tensors {
        let shard = parsed_shards[t.file];
        present.entry(&t.name).or_insert(shard);
        match mapped.get(t.name.as_str()) {
            None => errors.push(at_index(Problem::TensorNotInIndex {
                name: t.name.clone(),
                shard: shard.to_string(),
            })),
            Some(&expected) if expected != shard => {
                errors.push(at_index(Problem::TensorInWrongShard {
                    name: t.name.clone(),
                    shard: shard.to_string(),
                    expected: expected.to_string(),
                }))
            }
            Some(_) => {}
        }
    }
    let read: std::collections::HashSet<&str> = parsed_shards.iter().copied().collect();
    for (name, shard) in &index.weight_map {
        // A tensor found in another shard was reported above; one found nowhere is reported here.
        if read.contains(shard.as_str()) && !present.contains_key(name.as_str()) {
            errors.push(at_index(Problem::TensorNotInShard {
                name: name.clone(),
                expected: shard.clone(),
            }));
        }
    }
    if let (Some(claimed), true) = (index.info.total_size, all_shards_read) {
        let actual = checkpoint.tensor_bytes();
        if claimed != actual {
            errors.push(at_index(Problem::TotalSizeMismatch { claimed, actual }));
        }
    }
    errors
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

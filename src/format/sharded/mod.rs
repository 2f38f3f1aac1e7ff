//! A sharded checkpoint in any format: an index (`*.safetensors.index.json`, transformers'
//! `pytorch_model.bin.index.json`: the same schema) and the shards it names, with every consistency check between
//! them (docs/FORMATS.md §3), or the shards of a folder without an index. Each format brings its shard reader.

pub mod index;
mod links;
mod scan;
pub mod weight_map;

use super::discover::series;
use super::error::{DiscoveryProblem, InputError, LoadError, Problem, ShardedProblem};
use super::{assemble, duplicate_names, ParsedFile};
use crate::model::checkpoint::{Checkpoint, Format, Layout, Tensor};
use foldhash::HashMap as FastMap;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A format's reader of one shard: the file to read, the path to name it by.
pub type ReadShard = fn(&Path, &Path) -> Result<ParsedFile, InputError>;

/// An index and the shards it names. Every shard is read even when one fails.
pub fn load_indexed(
    index_path: &Path,
    unindexed: &[PathBuf],
    format: Format,
    read: ReadShard,
) -> Result<Checkpoint, LoadError> {
    let index = index::read(index_path)?;
    let folder = index_path.parent().unwrap_or(Path::new(""));
    let shards = index.shards();
    let mut errors = Vec::new();

    // Resolve every shard first; a missing or escaping shard is reported and the rest are still read.
    let mut readable: Vec<(&str, PathBuf)> = Vec::new();
    for shard in &shards {
        match resolve_shard(folder, shard) {
            Ok(p) => readable.push((shard, p)),
            Err(problem) => errors.push(InputError::new(index_path, problem)),
        }
    }
    let counts = (format == Format::Safetensors && errors.is_empty())
        .then(|| expected_counts(&index, &readable))
        .flatten();
    let (results, placed) = match counts {
        Some(counts) => read_in_place(&readable, &counts, read),
        None => (readable.par_iter().map(|(_, p)| read(p, p)).collect(), None),
    };
    let read_paths: Vec<PathBuf> = readable.iter().map(|(_, p)| p.clone()).collect();
    let notes = links::outside_note(folder, &read_paths)
        .into_iter()
        .chain(
            unindexed
                .iter()
                .map(|p| format!("{} is not named by the index and was not read", p.display())),
        )
        .collect();
    let names: Vec<&str> = readable.iter().map(|(shard, _)| *shard).collect();
    let shards_read = names.into_iter().zip(results).collect();
    finish_indexed(
        index_path,
        &index,
        shards_read,
        placed,
        errors,
        notes,
        format,
    )
}

/// Per shard of `readable`, how many tensors the index says it holds, when the index was read the quick way and
/// they are many.
fn expected_counts(index: &index::Index, readable: &[(&str, PathBuf)]) -> Option<Vec<usize>> {
    let tallies = &index.quick()?.tallies;
    let counts: Vec<usize> = readable
        .iter()
        .map(|(shard, _)| Some(tallies.get(index.shard_number(shard)?)?.count as usize))
        .collect::<Option<_>>()?;
    let many = readable.len() > 1 && counts.iter().sum::<usize>() >= crate::each::PARALLEL_FROM;
    many.then_some(counts)
}

/// The shards read side by side, each one's tensors moved into their place in the checkpoint's list as soon as it
/// is read, when it holds as many as the index says: that list is then the checkpoint's, and each shard's own
/// list is freed while the next shard is read into the memory it held. Made after every shard was read, the list
/// was a copy of every tensor on one core, in fresh memory, with the shards' lists still held (DeepSeek-V3: 8 MB
/// twice). When a shard cannot be read or holds another number of tensors, every shard takes its tensors back
/// and the checkpoint is assembled as usual (its checks report the difference).
fn read_in_place(
    readable: &[(&str, PathBuf)],
    counts: &[usize],
    read: ReadShard,
) -> (Vec<Result<ParsedFile, InputError>>, Option<Vec<Tensor>>) {
    let total = counts.iter().sum();
    let mut all: Vec<Tensor> = Vec::with_capacity(total);
    all.par_extend((0..total).into_par_iter().map(|_| Tensor::placeholder()));
    let results: Vec<(Result<ParsedFile, InputError>, bool)> = windows(&mut all, counts)
        .into_par_iter()
        .zip(readable)
        .enumerate()
        .map(|(k, (window, (_, path)))| {
            let mut r = read(path, path);
            let moved = match &mut r {
                Ok(parsed) if parsed.tensors.len() == window.len() => {
                    for (slot, mut t) in window.iter_mut().zip(std::mem::take(&mut parsed.tensors))
                    {
                        t.file = k;
                        *slot = t;
                    }
                    true
                }
                _ => false,
            };
            (r, moved)
        })
        .collect();
    if results.iter().all(|(r, moved)| r.is_ok() && *moved) {
        return (results.into_iter().map(|(r, _)| r).collect(), Some(all));
    }
    let results = results
        .into_iter()
        .zip(windows(&mut all, counts))
        .map(|((mut r, moved), window)| {
            if let (Ok(parsed), true) = (&mut r, moved) {
                parsed.tensors = window
                    .iter_mut()
                    .map(|t| Tensor {
                        file: 0,
                        ..std::mem::replace(t, Tensor::placeholder())
                    })
                    .collect();
            }
            r
        })
        .collect();
    (results, None)
}

/// `all` cut into consecutive windows of `counts` tensors.
fn windows<'a>(all: &'a mut [Tensor], counts: &[usize]) -> Vec<&'a mut [Tensor]> {
    let mut rest = all;
    counts
        .iter()
        .map(|&n| {
            let n = n.min(rest.len());
            let (window, after) = std::mem::take(&mut rest).split_at_mut(n);
            rest = after;
            window
        })
        .collect()
}

/// An index's checkpoint from the shards read (each with its name as the index writes it), wherever their bytes
/// came from: assembled, and checked against the index. `placed` is every shard's tensors in order when they were
/// moved there already ([`read_in_place`]); `errors` are the problems already met.
pub(crate) fn finish_indexed(
    index_path: &Path,
    index: &index::Index,
    shards_read: Vec<(&str, Result<ParsedFile, InputError>)>,
    placed: Option<Vec<Tensor>>,
    mut errors: Vec<InputError>,
    notes: Vec<String>,
    format: Format,
) -> Result<Checkpoint, LoadError> {
    let mut parsed = Vec::new();
    let mut parsed_shards = Vec::new();
    for (shard, r) in shards_read {
        match r {
            Ok(p) => {
                parsed.push(p);
                parsed_shards.push(shard);
            }
            Err(e) => errors.push(e),
        }
    }
    let all_shards_read = errors.is_empty();
    let mut checkpoint = assemble(
        format,
        Layout::Sharded,
        index_path,
        parsed,
        Some(index.info.clone()),
        notes,
    );
    if let Some(all) = placed {
        checkpoint.tensors = all;
    }
    errors.extend(consistency(
        &checkpoint,
        index,
        &parsed_shards,
        all_shards_read,
    ));
    if errors.is_empty() {
        Ok(checkpoint)
    } else {
        Err(LoadError { errors })
    }
}

/// The shards of one checkpoint in a folder without an index. Every shard is read even when one fails.
pub fn load_unindexed(
    folder: &Path,
    files: &[PathBuf],
    format: Format,
    read: ReadShard,
) -> Result<Checkpoint, LoadError> {
    let errors: Vec<InputError> = series::missing(files)
        .into_iter()
        .map(|(part, count, file)| {
            let file = file.display().to_string();
            InputError::new(
                folder,
                DiscoveryProblem::MissingPart { part, count, file }.into(),
            )
        })
        .collect();
    let results: Vec<_> = files.par_iter().map(|f| read(f, f)).collect();
    let notes = links::outside_note(folder, files).into_iter().collect();
    finish_unindexed(folder, results, errors, notes, format)
}

/// The checkpoint of shards read without an index, wherever their bytes came from; `errors` are the problems
/// already met (missing parts), `notes` the reader's notes (symlinks pointing outside the folder).
pub(crate) fn finish_unindexed(
    folder: &Path,
    results: Vec<Result<ParsedFile, InputError>>,
    mut errors: Vec<InputError>,
    notes: Vec<String>,
    format: Format,
) -> Result<Checkpoint, LoadError> {
    let parsed = match collect_results(results) {
        Ok(parsed) if errors.is_empty() => parsed,
        Ok(_) => return Err(LoadError { errors }),
        Err(e) => {
            errors.extend(e.errors);
            return Err(LoadError { errors });
        }
    };
    let checkpoint = assemble(format, Layout::Directory, folder, parsed, None, notes);
    let errors = duplicate_names(&checkpoint);
    if errors.is_empty() {
        Ok(checkpoint)
    } else {
        Err(LoadError { errors })
    }
}

pub(crate) fn collect_results(
    results: Vec<Result<ParsedFile, InputError>>,
) -> Result<Vec<ParsedFile>, LoadError> {
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

fn resolve_shard(folder: &Path, shard: &str) -> Result<PathBuf, Problem> {
    if !index::shard_name_is_contained(shard) {
        return Err(ShardedProblem::ShardOutsideFolder {
            shard: shard.to_string(),
        }
        .into());
    }
    let path = folder.join(shard);
    // A dangling symlink is as missing as no file at all.
    if std::fs::metadata(&path).is_err() {
        return Err(ShardedProblem::MissingShard {
            shard: shard.to_string(),
        }
        .into());
    }
    Ok(path)
}

/// Index vs shards: every mapped tensor is in its shard, every shard tensor is mapped there, no tensor is in two
/// shards, and `total_size` is the sum of tensor bytes (docs/FORMATS.md §3). An index read the quick way is
/// compared first by its tallies (each shard's names counted and their hashes summed), and read whole only when a
/// shard disagrees, to name the tensors. Returns the duplicates first, as the reader of an unindexed folder
/// reports them.
fn consistency(
    checkpoint: &Checkpoint,
    index: &index::Index,
    parsed_shards: &[&str],
    all_shards_read: bool,
) -> Vec<InputError> {
    let mut errors = match index.quick() {
        Some(quick) if tallies_agree(checkpoint, index, quick, parsed_shards) => Vec::new(),
        _ => by_name(checkpoint, index, parsed_shards),
    };
    if let (Some(claimed), true) = (index.info.total_size, all_shards_read) {
        let actual = checkpoint.tensor_bytes();
        if claimed != actual {
            errors.push(InputError::new(
                &index.info.path,
                ShardedProblem::TotalSizeMismatch { claimed, actual }.into(),
            ));
        }
    }
    errors
}

/// Whether every shard read holds exactly the names the index maps to it, by count and sum of hashes. The
/// index names no tensor twice (the quick way refuses that), so agreeing shards hold no tensor twice either.
fn tallies_agree(
    checkpoint: &Checkpoint,
    index: &index::Index,
    quick: &index::Quick,
    parsed_shards: &[&str],
) -> bool {
    let files = checkpoint.files.len();
    let held = crate::each::fold(
        &checkpoint.tensors,
        |mut tallies: Vec<scan::Tally>, t| {
            tallies.resize(files, scan::Tally::default());
            tallies[t.file].add(scan::name_hash(&quick.hasher, t.name.as_bytes()));
            tallies
        },
        |a, b| match (a.is_empty(), b.is_empty()) {
            (true, _) => b,
            (_, true) => a,
            _ => a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect(),
        },
    );
    parsed_shards.iter().enumerate().all(|(file, name)| {
        let held = held.get(file).copied().unwrap_or_default();
        index
            .shard_number(name)
            .is_some_and(|n| quick.tallies.get(n) == Some(&held))
    })
}

/// The checks name by name, with the index's `weight_map` read whole: each tensor's entry is found through the
/// map's own table, and shards compare by number.
fn by_name(
    checkpoint: &Checkpoint,
    index: &index::Index,
    parsed_shards: &[&str],
) -> Vec<InputError> {
    let at_index = |problem| InputError::new(&index.info.path, problem);
    let map = match index.weight_map() {
        Ok(map) => map,
        Err(problem) => return vec![at_index(problem)],
    };
    let mut duplicates = Vec::new();
    let mut errors = Vec::new();
    // Each file's shard as the index numbers it (every file read is a shard the index names).
    let numbered: Vec<Option<usize>> = parsed_shards
        .iter()
        .map(|name| map.shard_number_of(name))
        .collect();
    // By entry: the file each was first found in, so the last check below is a scan, not a lookup per entry.
    let mut found_in: Vec<Option<usize>> = vec![None; map.len()];
    // Tensors the index does not name, by the file first holding them (rare: only broken checkpoints have any).
    let mut unmapped: FastMap<&str, usize> = FastMap::default();
    let mut twice = |name: &str, first: usize, second: usize| {
        duplicates.push(InputError::new(
            &checkpoint.path,
            ShardedProblem::TensorInTwoFiles {
                name: name.to_string(),
                first: checkpoint.files[first].path.display().to_string(),
                second: checkpoint.files[second].path.display().to_string(),
            }
            .into(),
        ))
    };
    for t in &checkpoint.tensors {
        let Some(at) = map.position(&t.name) else {
            match unmapped.get(t.name.as_str()) {
                Some(&first) => twice(&t.name, first, t.file),
                None => {
                    unmapped.insert(&t.name, t.file);
                }
            }
            errors.push(at_index(
                ShardedProblem::TensorNotInIndex {
                    name: t.name.clone(),
                    shard: parsed_shards[t.file].to_string(),
                }
                .into(),
            ));
            continue;
        };
        match found_in[at] {
            Some(first) => twice(&t.name, first, t.file),
            None => found_in[at] = Some(t.file),
        }
        if numbered[t.file] != Some(map.shard_of(at)) {
            errors.push(at_index(
                ShardedProblem::TensorInWrongShard {
                    name: t.name.clone(),
                    shard: parsed_shards[t.file].to_string(),
                    expected: map.get(at).1.to_string(),
                }
                .into(),
            ));
        }
    }
    let mut read = vec![false; map.shard_names().len()];
    for n in numbered.iter().flatten() {
        read[*n] = true;
    }
    for (at, found_in) in found_in.iter().enumerate() {
        // A tensor found in another shard was reported above; one found nowhere is reported here.
        if found_in.is_none() && read[map.shard_of(at)] {
            let (name, shard) = map.get(at);
            errors.push(at_index(
                ShardedProblem::TensorNotInShard {
                    name: name.to_string(),
                    expected: shard.to_string(),
                }
                .into(),
            ));
        }
    }
    duplicates.extend(errors);
    duplicates
}

//! Loading what the user named: every checkpoint of the paths (a folder can hold several), problems written as
//! they are met and the rest still read. paramscope never writes over what it reads: a report file
//! (`check --junit FILE`) that is one of the inputs, by any path (a symlink, a hard link, `./x` for `x`), is
//! refused before anything is written.

use crate::exit::UsageError;
use crate::output::print_load_error;
use paramscope::format::discover::{named, walk};
use paramscope::format::error::{InputError, LoadError};
use paramscope::format::file_id::identity;
use paramscope::format::{self, LoadOptions, Source};
use paramscope::model::checkpoint::Checkpoint;
use std::path::{Path, PathBuf};

/// The paths as they are read ([`named::resolve`]: a cache repository's snapshot, the companions of `model/*`
/// left out), with its notes written on stderr; a cache repository without the snapshot asked for comes back as
/// a problem.
pub fn resolve(paths: &[PathBuf], revision: Option<&str>) -> (Vec<PathBuf>, Vec<InputError>) {
    let named = named::resolve(paths, revision);
    for note in &named.notes {
        eprintln!("note: {}", paramscope::render::escape(note));
    }
    (named.paths, named.errors)
}

/// [`walk::each_checkpoint`] over the paths as [`resolve`] gives them (a recursive walk takes them as named: it
/// goes through every snapshot of a cache).
pub fn each_checkpoint(
    paths: &[PathBuf],
    recursive: bool,
    revision: Option<&str>,
    mut visit: impl FnMut(Result<Source, InputError>),
) {
    if recursive {
        return walk::each_checkpoint(paths, true, visit);
    }
    let (paths, problems) = resolve(paths, revision);
    problems.into_iter().for_each(|e| visit(Err(e)));
    walk::each_checkpoint(&paths, false, visit);
}

/// Every checkpoint the paths name, or why one could not be read with the path it is reported under: paths that
/// name nothing readable first, then each checkpoint in turn (one named twice is read once).
pub fn load_each(
    paths: &[PathBuf],
    options: LoadOptions,
    revision: Option<&str>,
) -> Vec<Result<Checkpoint, (PathBuf, LoadError)>> {
    let (paths, problems) = resolve(paths, revision);
    problems
        .into_iter()
        .map(|e| walk::load(Err(e), options))
        .chain(walk::load_each(&paths, options))
        .collect()
}

/// [`load_each`], each problem written (in JSON when `json`): the checkpoints read, and how many inputs failed.
pub fn load_all(
    paths: &[PathBuf],
    options: LoadOptions,
    revision: Option<&str>,
    json: bool,
) -> (Vec<Checkpoint>, Vec<(PathBuf, LoadError)>) {
    let mut checkpoints = Vec::new();
    let mut failed = Vec::new();
    for loaded in load_each(paths, options, revision) {
        match loaded {
            Ok(c) => checkpoints.push(c),
            Err((path, e)) => {
                print_load_error(&e, json);
                failed.push((path, e));
            }
        }
    }
    (checkpoints, failed)
}

/// The one checkpoint a path names (`Err` of its problems when it could not be read: they are written on
/// stderr); a folder holding several is a usage error naming them.
pub fn load_one(
    path: &Path,
    options: LoadOptions,
    revision: Option<&str>,
    json: bool,
) -> Result<Result<Checkpoint, Vec<(PathBuf, LoadError)>>, UsageError> {
    let (mut checkpoints, failed) = load_all(&[path.to_path_buf()], options, revision, json);
    if !failed.is_empty() {
        return Ok(Err(failed));
    }
    if checkpoints.len() > 1 {
        let names: Vec<String> = checkpoints
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        return Err(UsageError(format!(
            "{}: holds {} checkpoints ({}); name one of them",
            path.display(),
            checkpoints.len(),
            names.join(", ")
        )));
    }
    Ok(checkpoints.pop().ok_or_else(Vec::new))
}

/// The input that `target` would overwrite, by the path it was named or found under; `None` when `target`
/// does not exist yet (then it is no input) or is none of them.
pub fn overwritten_input<'a>(
    target: &Path,
    paths: &[PathBuf],
    recursive: bool,
    other_files: impl IntoIterator<Item = &'a Path>,
) -> Option<PathBuf> {
    let target = identity(target)?;
    let mut named: Vec<PathBuf> = other_files.into_iter().map(Path::to_path_buf).collect();
    for path in paths {
        named.push(path.clone());
        walk::each_source(path, recursive, |source| {
            if let Ok(source) = source {
                named.extend(files_read(&source));
            }
        });
    }
    named
        .into_iter()
        .find(|path| identity(path).as_ref() == Some(&target))
}

/// Every file reading `source` opens: an index and its shards, the shards of a series, a GGUF's parts.
fn files_read(source: &Source) -> Vec<PathBuf> {
    match source {
        Source::File(path) => vec![path.clone()],
        Source::Index { path, unindexed } => {
            let folder = path.parent().unwrap_or(Path::new(""));
            let shards: Vec<PathBuf> = format::sharded::index::read(path)
                .map(|index| index.shards().into_iter().map(|s| folder.join(s)).collect())
                .unwrap_or_default();
            std::iter::once(path.clone())
                .chain(unindexed.iter().cloned())
                .chain(shards)
                .collect()
        }
        Source::Shards { files, .. } => files.clone(),
        Source::Gguf { parts, .. } => parts.clone(),
        // Nothing local is read, so nothing local can be overwritten.
        Source::Remote(_) => Vec::new(),
    }
}

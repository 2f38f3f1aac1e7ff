//! Every checkpoint under a folder, for auditing a model store: each folder is discovered as `inspect` discovers a
//! folder (an index once with its shards, unindexed shards grouped, single files alone), then its subfolders, in
//! name order. Checkpoints are handed over one at a time so nothing accumulates but the paths of shards that an
//! index keeps in a subfolder.
//!
//! Symlinked folders are not entered (a link back up the tree would never end); symlinked files are read.

use crate::format::error::{DiscoveryProblem, InputError, Problem};
use crate::format::{self, Source};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Calls `visit` with each checkpoint found under `root` (or `root` itself when it is a file), or with the
/// problem that kept a folder from being read. Folders without weight files are skipped silently, but a root
/// with none anywhere under it is reported (`empty_directory`), as an unreadable checkpoint is, so that every
/// output format (JSON, JUnit, annotations) says so.
pub fn walk(root: &Path, mut visit: impl FnMut(Result<Source, InputError>)) {
    let mut found = false;
    walk_tree(root, |source| {
        found = true;
        visit(source)
    });
    if !found {
        visit(Err(InputError::new(
            root,
            DiscoveryProblem::EmptyDirectory.into(),
        )));
    }
}

fn walk_tree(root: &Path, mut visit: impl FnMut(Result<Source, InputError>)) {
    let mut pending = vec![root.to_path_buf()];
    // Shards an index names in a subfolder of its own (`shards/model-00001-of-00004.safetensors`): they belong to
    // that index's checkpoint and are not listed again when the walk reaches their folder.
    let mut claimed = HashSet::new();
    while let Some(folder) = pending.pop() {
        match std::fs::metadata(&folder) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                discovered(format::discover(&folder), &mut visit);
                continue;
            }
            Err(e) => {
                visit(Err(InputError::new(&folder, Problem::Io(e))));
                continue;
            }
        }
        let found = format::discover(&folder).map(|sources| {
            sources
                .into_iter()
                .filter_map(|s| unclaimed(s, &mut claimed))
                .collect()
        });
        // A folder that cannot be listed is reported once, not again for its subfolders.
        if !discovered(found, &mut visit) {
            continue;
        }
        match subfolders(&folder) {
            // Reversed so that popping visits them in name order.
            Ok(subs) => pending.extend(subs.into_iter().rev()),
            Err(e) => visit(Err(e)),
        }
    }
}

/// Records the subfolder shards an index names; drops from other sources the files an index already claimed.
fn unclaimed(source: Source, claimed: &mut HashSet<PathBuf>) -> Option<Source> {
    match source {
        Source::Index { ref path, .. } => {
            let folder = path.parent().unwrap_or(Path::new(""));
            if let Ok(index) = format::sharded::index::read(path) {
                let nested = index
                    .shards()
                    .into_iter()
                    .filter(|s| s.contains(['/', '\\']));
                claimed.extend(nested.map(|s| folder.join(s)));
            }
            Some(source)
        }
        Source::File(ref path) => (!claimed.contains(path)).then_some(source),
        Source::Shards { folder, files } => {
            let files: Vec<PathBuf> = files.into_iter().filter(|f| !claimed.contains(f)).collect();
            (!files.is_empty()).then_some(Source::Shards { folder, files })
        }
        Source::Gguf { .. } => Some(source),
    }
}

/// Hands over what a folder holds; false when the folder itself could not be read.
fn discovered(
    result: Result<Vec<Source>, InputError>,
    visit: &mut impl FnMut(Result<Source, InputError>),
) -> bool {
    match result {
        Ok(sources) => sources.into_iter().for_each(|s| visit(Ok(s))),
        // A cache repository's snapshot is reached below it.
        Err(e)
            if matches!(
                *e.problem,
                Problem::Discovery(DiscoveryProblem::EmptyDirectory)
                    | Problem::Discovery(DiscoveryProblem::CacheRepository { .. })
                    | Problem::Discovery(DiscoveryProblem::OnlyForeign { .. })
            ) => {}
        Err(e) => {
            let unreadable = matches!(*e.problem, Problem::Io(_));
            visit(Err(e));
            return !unreadable;
        }
    }
    true
}

fn subfolders(folder: &Path) -> Result<Vec<PathBuf>, InputError> {
    let read = std::fs::read_dir(folder).map_err(|e| InputError::new(folder, Problem::Io(e)))?;
    let mut subs = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| InputError::new(folder, Problem::Io(e)))?;
        // `file_type` does not follow symlinks.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            subs.push(entry.path());
        }
    }
    subs.sort();
    Ok(subs)
}

/// The path a source is known by: its file, its index, or its folder of shards.
pub fn source_path(source: &Source) -> &Path {
    match source {
        Source::File(path) => path,
        Source::Index { path, .. } => path,
        Source::Shards { folder, .. } => folder,
        Source::Gguf { shown, .. } => shown,
    }
}

/// The checkpoints a PATH names: with `recursive`, every one under it; otherwise as `inspect PATH` finds them.
pub fn each_source(
    path: &Path,
    recursive: bool,
    mut visit: impl FnMut(Result<Source, InputError>),
) {
    if recursive {
        walk(path, visit);
    } else {
        match format::discover(path) {
            Ok(sources) => sources.into_iter().for_each(|s| visit(Ok(s))),
            Err(e) => visit(Err(e)),
        }
    }
}

/// The checkpoints all PATHs name, each once: an index named beside its shards (`model/*`) or a folder beside its
/// own index is read once, as are the parts of one multi-part GGUF. With `recursive`, each PATH is walked in turn
/// (a checkpoint under two of them is read once; one PATH keeps only what [`walk`] keeps).
pub fn each_checkpoint(
    paths: &[PathBuf],
    recursive: bool,
    mut visit: impl FnMut(Result<Source, InputError>),
) {
    let mut splits_seen = SplitsSeen::default();
    let mut visit = |found: Result<Source, InputError>| {
        if !found.as_ref().is_ok_and(|s| splits_seen.repeated(s)) {
            visit(found)
        }
    };
    if recursive {
        let mut repeats = (paths.len() > 1).then(format::discover::Repeats::default);
        for path in paths {
            walk(path, |found| {
                let repeated = match (&found, &mut repeats) {
                    (Ok(source), Some(repeats)) => repeats.repeated(source),
                    _ => false,
                };
                if !repeated {
                    visit(found)
                }
            });
        }
        return;
    }
    let mut found = Vec::new();
    for path in paths {
        match format::discover(path) {
            Ok(sources) => found.extend(sources.into_iter().map(Ok)),
            Err(e) => found.push(Err(e)),
        }
    }
    let found = format::discover::named_series(found);
    format::discover::without_repeats(found, |f| f.as_ref().ok())
        .into_iter()
        .for_each(visit);
}

/// The multi-part GGUFs already handed over, so that naming several parts of one (`model-*.gguf`, or a part and
/// its folder) gives one checkpoint, not one per part.
#[derive(Default)]
pub struct SplitsSeen(HashSet<Vec<PathBuf>>);

impl SplitsSeen {
    /// Whether `source` is a multi-part GGUF seen before (and remembers it otherwise).
    pub fn repeated(&mut self, source: &Source) -> bool {
        source
            .split_identity()
            .is_some_and(|parts| !self.0.insert(parts))
    }
}

/// Reads what [`each_source`] found; a failure comes with the path it is reported under.
pub fn load(
    found: Result<Source, InputError>,
    options: format::LoadOptions,
) -> Result<crate::model::checkpoint::Checkpoint, (PathBuf, crate::format::error::LoadError)> {
    match found {
        Ok(source) => {
            format::load(&source, options).map_err(|e| (source_path(&source).to_path_buf(), e))
        }
        Err(e) => Err((e.path.clone(), e.into())),
    }
}

/// Every checkpoint the paths name (as [`each_checkpoint`] finds them, without walking), or why one could not be
/// read with the path it is reported under: paths that name nothing readable first, then each checkpoint in turn
/// (one named twice is read once). What the command line and the Python module read for `inspect` and `stats`.
pub fn load_each(
    paths: &[PathBuf],
    options: format::LoadOptions,
) -> Vec<Result<crate::model::checkpoint::Checkpoint, (PathBuf, crate::format::error::LoadError)>> {
    let mut found = Vec::new();
    each_checkpoint(paths, false, |f| found.push(f));
    let (unreadable, sources): (Vec<_>, Vec<_>) = found.into_iter().partition(Result::is_err);
    unreadable
        .into_iter()
        .chain(sources)
        .map(|f| load(f, options))
        .collect()
}

/// Why a path that must name one checkpoint (`footprint PATH`, each side of `diff`) gives none to work on.
#[derive(Debug)]
pub enum NotOne {
    /// Checkpoints under it could not be read (every one's problems; none when the path named no checkpoint).
    Unreadable(Vec<crate::format::error::LoadError>),
    /// A folder holding several checkpoints, each readable: the user must name one (a usage error).
    Several {
        /// The path named.
        path: PathBuf,
        /// The paths the checkpoints under it are known by.
        checkpoints: Vec<PathBuf>,
    },
}

impl std::fmt::Display for NotOne {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotOne::Unreadable(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            NotOne::Several { path, checkpoints } => {
                let names: Vec<String> = checkpoints
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect();
                write!(
                    f,
                    "{}: holds {} checkpoints ({}); name one of them",
                    path.display(),
                    checkpoints.len(),
                    names.join(", ")
                )
            }
        }
    }
}

/// The one checkpoint a path names: a folder holding several is refused naming them ([`NotOne::Several`]), as is
/// one whose checkpoints cannot all be read.
pub fn load_one(
    path: &Path,
    options: format::LoadOptions,
) -> Result<crate::model::checkpoint::Checkpoint, NotOne> {
    let mut checkpoints = Vec::new();
    let mut failed = Vec::new();
    for loaded in load_each(&[path.to_path_buf()], options) {
        match loaded {
            Ok(c) => checkpoints.push(c),
            Err((_, e)) => failed.push(e),
        }
    }
    if !failed.is_empty() || checkpoints.is_empty() {
        return Err(NotOne::Unreadable(failed));
    }
    if checkpoints.len() > 1 {
        return Err(NotOne::Several {
            path: path.to_path_buf(),
            checkpoints: checkpoints.into_iter().map(|c| c.path).collect(),
        });
    }
    Ok(checkpoints.remove(0))
}

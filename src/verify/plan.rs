//! Which files a target names, and the references each has, before anything is hashed.
//!
//! A folder (or a Hugging Face cache snapshot, or the repository folder holding it) is verified whole: its weight
//! files as discovery finds them (shards, indexes, GGUF parts), and every file in it that a reference names: a
//! manifest's entries anywhere under it, the files directly in it that link into the cache (config.json,
//! tokenizer files). A file is verified as itself, an index with the shards it names. A file that should be
//! there and is not (a shard the index names, a part of a series, a manifest entry, a cache link whose blob is
//! gone) is planned as missing, with what expected it.

use super::reference::{self, Reference, ReferenceList};
use crate::format::discover::{self, resolved, series, Source};
use crate::format::error::InputError;
use crate::format::sharded;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One file to hash, or to report missing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Planned {
    /// The file's path as the target names it.
    pub path: PathBuf,
    /// In [`ReferenceKind`](reference::ReferenceKind) order.
    pub references: Vec<Reference>,
    /// Why the file should exist, when it does not.
    pub missing: Option<String>,
}

/// The files of every target, each once (by resolved path: the same for `model/x` and `./model/x`), in the targets' order; and the targets that
/// could not be read.
pub fn plan(
    targets: &[PathBuf],
    digest: Option<&str>,
    lists: &[ReferenceList],
) -> (Vec<Planned>, Vec<InputError>) {
    let listed: Vec<(&ReferenceList, HashMap<PathBuf, &reference::ListedFile>)> =
        lists.iter().map(|l| (l, l.by_path())).collect();
    let mut planned = Vec::new();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for target in targets {
        let files = match files_of(target, &listed, &mut errors) {
            Ok(files) => files,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for (path, expected_by) in files {
            let key = resolved(&path);
            if !seen.insert(key.clone()) {
                continue;
            }
            let mut references: Vec<Reference> = Vec::new();
            if let Some(hex) = digest.filter(|_| targets.len() == 1 && path == *target) {
                references.push(reference::argument(hex));
            }
            for (_, by_path) in &listed {
                if let Some(f) = by_path.get(&key) {
                    references.push(f.reference.clone());
                }
            }
            let link = reference::cache_link(&path);
            if let Some(link) = &link {
                references.push(link.reference.clone());
            }
            references.sort_by_key(|r| r.kind);
            let missing = (!path.exists()).then(|| match &link {
                Some(link) => format!("its cache blob {} is missing", link.blob.display()),
                None => expected_by.unwrap_or_else(|| "named as a target".into()),
            });
            planned.push(Planned {
                path,
                references,
                missing,
            });
        }
    }
    (planned, errors)
}

/// Each reference list with its files by resolved path.
type Listed<'l> = [(
    &'l ReferenceList,
    HashMap<PathBuf, &'l reference::ListedFile>,
)];

/// The files a target names, each with what expects it (for a file that may be missing). An index that cannot be
/// read is still hashed (a mismatch is the likelier story) and its problem added to `problems`.
fn files_of(
    target: &Path,
    listed: &Listed,
    problems: &mut Vec<InputError>,
) -> Result<Vec<(PathBuf, Option<String>)>, InputError> {
    if !target.is_dir() {
        // Nothing there at all, not even a dangling link, is unusable; a dangling link is a missing file.
        std::fs::symlink_metadata(target).map_err(|e| InputError::new(target, e.into()))?;
        let mut files = vec![(target.to_path_buf(), None)];
        if is_index(target) && target.exists() {
            files.extend(index_files(target, &[], problems));
        }
        return Ok(files);
    }
    let folder = match reference::repository_snapshot(target) {
        Some(snapshot) => snapshot?,
        None => target.to_path_buf(),
    };
    let mut files: Vec<(PathBuf, Option<String>)> = Vec::new();
    let discovered = discover::discover(&folder);
    if let Ok(sources) = &discovered {
        for source in sources {
            files.extend(source_files(source, problems));
        }
    }
    // The files directly in the folder that link into the cache, dangling links included.
    let mut linked: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| InputError::new(&folder, e.into()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| reference::cache_link(p).is_some())
        .collect();
    linked.sort();
    files.extend(linked.into_iter().map(|p| (p, None)));
    // Every manifest or listing entry under the folder.
    let root = resolved(&folder.join("x"));
    let root = root.parent().unwrap_or(Path::new(""));
    for (list, _) in listed {
        // Shown under the folder as named, whatever path the manifest was given by.
        let mut under: Vec<(PathBuf, Option<String>)> = list
            .files
            .iter()
            .filter_map(|f| {
                let inside = resolved(&list.on_disk(f))
                    .strip_prefix(root)
                    .ok()?
                    .to_path_buf();
                Some((
                    folder.join(inside),
                    Some(format!("listed in {}", f.reference.origin)),
                ))
            })
            .collect();
        under.sort();
        files.extend(under);
    }
    match discovered {
        Err(e) if files.is_empty() => Err(e),
        _ => Ok(files),
    }
}

/// The files reading a source would open, with the ones it lacks.
fn source_files(source: &Source, problems: &mut Vec<InputError>) -> Vec<(PathBuf, Option<String>)> {
    match source {
        Source::File(path) => vec![(path.clone(), None)],
        Source::Index { path, unindexed } => {
            let mut files = vec![(path.clone(), None)];
            files.extend(index_files(path, unindexed, problems));
            files
        }
        Source::Shards { files, .. } => {
            let mut out: Vec<(PathBuf, Option<String>)> =
                files.iter().map(|f| (f.clone(), None)).collect();
            for (n, total, path) in series::missing(files) {
                let why = format!("shard {n} of {total} by its siblings' names");
                out.push((path, Some(why)));
            }
            out
        }
        Source::Gguf { parts, .. } => {
            let total = parts.len();
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        p.clone(),
                        Some(format!("part {} of {total} of a split GGUF", i + 1)),
                    )
                })
                .collect()
        }
    }
}

/// The shards an index names (then the weight files beside it that it does not name).
fn index_files(
    index: &Path,
    unindexed: &[PathBuf],
    problems: &mut Vec<InputError>,
) -> Vec<(PathBuf, Option<String>)> {
    let folder = index.parent().unwrap_or(Path::new(""));
    let why = format!("named by {}", index.display());
    let mut files: Vec<(PathBuf, Option<String>)> = match sharded::index::read(index) {
        Ok(named) => named
            .shards()
            .into_iter()
            .map(|s| (folder.join(s), Some(why.clone())))
            .collect(),
        Err(e) => {
            problems.push(e);
            Vec::new()
        }
    };
    files.extend(unindexed.iter().map(|f| (f.clone(), None)));
    files
}

fn is_index(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".safetensors.index.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference::ReferenceKind;

    #[test]
    fn a_manifest_entry_under_the_folder_is_planned_even_when_absent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.gguf"), b"GGUF").unwrap();
        let list = ReferenceList {
            root: dir.path().to_path_buf(),
            files: vec![reference::ListedFile {
                path: "sub/b.bin".into(),
                reference: Reference {
                    kind: ReferenceKind::HubListing,
                    origin: "hf://org/name".into(),
                    ..reference::argument(&"ab".repeat(32))
                },
            }],
        };
        let (planned, errors) = plan(&[dir.path().to_path_buf()], None, &[list]);
        assert!(errors.is_empty(), "{errors:?}");
        let paths: Vec<&Path> = planned.iter().map(|p| p.path.as_path()).collect();
        assert_eq!(
            paths,
            [dir.path().join("a.gguf"), dir.path().join("sub/b.bin")]
        );
        assert_eq!(planned[0].references, []);
        assert_eq!(planned[1].references[0].kind, ReferenceKind::HubListing);
        assert_eq!(
            planned[1].missing.as_deref(),
            Some("listed in hf://org/name")
        );
    }

    #[test]
    fn an_index_that_cannot_be_read_is_still_hashed_and_its_problem_reported() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("model.safetensors.index.json");
        std::fs::write(&index, b"{not json").unwrap();
        let (planned, errors) = plan(std::slice::from_ref(&index), None, &[]);
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].path, index);
        assert!(planned[0].missing.is_none());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].problem.code(), "index_json");
    }
}

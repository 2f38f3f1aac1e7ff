//! A Hugging Face cache repository named as a path: `~/.cache/huggingface/hub/models--ORG--NAME` (or its
//! `snapshots/` folder) stands for one of its snapshots, as `from_pretrained` picks it: the commit `refs/REF` names
//! (`refs/main` unless a revision is asked for), or a commit hash given directly (or its first characters), or
//! the only snapshot there is.

use crate::format::error::{DiscoveryProblem, InputError, Problem};
use std::path::{Path, PathBuf};

/// The snapshot a cache repository folder stands for, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `REPO/snapshots/COMMIT`.
    pub path: PathBuf,
    /// `refs/main`, `the only snapshot`, `commit abc1234…`: for the note that says which snapshot was read.
    pub chosen_by: String,
}

/// The repository folder `path` is (`models--ORG--NAME`) or is the `snapshots/` folder of; `None` for any
/// other path.
pub fn repository(path: &Path) -> Option<PathBuf> {
    if path.join("snapshots").is_dir() && path.join("blobs").is_dir() || is_repo_name(path) {
        return path.join("snapshots").is_dir().then(|| path.to_path_buf());
    }
    let parent = path.parent()?;
    (path.file_name() == Some("snapshots".as_ref())
        && path.is_dir()
        && repository(parent).is_some())
    .then(|| parent.to_path_buf())
}

fn is_repo_name(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        ["models--", "datasets--", "spaces--"]
            .iter()
            .any(|p| n.starts_with(p))
    })
}

/// The snapshot of `repo` (a folder [`repository`] found) for `revision` (`main` when `None`).
pub fn snapshot(repo: &Path, revision: Option<&str>) -> Result<Snapshot, InputError> {
    let snapshots = repo.join("snapshots");
    let mut all: Vec<String> = std::fs::read_dir(&snapshots)
        .map_err(|e| InputError::new(&snapshots, Problem::Io(e)))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    all.sort();
    let wanted = revision.unwrap_or("main");
    let by_ref = std::fs::read_to_string(repo.join("refs").join(wanted))
        .ok()
        .map(|commit| commit.trim().to_string())
        .filter(|commit| all.contains(commit));
    if let Some(commit) = by_ref {
        return Ok(Snapshot {
            path: snapshots.join(commit),
            chosen_by: format!("refs/{wanted}"),
        });
    }
    if revision.is_some() {
        let matching: Vec<&String> = all
            .iter()
            .filter(|c| wanted.len() >= 4 && c.starts_with(wanted))
            .collect();
        if let [commit] = matching[..] {
            return Ok(Snapshot {
                path: snapshots.join(commit),
                chosen_by: format!("revision {wanted}"),
            });
        }
    } else if let [only] = &all[..] {
        return Ok(Snapshot {
            path: snapshots.join(only),
            chosen_by: "the only snapshot".into(),
        });
    }
    Err(InputError::new(
        repo,
        DiscoveryProblem::NoSnapshot {
            revision: wanted.to_string(),
            snapshots: all,
            refs: refs(repo),
        }
        .into(),
    ))
}

/// The names under `refs/` (branches and tags), sorted.
fn refs(repo: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo.join("refs"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(snapshots: &[&str], refs: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::TempDir::new().unwrap();
        let repo = dir.path().join("models--org--name");
        for s in snapshots {
            std::fs::create_dir_all(repo.join("snapshots").join(s)).unwrap();
        }
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::create_dir_all(repo.join("blobs")).unwrap();
        for (name, commit) in refs {
            std::fs::write(repo.join("refs").join(name), format!("{commit}\n")).unwrap();
        }
        dir
    }

    #[test]
    fn refs_main_then_the_only_snapshot_then_a_revision() {
        let dir = repo(
            &["aaaa1111", "bbbb2222"],
            &[("main", "bbbb2222"), ("v1", "aaaa1111")],
        );
        let r = dir.path().join("models--org--name");
        assert_eq!(repository(&r), Some(r.clone()));
        assert_eq!(repository(&r.join("snapshots")), Some(r.clone()));
        assert_eq!(repository(&r.join("snapshots/aaaa1111")), None);
        let main = snapshot(&r, None).unwrap();
        assert_eq!(
            (main.path, main.chosen_by.as_str()),
            (r.join("snapshots/bbbb2222"), "refs/main")
        );
        assert_eq!(
            snapshot(&r, Some("v1")).unwrap().path,
            r.join("snapshots/aaaa1111")
        );
        let by_hash = snapshot(&r, Some("aaaa")).unwrap();
        assert_eq!(by_hash.chosen_by, "revision aaaa");
        let e = snapshot(&r, Some("v2")).unwrap_err().to_string();
        assert!(
            e.contains("no snapshot for revision 'v2'") && e.contains("main, v1"),
            "{e}"
        );

        let only = repo(&["cccc3333"], &[]);
        let r = only.path().join("models--org--name");
        assert_eq!(snapshot(&r, None).unwrap().chosen_by, "the only snapshot");
        let two = repo(&["a", "b"], &[]);
        let e = snapshot(&two.path().join("models--org--name"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--revision"), "{e}");
    }
}

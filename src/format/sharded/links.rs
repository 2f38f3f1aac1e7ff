//! The one symlink rule, for shards with an index and without: a shard that is a symlink is read where it points,
//! wherever that is (tools that link weights into a working folder, `ln -s ~/models/llama/* .`, are the common
//! case), and a checkpoint whose shards lead out of its folder gets one note saying so. The Hugging Face cache's
//! own layout (`REPO/snapshots/REV/x -> ../../blobs/HASH`) is a download's inside and gets no note. What a shard
//! can never do is be named outside the folder: an index entry with `..` or an absolute path is refused before
//! anything is opened (see `index::shard_name_is_contained`), and whatever a link points to must be a regular file.

use std::path::{Path, PathBuf};

/// The note for the `files` of a checkpoint in `folder` that are symlinks resolving outside it, or `None`.
pub fn outside_note(folder: &Path, files: &[PathBuf]) -> Option<String> {
    let base = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let base = base.canonicalize().ok()?;
    let outside: Vec<(&PathBuf, PathBuf)> = files
        .iter()
        .filter(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.file_type().is_symlink()))
        .filter_map(|f| Some((f, f.canonicalize().ok()?)))
        .filter(|(_, real)| !real.starts_with(&base) && !hub_cache_blob(&base, real))
        .collect();
    let (first, real) = outside.first()?;
    let name = first.file_name().unwrap_or_default().to_string_lossy();
    let target = real.parent().unwrap_or(Path::new("")).display();
    Some(if outside.len() == 1 {
        format!(
            "{name} is a symlink to a file outside the checkpoint's folder ({target}); read there"
        )
    } else {
        format!(
            "{} shards are symlinks to files outside the checkpoint's folder ({name} → {target}, …); read there",
            outside.len()
        )
    })
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

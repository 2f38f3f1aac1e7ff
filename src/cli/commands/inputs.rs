//! paramscope never writes over what it reads: a report file (`check --junit FILE`) that is one of the inputs,
//! by any path (a symlink, a hard link, `./x` for `x`), is refused before anything is written.

use paramscope::format::discover::walk;
use paramscope::format::file_id::identity;
use paramscope::format::{self, Source};
use std::path::{Path, PathBuf};

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
    }
}

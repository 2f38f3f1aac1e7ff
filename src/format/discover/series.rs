//! Shards named as a series (`model-00001-of-00004.safetensors`, transformers' `pytorch_model-00001-of-00002.bin`):
//! which files belong together, and
//! which members a folder without an index lacks. The name is the only record of the series' length there, so a
//! shard lost in a download would otherwise go unnoticed.

use std::path::{Path, PathBuf};

/// A file name of the form `PREFIX-00002-of-00004.safetensors` (or `PREFIX_000002-of-000163…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardName {
    /// Everything before the shard number, separator included (`model-`).
    head: String,
    /// The shard number as written (`00002`): its width is kept for the siblings' names.
    number: String,
    /// The series length as written (`00004`).
    total: String,
    /// `.safetensors`, or a PyTorch shard's `.bin`, `.pt`, `.pth`.
    extension: &'static str,
}

/// Extensions of the files named as series.
const EXTENSIONS: [&str; 4] = [".safetensors", ".bin", ".pt", ".pth"];

impl ShardName {
    /// Parses a file name (not a path) of a shard in a series; `None` for any other name.
    pub fn parse(name: &str) -> Option<ShardName> {
        let extension = EXTENSIONS.into_iter().find(|e| name.ends_with(e))?;
        let stem = name.strip_suffix(extension)?;
        let (head, total) = stem.rsplit_once("-of-")?;
        let digits = |s: &str| (5..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(total) {
            return None;
        }
        let split = head.rfind(['-', '_'])?;
        let number = &head[split + 1..];
        digits(number).then(|| ShardName {
            head: head[..=split].to_string(),
            number: number.to_string(),
            total: total.to_string(),
            extension,
        })
    }

    /// The key every shard of one series shares: the prefix and the total.
    pub fn group_key(&self) -> String {
        format!("{}|{}", &self.head[..self.head.len() - 1], self.total)
    }

    fn sibling(&self, number: u64) -> String {
        let width = self.number.len();
        format!(
            "{}{number:0width$}-of-{}{}",
            self.head, self.total, self.extension
        )
    }
}

/// The members of the series that `files` (shards of one series, in one folder) lack, as
/// (number, total, expected path), first to last.
pub fn missing(files: &[PathBuf]) -> Vec<(u64, u64, PathBuf)> {
    let named: Vec<(&PathBuf, ShardName)> = files
        .iter()
        .filter_map(|f| Some((f, ShardName::parse(&f.file_name()?.to_string_lossy())?)))
        .collect();
    let Some((first, name)) = named.first() else {
        return Vec::new();
    };
    let Ok(total) = name.total.parse::<u64>() else {
        return Vec::new();
    };
    let present: std::collections::HashSet<u64> = named
        .iter()
        .filter_map(|(_, n)| n.number.parse().ok())
        .collect();
    let folder = first.parent().unwrap_or(Path::new(""));
    (1..=total)
        .filter(|n| !present.contains(n))
        .map(|n| (n, total, folder.join(name.sibling(n))))
        .collect()
}

/// A note for a file named as one shard of a series but read alone (`inspect model-00001-of-00004.safetensors`):
/// its figures are that shard's, a fraction of the model's, which nothing else in the report would say.
pub fn lone_shard_note(path: &Path) -> Option<String> {
    let name = ShardName::parse(&path.file_name()?.to_string_lossy())?;
    let number: u64 = name.number.parse().ok()?;
    let total: u64 = name.total.parse().ok()?;
    (total > 1).then(|| {
        format!(
            "{} is part {number} of {total} of a sharded checkpoint, read alone: these figures are this file's \
             (name its folder or index for the whole model)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_keep_the_width_and_separator() {
        let name = ShardName::parse("model_000001-of-000163.safetensors").unwrap();
        assert_eq!(name.group_key(), "model|000163");
        assert_eq!(name.sibling(12), "model_000012-of-000163.safetensors");
    }

    #[test]
    fn lists_the_members_a_series_lacks() {
        let files = [
            PathBuf::from("d/model-00001-of-00004.safetensors"),
            PathBuf::from("d/model-00003-of-00004.safetensors"),
        ];
        assert_eq!(
            missing(&files),
            vec![
                (2, 4, PathBuf::from("d/model-00002-of-00004.safetensors")),
                (4, 4, PathBuf::from("d/model-00004-of-00004.safetensors")),
            ]
        );
        assert_eq!(missing(&files[..0]), vec![]);
    }
}

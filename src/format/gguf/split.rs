//! Multi-part GGUF (`NAME-00001-of-00003.gguf`, written by llama.cpp's `gguf-split` and gguf-py): the parts are
//! read as one checkpoint and checked against their `split.*` metadata. The first part carries the model's
//! metadata; every part carries `split.no` (0-based), `split.count` and `split.tensors.count` (the total).

use super::{read, ParsedGguf};
use crate::format::error::{DiscoveryProblem, GgufProblem, InputError, LoadError, Problem};
use crate::model::checkpoint::{Checkpoint, FileInfo, Format, Layout, Tensor};
use crate::model::metadata::MetadataDetail;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The metadata key of a part's 0-based number.
pub const KEY_NO: &str = "split.no";
/// The metadata key of the number of parts.
pub const KEY_COUNT: &str = "split.count";
/// The metadata key of the total number of tensors over all parts.
pub const KEY_TENSORS: &str = "split.tensors.count";

/// A file name of the form `PREFIX-00002-of-00003.gguf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartName {
    /// Everything before `-00002-of-00003.gguf`.
    pub prefix: String,
    /// 1-based, as in the name.
    pub part: u64,
    /// The number of parts, as in the name.
    pub count: u64,
    digits: usize,
}

impl PartName {
    /// Parses a file name (not a path) of a GGUF part; `None` for any other name, or a part number out of range.
    pub fn parse(file_name: &str) -> Option<PartName> {
        let stem = file_name.strip_suffix(".gguf")?;
        let (head, count) = stem.rsplit_once("-of-")?;
        let (prefix, part) = head.rsplit_once('-')?;
        let digits = |s: &str| (5..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(count) || part.len() != count.len() || !digits(part) || prefix.is_empty() {
            return None;
        }
        let (part_n, count_n) = (part.parse().ok()?, count.parse().ok()?);
        (1..=count_n).contains(&part_n).then(|| PartName {
            prefix: prefix.to_string(),
            part: part_n,
            count: count_n,
            digits: count.len(),
        })
    }

    /// The key every part of one multi-part file shares.
    pub fn group_key(&self) -> String {
        format!("{}|{}", self.prefix, self.count)
    }

    /// The file name of part `part` (1-based) of this series, numbers as wide as in the parsed name.
    pub fn file_name(&self, part: u64) -> String {
        let w = self.digits;
        format!("{}-{part:0w$}-of-{:0w$}.gguf", self.prefix, self.count)
    }
}

/// For a file named like a part, the paths of all its parts (existing or not), first to last.
pub fn part_paths(path: &Path) -> Option<Vec<PathBuf>> {
    let name = PartName::parse(&path.file_name()?.to_string_lossy())?;
    let folder = path.parent().unwrap_or(Path::new(""));
    Some(
        (1..=name.count)
            .map(|p| folder.join(name.file_name(p)))
            .collect(),
    )
}

/// Reads one GGUF checkpoint: a single file, or every part of a multi-part file (all read even when one fails,
/// so every broken part is reported at once).
pub fn load(
    shown: &Path,
    parts: &[PathBuf],
    detail: MetadataDetail,
) -> Result<Checkpoint, LoadError> {
    let mut errors = Vec::new();
    let mut present = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if p.exists() {
            present.push(p);
        } else {
            errors.push(InputError::new(
                shown,
                DiscoveryProblem::MissingPart {
                    part: i as u64 + 1,
                    count: parts.len() as u64,
                    file: p.display().to_string(),
                }
                .into(),
            ));
        }
    }
    let results: Vec<_> = present.par_iter().map(|p| read(p, p, detail)).collect();
    let mut parsed = Vec::new();
    for r in results {
        match r {
            Ok(p) => parsed.push(p),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(LoadError { errors });
    }
    let mut notes = Vec::new();
    if parts.len() > 1 {
        errors.extend(
            consistency(&parsed)
                .into_iter()
                .map(|p| InputError::new(shown, p)),
        );
    } else if let Some(count) = parsed[0].meta(KEY_COUNT).and_then(|v| v.as_u64()) {
        if count > 1 {
            notes.push(format!(
                "{KEY_COUNT} says this file is one of {count} parts, but it is not named like one \
                 (NAME-00001-of-{count:05}.gguf); only this file was read"
            ));
        }
    }
    let checkpoint = assemble(shown, parsed, notes);
    errors.extend(crate::format::duplicate_names(&checkpoint));
    if errors.is_empty() {
        Ok(checkpoint)
    } else {
        Err(LoadError { errors })
    }
}

fn assemble(shown: &Path, parsed: Vec<ParsedGguf>, mut notes: Vec<String>) -> Checkpoint {
    let layout = if parsed.len() > 1 {
        Layout::Split
    } else {
        Layout::SingleFile
    };
    let mut files: Vec<FileInfo> = Vec::with_capacity(parsed.len());
    let mut tensors: Vec<Tensor> = Vec::new();
    let mut metadata = Vec::new();
    for (i, p) in parsed.into_iter().enumerate() {
        if i == 0 {
            metadata = p.metadata;
        }
        files.push(p.info);
        notes.extend(p.notes);
        tensors.extend(p.tensors.into_iter().map(|t| Tensor { file: i, ..t }));
    }
    Checkpoint {
        format: Format::Gguf,
        layout,
        path: shown.to_path_buf(),
        files,
        tensors,
        index: None,
        metadata,
        notes,
        storages: Vec::new(),
        pickle: None,
    }
}

/// Every part must agree with its name: `split.count` = the number of parts, `split.no` = its position, and
/// `split.tensors.count` = the tensors of all parts together.
fn consistency(parsed: &[ParsedGguf]) -> Vec<Problem> {
    let count = parsed.len() as u64;
    let total: u64 = parsed.iter().map(|p| p.tensors.len() as u64).sum();
    let mut problems = Vec::new();
    for (i, p) in parsed.iter().enumerate() {
        let file = p.info.path.display();
        let get = |key: &str| p.meta(key).and_then(|v| v.as_u64());
        match get(KEY_COUNT) {
            Some(c) if c == count => {}
            Some(c) => problems.push(
                GgufProblem::SplitInconsistent(format!(
                    "'{file}' says {KEY_COUNT} = {c}, but its name says {count} parts"
                ))
                .into(),
            ),
            None => problems.push(
                GgufProblem::SplitInconsistent(format!(
                    "'{file}' has no integer {KEY_COUNT} (not written by gguf-split?)"
                ))
                .into(),
            ),
        }
        match get(KEY_NO) {
            Some(n) if n == i as u64 => {}
            Some(n) => problems.push(
                GgufProblem::SplitInconsistent(format!(
                    "'{file}' says {KEY_NO} = {n}, but it is part {} (expected {KEY_NO} = {i})",
                    i + 1
                ))
                .into(),
            ),
            None => problems.push(
                GgufProblem::SplitInconsistent(format!("'{file}' has no integer {KEY_NO}")).into(),
            ),
        }
        match get(KEY_TENSORS) {
            Some(t) if t == total => {}
            Some(t) => problems.push(
                GgufProblem::SplitInconsistent(format!(
                    "'{file}' says {KEY_TENSORS} = {t}, but the {count} parts hold {total} tensors"
                ))
                .into(),
            ),
            None => problems.push(
                GgufProblem::SplitInconsistent(format!("'{file}' has no integer {KEY_TENSORS}"))
                    .into(),
            ),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        let n = PartName::parse("Llama-3-8B-Q4_K_M-00002-of-00003.gguf").unwrap();
        assert_eq!(
            (n.prefix.as_str(), n.part, n.count),
            ("Llama-3-8B-Q4_K_M", 2, 3)
        );
        assert_eq!(n.file_name(1), "Llama-3-8B-Q4_K_M-00001-of-00003.gguf");
        assert_eq!(n.group_key(), "Llama-3-8B-Q4_K_M|3");
        assert_eq!(PartName::parse("model-00004-of-00003.gguf"), None);
        assert_eq!(PartName::parse("model-00000-of-00003.gguf"), None);
        assert_eq!(PartName::parse("model-1-of-3.gguf"), None);
        assert_eq!(PartName::parse("model-00001-of-00003.safetensors"), None);
        assert_eq!(PartName::parse("model.gguf"), None);
        assert_eq!(
            part_paths(Path::new("d/m-00003-of-00003.gguf")).unwrap(),
            vec![
                PathBuf::from("d/m-00001-of-00003.gguf"),
                PathBuf::from("d/m-00002-of-00003.gguf"),
                PathBuf::from("d/m-00003-of-00003.gguf")
            ]
        );
    }
}

//! `--expect-tensors FILE`: the tensors a checkpoint must hold, by name and, where given, dtype and shape.
//!
//! FILE is what `inspect --format json --tensors` writes (its `tensors` list), or a JSON list whose entries are
//! names or `{name, dtype?, shape?}` objects. A list cut by `--limit` or `--filter` is refused: every tensor
//! not in it would be reported as unexpected.

use super::saved::{read_saved_json, SavedJsonError};
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::model::dtype::DType;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The tensors a checkpoint must hold (`--expect-tensors FILE`), as read from FILE.
#[derive(Debug, Clone)]
pub struct Expected {
    /// FILE, as given.
    pub source: PathBuf,
    /// The expected tensors in the file's order, each name once.
    pub tensors: Vec<ExpectedTensor>,
}

/// One expected tensor: its name and, where the file gives them, dtype and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedTensor {
    /// The tensor's name, exactly as the checkpoint must store it.
    pub name: String,
    /// The dtype it must have; `None` when the file does not say (any dtype passes).
    pub dtype: Option<DType>,
    /// The shape it must have; `None` when the file does not say (any shape passes).
    pub shape: Option<Vec<u64>>,
}

/// Why FILE cannot serve as the expected tensors; the message names the file. Names from the file are given as
/// they are: a terminal that shows the message escapes them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectError {
    /// FILE could not be read or is not JSON.
    #[error("--expect-tensors {}: {source}", path.display())]
    Unreadable {
        /// The expectations file, as given.
        path: PathBuf,
        /// Why it could not be read.
        source: SavedJsonError,
    },
    /// FILE is a report over several checkpoints.
    #[error("--expect-tensors {}: holds several checkpoints; write it from one", path.display())]
    SeveralCheckpoints {
        /// The expectations file, as given.
        path: PathBuf,
    },
    /// FILE's tensor list was cut by `--limit`.
    #[error("--expect-tensors {}: the tensor list was cut by --limit; write it without", path.display())]
    Limited {
        /// The expectations file, as given.
        path: PathBuf,
    },
    /// FILE's tensor list was written with `--filter`.
    #[error(
        "--expect-tensors {}: the tensor list was written with --filter; write it without",
        path.display()
    )]
    Filtered {
        /// The expectations file, as given.
        path: PathBuf,
    },
    /// FILE is an inspect report without a tensor list.
    #[error(
        "--expect-tensors {}: no \"tensors\" list; write it with \
         `paramscope inspect CHECKPOINT --format json --tensors`",
        path.display()
    )]
    NoTensorList {
        /// The expectations file, as given.
        path: PathBuf,
    },
    /// FILE is JSON but neither an inspect report nor a list.
    #[error("--expect-tensors {}: expected an inspect report or a list of tensors", path.display())]
    NotAList {
        /// The expectations file, as given.
        path: PathBuf,
    },
    /// One entry of the list is malformed.
    #[error("--expect-tensors {}: tensors[{index}]: {problem}", path.display())]
    Entry {
        /// The expectations file, as given.
        path: PathBuf,
        /// The entry's position in the list, from 0.
        index: usize,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// A tensor is listed more than once.
    #[error("--expect-tensors {}: tensor '{name}' is listed twice", path.display())]
    ListedTwice {
        /// The expectations file, as given.
        path: PathBuf,
        /// The name listed twice.
        name: String,
    },
}

/// What is wrong with one entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// Neither a string nor an object.
    #[error("expected a name or an object with \"name\"")]
    NotAnEntry,
    /// An object without a `name` string.
    #[error("no \"name\" string")]
    NoName,
    /// A `dtype` paramscope does not know (the name as written).
    #[error("unknown dtype '{0}'")]
    UnknownDtype(String),
    /// A `dtype` that is not a string.
    #[error("\"dtype\" is not a string")]
    DtypeNotText,
    /// A `shape` that is not a list.
    #[error("\"shape\" is not a list")]
    ShapeNotList,
    /// A `shape` with an element that is not a non-negative integer.
    #[error("\"shape\" holds a value that is not a non-negative integer")]
    ShapeNotDimensions,
}

/// Reads FILE.
pub fn read(path: &Path) -> Result<Expected, ExpectError> {
    let path_buf = || path.to_path_buf();
    let json = read_saved_json(path).map_err(|source| ExpectError::Unreadable {
        path: path_buf(),
        source,
    })?;
    let list = match &json {
        Value::Array(list) => list,
        Value::Object(report) => {
            if report.contains_key("checkpoints") {
                return Err(ExpectError::SeveralCheckpoints { path: path_buf() });
            }
            if report
                .get("tensors_listed_of")
                .is_some_and(|v| !v.is_null())
            {
                return Err(ExpectError::Limited { path: path_buf() });
            }
            if report.get("filtered") == Some(&Value::Bool(true)) {
                return Err(ExpectError::Filtered { path: path_buf() });
            }
            match report.get("tensors") {
                Some(Value::Array(list)) => list,
                _ => return Err(ExpectError::NoTensorList { path: path_buf() }),
            }
        }
        _ => return Err(ExpectError::NotAList { path: path_buf() }),
    };
    let mut seen = HashSet::with_capacity(list.len());
    let mut tensors = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let t = entry_of(entry).map_err(|problem| ExpectError::Entry {
            path: path_buf(),
            index,
            problem,
        })?;
        if !seen.insert(t.name.clone()) {
            return Err(ExpectError::ListedTwice {
                path: path_buf(),
                name: t.name,
            });
        }
        tensors.push(t);
    }
    Ok(Expected {
        source: path_buf(),
        tensors,
    })
}

fn entry_of(entry: &Value) -> Result<ExpectedTensor, EntryProblem> {
    let object = match entry {
        Value::String(name) => {
            return Ok(ExpectedTensor {
                name: name.clone(),
                dtype: None,
                shape: None,
            })
        }
        Value::Object(o) => o,
        _ => return Err(EntryProblem::NotAnEntry),
    };
    let name = match object.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => return Err(EntryProblem::NoName),
    };
    let dtype = match object.get("dtype") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => {
            Some(DType::from_name(d).ok_or_else(|| EntryProblem::UnknownDtype(d.clone()))?)
        }
        Some(_) => return Err(EntryProblem::DtypeNotText),
    };
    let shape = match object.get("shape") {
        None | Some(Value::Null) => None,
        Some(Value::Array(dims)) => Some(
            dims.iter()
                .map(|d| d.as_u64().ok_or(EntryProblem::ShapeNotDimensions))
                .collect::<Result<Vec<u64>, _>>()?,
        ),
        Some(_) => return Err(EntryProblem::ShapeNotList),
    };
    Ok(ExpectedTensor { name, dtype, shape })
}

/// A tensor's dtype and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtypeShape {
    /// The dtype.
    pub dtype: DType,
    /// The shape, outermost dimension first.
    pub shape: Vec<u64>,
}

impl DtypeShape {
    fn of(t: &Tensor) -> DtypeShape {
        DtypeShape {
            dtype: t.dtype,
            shape: t.shape.clone(),
        }
    }
}

/// The checkpoint's tensors against the expected ones.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TensorComparison {
    /// The file the expectations came from.
    pub source: PathBuf,
    /// How many tensors it lists.
    pub expected: usize,
    /// Listed, not in the checkpoint: in the file's order.
    pub missing: Vec<String>,
    /// In the checkpoint, not listed: in the checkpoint's order, as found.
    pub unexpected: Vec<(String, DtypeShape)>,
    /// In both with another dtype or shape: in the file's order.
    pub changed: Vec<Changed>,
}

/// An expected tensor the checkpoint holds with another dtype or shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changed {
    /// The tensor's name.
    pub name: String,
    /// The expected dtype and shape; where the file gave only one of them, the other is the one found.
    pub expected: DtypeShape,
    /// The dtype and shape the checkpoint has.
    pub found: DtypeShape,
}

impl TensorComparison {
    /// Missing, unexpected and changed tensors together: the rule passes at zero.
    pub fn differences(&self) -> usize {
        self.missing.len() + self.unexpected.len() + self.changed.len()
    }
}

impl Expected {
    /// Compares the checkpoint's tensors with the expected ones (by name; dtype and shape where given).
    pub fn evaluate(&self, checkpoint: &Checkpoint) -> TensorComparison {
        let present: HashMap<&str, &Tensor> = checkpoint
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let mut missing = Vec::new();
        let mut changed = Vec::new();
        for e in &self.tensors {
            match present.get(e.name.as_str()) {
                None => missing.push(e.name.clone()),
                Some(t) => {
                    let dtype_differs = e.dtype.is_some_and(|d| d != t.dtype);
                    let shape_differs = e.shape.as_ref().is_some_and(|s| *s != t.shape);
                    if dtype_differs || shape_differs {
                        changed.push(Changed {
                            name: e.name.clone(),
                            expected: DtypeShape {
                                dtype: e.dtype.unwrap_or(t.dtype),
                                shape: e.shape.clone().unwrap_or_else(|| t.shape.clone()),
                            },
                            found: DtypeShape::of(t),
                        });
                    }
                }
            }
        }
        let expected: HashSet<&str> = self.tensors.iter().map(|e| e.name.as_str()).collect();
        let unexpected = checkpoint
            .tensors
            .iter()
            .filter(|t| !expected.contains(t.name.as_str()))
            .map(|t| (t.name.clone(), DtypeShape::of(t)))
            .collect();
        TensorComparison {
            source: self.source.clone(),
            expected: self.tensors.len(),
            missing,
            unexpected,
            changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (PathBuf, Result<Expected, ExpectError>) {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("expected.json");
        std::fs::write(&path, text).unwrap();
        let read = read(&path);
        (path, read)
    }

    #[test]
    fn entries_are_names_or_objects() {
        let (_, read) = read_text(r#"["a", {"name": "b", "dtype": "F32", "shape": [2, 3]}]"#);
        assert_eq!(
            read.unwrap().tensors,
            [
                ExpectedTensor {
                    name: "a".into(),
                    dtype: None,
                    shape: None,
                },
                ExpectedTensor {
                    name: "b".into(),
                    dtype: DType::from_name("F32"),
                    shape: Some(vec![2, 3]),
                },
            ]
        );
    }

    #[test]
    fn says_which_entry_is_wrong_and_how() {
        let (path, read) = read_text(r#"["a", {"name": "b", "shape": [2, -1]}]"#);
        let e = read.unwrap_err();
        assert!(matches!(
            &e,
            ExpectError::Entry {
                index: 1,
                problem: EntryProblem::ShapeNotDimensions,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            format!(
                "--expect-tensors {}: tensors[1]: \"shape\" holds a value that is not a non-negative integer",
                path.display()
            )
        );

        let (_, read) = read_text(r#"[{"name": "b", "dtype": "F33"}]"#);
        assert!(matches!(
            read,
            Err(ExpectError::Entry { index: 0, problem: EntryProblem::UnknownDtype(d), .. }) if d == "F33"
        ));

        // The name as it is: a terminal showing the message escapes it.
        let (path, read) = read_text("[\"a\\u001b\", \"a\\u001b\"]");
        let e = read.unwrap_err();
        assert!(matches!(&e, ExpectError::ListedTwice { name, .. } if name == "a\u{1b}"));
        assert_eq!(
            e.to_string(),
            format!(
                "--expect-tensors {}: tensor 'a\u{1b}' is listed twice",
                path.display()
            )
        );

        let (_, read) = read_text(r#"{"tensors": [], "tensors_listed_of": 9}"#);
        assert!(matches!(read, Err(ExpectError::Limited { .. })));
        let (_, read) = read_text("7");
        assert!(matches!(read, Err(ExpectError::NotAList { .. })));
    }
}

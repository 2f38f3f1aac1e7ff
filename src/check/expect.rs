//! `--expect-tensors FILE`: the tensors a checkpoint must hold, by name and, where given, dtype and shape.
//!
//! FILE is what `inspect --format json --tensors` writes (its `tensors` list), or a JSON list whose entries are
//! names or `{name, dtype?, shape?}` objects. A list cut by `--limit` or `--filter` is refused: every tensor
//! not in it would be reported as unexpected.

use super::{capped, Figure, RuleResult, Status};
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::model::dtype::DType;
use crate::model::units;
use crate::render::escape;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Expected {
    pub source: PathBuf,
    pub tensors: Vec<ExpectedTensor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedTensor {
    pub name: String,
    pub dtype: Option<DType>,
    pub shape: Option<Vec<u64>>,
}

/// Reads FILE; the error names it and says what is wrong.
pub fn read(path: &Path) -> Result<Expected, String> {
    let at = |why: String| format!("--expect-tensors {}: {why}", path.display());
    let json = super::read_saved_json(path).map_err(at)?;
    let list = match &json {
        Value::Array(list) => list,
        Value::Object(report) => {
            if report.contains_key("checkpoints") {
                return Err(at("holds several checkpoints; write it from one".into()));
            }
            if report
                .get("tensors_listed_of")
                .is_some_and(|v| !v.is_null())
            {
                return Err(at(
                    "the tensor list was cut by --limit; write it without".into()
                ));
            }
            if report.get("filtered") == Some(&Value::Bool(true)) {
                return Err(at(
                    "the tensor list was written with --filter; write it without".into(),
                ));
            }
            match report.get("tensors") {
                Some(Value::Array(list)) => list,
                _ => {
                    return Err(at(
                        "no \"tensors\" list; write it with `paramscope inspect CHECKPOINT --format json --tensors`"
                            .into(),
                    ))
                }
            }
        }
        _ => return Err(at("expected an inspect report or a list of tensors".into())),
    };
    let mut seen = HashSet::with_capacity(list.len());
    let mut tensors = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let t = entry_of(entry).map_err(|why| at(format!("tensors[{i}]: {why}")))?;
        if !seen.insert(t.name.clone()) {
            return Err(at(format!("tensor '{}' is listed twice", escape(&t.name))));
        }
        tensors.push(t);
    }
    Ok(Expected {
        source: path.to_path_buf(),
        tensors,
    })
}

fn entry_of(entry: &Value) -> Result<ExpectedTensor, String> {
    let object = match entry {
        Value::String(name) => {
            return Ok(ExpectedTensor {
                name: name.clone(),
                dtype: None,
                shape: None,
            })
        }
        Value::Object(o) => o,
        _ => return Err("expected a name or an object with \"name\"".into()),
    };
    let name = match object.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => return Err("no \"name\" string".into()),
    };
    let dtype = match object.get("dtype") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => {
            Some(DType::from_name(d).ok_or_else(|| format!("unknown dtype '{}'", escape(d)))?)
        }
        Some(_) => return Err("\"dtype\" is not a string".into()),
    };
    let shape = match object.get("shape") {
        None | Some(Value::Null) => None,
        Some(Value::Array(dims)) => Some(
            dims.iter()
                .map(|d| {
                    d.as_u64()
                        .ok_or("\"shape\" holds a value that is not a non-negative integer")
                })
                .collect::<Result<Vec<u64>, _>>()?,
        ),
        Some(_) => return Err("\"shape\" is not a list".into()),
    };
    Ok(ExpectedTensor { name, dtype, shape })
}

fn describe(dtype: DType, shape: &[u64]) -> String {
    format!("{dtype} {shape:?}")
}

impl Expected {
    pub fn evaluate(&self, checkpoint: &Checkpoint) -> RuleResult {
        let present: HashMap<&str, &Tensor> = checkpoint
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let mut missing = Vec::new();
        let mut changed = Vec::new();
        for e in &self.tensors {
            match present.get(e.name.as_str()) {
                None => missing.push(e),
                Some(t) => {
                    let dtype_differs = e.dtype.is_some_and(|d| d != t.dtype);
                    let shape_differs = e.shape.as_ref().is_some_and(|s| *s != t.shape);
                    if dtype_differs || shape_differs {
                        changed.push((e, *t));
                    }
                }
            }
        }
        let expected: HashSet<&str> = self.tensors.iter().map(|e| e.name.as_str()).collect();
        let unexpected: Vec<&Tensor> = checkpoint
            .tensors
            .iter()
            .filter(|t| !expected.contains(t.name.as_str()))
            .collect();

        let differences = missing.len() + changed.len() + unexpected.len();
        let source = escape(&self.source.display().to_string()).into_owned();
        let message = if differences == 0 {
            let n = units::counted(self.tensors.len() as u64, "tensor", "tensors");
            format!("{n} as in {source}")
        } else {
            format!(
                "{} missing, {} unexpected, {} changed (expected {} from {source})",
                missing.len(),
                unexpected.len(),
                changed.len(),
                units::counted(self.tensors.len() as u64, "tensor", "tensors")
            )
        };
        let details = missing
            .iter()
            .map(|e| format!("missing: {}", escape(&e.name)))
            .chain(unexpected.iter().map(|t| {
                format!(
                    "unexpected: {} ({})",
                    escape(&t.name),
                    describe(t.dtype, &t.shape)
                )
            }))
            .chain(changed.iter().map(|(e, t)| {
                let was = describe(
                    e.dtype.unwrap_or(t.dtype),
                    e.shape.as_deref().unwrap_or(&t.shape),
                );
                format!(
                    "changed: {}: {was} -> {}",
                    escape(&e.name),
                    describe(t.dtype, &t.shape)
                )
            }));
        RuleResult {
            rule: "expect-tensors",
            status: if differences == 0 {
                Status::Pass
            } else {
                Status::Fail
            },
            measured: Figure::Number(differences as u64),
            limit: Some(Figure::Number(0)),
            baseline: None,
            message,
            details: capped(details),
        }
    }
}

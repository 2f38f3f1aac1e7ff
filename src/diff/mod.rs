//! `diff`: what changed between two checkpoints, by tensor name (so re-sharding changes nothing).
//!
//! A prefix added or removed on many names at once (`model.` after a conversion) is reported once as a pattern
//! and the tensors under it are compared as pairs, instead of listing hundreds of removals and additions.

pub mod bytes;
pub mod gguf_names;
pub mod groups;
mod scaled;
mod shared;
pub mod values;

use crate::aggregate::group::GroupBy;
use crate::format::error::InputError;
use crate::interpret::classify::{self, Classified};
use crate::interpret::hf_config::{self, ModelConfig};
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::model::dtype::DType;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// What `diff` looks at beyond names, dtypes and shapes; the default compares structure only.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Parameter and byte deltas per group, as `inspect` groups them.
    pub group_by: Option<GroupBy>,
    /// Look for tensors renamed with their data unchanged (reads the candidates' data).
    pub renames: bool,
    /// Find the first byte that differs (reads data up to it).
    pub identical: bool,
    /// Compare the values of the tensors both sides hold, equal within this tolerance (reads all data).
    pub values: Option<values::Tolerance>,
}

/// Compares two checkpoints as `paramscope diff` does: a GGUF side compared with a safetensors one has its
/// names mapped to Hugging Face names (and its rope-permuted q/k projections paired row by row), each side is
/// classified with its own `config.json`, then the data steps the options ask for are run. The checkpoints
/// are not changed (a GGUF side to rename is copied).
///
/// `Err` when a tensor's data cannot be read; the structural comparison alone never fails.
///
/// ```
/// use paramscope::diff::{self, DiffOptions};
/// use paramscope::format::{self, LoadOptions};
/// use std::path::Path;
///
/// let load = |path: &str| {
///     let sources = format::discover(Path::new(path)).unwrap();
///     format::load(&sources[0], LoadOptions::default()).unwrap()
/// };
/// let (tiny, sharded) = (load("fixtures/tiny/model.safetensors"), load("fixtures/sharded"));
/// let options = DiffOptions { identical: true, ..DiffOptions::default() };
///
/// let same = diff::diff(&tiny, &tiny, &options).unwrap();
/// assert!(!same.differs());
/// assert_eq!(same.matching, 40);
///
/// let report = diff::diff(&tiny, &sharded, &DiffOptions::default()).unwrap();
/// assert!(report.differs());
/// assert_eq!(report.a.parameters, 145_472);
/// assert_eq!(report.parameters_delta, 22_688 - 145_472);
/// ```
pub fn diff(
    a: &Checkpoint,
    b: &Checkpoint,
    options: &DiffOptions,
) -> Result<DiffReport, InputError> {
    let (a, b, mut name_mapping) = gguf_names::align(a, b);
    let (config_a, config_b) = (config_of(&a), config_of(&b));
    let (classified_a, classified_b) = (
        classify::classify(&a.tensors, config_a.as_ref()),
        classify::classify(&b.tensors, config_b.as_ref()),
    );
    let classified = [classified_a.as_slice(), classified_b.as_slice()];
    let (mut report, mut pairs) = compare(&a, &b, classified);
    if let Some(m) = &mut name_mapping {
        gguf_names::attach_rope(m, &mut pairs, if m.gguf_side == "a" { &a } else { &b });
    }
    report.name_mapping = name_mapping;
    if let Some(by) = options.group_by {
        report.groups = Some(groups::group_deltas(&a, &b, by, classified, &pairs));
    }
    if options.renames {
        let renames = bytes::find_renames(&a, &b, &report.only_in_a, &report.only_in_b)?;
        report.apply_renames(renames);
    }
    if options.identical {
        let first = bytes::first_difference(&a, &b, &pairs)?;
        let structural = !report.structure_identical;
        report.identical = Some(Identical {
            identical: first.is_none() && !structural,
            first_difference: first,
        });
    }
    if let Some(tolerance) = options.values {
        report.values = Some(values::compare_values(&a, &b, &pairs, tolerance)?);
    }
    Ok(report)
}

/// A broken `config.json` only loses the logical counts its quantization fields would give; inspect says why.
fn config_of(c: &Checkpoint) -> Option<ModelConfig> {
    hf_config::for_checkpoint(c).and_then(Result::ok)
}

/// What changed from checkpoint A to checkpoint B, by tensor name: totals, dtypes, prefix changes, tensors on one side only, changed tensors and, on request, groups, renames, values and identity; its JSON is `paramscope diff --format json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DiffReport {
    /// Checkpoint A's totals.
    pub a: Side,
    /// Checkpoint B's totals.
    pub b: Side,
    /// B minus A.
    pub parameters_delta: i128,
    /// B's logical parameters minus A's (each side classified with its own `config.json`).
    pub logical_parameters_delta: i128,
    /// B's tensor data bytes minus A's.
    pub tensor_bytes_delta: i128,
    /// Tensors, parameters and bytes per dtype on each side, one row per dtype present on either, in dtype order.
    pub dtypes: Vec<DtypeDelta>,
    /// Prefixes renamed on many tensors at once (`model.` dropped after a conversion); the tensors under them are compared as pairs.
    pub prefix_changes: Vec<PrefixChange>,
    /// Tensors only A holds (after prefix changes and, with `--renames`, detected renames), in A's order.
    pub only_in_a: Vec<TensorSummary>,
    /// Tensors only B holds (after prefix changes and detected renames), in B's order.
    pub only_in_b: Vec<TensorSummary>,
    /// Tensors both hold whose dtype or shape differs, in A's order.
    pub changed: Vec<Changed>,
    /// With `--group-by`: parameters and bytes of each group on both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<groups::GroupDelta>>,
    /// With `--renames`: tensors only in A whose dtype, shape and bytes equal a tensor only in B.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renames: Option<Vec<Rename>>,
    /// With `--values`: element-wise differences of the tensors both sides hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<values::ValuesReport>,
    /// When one side is GGUF and the other safetensors: the name mapping applied to the GGUF side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_mapping: Option<gguf_names::NameMapping>,
    /// With `--identical`: the first tensor whose bytes differ, or `null` when every byte is equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identical: Option<Identical>,
    /// Tensors present in both (after prefix changes) with the same dtype and shape.
    pub matching: usize,
    /// Whether names, dtypes and shapes all agree exactly: no prefix change, nothing on one side only, nothing changed.
    pub structure_identical: bool,
}

/// A tensor only in A whose dtype, shape and bytes equal a tensor only in B.
#[derive(Debug, Clone, Serialize)]
pub struct Rename {
    /// The tensor's name in A.
    pub from: String,
    /// The tensor's name in B.
    pub to: String,
}

/// The outcome of `--identical`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Identical {
    /// Whether the structure is identical and every byte of every paired tensor is equal.
    pub identical: bool,
    /// The first paired tensor, in A's file order, whose bytes (or dtype or shape) differ; `None` when none does.
    pub first_difference: Option<bytes::FirstDifference>,
}

/// One side's totals.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Side {
    /// The path the side was opened by, as the user gave it.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// Tensors the side holds.
    pub tensor_count: usize,
    /// Elements of every tensor: the Hub's count, exact.
    pub parameters: u64,
    /// As `inspect` counts them: a packed int4 `qweight` element holds 8 weights; buffers, quantization
    /// auxiliaries and a tied output head count 0.
    pub logical_parameters: u64,
    /// Data bytes of every tensor (headers excluded).
    pub tensor_bytes: u64,
}

/// One dtype's figures on both sides (0 on a side without it).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DtypeDelta {
    /// The dtype the row counts.
    pub dtype: DType,
    /// A's tensors of this dtype.
    pub a_tensors: u64,
    /// B's tensors of this dtype.
    pub b_tensors: u64,
    /// Elements of A's tensors of this dtype.
    pub a_parameters: u64,
    /// Elements of B's tensors of this dtype.
    pub b_parameters: u64,
    /// Data bytes of A's tensors of this dtype.
    pub a_bytes: u64,
    /// Data bytes of B's tensors of this dtype.
    pub b_bytes: u64,
}

/// A name prefix that differs between the sides on many tensors at once.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrefixChange {
    /// The prefix names have in A (`""` when B added one).
    pub from: String,
    /// The prefix the same tensors have in B.
    pub to: String,
    /// Tensors the change explains (paired across it).
    pub tensors: usize,
}

/// The identity of a tensor on one side.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TensorSummary {
    /// The tensor's name on its side.
    pub name: String,
    /// The tensor's dtype as stored.
    pub dtype: DType,
    /// The tensor's shape, outermost dimension first.
    pub shape: Vec<u64>,
    /// Stored elements (the product of `shape`).
    pub parameters: u64,
}

/// A tensor both sides hold whose dtype or shape differs.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Changed {
    /// The name in A (and in B, unless a prefix change maps it).
    pub name: String,
    /// The name in B (differs from `name` when a prefix change paired them).
    pub b_name: String,
    /// The tensor as A holds it.
    pub a: TensorSummary,
    /// The tensor as B holds it.
    pub b: TensorSummary,
}

impl DiffReport {
    /// Whether anything differs: structure, detected renames, values beyond the tolerance, or bytes.
    ///
    /// With `--values`, a tensor whose dtype changed but whose values agree within the tolerance is not a
    /// difference: that is what "did this conversion preserve the model" asks.
    pub fn differs(&self) -> bool {
        let structure = match &self.values {
            Some(v) => {
                v.differing_tensors > 0
                    || !v.skipped.is_empty()
                    || !self.only_in_a.is_empty()
                    || !self.only_in_b.is_empty()
                    || !self.prefix_changes.is_empty()
                    || self.renames.as_ref().is_some_and(|r| !r.is_empty())
                    || self.changed.iter().any(|c| c.a.shape != c.b.shape)
            }
            None => !self.structure_identical,
        };
        structure || self.identical.as_ref().is_some_and(|i| !i.identical)
    }

    /// Moves the tensors found renamed out of the only-in-A/only-in-B lists.
    pub fn apply_renames(&mut self, renames: Vec<Rename>) {
        let from: HashSet<&str> = renames.iter().map(|r| r.from.as_str()).collect();
        let to: HashSet<&str> = renames.iter().map(|r| r.to.as_str()).collect();
        self.only_in_a.retain(|t| !from.contains(t.name.as_str()));
        self.only_in_b.retain(|t| !to.contains(t.name.as_str()));
        self.renames = Some(renames);
    }
}

/// A tensor of A paired with its counterpart in B.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'a> {
    /// The tensor in A.
    pub a: &'a Tensor,
    /// Its counterpart in B (same name, or the name a prefix change maps it to).
    pub b: &'a Tensor,
    /// Set for a GGUF q/k projection whose rows llama.cpp permuted: rows are paired through it.
    pub rope: Option<gguf_names::RopePermutation>,
}

/// The structural comparison, and the pairs of tensors present on both sides (for value comparison).
/// `classified` are A's and B's tensors classified with their own `config.json` (which decides how packed
/// quantized weights count as logical parameters).
pub(crate) fn compare<'a>(
    a: &'a Checkpoint,
    b: &'a Checkpoint,
    classified: [&[Classified]; 2],
) -> (DiffReport, Vec<Pair<'a>>) {
    let b_by_name: HashMap<&str, &Tensor> =
        b.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    let a_names: HashSet<&str> = a.tensors.iter().map(|t| t.name.as_str()).collect();
    let unmatched_a: Vec<&str> = a
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !b_by_name.contains_key(n))
        .collect();
    let unmatched_b: Vec<&str> = b
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !a_names.contains(n))
        .collect();
    let prefix_changes = find_prefix_changes(&unmatched_a, &unmatched_b);

    let mut pairs = Vec::new();
    let mut only_in_a = Vec::new();
    let mut paired_b: HashSet<&str> = HashSet::new();
    for t in &a.tensors {
        let counterpart = b_by_name.get(t.name.as_str()).copied().or_else(|| {
            prefix_changes.iter().find_map(|p| {
                let rest = t.name.strip_prefix(p.from.as_str())?;
                let mapped = format!("{}{rest}", p.to);
                b_by_name
                    .get(mapped.as_str())
                    .copied()
                    .filter(|bt| !a_names.contains(bt.name.as_str()))
            })
        });
        match counterpart {
            Some(bt) => {
                paired_b.insert(bt.name.as_str());
                pairs.push(Pair {
                    a: t,
                    b: bt,
                    rope: None,
                });
            }
            None => only_in_a.push(summary(t)),
        }
    }
    let only_in_b: Vec<TensorSummary> = b
        .tensors
        .iter()
        .filter(|t| !paired_b.contains(t.name.as_str()))
        .map(summary)
        .collect();
    let changed: Vec<Changed> = pairs
        .iter()
        .filter(|p| p.a.dtype != p.b.dtype || p.a.shape != p.b.shape)
        .map(|p| Changed {
            name: p.a.name.clone(),
            b_name: p.b.name.clone(),
            a: summary(p.a),
            b: summary(p.b),
        })
        .collect();
    let matching = pairs.len() - changed.len();
    let (a_side, b_side) = (side(a, classified[0]), side(b, classified[1]));
    let report = DiffReport {
        parameters_delta: b_side.parameters as i128 - a_side.parameters as i128,
        logical_parameters_delta: b_side.logical_parameters as i128
            - a_side.logical_parameters as i128,
        tensor_bytes_delta: b_side.tensor_bytes as i128 - a_side.tensor_bytes as i128,
        dtypes: dtype_deltas(a, b),
        structure_identical: only_in_a.is_empty()
            && only_in_b.is_empty()
            && changed.is_empty()
            && prefix_changes.is_empty(),
        a: a_side,
        b: b_side,
        prefix_changes,
        only_in_a,
        only_in_b,
        changed,
        groups: None,
        renames: None,
        values: None,
        name_mapping: None,
        identical: None,
        matching,
    };
    (report, pairs)
}

fn summary(t: &Tensor) -> TensorSummary {
    TensorSummary {
        name: t.name.clone(),
        dtype: t.dtype,
        shape: t.shape.clone(),
        parameters: t.elements(),
    }
}

fn side(c: &Checkpoint, classified: &[Classified]) -> Side {
    Side {
        path: c.path.clone(),
        tensor_count: c.tensors.len(),
        parameters: c.parameters(),
        logical_parameters: classified.iter().map(|t| t.logical_elements).sum(),
        tensor_bytes: c.tensor_bytes(),
    }
}

fn dtype_deltas(a: &Checkpoint, b: &Checkpoint) -> Vec<DtypeDelta> {
    let mut rows: BTreeMap<DType, DtypeDelta> = BTreeMap::new();
    let blank = |dtype| DtypeDelta {
        dtype,
        a_tensors: 0,
        b_tensors: 0,
        a_parameters: 0,
        b_parameters: 0,
        a_bytes: 0,
        b_bytes: 0,
    };
    for t in &a.tensors {
        let r = rows.entry(t.dtype).or_insert_with(|| blank(t.dtype));
        r.a_tensors += 1;
        r.a_parameters += t.elements();
        r.a_bytes += t.bytes();
    }
    for t in &b.tensors {
        let r = rows.entry(t.dtype).or_insert_with(|| blank(t.dtype));
        r.b_tensors += 1;
        r.b_parameters += t.elements();
        r.b_bytes += t.bytes();
    }
    rows.into_values().collect()
}

/// Prefix changes one after another, each among the names the earlier ones left unexplained: a checkpoint
/// format change can move several parts at once (transformers 4.52 moved `language_model.model.`,
/// `vision_tower.` and `multi_modal_projector.` of LLaVA-style models under `model.`). Each explains at least half
/// of the smaller side left, so there are at most log2 of it.
fn find_prefix_changes(only_a: &[&str], only_b: &[&str]) -> Vec<PrefixChange> {
    let (mut rest_a, mut rest_b) = (only_a.to_vec(), only_b.to_vec());
    let mut found = Vec::new();
    while let Some(p) = best_prefix_change(&rest_a, &rest_b) {
        let b_set: HashSet<&str> = rest_b.iter().copied().collect();
        let explained: HashSet<String> = rest_a
            .iter()
            .filter_map(|n| n.strip_prefix(p.from.as_str()))
            .map(|rest| format!("{}{rest}", p.to))
            .filter(|m| b_set.contains(m.as_str()))
            .collect();
        rest_a.retain(|n| {
            n.strip_prefix(p.from.as_str())
                .is_none_or(|rest| !explained.contains(&format!("{}{rest}", p.to)))
        });
        rest_b.retain(|n| !explained.contains(*n));
        found.push(p);
    }
    found
}

/// Looks for a leading run of name components that was removed, added or replaced on many names at once.
/// A candidate is kept when it explains at least two names and at least half of the smaller unmatched side, so a
/// couple of genuinely new tensors are not mistaken for a rename pattern.
fn best_prefix_change(only_a: &[&str], only_b: &[&str]) -> Option<PrefixChange> {
    if only_a.is_empty() || only_b.is_empty() {
        return None;
    }
    let b_set: HashSet<&str> = only_b.iter().copied().collect();
    // The most common leading prefixes of each side (and the empty prefix): a handful, so the search stays
    // cheap on 100k-tensor checkpoints.
    let candidates = |names: &[&str]| -> Vec<String> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for n in names {
            for p in leading_prefixes(n) {
                *counts.entry(p).or_default() += 1;
            }
        }
        let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
        ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        let mut out: Vec<String> = ranked.into_iter().take(8).map(|(p, _)| p).collect();
        out.push(String::new());
        out
    };
    let (from_candidates, to_candidates) = (candidates(only_a), candidates(only_b));
    let mut best: Option<PrefixChange> = None;
    for from in &from_candidates {
        for to in &to_candidates {
            if from == to {
                continue;
            }
            let tensors = only_a
                .iter()
                .filter_map(|n| n.strip_prefix(from.as_str()))
                .filter(|rest| b_set.contains(format!("{to}{rest}").as_str()))
                .count();
            if best.as_ref().is_none_or(|b| tensors > b.tensors) {
                best = Some(PrefixChange {
                    from: from.clone(),
                    to: to.clone(),
                    tensors,
                });
            }
        }
    }
    let needed = (only_a.len().min(only_b.len()) / 2).max(2);
    best.filter(|b| b.tensors >= needed)
}

/// `model.layers.0.x` → `model.`, `model.layers.` (the first one and two components, with their dots; a numeric
/// component ends the prefix, since `blk.0.` is a block, not a naming convention).
fn leading_prefixes(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut end = 0;
    for _ in 0..2 {
        match name[end..].find('.') {
            Some(i) => {
                if name[end..end + i].bytes().all(|c| c.is_ascii_digit()) {
                    break;
                }
                end += i + 1;
                if end < name.len() {
                    out.push(name[..end].to_string());
                }
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_removed_prefix_but_not_a_couple_of_new_tensors() {
        let a = ["model.a.w", "model.b.w", "model.c.w"];
        let b = ["a.w", "b.w", "c.w"];
        assert_eq!(
            find_prefix_changes(&a, &b),
            vec![PrefixChange {
                from: "model.".into(),
                to: String::new(),
                tensors: 3
            }]
        );
        assert!(find_prefix_changes(&["x.w"], &["y.w"]).is_empty());
        let added = find_prefix_changes(&["a.w", "b.w"], &["transformer.a.w", "transformer.b.w"]);
        assert_eq!(added[0].from, "");
        assert_eq!(added[0].to, "transformer.");
    }
}

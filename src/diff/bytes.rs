//! Byte-level comparisons: `--identical` (stop at the first differing byte) and `--renames` (a tensor only in A
//! whose dtype, shape and bytes equal a tensor only in B).

use super::shared::{self, FileIds, Files};
use super::{Pair, Rename, TensorSummary};
use crate::format::error::InputError;
use crate::model::checkpoint::Checkpoint;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};

/// The first paired tensor whose bytes differ, and where.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FirstDifference {
    /// The tensor's name in A.
    pub name: String,
    /// Byte offset within the tensor's data, or `null` when dtype or shape already differ.
    pub byte: Option<u64>,
    /// What differs, in words: both sides' dtype and shape, or the first differing byte.
    pub reason: String,
}

/// Walks the pairs in A's file order and returns the first one whose bytes differ (`None`: all identical). Pairs
/// stored in the same bytes of one file are not read.
pub(crate) fn first_difference(
    a: &Checkpoint,
    b: &Checkpoint,
    pairs: &[Pair],
) -> Result<Option<FirstDifference>, InputError> {
    let files = FileIds::of(a, b);
    let pairs: Vec<&Pair> = pairs.iter().filter(|p| !files.shared(a, b, p)).collect();
    let files_a = Files::of(a, pairs.iter().map(|p| p.a))?;
    let files_b = Files::of(b, pairs.iter().map(|p| p.b))?;
    let mut bufs = shared::Buffers::default();
    for p in pairs {
        if p.a.dtype != p.b.dtype || p.a.shape != p.b.shape {
            return Ok(Some(FirstDifference {
                name: p.a.name.clone(),
                byte: None,
                reason: format!(
                    "{} {:?} vs {} {:?}",
                    p.a.dtype, p.a.shape, p.b.dtype, p.b.shape
                ),
            }));
        }
        if let Some(at) = shared::first_difference(&files_a, p.a, &files_b, p.b, &mut bufs)? {
            return Ok(Some(FirstDifference {
                name: p.a.name.clone(),
                byte: Some(at),
                reason: match p.rope {
                    // Stored rows are in llama.cpp's rope order: bytes cannot match; --values pairs the rows.
                    Some(_) => format!(
                        "byte {at} differs (rows stored in llama.cpp's rope order; --values compares them paired)"
                    ),
                    None => format!("byte {at} differs"),
                },
            }));
        }
    }
    Ok(None)
}

/// Pairs tensors only in A with tensors only in B that have the same dtype, shape and bytes; among several equal
/// candidates, the first in B's order. Only candidates whose dtype and shape match a tensor only in A are read,
/// and each is hashed once: buckets of equal dtype, shape and hash keep B's order, and a candidate taken leaves
/// its bucket, so a checkpoint with hundreds of same-shaped renamed tensors costs one read of each, not one per
/// pair.
pub fn find_renames(
    a: &Checkpoint,
    b: &Checkpoint,
    only_in_a: &[TensorSummary],
    only_in_b: &[TensorSummary],
) -> Result<Vec<Rename>, InputError> {
    let by_name = |c: &Checkpoint| -> HashMap<String, usize> {
        c.tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect()
    };
    let key = |t: &TensorSummary| (t.dtype, t.shape.clone());
    let wanted: HashSet<_> = only_in_a.iter().map(key).collect();
    let candidates_b: Vec<&TensorSummary> = only_in_b
        .iter()
        .filter(|t| wanted.contains(&key(t)))
        .collect();
    if candidates_b.is_empty() {
        return Ok(Vec::new());
    }
    let (index_a, index_b) = (by_name(a), by_name(b));
    let keys_b: HashSet<_> = candidates_b.iter().map(|t| key(t)).collect();
    let renamed_a: Vec<&TensorSummary> = only_in_a
        .iter()
        .filter(|t| keys_b.contains(&key(t)))
        .collect();
    let files_a = Files::of(a, renamed_a.iter().map(|t| &a.tensors[index_a[&t.name]]))?;
    let files_b = Files::of(b, candidates_b.iter().map(|t| &b.tensors[index_b[&t.name]]))?;
    let tensor_b = |t: &TensorSummary| &b.tensors[index_b[&t.name]];
    let mut bufs = shared::Buffers::default();
    let mut buckets: HashMap<_, VecDeque<&TensorSummary>> = HashMap::new();
    for t in candidates_b {
        let (dtype, shape) = key(t);
        let h = shared::hash(&files_b, tensor_b(t), &mut bufs.1)?;
        buckets.entry((dtype, shape, h)).or_default().push_back(t);
    }
    let mut renames = Vec::new();
    for ta in renamed_a {
        let (dtype, shape) = key(ta);
        let xa = &a.tensors[index_a[&ta.name]];
        let h = shared::hash(&files_a, xa, &mut bufs.0)?;
        let Some(bucket) = buckets.get_mut(&(dtype, shape, h)) else {
            continue;
        };
        // Equal hashes almost always mean equal bytes: the first candidate is then the one taken.
        let mut at = None;
        for (i, tb) in bucket.iter().enumerate() {
            if shared::first_difference(&files_a, xa, &files_b, tensor_b(tb), &mut bufs)?.is_none()
            {
                at = Some(i);
                break;
            }
        }
        if let Some(tb) = at.and_then(|at| bucket.remove(at)) {
            renames.push(Rename {
                from: ta.name.clone(),
                to: tb.name.clone(),
            });
        }
    }
    Ok(renames)
}

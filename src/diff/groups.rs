//! `diff --group-by`: parameter and byte deltas per group, each side grouped as `inspect --group-by` groups it and
//! the rows joined by name (a row only one side has shows zeros on the other). B's tensors paired with A's under
//! another name (a prefix change) are grouped under A's name, so `model.` dropped on every tensor does not show
//! every group removed and added again.

use super::Pair;
use crate::aggregate::group::{self, GroupBy, GroupRow};
use crate::inspect::group_items;
use crate::interpret::classify::Classified;
use crate::model::checkpoint::Checkpoint;
use serde::Serialize;
use std::collections::HashMap;

/// One group's figures on both sides (`diff --group-by`); 0 on a side without the group.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct GroupDelta {
    /// The group's name, as `inspect --group-by` names it (A's name when a prefix change paired the tensors).
    pub name: String,
    /// Elements of A's tensors in the group.
    pub a_parameters: u64,
    /// Elements of B's tensors in the group.
    pub b_parameters: u64,
    /// A's logical parameters in the group.
    pub a_logical_parameters: u64,
    /// B's logical parameters in the group.
    pub b_logical_parameters: u64,
    /// Data bytes of A's tensors in the group.
    pub a_bytes: u64,
    /// Data bytes of B's tensors in the group.
    pub b_bytes: u64,
    /// B's name for the group when it differs from A's only in a block range (`model.layers.{0..27}` against
    /// A's `model.layers.{0..31}`): the two rows are one, the blocks counted in `blocks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b_name: Option<String>,
    /// The block counts of a row paired across a range change, `"32 → 28 blocks"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<String>,
}

/// A range-collapsed group name split around its range: `model.layers.{0..31}` is (`model.layers.`, 32, ``).
fn range_parts(name: &str) -> Option<(&str, u64, &str)> {
    let open = name.find('{')?;
    let close = open + name[open..].find('}')?;
    let (from, to) = name[open + 1..close].split_once("..")?;
    let (from, to): (u64, u64) = (from.parse().ok()?, to.parse().ok()?);
    Some((&name[..open], to.checked_sub(from)? + 1, &name[close + 1..]))
}

/// B's unmatched row that is A's row with another block range: same text before and after the range.
fn same_but_range<'r>(a: &str, unmatched_b: &[&'r GroupRow]) -> Option<(&'r GroupRow, String)> {
    let (prefix, a_blocks, suffix) = range_parts(a)?;
    unmatched_b.iter().find_map(|r| match range_parts(&r.name) {
        Some((p, b_blocks, s)) if p == prefix && s == suffix => {
            Some((*r, format!("{a_blocks} → {b_blocks} blocks")))
        }
        _ => None,
    })
}

/// `renamed`: names to group tensors under instead of their own.
fn rows(
    c: &Checkpoint,
    by: GroupBy,
    classified: &[Classified],
    renamed: &HashMap<&str, &str>,
) -> Vec<GroupRow> {
    let pairs: Vec<_> = c.tensors.iter().zip(classified).collect();
    let mut items = group_items(&pairs);
    for item in &mut items {
        if let Some(&name) = renamed.get(item.name) {
            item.name = name;
        }
    }
    group::group(&items, by)
}

/// Rows in A's order, then rows only B has in B's order.
pub(crate) fn group_deltas(
    a: &Checkpoint,
    b: &Checkpoint,
    by: GroupBy,
    classified: [&[Classified]; 2],
    pairs: &[Pair],
) -> Vec<GroupDelta> {
    let a_names: HashMap<&str, &str> = pairs
        .iter()
        .filter(|p| p.a.name != p.b.name)
        .map(|p| (p.b.name.as_str(), p.a.name.as_str()))
        .collect();
    let ra = rows(a, by, classified[0], &HashMap::new());
    let rb = rows(b, by, classified[1], &a_names);
    let unmatched_b: Vec<&GroupRow> = rb
        .iter()
        .filter(|r| !ra.iter().any(|x| x.name == r.name))
        .collect();
    let mut paired: Vec<&str> = Vec::new();
    let mut out: Vec<GroupDelta> = ra
        .iter()
        .map(|r| {
            let mut other = rb.iter().find(|x| x.name == r.name);
            let mut blocks = None;
            let mut b_name = None;
            if other.is_none() {
                if let Some((b, note)) = same_but_range(&r.name, &unmatched_b) {
                    if !paired.contains(&b.name.as_str()) {
                        paired.push(&b.name);
                        other = Some(b);
                        blocks = Some(note);
                        b_name = Some(b.name.clone());
                    }
                }
            }
            GroupDelta {
                b_name,
                blocks,
                name: r.name.clone(),
                a_parameters: r.parameters,
                b_parameters: other.map_or(0, |x| x.parameters),
                a_logical_parameters: r.logical_parameters,
                b_logical_parameters: other.map_or(0, |x| x.logical_parameters),
                a_bytes: r.bytes,
                b_bytes: other.map_or(0, |x| x.bytes),
            }
        })
        .collect();
    for r in unmatched_b
        .into_iter()
        .filter(|r| !paired.contains(&r.name.as_str()))
    {
        out.push(GroupDelta {
            b_name: None,
            blocks: None,
            name: r.name.clone(),
            a_parameters: 0,
            b_parameters: r.parameters,
            a_logical_parameters: 0,
            b_logical_parameters: r.logical_parameters,
            a_bytes: 0,
            b_bytes: r.bytes,
        });
    }
    out
}

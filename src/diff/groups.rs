//! `diff --group-by`: parameter and byte deltas per group, each side grouped as `inspect --group-by` groups it and
//! the rows joined by name (a row only one side has shows zeros on the other).

use crate::checkpoint::Checkpoint;
use crate::classify::Classified;
use crate::group::{self, GroupBy, GroupRow};
use crate::inspect::group_items;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct GroupDelta {
    pub name: String,
    pub a_parameters: u64,
    pub b_parameters: u64,
    pub a_logical_parameters: u64,
    pub b_logical_parameters: u64,
    pub a_bytes: u64,
    pub b_bytes: u64,
}

fn rows(c: &Checkpoint, by: GroupBy, classified: &[Classified]) -> Vec<GroupRow> {
    let pairs: Vec<_> = c.tensors.iter().zip(classified).collect();
    group::group(&group_items(&pairs), by)
}

/// Rows in A's order, then rows only B has in B's order.
pub fn group_deltas(
    a: &Checkpoint,
    b: &Checkpoint,
    by: GroupBy,
    classified: [&[Classified]; 2],
) -> Vec<GroupDelta> {
    let (ra, rb) = (rows(a, by, classified[0]), rows(b, by, classified[1]));
    let mut out: Vec<GroupDelta> = ra
        .iter()
        .map(|r| {
            let other = rb.iter().find(|x| x.name == r.name);
            GroupDelta {
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
    for r in rb.iter().filter(|r| !ra.iter().any(|x| x.name == r.name)) {
        out.push(GroupDelta {
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

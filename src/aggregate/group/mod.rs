//! `--group-by`: where the parameters are, as rows. `layer` collapses blocks that differ only by an integer index
//! (`model.layers.{0..31}` ×32) — but only blocks whose relative names, shapes and dtypes are all identical, so
//! an irregular layer, a DeepSeek-style dense prefix before the MoE layers, or an extra layer keeps a row of its
//! own and every row stays exact. Nested repeats (MoE `experts.{0..7}`) become child rows of their block.

use super::order::{cmp_inside, ModelOrder};
use super::{index_of, ranges, Item};
use crate::interpret::role::Role;
use crate::model::dtype::DType;
use serde::Serialize;
// foldhash, not SipHash: these maps are keyed by tensor names of a local checkpoint, not a hash-flooding target,
// and the keyed hasher was a sixth of `--tree` on DeepSeek-V3.
use foldhash::HashMap;
use std::hash::Hash;
use std::str::FromStr;

/// How `--group-by` groups tensors into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The first N dot-separated name components.
    Depth(usize),
    /// One row per numbered block (`model.layers.{0..31}`), with what surrounds them in rows of their own.
    Layer,
    /// One row per role (embeddings, attention, mlp, experts, …).
    Module,
    /// One row per dtype.
    Dtype,
}

impl FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "layer" => Ok(GroupBy::Layer),
            "module" => Ok(GroupBy::Module),
            "dtype" => Ok(GroupBy::Dtype),
            _ => match s.strip_prefix("depth:").map(str::parse::<usize>) {
                Some(Ok(n)) if n > 0 => Ok(GroupBy::Depth(n)),
                _ => Err(format!(
                    "`{s}`: expected depth:N (N ≥ 1), layer, module or dtype"
                )),
            },
        }
    }
}

impl GroupBy {
    /// The spelling `--group-by` takes and the reports print (`layer`, `depth:2`).
    pub fn label(self) -> String {
        match self {
            GroupBy::Depth(n) => format!("depth:{n}"),
            GroupBy::Layer => "layer".into(),
            GroupBy::Module => "module".into(),
            GroupBy::Dtype => "dtype".into(),
        }
    }
}

/// One row of a `--group-by` table, with its totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    /// The row's label: a name prefix, `layers.{0..31}`, a role or a dtype.
    pub name: String,
    /// Instances merged into this row; for a child row, instances inside one instance of its parent.
    pub count: u64,
    /// Totals over every instance (of the parent too, for a child row).
    pub tensors: u64,
    /// Elements (the Hub's count) over every instance.
    pub parameters: u64,
    /// Logical parameters over every instance.
    pub logical_parameters: u64,
    /// Data bytes over every instance.
    pub bytes: u64,
    /// Parameters of one instance.
    pub parameters_each: u64,
    /// For `module`: the role rules that placed tensors in this row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<&'static str>,
    /// Rows inside this one (a block's modules, a layer's experts); empty for most rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<GroupRow>,
}

impl GroupRow {
    fn add(&mut self, item: &Item) {
        self.tensors += 1;
        self.parameters += item.parameters;
        self.logical_parameters += item.logical_parameters;
        self.bytes += item.bytes;
    }

    fn named(name: String) -> Self {
        GroupRow {
            name,
            count: 1,
            ..Default::default()
        }
    }
}

/// Rows of `items` grouped `by`; rows by name come in model order ([`super::order`]), dtype rows largest first,
/// module rows in [`Role::ALL`] order.
pub fn group(items: &[Item], by: GroupBy) -> Vec<GroupRow> {
    // Rows are made in file order and put in model order after: each row by name is a subtree of the names, and
    // subtrees compare as wholes (`super::order`), so a few hundred rows are sorted, not 92k names.
    match by {
        GroupBy::Depth(n) => {
            let order = ModelOrder::new(items);
            let mut rows = keyed(items, |i| first_components(i.name, n), |k| k.to_string());
            rows.sort_by(|a, b| order.cmp(&a.name, &b.name));
            rows
        }
        GroupBy::Dtype => {
            let mut rows = keyed(items, |i| i.dtype, DType::to_string);
            rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
            rows
        }
        GroupBy::Module => by_role(items, &ModelOrder::new(items)),
        GroupBy::Layer => {
            let order = ModelOrder::new(items);
            let entries: Vec<Entry> = items.iter().map(|i| (i.name, i)).collect();
            collapse(&entries, MAX_NESTING, Some(&order))
        }
    }
}

/// The name up to its `n`th component (all of it when it has fewer).
fn first_components(name: &str, n: usize) -> &str {
    match name.match_indices('.').nth(n - 1) {
        Some((end, _)) => &name[..end],
        None => name,
    }
}

/// One row per key, in order of first appearance.
fn keyed<'a, K: Hash + Eq>(
    items: &[Item<'a>],
    key: impl Fn(&Item<'a>) -> K,
    name: impl Fn(&K) -> String,
) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = Vec::new();
    let mut at: HashMap<K, usize> = HashMap::default();
    for item in items {
        let k = key(item);
        let i = match at.get(&k) {
            Some(&i) => i,
            None => {
                rows.push(GroupRow::named(name(&k)));
                at.insert(k, rows.len() - 1);
                rows.len() - 1
            }
        };
        rows[i].add(item);
        rows[i].parameters_each = rows[i].parameters;
    }
    rows
}

/// A row per role; its rules in the model order of the first tensor each placed.
fn by_role(items: &[Item], order: &ModelOrder) -> Vec<GroupRow> {
    let mut rows: Vec<(GroupRow, Vec<&str>)> = Role::ALL
        .iter()
        .map(|role| (GroupRow::named(role.name().to_string()), Vec::new()))
        .collect();
    for item in items {
        let Some(at) = Role::ALL.iter().position(|r| *r == item.role) else {
            continue;
        };
        let (row, firsts) = &mut rows[at];
        row.add(item);
        match row.rules.iter().position(|r| *r == item.role_rule) {
            Some(k) if order.cmp(item.name, firsts[k]).is_lt() => firsts[k] = item.name,
            Some(_) => {}
            None => {
                row.rules.push(item.role_rule);
                firsts.push(item.name);
            }
        }
    }
    rows.into_iter()
        .filter(|(row, _)| row.tensors > 0)
        .map(|(mut row, firsts)| {
            let mut rules: Vec<(&str, &'static str)> = firsts.into_iter().zip(row.rules).collect();
            rules.sort_by(|a, b| order.cmp(a.0, b.0));
            row.rules = rules.into_iter().map(|(_, rule)| rule).collect();
            row.parameters_each = row.parameters;
            row
        })
        .collect()
}

/// Levels of nested repeats shown as child rows (layers › experts is 2). A stranger's file can nest integer
/// components thousands deep; the recursion stops here, and the rows above stay exact.
const MAX_NESTING: usize = 8;

/// A block's tensors as (name after the block's index, dtype, shape), sorted; borrowed from the names and
/// shapes (a copy of each was most of `--group-by layer` on DeepSeek-V3).
type Signature<'a> = Vec<(&'a str, DType, &'a [u64])>;
/// A tensor as its name relative to the block being collapsed (the end of its full name: a slice, as a list of
/// components per tensor was 92k allocations on DeepSeek-V3).
type Entry<'a> = (&'a str, &'a Item<'a>);
/// One block `PREFIX.N.…`: its index and its entries (components after the index).
type Block<'a> = (u64, Vec<Entry<'a>>);

/// Rows in the making.
enum Pending<'a> {
    Module(GroupRow),
    Blocks(&'a str, Vec<Block<'a>>),
}

/// Rows for entries given as relative names: repeated blocks merged by signature, the rest by module. `order`
/// ranks the names when they are whole names; relative names (inside a block) compare naturally.
fn collapse<'a>(
    entries: &[Entry<'a>],
    nesting: usize,
    order: Option<&ModelOrder>,
) -> Vec<GroupRow> {
    let cmp = |a: &str, b: &str| match order {
        Some(o) => o.cmp(a, b),
        None => cmp_inside(a, b),
    };
    // First pass, in the order given: each tensor into its block (prefix, index) or its module. Each slot keeps
    // what places it in model order: a block its path (`layers.3`), a module its first tensor in model order.
    let mut slots: Vec<(Pending, &str)> = Vec::new();
    let mut slot_of_block: HashMap<(&str, u64), usize> = HashMap::default();
    let mut slot_of_module: HashMap<&str, usize> = HashMap::default();
    for &(rest, item) in entries {
        // The first integer component, when something follows it: where it starts and what it is.
        let mut start = 0;
        let mut index = None;
        for c in rest.split('.') {
            if index_of(c).is_some() {
                index = Some((start, c));
                break;
            }
            start += c.len() + 1;
        }
        match index {
            Some((at, c)) if at + c.len() < rest.len() => {
                let prefix = rest.get(..at.saturating_sub(1)).unwrap_or_default();
                let key = (prefix, index_of(c).unwrap_or(0));
                let at_slot = *slot_of_block.entry(key).or_insert_with(|| {
                    let path = rest.get(..at + c.len()).unwrap_or_default();
                    slots.push((Pending::Blocks(key.0, vec![(key.1, Vec::new())]), path));
                    slots.len() - 1
                });
                if let (Pending::Blocks(_, blocks), _) = &mut slots[at_slot] {
                    let after = rest.get(at + c.len() + 1..).unwrap_or_default();
                    blocks[0].1.push((after, item));
                }
            }
            _ => {
                let module = rest.rsplit_once('.').map_or(rest, |(m, _)| m);
                let at = *slot_of_module.entry(module).or_insert_with(|| {
                    slots.push((Pending::Module(GroupRow::named(module.to_string())), rest));
                    slots.len() - 1
                });
                if let (Pending::Module(row), first) = &mut slots[at] {
                    row.add(item);
                    row.parameters_each = row.parameters;
                    if cmp(rest, first).is_lt() {
                        *first = rest;
                    }
                }
            }
        }
    }
    // A block's path can equal a module's first tensor (`layers.3` beside `layers.3.…`): the tensor comes first.
    let is_block = |p: &Pending| matches!(p, Pending::Blocks(..));
    slots.sort_by(|(p, a), (q, b)| cmp(a, b).then_with(|| is_block(p).cmp(&is_block(q))));
    // Second pass, in model order: blocks of one prefix merge into the first such block when their signatures
    // are identical.
    let mut merged: Vec<Pending> = Vec::new();
    let mut merged_at: HashMap<(&str, Signature), usize> = HashMap::default();
    for (slot, _) in slots {
        let Pending::Blocks(prefix, mut blocks) = slot else {
            merged.push(slot);
            continue;
        };
        let Some(block) = blocks.pop() else {
            continue;
        };
        let mut signature: Signature = block
            .1
            .iter()
            .map(|&(rest, item)| (rest, item.dtype, item.shape))
            .collect();
        signature.sort();
        let key = (prefix, signature);
        match merged_at.get(&key) {
            Some(&at) => {
                if let Pending::Blocks(_, blocks) = &mut merged[at] {
                    blocks.push(block);
                }
            }
            None => {
                merged_at.insert(key.clone(), merged.len());
                merged.push(Pending::Blocks(key.0, vec![block]));
            }
        }
    }
    merged
        .into_iter()
        .map(|p| match p {
            Pending::Module(row) => row,
            Pending::Blocks(prefix, blocks) => block_row(prefix, blocks, nesting),
        })
        .collect()
}

fn block_row(prefix: &str, blocks: Vec<Block>, nesting: usize) -> GroupRow {
    let indices: Vec<u64> = blocks.iter().map(|(i, _)| *i).collect();
    let label = ranges(&indices);
    let name = match (prefix.is_empty(), blocks.len() > 1) {
        (true, true) => format!("{{{label}}}"),
        (true, false) => label,
        (false, true) => format!("{prefix}.{{{label}}}"),
        (false, false) => format!("{prefix}.{label}"),
    };
    let count = blocks.len() as u64;
    let mut row = GroupRow {
        name,
        count,
        ..Default::default()
    };
    for (_, entries) in &blocks {
        for (_, item) in entries {
            row.add(item);
        }
    }
    row.parameters_each = row.parameters / count;
    // Every block has the same signature, so the first one's nested repeats stand for all.
    if nesting == 0 {
        return row;
    }
    row.children = collapse(&blocks[0].1, nesting - 1, None)
        .into_iter()
        .filter(|c| c.count > 1 || !c.children.is_empty())
        .map(|c| scale(c, count))
        .collect();
    row
}

/// A child row's totals over every instance of its parent.
fn scale(mut row: GroupRow, parents: u64) -> GroupRow {
    row.tensors *= parents;
    row.parameters *= parents;
    row.logical_parameters *= parents;
    row.bytes *= parents;
    row.children = row
        .children
        .into_iter()
        .map(|c| scale(c, parents))
        .collect();
    row
}

#[cfg(test)]
mod tests;

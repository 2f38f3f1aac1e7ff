//! `--tree`: the hierarchy of name components with parameters and bytes per node. Sibling nodes named by an
//! integer (`layers.0` … `layers.31`, `experts.0` … `experts.7`) collapse into one node `{0..31}` ×32 when their
//! subtrees are identical (same relative names, dtypes and shapes); different subtrees stay apart, so every node
//! is exact. `--depth N` cuts the tree below N levels.

use super::order::{cmp_components, ModelOrder};
use super::{index_of, ranges, Item};
use crate::model::dtype::DType;
use serde::Serialize;
// foldhash, not SipHash: these maps are keyed by tensor names of a local checkpoint, not a hash-flooding target,
// and the keyed hasher was a sixth of `--tree` on DeepSeek-V3.
use foldhash::HashMap;

/// One node of `inspect --tree`: a name component, with identical numbered siblings collapsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// A name component, or `{0..31}` for collapsed siblings.
    pub name: String,
    /// Identical siblings merged into this node (per instance of its parent).
    pub count: u64,
    /// Totals over every instance, of this node and of its ancestors.
    pub tensors: u64,
    /// Elements (the Hub's count) over every instance.
    pub parameters: u64,
    /// Logical parameters over every instance.
    pub logical_parameters: u64,
    /// Data bytes over every instance.
    pub bytes: u64,
    /// The components under this one, in the order they first appear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

/// A node of the names' trie. Child names are borrowed from the tensor names: a map and two copies of the name per
/// node were most of `--tree` on DeepSeek-V3 (150k nodes).
#[derive(Default)]
struct Trie<'a> {
    children: Vec<(&'a str, usize)>,
    /// The tensor whose full name ends at this node (a name can also prefix others).
    leaf: Option<usize>,
    tensors: u64,
    parameters: u64,
    logical_parameters: u64,
    bytes: u64,
    signature: u32,
    /// Whether the path to this node has no integer component (only then can its subtree have a rank).
    ranked: bool,
    /// The rank of its subtree in model order ([`super::order`]).
    rank: u8,
}

/// Children a node has before they are found by a map rather than by a search of the list.
const WIDE: usize = 16;

/// Levels built at most: a name from a stranger's file can have thousands of components, and the tree is built
/// (and folded) recursively. Totals of the deepest nodes still include everything below them.
const MAX_LEVELS: usize = 64;

type SignatureKey<'a> = (Option<(DType, &'a [u64])>, Vec<(&'a str, u32)>);

/// The top-level nodes; `depth` limits how many levels are kept (`None`: all).
pub fn tree(items: &[Item], depth: Option<usize>) -> Vec<TreeNode> {
    let order = ModelOrder::new(items);
    // Room for two nodes per tensor, about what model names take (DeepSeek-V3: 1.6): growing by doubling was a
    // fifth of `--tree`.
    let mut nodes = Vec::with_capacity(items.len() * 2 + 1);
    nodes.push(Trie {
        ranked: true,
        ..Default::default()
    });
    // The trie is built in file order and each node's children put in model order after (a subtree's names come
    // together in model order, so that is the order of the names): sorting 92k names first was most of `--tree`
    // on DeepSeek-V3. Names in a file come in runs that share all but their last components, so a name's nodes
    // are mostly the previous name's as far as they agree; past that, a node's children are searched (a map
    // finds them among many).
    let mut wide: HashMap<(usize, &str), usize> = HashMap::default();
    let mut path: Vec<(&str, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (mut at, mut end, mut shared) = (0, 0, true);
        for (depth, part) in item.name.split('.').enumerate() {
            if shared {
                match path.get(depth) {
                    Some(&(p, node)) if p == part => {
                        at = node;
                        end += part.len() + 1;
                        continue;
                    }
                    _ => {
                        shared = false;
                        path.truncate(depth);
                    }
                }
            }
            let children = &nodes[at].children;
            let found = match children.len() < WIDE {
                true => children.iter().find(|(c, _)| *c == part).map(|&(_, c)| c),
                false => wide.get(&(at, part)).copied(),
            };
            let child = match found {
                Some(c) => c,
                None => {
                    let ranked = nodes[at].ranked && index_of(part).is_none();
                    let rank = match ranked {
                        true => order.rank(&item.name[..end + part.len()]),
                        false => 1,
                    };
                    nodes.push(Trie {
                        ranked,
                        rank,
                        ..Default::default()
                    });
                    let c = nodes.len() - 1;
                    let children = &mut nodes[at].children;
                    children.push((part, c));
                    match children.len() {
                        n if n == WIDE => wide.extend(children.iter().map(|&(p, c)| ((at, p), c))),
                        n if n > WIDE => {
                            wide.insert((at, part), c);
                        }
                        _ => {}
                    }
                    c
                }
            };
            path.push((part, child));
            at = child;
            end += part.len() + 1;
        }
        nodes[at].leaf = Some(i);
    }
    for n in 0..nodes.len() {
        let mut children = std::mem::take(&mut nodes[n].children);
        children.sort_by(|&(a, p), &(b, q)| cmp_components((nodes[p].rank, a), (nodes[q].rank, b)));
        nodes[n].children = children;
    }
    let mut interned: HashMap<SignatureKey, u32> = HashMap::default();
    summarise(&mut nodes, 0, items, &mut interned);
    let full: Vec<TreeNode> = build_children(&nodes, 0, 1, MAX_LEVELS)
        .into_iter()
        .map(fold)
        .collect();
    cut(full, depth.unwrap_or(usize::MAX))
}

/// A node with a single child and no repeats of its own is shown as one line: `lm_head.weight`,
/// `experts.{0..7}` (×8).
fn fold(mut node: TreeNode) -> TreeNode {
    node.children = node.children.into_iter().map(fold).collect();
    if node.count == 1 && node.children.len() == 1 && node.children[0].tensors == node.tensors {
        let child = node.children.pop().unwrap_or_default();
        return TreeNode {
            name: format!("{}.{}", node.name, child.name),
            ..child
        };
    }
    node
}

fn cut(nodes: Vec<TreeNode>, levels: usize) -> Vec<TreeNode> {
    if levels == 0 {
        return Vec::new();
    }
    nodes
        .into_iter()
        .map(|mut n| {
            n.children = cut(std::mem::take(&mut n.children), levels - 1);
            n
        })
        .collect()
}

/// Totals and an exact structural signature per node, children before parents (iteratively: names can be deep).
fn summarise<'a>(
    nodes: &mut [Trie<'a>],
    root: usize,
    items: &[Item<'a>],
    interned: &mut HashMap<SignatureKey<'a>, u32>,
) {
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        order.push(n);
        stack.extend(nodes[n].children.iter().map(|(_, c)| *c));
    }
    for &n in order.iter().rev() {
        let mut key: SignatureKey = (None, Vec::with_capacity(nodes[n].children.len()));
        let (mut tensors, mut parameters, mut logical, mut bytes) = (0, 0, 0, 0);
        if let Some(i) = nodes[n].leaf {
            let item = &items[i];
            key.0 = Some((item.dtype, item.shape));
            tensors += 1;
            parameters += item.parameters;
            logical += item.logical_parameters;
            bytes += item.bytes;
        }
        for (name, c) in &nodes[n].children {
            let child = &nodes[*c];
            key.1.push((name, child.signature));
            tensors += child.tensors;
            parameters += child.parameters;
            logical += child.logical_parameters;
            bytes += child.bytes;
        }
        key.1.sort();
        let next = interned.len() as u32;
        let node = &mut nodes[n];
        node.signature = *interned.entry(key).or_insert(next);
        (
            node.tensors,
            node.parameters,
            node.logical_parameters,
            node.bytes,
        ) = (tensors, parameters, logical, bytes);
    }
}

/// The children of `n` as output nodes, identical integer-named siblings merged, totals × `instances`.
fn build_children(nodes: &[Trie], n: usize, instances: u64, levels: usize) -> Vec<TreeNode> {
    if levels == 0 {
        return Vec::new();
    }
    // (name, members) in order of first appearance; integer-named members merge by signature.
    let mut groups: Vec<Vec<(&str, usize)>> = Vec::new();
    let mut group_of_signature: HashMap<u32, usize> = HashMap::default();
    for (name, c) in &nodes[n].children {
        if index_of(name).is_some() {
            let sig = nodes[*c].signature;
            match group_of_signature.get(&sig) {
                Some(&g) => groups[g].push((name, *c)),
                None => {
                    group_of_signature.insert(sig, groups.len());
                    groups.push(vec![(name, *c)]);
                }
            }
        } else {
            groups.push(vec![(name, *c)]);
        }
    }
    groups
        .into_iter()
        .map(|members| {
            let first = &nodes[members[0].1];
            let count = members.len() as u64;
            let name = if count == 1 {
                members[0].0.to_string()
            } else {
                let indices: Vec<u64> =
                    members.iter().filter_map(|(m, _)| m.parse().ok()).collect();
                format!("{{{}}}", ranges(&indices))
            };
            let each = instances * count;
            TreeNode {
                name,
                count,
                tensors: first.tensors * each,
                parameters: first.parameters * each,
                logical_parameters: first.logical_parameters * each,
                bytes: first.bytes * each,
                children: build_children(nodes, members[0].1, each, levels - 1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::role::Role;

    fn item<'a>(name: &'a str, shape: &'a [u64]) -> Item<'a> {
        let parameters = shape.iter().product();
        Item {
            name,
            dtype: DType::BF16,
            shape,
            parameters,
            logical_parameters: parameters,
            bytes: 2 * parameters,
            role: Role::Other,
            role_rule: "other",
        }
    }

    fn flat(nodes: &[TreeNode], indent: usize, out: &mut Vec<String>) {
        for n in nodes {
            out.push(format!(
                "{}{} x{} {}",
                " ".repeat(indent),
                n.name,
                n.count,
                n.parameters
            ));
            flat(&n.children, indent + 1, out);
        }
    }

    #[test]
    fn collapses_identical_layers_and_experts_keeps_irregular_ones() {
        let names: Vec<String> = (0..3)
            .flat_map(|l| {
                let mut v = vec![format!("m.layers.{l}.norm.weight")];
                v.extend((0..4).map(|e| format!("m.layers.{l}.experts.{e}.w")));
                v
            })
            .collect();
        let mut items: Vec<Item> = names.iter().map(|n| item(n, &[2, 3])).collect();
        // Layer 2's expert 3 is wider: layer 2 no longer merges with 0 and 1, and inside it expert 3 stands alone.
        items[14] = item(&names[14], &[4, 3]);
        items.push(item("m.norm.weight", &[3]));
        let mut out = Vec::new();
        flat(&tree(&items, None), 0, &mut out);
        assert_eq!(
            out,
            [
                "m x1 99",
                " layers x1 96",
                "  {0..1} x2 60",
                "   experts.{0..3} x4 48",
                "    w x1 48",
                "   norm.weight x1 12",
                "  2 x1 36",
                "   experts x1 30",
                "    {0..2} x3 18",
                "     w x1 18",
                "    3.w x1 12",
                "   norm.weight x1 6",
                " norm.weight x1 3",
            ]
        );
        let mut cut = Vec::new();
        flat(&tree(&items, Some(2)), 0, &mut cut);
        assert_eq!(cut, ["m x1 99", " layers x1 96", " norm.weight x1 3"]);
    }
}

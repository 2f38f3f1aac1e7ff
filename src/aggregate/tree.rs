//! `--tree`: the hierarchy of name components with parameters and bytes per node. Sibling nodes named by an
//! integer (`layers.0` … `layers.31`, `experts.0` … `experts.7`) collapse into one node `{0..31}` ×32 when their
//! subtrees are identical (same relative names, dtypes and shapes); different subtrees stay apart, so every node
//! is exact. `--depth N` cuts the tree below N levels.

use super::order::{cmp_components, RoleCounts};
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

/// A node of the names' trie: a name component under which other names go on. Child names are borrowed from the
/// tensor names: a map and two copies of the name per node were most of `--tree` on DeepSeek-V3 (150k nodes).
#[derive(Default)]
struct Trie<'a> {
    children: Vec<Child<'a>>,
    /// The tensor whose full name ends at this node (a name can also prefix others).
    leaf: Option<u32>,
    sums: Sums,
    signature: u32,
    /// Whether the path to this node has no integer component (only then can a subtree have a rank).
    ranked: bool,
}

/// One child of a trie node: a node, or a tensor whose name ends there and prefixes no other (most of them: a
/// node for each tensor was 7 MB of fresh memory on DeepSeek-V3).
#[derive(Clone, Copy)]
struct Child<'a> {
    part: &'a str,
    /// The node's or the tensor's index.
    at: u32,
    tensor: bool,
    /// The rank of its subtree in model order ([`super::order`]).
    rank: u8,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    tensors: u64,
    parameters: u64,
    logical_parameters: u64,
    bytes: u64,
}

impl Sums {
    fn of(item: &Item) -> Self {
        Sums {
            tensors: 1,
            parameters: item.parameters,
            logical_parameters: item.logical_parameters,
            bytes: item.bytes,
        }
    }

    fn add(&mut self, other: Sums) {
        self.tensors += other.tensors;
        self.parameters += other.parameters;
        self.logical_parameters += other.logical_parameters;
        self.bytes += other.bytes;
    }
}

/// Children a node has before they are found by a map rather than by a search of the list.
const WIDE: usize = 16;

/// Levels built at most: a name from a stranger's file can have thousands of components, and the tree is built
/// (and folded) recursively. Totals of the deepest nodes still include everything below them.
const MAX_LEVELS: usize = 64;

type SignatureKey<'a> = (Option<(DType, &'a [u64])>, Vec<(&'a str, u32)>);

/// The top-level nodes; `depth` limits how many levels are kept (`None`: all).
pub fn tree(items: &[Item], depth: Option<usize>) -> Vec<TreeNode> {
    let nodes = trie(items);
    let mut interned: HashMap<SignatureKey, u32> = HashMap::default();
    let nodes = summarise(nodes, items, &mut interned);
    let full: Vec<TreeNode> = build_children(&nodes, items, &interned, 0, 1, MAX_LEVELS)
        .into_iter()
        .map(fold)
        .collect();
    cut(full, depth.unwrap_or(usize::MAX))
}

/// The names' trie, in file order.
fn trie<'a>(items: &[Item<'a>]) -> Vec<Trie<'a>> {
    // Room for a node per tensor, more than model names take (DeepSeek-V3: 0.67): growing by doubling was a
    // fifth of `--tree`.
    let mut nodes = Vec::with_capacity(items.len() + 1);
    nodes.push(Trie {
        ranked: true,
        ..Default::default()
    });
    // The trie is built in file order and each node's children put in model order after ([`summarise`]): a
    // subtree's names come together in model order, so that is the order of the names, and sorting 92k names
    // first was most of `--tree` on DeepSeek-V3. Names in a file come in runs that share all but their last
    // components, so a name's nodes are mostly the previous name's as far as they agree; past that, a node's
    // children are searched (a map finds them among many: (node, component) → place in its list).
    let mut wide: HashMap<(usize, &str), usize> = HashMap::default();
    // The nodes of the previous name's components that something followed, with where each component ends.
    let mut path: Vec<(usize, usize)> = Vec::new();
    let mut previous = "";
    for (i, item) in items.iter().enumerate() {
        let i = i as u32;
        let name = item.name;
        // The components both names share, followed by a dot in both, are found by comparing the names' bytes
        // once: component by component was a third of building the trie.
        let common = common_prefix(previous.as_bytes(), name.as_bytes());
        path.truncate(path.partition_point(|&(end, _)| end < common));
        previous = name;
        let (mut at, mut end) = path.last().map_or((0, 0), |&(end, node)| (node, end + 1));
        for part in name[end..].split('.') {
            let last = end + part.len() == name.len();
            let children = &nodes[at].children;
            let found = match children.len() < WIDE {
                true => children.iter().position(|c| c.part == part),
                false => wide.get(&(at, part)).copied(),
            };
            let ranked = nodes[at].ranked && index_of(part).is_none();
            let node = |leaf| Trie {
                leaf,
                ranked,
                ..Default::default()
            };
            let k = match found {
                Some(k) => k,
                None => {
                    // A new component: the tensor when the name ends here, else a node for the names that go on.
                    let (child, tensor) = match last {
                        true => (i, true),
                        false => {
                            nodes.push(node(None));
                            ((nodes.len() - 1) as u32, false)
                        }
                    };
                    let children = &mut nodes[at].children;
                    children.push(Child {
                        part,
                        at: child,
                        tensor,
                        rank: 1,
                    });
                    let k = children.len() - 1;
                    match children.len() {
                        WIDE => {
                            wide.extend(children.iter().enumerate().map(|(k, c)| ((at, c.part), k)))
                        }
                        n if n > WIDE => {
                            wide.insert((at, part), k);
                        }
                        _ => {}
                    }
                    if last {
                        break;
                    }
                    k
                }
            };
            let child = nodes[at].children[k];
            let next = match (child.tensor, last) {
                (false, true) => {
                    nodes[child.at as usize].leaf = Some(i);
                    break;
                }
                // The same name twice: the later one stands (readers refuse duplicates before this).
                (true, true) => {
                    nodes[at].children[k].at = i;
                    break;
                }
                (false, false) => child.at as usize,
                // A tensor whose name another one goes on from becomes a node with that tensor at its end.
                (true, false) => {
                    nodes.push(node(Some(child.at)));
                    let c = nodes.len() - 1;
                    nodes[at].children[k].at = c as u32;
                    nodes[at].children[k].tensor = false;
                    c
                }
            };
            path.push((end + part.len(), next));
            at = next;
            end += part.len() + 1;
        }
    }
    nodes
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

/// Totals and an exact structural signature per node, and its children in model order ([`super::order`]),
/// children before parents (iteratively: names can be deep). A subtree's rank comes from the roles of the tensors
/// under it, counted here on the way up, not looked up by name.
fn summarise<'a>(
    mut nodes: Vec<Trie<'a>>,
    items: &[Item<'a>],
    interned: &mut HashMap<SignatureKey<'a>, u32>,
) -> Vec<Trie<'a>> {
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack = vec![0];
    while let Some(n) = stack.pop() {
        order.push(n);
        let nodes_under = nodes[n].children.iter().filter(|c| !c.tensor);
        stack.extend(nodes_under.map(|c| c.at as usize));
    }
    // Per node, the roles under it of names without an integer component (kept for nodes whose path has none).
    let mut roles = vec![RoleCounts::default(); nodes.len()];
    // One key reused for every node: it is copied into the map only when it is new (52 times on DeepSeek-V3,
    // against 62k allocations).
    let mut key: SignatureKey = (None, Vec::new());
    for &n in order.iter().rev() {
        key.0 = None;
        key.1.clear();
        let mut sums = Sums::default();
        let mut counts = RoleCounts::default();
        let ranked = nodes[n].ranked;
        if let Some(i) = nodes[n].leaf {
            let item = &items[i as usize];
            key.0 = Some((item.dtype, item.shape));
            sums = Sums::of(item);
            if ranked {
                counts.add(item.role);
            }
        }
        let mut children = std::mem::take(&mut nodes[n].children);
        for child in &mut children {
            let mut under = RoleCounts::default();
            let (signature, child_sums) = match child.tensor {
                true => {
                    let item = &items[child.at as usize];
                    under.add(item.role);
                    (intern(interned, &tensor_key(item)), Sums::of(item))
                }
                false => {
                    let at = child.at as usize;
                    under = roles[at];
                    (nodes[at].signature, nodes[at].sums)
                }
            };
            if ranked && index_of(child.part).is_none() {
                child.rank = under.rank();
                counts.merge(under);
            }
            key.1.push((child.part, signature));
            sums.add(child_sums);
        }
        children.sort_by(|a, b| cmp_components((a.rank, a.part), (b.rank, b.part)));
        key.1.sort();
        let signature = intern(interned, &key);
        roles[n] = counts;
        let node = &mut nodes[n];
        (node.children, node.signature, node.sums) = (children, signature, sums);
    }
    nodes
}

/// How many bytes `a` and `b` start with in common, compared eight at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut at = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (x, y) = (
            u64::from_le_bytes(x.try_into().unwrap_or_default()),
            u64::from_le_bytes(y.try_into().unwrap_or_default()),
        );
        if x != y {
            return at + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..]
        .iter()
        .zip(&b[at..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The signature of a tensor that is a leaf of the trie.
fn tensor_key<'a>(item: &Item<'a>) -> SignatureKey<'a> {
    (Some((item.dtype, item.shape)), Vec::new())
}

fn intern<'a>(interned: &mut HashMap<SignatureKey<'a>, u32>, key: &SignatureKey<'a>) -> u32 {
    if let Some(&signature) = interned.get(key) {
        return signature;
    }
    let next = interned.len() as u32;
    interned.insert(key.clone(), next);
    next
}

/// The children of node `n` as output nodes, identical integer-named siblings merged, totals × `instances`.
fn build_children(
    nodes: &[Trie],
    items: &[Item],
    interned: &HashMap<SignatureKey, u32>,
    n: usize,
    instances: u64,
    levels: usize,
) -> Vec<TreeNode> {
    if levels == 0 {
        return Vec::new();
    }
    let signature = |c: &Child| match c.tensor {
        true => interned
            .get(&tensor_key(&items[c.at as usize]))
            .copied()
            .unwrap_or(u32::MAX),
        false => nodes[c.at as usize].signature,
    };
    // Members in model order; integer-named ones merge by signature.
    let mut groups: Vec<Vec<Child>> = Vec::new();
    let mut group_of_signature: HashMap<u32, usize> = HashMap::default();
    for child in &nodes[n].children {
        if index_of(child.part).is_some() {
            match group_of_signature.get(&signature(child)) {
                Some(&g) => groups[g].push(*child),
                None => {
                    group_of_signature.insert(signature(child), groups.len());
                    groups.push(vec![*child]);
                }
            }
        } else {
            groups.push(vec![*child]);
        }
    }
    groups
        .into_iter()
        .map(|members| {
            let first = members[0];
            let count = members.len() as u64;
            let name = if count == 1 {
                first.part.to_string()
            } else {
                let indices: Vec<u64> =
                    members.iter().filter_map(|m| m.part.parse().ok()).collect();
                format!("{{{}}}", ranges(&indices))
            };
            let each = instances * count;
            let (sums, children) = match first.tensor {
                true => (Sums::of(&items[first.at as usize]), Vec::new()),
                false => {
                    let node = first.at as usize;
                    let children = build_children(nodes, items, interned, node, each, levels - 1);
                    (nodes[node].sums, children)
                }
            };
            TreeNode {
                name,
                count,
                tensors: sums.tensors * each,
                parameters: sums.parameters * each,
                logical_parameters: sums.logical_parameters * each,
                bytes: sums.bytes * each,
                children,
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

//! Model order: embeddings, then the blocks in index order, then the final norm, then the head — the order of
//! the modules in the model's `forward`, which is how people read a model, whatever order the file stores them in
//! (a Hub index is alphabetical: `lm_head` first, `model.layers.10` before `model.layers.2`).
//!
//! Names are compared component by component. At the first component two names differ in, each side's subtree
//! (the name up to that component) gets a rank — it holds an embedding (0), it is something else (1), it holds
//! only norms (2), it holds only the output head (3) — and equal ranks compare naturally (`layers.2` <
//! `layers.10`); a name that is another's prefix comes first. Only names without an integer component rank their
//! subtrees: inside a block (`layers.0.…`) the order is natural, and a block that holds an embedding (DeepSeek's
//! MTP layer `layers.61.embed_tokens`) keeps its place by index.
//!
//! The order compares one subtree with another, so every subtree's names come together and what is grouped by
//! subtree (a row, a tree node) can be grouped in file order first and put in order after: `--group-by` and
//! `--tree` sort their few hundred rows and each node's children, not the tensors. Sorting DeepSeek-V3's 92k names
//! was most of the time those views took.

use super::{index_of, Item};
use crate::interpret::role::Role;
use crate::model::order::natural_cmp;
use std::cmp::Ordering;
// foldhash, not SipHash: these maps are keyed by tensor names of a local checkpoint, not a hash-flooding target,
// and the keyed hasher was a sixth of `--tree` on DeepSeek-V3.
use foldhash::HashMap;

/// The roles of the tensors under a name prefix whose names have no integer component: what ranks the subtree.
#[derive(Default, Clone, Copy)]
pub struct RoleCounts {
    tensors: u64,
    embeddings: u64,
    norms: u64,
    heads: u64,
}

impl RoleCounts {
    /// Counts `role` once more.
    pub fn add(&mut self, role: Role) {
        self.tensors += 1;
        self.embeddings += u64::from(role == Role::Embeddings);
        self.norms += u64::from(role == Role::Norm);
        self.heads += u64::from(role == Role::OutputHead);
    }

    /// Adds the counts of a subtree.
    pub fn merge(&mut self, other: RoleCounts) {
        self.tensors += other.tensors;
        self.embeddings += other.embeddings;
        self.norms += other.norms;
        self.heads += other.heads;
    }

    /// The subtree's rank: 0 when it holds an embedding, 3 only the output head, 2 only norms, else (or when
    /// nothing counted) 1.
    pub fn rank(&self) -> u8 {
        match self {
            c if c.tensors == 0 => 1,
            c if c.embeddings > 0 => 0,
            c if c.heads == c.tensors => 3,
            c if c.norms == c.tensors => 2,
            _ => 1,
        }
    }
}

/// The model order of a set of tensors: the ranks of their subtrees, and comparisons of names by them.
pub struct ModelOrder<'a> {
    prefixes: HashMap<&'a str, RoleCounts>,
}

impl<'a> ModelOrder<'a> {
    /// The order of `items`' names (ranks come from the roles of the tensors in each subtree).
    pub fn new(items: &[Item<'a>]) -> Self {
        let mut prefixes: HashMap<&str, RoleCounts> = HashMap::default();
        for item in items.iter() {
            if item.name.split('.').any(|c| index_of(c).is_some()) {
                continue;
            }
            let ends = item.name.match_indices('.').map(|(end, _)| end);
            for end in ends.chain([item.name.len()]) {
                prefixes
                    .entry(&item.name[..end])
                    .or_default()
                    .add(item.role);
            }
        }
        ModelOrder { prefixes }
    }

    /// The rank of the subtree a name prefix `path` (whole components) names; 1 where no rank applies.
    pub fn rank(&self, path: &str) -> u8 {
        self.prefixes.get(path).map_or(1, RoleCounts::rank)
    }

    /// Two full names in model order.
    pub fn cmp(&self, a: &str, b: &str) -> Ordering {
        compare(a, b, Some(self))
    }
}

/// Two names relative to a numbered block (the part after `layers.3.`): no rank applies inside one, so the order
/// is natural, component by component.
pub fn cmp_inside(a: &str, b: &str) -> Ordering {
    compare(a, b, None)
}

/// Two components of one parent in model order, given each one's rank.
pub fn cmp_components((rank_a, a): (u8, &str), (rank_b, b): (u8, &str)) -> Ordering {
    rank_a.cmp(&rank_b).then_with(|| natural_cmp(a, b))
}

fn compare(a: &str, b: &str, order: Option<&ModelOrder>) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    // Whether the shared prefix is still free of integer components (only then can a subtree have a rank).
    let mut ranked = order.is_some();
    let mut end = 0;
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p == q => {
                ranked &= index_of(p).is_none();
                end += p.len() + 1;
            }
            (Some(p), Some(q)) => {
                let rank = |name: &str, c: &str| match order {
                    Some(o) if ranked && index_of(c).is_none() => o.rank(&name[..end + c.len()]),
                    _ => 1,
                };
                return cmp_components((rank(a, p), p), (rank(b, q), q));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::role::role_of;
    use crate::model::dtype::DType;

    fn sorted(names: &[&str]) -> Vec<String> {
        let items: Vec<Item> = names
            .iter()
            .map(|name| {
                let (role, role_rule) = role_of(name);
                Item {
                    name,
                    dtype: DType::BF16,
                    shape: &[],
                    parameters: 1,
                    logical_parameters: 1,
                    bytes: 2,
                    role,
                    role_rule,
                }
            })
            .collect();
        let order = ModelOrder::new(&items);
        let mut names: Vec<&str> = items.iter().map(|i| i.name).collect();
        names.sort_by(|a, b| order.cmp(a, b));
        names.into_iter().map(str::to_string).collect()
    }

    #[test]
    fn llama_reads_embeddings_blocks_norm_head() {
        let names = [
            "lm_head.weight",
            "model.layers.10.mlp.up_proj.weight",
            "model.layers.2.mlp.up_proj.weight",
            "model.layers.2.input_layernorm.weight",
            "model.norm.weight",
            "model.embed_tokens.weight",
        ];
        assert_eq!(
            sorted(&names),
            [
                "model.embed_tokens.weight",
                "model.layers.2.input_layernorm.weight",
                "model.layers.2.mlp.up_proj.weight",
                "model.layers.10.mlp.up_proj.weight",
                "model.norm.weight",
                "lm_head.weight",
            ]
        );
    }

    #[test]
    fn gpt2_and_gguf_and_deepseek_mtp() {
        assert_eq!(
            sorted(&[
                "transformer.ln_f.weight",
                "transformer.h.0.attn.c_attn.weight",
                "transformer.wte.weight"
            ]),
            [
                "transformer.wte.weight",
                "transformer.h.0.attn.c_attn.weight",
                "transformer.ln_f.weight"
            ]
        );
        assert_eq!(
            sorted(&[
                "output.weight",
                "output_norm.weight",
                "blk.1.attn_q.weight",
                "token_embd.weight"
            ]),
            [
                "token_embd.weight",
                "blk.1.attn_q.weight",
                "output_norm.weight",
                "output.weight"
            ]
        );
        assert_eq!(
            sorted(&[
                "model.layers.61.embed_tokens.weight",
                "model.norm.weight",
                "model.layers.3.mlp.gate.weight",
                "model.embed_tokens.weight",
            ]),
            [
                "model.embed_tokens.weight",
                "model.layers.3.mlp.gate.weight",
                "model.layers.61.embed_tokens.weight",
                "model.norm.weight",
            ]
        );
    }
}

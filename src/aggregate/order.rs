//! Model order: embeddings, then the blocks in index order, then the final norm, then the head — the order of
//! the modules in the model's `forward`, which is how people read a model, whatever order the file stores them in
//! (a Hub index is alphabetical: `lm_head` first, `model.layers.10` before `model.layers.2`).
//!
//! Names are compared component by component. At the first component two names differ in, each side's subtree
//! (the name up to that component) gets a rank — it holds an embedding (0), it is
//! something else (1), it holds only norms (2), it holds only the output head (3) — and equal ranks compare
//! naturally (`layers.2` < `layers.10`). Only names without an integer component rank their subtrees: inside a block (`layers.0.…`) the
//! order is natural, and a block that holds an embedding (DeepSeek's MTP layer `layers.61.embed_tokens`) keeps its
//! place by index.

use super::{index_of, Item};
use crate::interpret::role::Role;
use crate::model::order::natural_cmp;
// foldhash, not SipHash: these maps are keyed by tensor names of a local checkpoint, not a hash-flooding target,
// and the keyed hasher was a sixth of `--tree` on DeepSeek-V3.
use foldhash::HashMap;

#[derive(Default, Clone, Copy)]
struct Counts {
    tensors: u64,
    embeddings: u64,
    norms: u64,
    heads: u64,
}

/// Sorts `items` in model order.
pub fn sort(items: &mut [Item]) {
    let mut prefixes: HashMap<&str, Counts> = HashMap::default();
    for item in items.iter() {
        if item.name.split('.').any(|c| index_of(c).is_some()) {
            continue;
        }
        let ends = item.name.match_indices('.').map(|(end, _)| end);
        for end in ends.chain([item.name.len()]) {
            let c = prefixes.entry(&item.name[..end]).or_default();
            c.tensors += 1;
            c.embeddings += u64::from(item.role == Role::Embeddings);
            c.norms += u64::from(item.role == Role::Norm);
            c.heads += u64::from(item.role == Role::OutputHead);
        }
    }
    let rank = |prefix: &str| -> u8 {
        match prefixes.get(prefix) {
            Some(c) if c.embeddings > 0 => 0,
            Some(c) if c.heads == c.tensors => 3,
            Some(c) if c.norms == c.tensors => 2,
            _ => 1,
        }
    };
    // The key of a component is (rank of its subtree, the component), a function of the prefix alone, so the
    // order is total. Every name's keys are worked out once: ranking inside the comparison made it two hash
    // lookups and two splits per comparison, two fifths of `--tree` on DeepSeek-V3.
    let keys: Vec<Vec<(u8, &str)>> = items
        .iter()
        .map(|item| {
            let mut end = 0;
            item.name
                .split('.')
                .map(|c| {
                    let key = (rank(&item.name[..end + c.len()]), c);
                    end += c.len() + 1;
                    key
                })
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        for (&(ra, p), &(rb, q)) in keys[i].iter().zip(&keys[j]) {
            if p != q {
                return ra
                    .cmp(&rb)
                    .then_with(|| natural_cmp(p, q))
                    .then_with(|| p.cmp(q));
            }
        }
        keys[i].len().cmp(&keys[j].len())
    });
    let sorted: Vec<Item> = order.iter().map(|&i| items[i]).collect();
    items.copy_from_slice(&sorted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::role::role_of;
    use crate::model::dtype::DType;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut items: Vec<Item> = names
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
        sort(&mut items);
        items.iter().map(|i| i.name.to_string()).collect()
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

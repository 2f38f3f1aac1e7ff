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

/// The places of `items` in model order: `items[positions(items)[0]]` comes first.
pub fn positions(items: &[Item]) -> Vec<usize> {
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
    let rank = |prefix: &str| -> Option<u8> {
        prefixes.get(prefix).map(|c| match c {
            c if c.embeddings > 0 => 0,
            c if c.heads == c.tensors => 3,
            c if c.norms == c.tensors => 2,
            _ => 1,
        })
    };
    // The key of a component is (rank of its subtree, the component), a function of the prefix alone, so the
    // order is total. Each component is numbered by its place among all distinct components in natural order,
    // so a key is one integer and comparing two names compares integers: comparing the strings (and ranking
    // prefixes) inside the sort was most of `--group-by` and `--tree` on DeepSeek-V3's 92k names. The keys are
    // made a part of the names at a time on every core, each part numbering its components its own way, and the
    // numbers are then made one numbering, in natural order.
    let parts: Vec<Part> = if items.len() >= crate::each::PARALLEL_FROM {
        use rayon::prelude::*;
        items.par_chunks(PART).map(|p| keys_of(p, &rank)).collect()
    } else {
        items.chunks(PART).map(|p| keys_of(p, &rank)).collect()
    };
    let mut number: HashMap<&str, u32> = HashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let global: Vec<Vec<u32>> = parts
        .iter()
        .map(|p| {
            p.distinct
                .iter()
                .map(|&c| {
                    *number.entry(c).or_insert_with(|| {
                        distinct.push(c);
                        (distinct.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    let mut natural: Vec<u32> = (0..distinct.len() as u32).collect();
    natural.sort_unstable_by(|&a, &b| {
        let (p, q) = (distinct[a as usize], distinct[b as usize]);
        natural_cmp(p, q).then_with(|| p.cmp(q))
    });
    let mut place = vec![0u32; distinct.len()];
    for (at, &n) in natural.iter().enumerate() {
        place[n as usize] = at as u32;
    }
    let mut parts = parts;
    let renumber = |(p, global): (&mut Part, &Vec<u32>)| {
        for k in &mut p.keys {
            let local = (*k & u64::from(u32::MAX)) as usize;
            *k = *k & !u64::from(u32::MAX) | u64::from(place[global[local] as usize]);
        }
    };
    if items.len() >= crate::each::PARALLEL_FROM {
        use rayon::prelude::*;
        parts.par_iter_mut().zip(&global).for_each(renumber);
    } else {
        parts.iter_mut().zip(&global).for_each(renumber);
    }
    let key = |i: usize| {
        let (p, at) = (&parts[i / PART], i % PART);
        &p.keys[if at == 0 { 0 } else { p.ends[at - 1] }..p.ends[at]]
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Names compare component key by component key, a shorter name first when one is the other's prefix.
    // Unstable is exact: names in one checkpoint are unique, so no two keys are equal.
    let by_key = |&i: &usize, &j: &usize| key(i).cmp(key(j));
    if items.len() >= crate::each::PARALLEL_FROM {
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut order[..], by_key);
    } else {
        order.sort_unstable_by(by_key);
    }
    order
}

/// How many names one part numbers.
const PART: usize = 8192;

/// One part of the names: its distinct components in order of first appearance, and per name its components'
/// keys, each `(rank << 32 | the component's place in `distinct`)`, one name after another (`ends`).
struct Part<'a> {
    distinct: Vec<&'a str>,
    keys: Vec<u64>,
    ends: Vec<usize>,
}

fn keys_of<'a>(items: &[Item<'a>], rank: &(impl Fn(&str) -> Option<u8> + Sync)) -> Part<'a> {
    let mut number: HashMap<&str, u32> = HashMap::default();
    let mut part = Part {
        distinct: Vec::new(),
        keys: Vec::with_capacity(items.len() * 8),
        ends: Vec::with_capacity(items.len()),
    };
    // The previous name's components with their keys and whether their prefix was ranked: names in a file come
    // mostly in runs sharing all but their last components, whose keys are the same (a key is a function of the
    // prefix), so only the components after the shared ones are looked up.
    let mut previous: Vec<(&str, u64, bool)> = Vec::new();
    for item in items {
        let mut end = 0;
        let mut shared = true;
        for (depth, c) in item.name.split('.').enumerate() {
            if shared {
                if let Some(&(_, key, _)) = previous.get(depth).filter(|(p, _, _)| *p == c) {
                    part.keys.push(key);
                    end += c.len() + 1;
                    continue;
                }
                shared = false;
                previous.truncate(depth);
            }
            // `prefixes` holds every prefix of the names it counts, so past the first prefix it lacks, none is.
            let ranked = previous.last().is_none_or(|&(_, _, ranked)| ranked);
            let r = match ranked {
                true => rank(&item.name[..end + c.len()]),
                false => None,
            };
            let n = *number.entry(c).or_insert_with(|| {
                part.distinct.push(c);
                (part.distinct.len() - 1) as u32
            });
            let key = u64::from(r.unwrap_or(1)) << 32 | u64::from(n);
            previous.push((c, key, r.is_some()));
            part.keys.push(key);
            end += c.len() + 1;
        }
        part.ends.push(part.keys.len());
    }
    part
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
        positions(&items)
            .into_iter()
            .map(|i| items[i].name.to_string())
            .collect()
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

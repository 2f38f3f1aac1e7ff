//! Pairing a Hugging Face safetensors checkpoint with its GGUF conversion: GGUF tensor names are mapped to the
//! HF Llama names llama.cpp's `convert_hf_to_gguf.py` converts them from (gguf-py `tensor_mapping.py`), and
//! the q/k projections that conversion permuted for llama.cpp's rotary embedding are compared row by row
//! through the inverse permutation.
//!
//! | GGUF | Hugging Face |
//! |---|---|
//! | `token_embd` | `model.embed_tokens` |
//! | `output_norm` | `model.norm` |
//! | `output` | `lm_head` |
//! | `blk.N.attn_norm` | `model.layers.N.input_layernorm` |
//! | `blk.N.attn_q` / `attn_k` / `attn_v` / `attn_output` | `model.layers.N.self_attn.q_proj` / `k_proj` / `v_proj` / `o_proj` |
//! | `blk.N.ffn_norm` | `model.layers.N.post_attention_layernorm` |
//! | `blk.N.ffn_gate` / `ffn_up` / `ffn_down` | `model.layers.N.mlp.gate_proj` / `up_proj` / `down_proj` |
//!
//! (each with its `.weight` or `.bias` suffix kept). Other GGUF names (e.g. `rope_freqs`) stay as they are.

use super::Pair;
use crate::format::gguf::hparams::GgufHparams;
use crate::model::checkpoint::{Checkpoint, Format};
use crate::model::dtype::Storage;
use serde::Serialize;
use std::borrow::Cow;

const TOP: [(&str, &str); 3] = [
    ("token_embd", "model.embed_tokens"),
    ("output_norm", "model.norm"),
    ("output", "lm_head"),
];

const PER_LAYER: [(&str, &str); 9] = [
    ("attn_norm", "input_layernorm"),
    ("attn_q", "self_attn.q_proj"),
    ("attn_k", "self_attn.k_proj"),
    ("attn_v", "self_attn.v_proj"),
    ("attn_output", "self_attn.o_proj"),
    ("ffn_norm", "post_attention_layernorm"),
    ("ffn_gate", "mlp.gate_proj"),
    ("ffn_up", "mlp.up_proj"),
    ("ffn_down", "mlp.down_proj"),
];

/// The HF Llama name of a GGUF tensor name, when the mapping knows it.
pub fn hf_name(gguf: &str) -> Option<String> {
    let (stem, suffix) = gguf.rsplit_once('.')?;
    if !matches!(suffix, "weight" | "bias") {
        return None;
    }
    if let Some(&(_, hf)) = TOP.iter().find(|(g, _)| *g == stem) {
        return Some(format!("{hf}.{suffix}"));
    }
    let rest = stem.strip_prefix("blk.")?;
    let (layer, part) = rest.split_once('.')?;
    layer.parse::<u64>().ok()?;
    let &(_, hf) = PER_LAYER.iter().find(|(g, _)| *g == part)?;
    Some(format!("model.layers.{layer}.{hf}.{suffix}"))
}

/// What `diff` did to pair a GGUF checkpoint with a safetensors one.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct NameMapping {
    /// "a" or "b": the side whose GGUF names were mapped to Hugging Face names.
    pub gguf_side: &'static str,
    /// What the mapping is and where it is described, in words.
    pub mapping: &'static str,
    /// Tensors renamed.
    pub mapped: usize,
    /// Mapped q/k projections whose rows llama.cpp permuted for its rotary embedding; `--values` compares them
    /// through the inverse permutation.
    pub rope_permuted: Vec<String>,
    /// q/k projections that should be permuted but whose permutation cannot be undone (no head counts in the
    /// metadata, rows not divisible into heads of even size, or shapes that differ): their values are compared
    /// as stored and will differ.
    pub rope_not_undone: Vec<String>,
}

/// How llama.cpp's `permute(w, n_head, n_head_kv)` reordered a q or k projection's rows: within each of
/// `heads` heads of `head_dim` rows, HF row `j·(head_dim/2) + i` was stored as row `2i + j` (the two rotary
/// halves interleaved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RopePermutation {
    /// Rows per attention head (the projection's rows over its head count).
    pub head_dim: u64,
    /// Whether side A is the GGUF one (whose rows are permuted).
    pub a_is_gguf: bool,
}

impl RopePermutation {
    /// The row of B holding the values of A's row `r`.
    pub fn b_row(&self, r: u64) -> u64 {
        let (d, half) = (self.head_dim, self.head_dim / 2);
        let (head, within) = (r / d, r % d);
        let other = if self.a_is_gguf {
            // A row 2i + j ← HF row j·half + i.
            (within % 2) * half + within / 2
        } else {
            // A (HF) row j·half + i → GGUF row 2i + j.
            (within % half) * 2 + within / half
        };
        head * d + other
    }
}

/// When exactly one side is GGUF, renames its tensors to HF names (in a copy) so pairs form by name.
pub fn align<'c>(
    a: &'c Checkpoint,
    b: &'c Checkpoint,
) -> (
    Cow<'c, Checkpoint>,
    Cow<'c, Checkpoint>,
    Option<NameMapping>,
) {
    match (a.format, b.format) {
        (Format::Gguf, Format::Safetensors) => {
            let (a, m) = rename(a, "a");
            (Cow::Owned(a), Cow::Borrowed(b), Some(m))
        }
        (Format::Safetensors, Format::Gguf) => {
            let (b, m) = rename(b, "b");
            (Cow::Borrowed(a), Cow::Owned(b), Some(m))
        }
        _ => (Cow::Borrowed(a), Cow::Borrowed(b), None),
    }
}

fn rename(c: &Checkpoint, side: &'static str) -> (Checkpoint, NameMapping) {
    let mut c = c.clone();
    let mut mapped = 0;
    let mut rope_permuted = Vec::new();
    let llama = meta_str(&c, "general.architecture") == Some("llama");
    for t in &mut c.tensors {
        if let Some(hf) = hf_name(&t.name) {
            // The conversion permutes q/k weights' rows and their biases' elements alike (a bias element is
            // its row's); a quantised bias (blocks span several elements) cannot be paired element by element.
            let permuted = llama
                && match t.shape.len() {
                    2 => t.name.ends_with("attn_q.weight") || t.name.ends_with("attn_k.weight"),
                    1 => {
                        matches!(t.dtype.storage(), Storage::Bits(_))
                            && (t.name.ends_with("attn_q.bias") || t.name.ends_with("attn_k.bias"))
                    }
                    _ => false,
                };
            if permuted {
                rope_permuted.push(hf.clone());
            }
            t.name = hf;
            mapped += 1;
        }
    }
    let mapping = NameMapping {
        gguf_side: side,
        mapping: "llama.cpp GGUF names -> Hugging Face Llama names (see docs/gguf.md: diff between safetensors and GGUF)",
        mapped,
        rope_permuted,
        rope_not_undone: Vec::new(),
    };
    (c, mapping)
}

fn meta_str<'c>(c: &'c Checkpoint, key: &str) -> Option<&'c str> {
    c.metadata
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_str())
}

/// Sets the inverse permutation on the pairs of the q/k projections `m` lists; those it cannot be set on move
/// to `rope_not_undone`.
pub(crate) fn attach_rope(m: &mut NameMapping, pairs: &mut [Pair], gguf: &Checkpoint) {
    let a_is_gguf = m.gguf_side == "a";
    let hparams = GgufHparams::read(&gguf.metadata);
    let mut undone = Vec::new();
    for name in std::mem::take(&mut m.rope_permuted) {
        // By the GGUF side's (mapped) name: the other side's may differ by a prefix change (`model.` missing).
        let pair = pairs.iter_mut().find(|p| {
            let gguf_name = if a_is_gguf { &p.a.name } else { &p.b.name };
            *gguf_name == name
        });
        let permutation = pair.as_ref().and_then(|p| {
            let rows = p.a.shape.first().copied()?;
            (p.a.shape == p.b.shape).then_some(())?;
            rope_permutation(hparams.as_ref()?, &name, rows, a_is_gguf)
        });
        match (pair, permutation) {
            (Some(p), Some(r)) => {
                p.rope = Some(r);
                undone.push(name);
            }
            _ => m.rope_not_undone.push(name),
        }
    }
    m.rope_permuted = undone;
}

/// The permutation of a mapped q/k projection, from the GGUF side's head counts; `None` when the heads do not
/// divide the rows into even halves (then the tensor cannot have been permuted as described).
fn rope_permutation(
    gguf: &GgufHparams,
    hf_name: &str,
    rows: u64,
    a_is_gguf: bool,
) -> Option<RopePermutation> {
    let heads = gguf.head_count.count()?;
    // llama.cpp's default without the key, which its `permute` was called with: a KV head per head.
    let kv_heads = gguf.head_count_kv.count().unwrap_or(heads);
    let n = if hf_name.ends_with("k_proj.weight") || hf_name.ends_with("k_proj.bias") {
        kv_heads
    } else {
        heads
    };
    if n == 0 || !rows.is_multiple_of(n) || !(rows / n).is_multiple_of(2) {
        return None;
    }
    Some(RopePermutation {
        head_dim: rows / n,
        a_is_gguf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_top_level_and_per_layer() {
        assert_eq!(
            hf_name("token_embd.weight").unwrap(),
            "model.embed_tokens.weight"
        );
        assert_eq!(hf_name("output.weight").unwrap(), "lm_head.weight");
        assert_eq!(hf_name("output_norm.weight").unwrap(), "model.norm.weight");
        assert_eq!(
            hf_name("blk.12.attn_k.bias").unwrap(),
            "model.layers.12.self_attn.k_proj.bias"
        );
        assert_eq!(
            hf_name("blk.0.ffn_down.weight").unwrap(),
            "model.layers.0.mlp.down_proj.weight"
        );
        assert_eq!(hf_name("rope_freqs.weight"), None);
        assert_eq!(hf_name("blk.x.attn_q.weight"), None);
    }

    /// llama.cpp's permute on one head of 8 rows: reshape (2, 4) → swap → (4, 2): GGUF rows are HF rows
    /// 0, 4, 1, 5, 2, 6, 3, 7.
    #[test]
    fn rope_rows_pair_up_both_ways() {
        let gguf_holds_hf_row = [0, 4, 1, 5, 2, 6, 3, 7];
        let from_gguf = RopePermutation {
            head_dim: 8,
            a_is_gguf: true,
        };
        let from_hf = RopePermutation {
            head_dim: 8,
            a_is_gguf: false,
        };
        for (g, &h) in gguf_holds_hf_row.iter().enumerate() {
            assert_eq!(from_gguf.b_row(g as u64), h);
            assert_eq!(from_hf.b_row(h), g as u64);
            // Second head: same pattern, offset by the head size.
            assert_eq!(from_gguf.b_row(8 + g as u64), 8 + h);
        }
    }
}

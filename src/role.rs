//! The role of a tensor in the model (embeddings, attention, MLP, experts, router, norm, output head, vision
//! tower), recognised from the usual naming of Hugging Face, GGUF and common checkpoints. Rules are tried in order
//! on dot-separated name components; the id of the rule that matched is reported, and a name no rule knows is
//! `other` — never a guess.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Embeddings,
    Attention,
    Mlp,
    Experts,
    Router,
    Norm,
    OutputHead,
    VisionTower,
    Other,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Embeddings,
        Role::Attention,
        Role::Mlp,
        Role::Experts,
        Role::Router,
        Role::Norm,
        Role::OutputHead,
        Role::VisionTower,
        Role::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Embeddings => "embeddings",
            Role::Attention => "attention",
            Role::Mlp => "mlp",
            Role::Experts => "experts",
            Role::Router => "router",
            Role::Norm => "norm",
            Role::OutputHead => "output_head",
            Role::VisionTower => "vision_tower",
            Role::Other => "other",
        }
    }
}

/// Role rules in the order they are tried: (id, role, description). A vision tower's attention is the vision
/// tower's; a norm inside attention is a norm; an expert's MLP is an expert.
pub const ROLE_RULES: &[(&str, Role, &str)] = &[
    ("vision_tower.component", Role::VisionTower, "`vision_tower`, `vision_model`, `visual`, `vision_encoder`, `image_encoder`, `multi_modal_projector`, `mm_projector`"),
    ("norm.component", Role::Norm, "a component ending in `norm` or `layernorm` (any case), or `ln_N` / `ln_f`"),
    ("router.component", Role::Router, "`router`, `gate` (MoE gate), `shared_expert_gate`, GGUF `ffn_gate_inp`"),
    ("experts.component", Role::Experts, "`experts`, `shared_experts`, `shared_expert`, GGUF `ffn_*_exps` / `ffn_*_shexp`"),
    ("embeddings.component", Role::Embeddings, "`embed_tokens`, `wte`, `wpe`, `*_embeddings`, `embeddings`, `embed_positions`, `tok_embeddings`, GGUF `token_embd`"),
    ("output_head.name", Role::OutputHead, "first component `lm_head` or `embed_out`, or GGUF `output.weight`"),
    ("attention.component", Role::Attention, "`self_attn`, `attn`, `attention`, `cross_attn`, `q/k/v/o_proj`, `qkv_proj`, `c_attn`, `query_key_value`, `Wqkv`, `wq/wk/wv/wo`, GGUF `attn_*`"),
    ("mlp.component", Role::Mlp, "`mlp`, `feed_forward`, `ffn`, `intermediate`, `c_fc`, `gate/up/down_proj`, `w1/w2/w3`, `fc1/fc2`, `dense_h_to_4h`, `dense_4h_to_h`, GGUF `ffn_*`"),
    ("mlp.bert_output", Role::Mlp, "BERT's `layer.N.output.dense` (the MLP's down projection)"),
    ("other", Role::Other, "no rule matched"),
];

pub fn role_of(name: &str) -> (Role, &'static str) {
    // Runs for every tensor: components are iterated, never collected.
    let any = |f: &dyn Fn(&str) -> bool| name.split('.').any(f);
    let first = name.split('.').next().unwrap_or("");
    let id = if any(&|p| {
        matches!(
            p,
            "vision_tower"
                | "vision_model"
                | "visual"
                | "vision_encoder"
                | "image_encoder"
                | "multi_modal_projector"
                | "mm_projector"
        )
    }) {
        "vision_tower.component"
    } else if any(&is_norm) {
        "norm.component"
    } else if any(&|p| matches!(p, "router" | "gate" | "shared_expert_gate" | "ffn_gate_inp")) {
        "router.component"
    } else if any(&|p| {
        matches!(p, "experts" | "shared_experts" | "shared_expert")
            || (p.starts_with("ffn_") && (p.ends_with("_exps") || p.ends_with("_shexp")))
    }) {
        "experts.component"
    } else if any(&|p| {
        matches!(
            p,
            "embed_tokens"
                | "wte"
                | "wpe"
                | "embeddings"
                | "embed_positions"
                | "tok_embeddings"
                | "token_embd"
        ) || p.ends_with("_embeddings")
    }) {
        "embeddings.component"
    } else if matches!(first, "lm_head" | "embed_out")
        || matches!(name, "output.weight" | "output.bias")
    {
        "output_head.name"
    } else if any(&|p| {
        matches!(
            p,
            "self_attn"
                | "attn"
                | "attention"
                | "self_attention"
                | "cross_attn"
                | "encoder_attn"
                | "q_proj"
                | "k_proj"
                | "v_proj"
                | "o_proj"
                | "qkv_proj"
                | "c_attn"
                | "query_key_value"
                | "Wqkv"
                | "wq"
                | "wk"
                | "wv"
                | "wo"
        ) || p.starts_with("attn_")
    }) {
        "attention.component"
    } else if any(&|p| {
        matches!(
            p,
            "mlp"
                | "feed_forward"
                | "ffn"
                | "intermediate"
                | "c_fc"
                | "gate_proj"
                | "up_proj"
                | "down_proj"
                | "w1"
                | "w2"
                | "w3"
                | "fc1"
                | "fc2"
                | "dense_h_to_4h"
                | "dense_4h_to_h"
        ) || p.starts_with("ffn_")
    }) {
        "mlp.component"
    } else if name
        .split('.')
        .zip(name.split('.').skip(1))
        .any(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b == "output")
    {
        "mlp.bert_output"
    } else {
        "other"
    };
    let role = ROLE_RULES
        .iter()
        .find(|(rule, _, _)| *rule == id)
        .map_or(Role::Other, |(_, role, _)| *role);
    (role, id)
}

fn is_norm(p: &str) -> bool {
    // `layernorm` ends in `norm` too; compared without allocating, as this runs for every component.
    // Bytes, not a str slice: a name from a file may hold multi-byte characters.
    let ends_norm = p.len() >= 4 && p.as_bytes()[p.len() - 4..].eq_ignore_ascii_case(b"norm");
    ends_norm
        || p.eq_ignore_ascii_case("ln_f")
        || p.strip_prefix("ln_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> Role {
        role_of(name).0
    }

    #[test]
    fn hugging_face_llama_mixtral_gpt2_bert() {
        assert_eq!(r("model.embed_tokens.weight"), Role::Embeddings);
        assert_eq!(r("model.layers.0.self_attn.q_proj.weight"), Role::Attention);
        assert_eq!(r("model.layers.0.mlp.gate_proj.weight"), Role::Mlp);
        assert_eq!(r("model.layers.0.input_layernorm.weight"), Role::Norm);
        assert_eq!(r("model.norm.weight"), Role::Norm);
        assert_eq!(r("lm_head.weight"), Role::OutputHead);
        assert_eq!(
            r("model.layers.3.block_sparse_moe.gate.weight"),
            Role::Router
        );
        assert_eq!(
            r("model.layers.3.block_sparse_moe.experts.7.w2.weight"),
            Role::Experts
        );
        assert_eq!(r("model.layers.0.mlp.router.weight"), Role::Router);
        assert_eq!(r("h.0.attn.c_attn.bias"), Role::Attention);
        assert_eq!(r("h.0.mlp.c_fc.weight"), Role::Mlp);
        assert_eq!(r("h.0.ln_1.weight"), Role::Norm);
        assert_eq!(r("wpe.weight"), Role::Embeddings);
        assert_eq!(r("embeddings.LayerNorm.weight"), Role::Norm);
        assert_eq!(r("embeddings.word_embeddings.weight"), Role::Embeddings);
        assert_eq!(r("encoder.layer.0.output.dense.weight"), Role::Mlp);
        assert_eq!(
            r("encoder.layer.0.attention.output.dense.weight"),
            Role::Attention
        );
        assert_eq!(
            r("vision_tower.blocks.0.attn.qkv.weight"),
            Role::VisionTower
        );
        assert_eq!(r("pooler.dense.weight"), Role::Other);
        assert_eq!(r("x.RMSNorm.weight"), Role::Norm);
        // Multi-byte characters at the end of a component must not trip the suffix check.
        assert_eq!(r("x.nörm.weight"), Role::Other);
        assert_eq!(r("x.ñ.weight"), Role::Other);
        assert_eq!(role_of("pooler.dense.weight").1, "other");
    }

    #[test]
    fn gguf_names() {
        assert_eq!(r("token_embd.weight"), Role::Embeddings);
        assert_eq!(r("blk.0.attn_q.weight"), Role::Attention);
        assert_eq!(r("blk.0.attn_norm.weight"), Role::Norm);
        assert_eq!(r("blk.0.ffn_down.weight"), Role::Mlp);
        assert_eq!(r("blk.0.ffn_gate_inp.weight"), Role::Router);
        assert_eq!(r("blk.0.ffn_up_exps.weight"), Role::Experts);
        assert_eq!(r("output_norm.weight"), Role::Norm);
        assert_eq!(r("output.weight"), Role::OutputHead);
    }

    #[test]
    fn every_rule_id_is_listed() {
        for name in ["a.gate.weight", "x.y", "visual.x", "blk.1.attn_k.weight"] {
            let id = role_of(name).1;
            assert!(ROLE_RULES.iter().any(|(r, _, _)| *r == id), "{id}");
        }
    }
}

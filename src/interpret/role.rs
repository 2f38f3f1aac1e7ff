//! The role of a tensor in the model (embeddings, attention, MLP, routed and shared experts, router, norm, output head, vision
//! tower), recognised from the usual naming of Hugging Face, GGUF and common checkpoints. Rules are tried in order
//! on dot-separated name components; the id of the rule that matched is reported, and a name no rule knows is
//! `other` — never a guess.

use serde::Serialize;

/// What part of the model a tensor belongs to, from its name (`--group-by module`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Token and position embeddings.
    Embeddings,
    /// Attention projections (q/k/v/o and fused qkv).
    Attention,
    /// The feed-forward block of a dense layer.
    Mlp,
    /// Routed experts: a token runs through only some of them.
    Experts,
    /// Shared experts (DeepSeek's `shared_experts`, Qwen2-MoE's `shared_expert`): every token runs through them.
    SharedExperts,
    /// The MoE router (gate) that picks the experts for each token.
    Router,
    /// Normalisation weights (LayerNorm, RMSNorm).
    Norm,
    /// The output head (`lm_head`).
    OutputHead,
    /// The vision encoder and projector of a multimodal model.
    VisionTower,
    /// Anything no role rule matches.
    Other,
}

impl Role {
    /// Every role, in the order reports list them.
    pub const ALL: [Role; 10] = [
        Role::Embeddings,
        Role::Attention,
        Role::Mlp,
        Role::Experts,
        Role::SharedExperts,
        Role::Router,
        Role::Norm,
        Role::OutputHead,
        Role::VisionTower,
        Role::Other,
    ];

    /// The role's name in reports (`output_head`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Embeddings => "embeddings",
            Role::Attention => "attention",
            Role::Mlp => "mlp",
            Role::Experts => "experts",
            Role::SharedExperts => "shared_experts",
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
    ("norm.component", Role::Norm, "a component ending in `norm` or `layernorm` (any case; also with a number or an `s` after it: `norm1`, `decoder_norms`), or `ln_N` / `ln_f` / `norm_N` / `norm_f` (MPT)"),
    ("router.component", Role::Router, "`router`, `gate` (MoE gate), `shared_expert_gate`, GGUF `ffn_gate_inp`"),
    ("shared_experts.component", Role::SharedExperts, "`shared_experts`, `shared_expert`, GGUF `ffn_*_shexp`: experts every token uses"),
    ("experts.component", Role::Experts, "`experts` (routed experts), GGUF `ffn_*_exps`"),
    ("embeddings.component", Role::Embeddings, "`embed_tokens`, `wte`, `wpe`, `*_embeddings`, `embeddings`, `embedding` (Mamba), `embed_positions`, `tok_embeddings`, `embed_in` (GPT-NeoX), T5/BART `shared.weight`, GGUF `token_embd`"),
    ("output_head.name", Role::OutputHead, "first component `lm_head` or `embed_out` (`language_model.lm_head` in vision-language checkpoints), DeepSeek's multi-token-prediction `shared_head.head`, or GGUF `output.weight`"),
    ("attention.component", Role::Attention, "`self_attn`, T5 `SelfAttention` / `EncDecAttention`, `attn`, `attention`, `cross_attn`, `q/k/v/o_proj`, `qkv_proj`, `c_attn`, `query_key_value`, `Wqkv`, GGUF `attn_*` (Meta's `wq/wk/wv/wo` sit under `attention`; T5's `wo` is in `DenseReluDense` too)"),
    ("mlp.component", Role::Mlp, "`mlp`, `feed_forward`, `ffn`, T5 `DenseReluDense`, `intermediate`, `c_fc`, `gate/up/down_proj`, `w1/w2/w3`, `fc1/fc2`, `dense_h_to_4h`, `dense_4h_to_h`, GGUF `ffn_*`"),
    ("mlp.bert_output", Role::Mlp, "BERT's `layer.N.output.dense` (the MLP's down projection)"),
    ("other", Role::Other, "no rule matched"),
];

// What one name component says, as bits; a name's roles are the union over its components.
const VISION: u16 = 1;
const NORM: u16 = 1 << 1;
const ROUTER: u16 = 1 << 2;
const EXPERTS: u16 = 1 << 3;
const EMBEDDINGS: u16 = 1 << 4;
const ATTENTION: u16 = 1 << 5;
const MLP: u16 = 1 << 6;
/// `output` right after an integer component (BERT's `layer.N.output`).
const BERT_OUTPUT: u16 = 1 << 7;
const SHARED_EXPERTS: u16 = 1 << 8;

/// Each exact spelling of a component and what it says (each says one thing).
const SPELLINGS: &[(u16, &[&str])] = &[
    (
        VISION,
        &[
            "vision_tower",
            "vision_model",
            "visual",
            "vision_encoder",
            "image_encoder",
            "multi_modal_projector",
            "mm_projector",
        ],
    ),
    (
        ROUTER,
        &["router", "gate", "shared_expert_gate", "ffn_gate_inp"],
    ),
    (EXPERTS, &["experts"]),
    (SHARED_EXPERTS, &["shared_experts", "shared_expert"]),
    (
        EMBEDDINGS,
        &[
            "embed_tokens",
            "wte",
            "wpe",
            "embeddings",
            "embed_positions",
            "tok_embeddings",
            "token_embd",
            "embed_in",
            "embedding",
        ],
    ),
    (
        ATTENTION,
        &[
            "self_attn",
            "SelfAttention",
            "EncDecAttention",
            "attn",
            "attention",
            "self_attention",
            "cross_attn",
            "encoder_attn",
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "qkv_proj",
            "c_attn",
            "query_key_value",
            "Wqkv",
        ],
    ),
    (
        MLP,
        &[
            "mlp",
            "feed_forward",
            "ffn",
            "DenseReluDense",
            "intermediate",
            "c_fc",
            "gate_proj",
            "up_proj",
            "down_proj",
            "w1",
            "w2",
            "w3",
            "fc1",
            "fc2",
            "dense_h_to_4h",
            "dense_4h_to_h",
        ],
    ),
];

/// [`SPELLINGS`] by spelling: one hash and one comparison per component, where comparing it with every list
/// in turn was a tenth of inspecting DeepSeek-V3. foldhash: the keys are ours, not a hash-flooding target.
fn spelled(p: &str) -> u16 {
    static BY_SPELLING: std::sync::LazyLock<foldhash::HashMap<&str, u16>> =
        std::sync::LazyLock::new(|| {
            SPELLINGS
                .iter()
                .flat_map(|&(flag, words)| words.iter().map(move |&w| (w, flag)))
                .collect()
        });
    BY_SPELLING.get(p).copied().unwrap_or(0)
}

fn component_flags(p: &str) -> u16 {
    let exact = spelled(p);
    let mut f = exact;
    if is_norm(p) {
        f |= NORM;
    }
    if p.starts_with("ffn_") {
        f |= MLP;
        // `ends_with` on the whole component, as the rule says: `ffn_exps` counts.
        if p.ends_with("_exps") {
            f |= EXPERTS;
        }
        if p.ends_with("_shexp") {
            f |= SHARED_EXPERTS;
        }
    }
    if p.ends_with("_embeddings") {
        f |= EMBEDDINGS;
    }
    if p.starts_with("attn_") {
        f |= ATTENTION;
    }
    f
}

/// The role a tensor name gives and the id of the rule that gave it.
pub fn role_of(name: &str) -> (Role, &'static str) {
    // Runs for every tensor: one pass over the components, nothing allocated.
    let mut flags = 0;
    let mut after_index = false;
    for p in name.split('.') {
        flags |= component_flags(p);
        if after_index && p == "output" {
            flags |= BERT_OUTPUT;
        }
        after_index = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    }
    // T5 and BART keep the token embeddings their encoder and decoder share as `shared.weight`.
    if name == "shared.weight" || name.ends_with(".shared.weight") {
        flags |= EMBEDDINGS;
    }
    // Vision-language checkpoints keep the language model's head one level down: `language_model.lm_head.weight`
    // (Llava, Mllama and other transformers < 4.52 layouts).
    let first = name.split('.').next().unwrap_or("");
    // DeepSeek-V3's multi-token-prediction layer carries its own head as `model.layers.61.shared_head.head`.
    let head = matches!(first, "lm_head" | "embed_out")
        || name.starts_with("language_model.lm_head.")
        || name.contains("shared_head.head.")
        || matches!(name, "output.weight" | "output.bias");
    // The order of ROLE_RULES: the first that applies wins.
    if flags & VISION != 0 {
        (Role::VisionTower, "vision_tower.component")
    } else if flags & NORM != 0 {
        (Role::Norm, "norm.component")
    } else if flags & ROUTER != 0 {
        (Role::Router, "router.component")
    } else if flags & SHARED_EXPERTS != 0 {
        (Role::SharedExperts, "shared_experts.component")
    } else if flags & EXPERTS != 0 {
        (Role::Experts, "experts.component")
    } else if flags & EMBEDDINGS != 0 {
        (Role::Embeddings, "embeddings.component")
    } else if head {
        (Role::OutputHead, "output_head.name")
    } else if flags & ATTENTION != 0 {
        (Role::Attention, "attention.component")
    } else if flags & MLP != 0 {
        (Role::Mlp, "mlp.component")
    } else if flags & BERT_OUTPUT != 0 {
        (Role::Mlp, "mlp.bert_output")
    } else {
        (Role::Other, "other")
    }
}

fn is_norm(p: &str) -> bool {
    // `layernorm` ends in `norm` too; compared without allocating, as this runs for every component.
    // Bytes, not a str slice: a name from a file may hold multi-byte characters.
    // A number after it (`norm1`, `norm2`: torch.nn.Transformer's layers) or a plural (`decoder_norms.0`, a
    // ModuleList of norms) is still a norm.
    let stem = p.trim_end_matches(|c: char| c.is_ascii_digit());
    let stem = stem.strip_suffix(['s', 'S']).unwrap_or(stem);
    let ends_norm =
        stem.len() >= 4 && stem.as_bytes()[stem.len() - 4..].eq_ignore_ascii_case(b"norm");
    ends_norm
        || ["ln_", "norm_"].iter().any(|prefix| {
            p.strip_prefix(prefix).is_some_and(|n| {
                n == "f" || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> Role {
        role_of(name).0
    }

    #[test]
    fn each_spelling_says_one_thing() {
        let mut seen = std::collections::HashSet::new();
        for (flag, words) in SPELLINGS {
            for w in *words {
                assert!(seen.insert(*w), "{w} is listed twice");
                assert_eq!(spelled(w), *flag, "{w}");
            }
        }
        assert_eq!(spelled("layers"), 0);
    }

    #[test]
    fn hugging_face_llama_mixtral_gpt2_bert() {
        assert_eq!(r("model.embed_tokens.weight"), Role::Embeddings);
        assert_eq!(r("model.layers.0.self_attn.q_proj.weight"), Role::Attention);
        assert_eq!(r("model.layers.0.mlp.gate_proj.weight"), Role::Mlp);
        assert_eq!(r("model.layers.0.input_layernorm.weight"), Role::Norm);
        assert_eq!(r("model.norm.weight"), Role::Norm);
        assert_eq!(r("lm_head.weight"), Role::OutputHead);
        assert_eq!(r("language_model.lm_head.weight"), Role::OutputHead);
        // DeepSeek-V3's multi-token-prediction layer: its embeddings are embeddings, so its head is a head.
        assert_eq!(
            r("model.layers.61.shared_head.head.weight"),
            Role::OutputHead
        );
        assert_eq!(r("model.layers.61.embed_tokens.weight"), Role::Embeddings);
        assert_eq!(r("model.layers.61.shared_head.norm.weight"), Role::Norm);
        assert_eq!(
            r("language_model.model.embed_tokens.weight"),
            Role::Embeddings
        );
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
        assert_eq!(
            r("encoder.block.0.layer.0.SelfAttention.q.weight"),
            Role::Attention
        );
        assert_eq!(
            r("decoder.block.0.layer.1.EncDecAttention.o.weight"),
            Role::Attention
        );
        assert_eq!(
            r("decoder.block.0.layer.2.DenseReluDense.wi_0.weight"),
            Role::Mlp
        );
        assert_eq!(
            r("decoder.block.0.layer.2.DenseReluDense.wo.weight"),
            Role::Mlp
        );
        assert_eq!(r("layers.0.attention.wo.weight"), Role::Attention);
        assert_eq!(r("encoder.block.0.layer.0.layer_norm.weight"), Role::Norm);
        assert_eq!(r("transformer.blocks.0.norm_1.weight"), Role::Norm);
        assert_eq!(r("transformer.norm_f.weight"), Role::Norm);
        // torch.nn.Transformer's layers and a ModuleList of norms (a time-series model from a PyPI wheel).
        assert_eq!(r("encoder.layers.0.norm1.weight"), Role::Norm);
        assert_eq!(r("encoder.layers.0.norm2.bias"), Role::Norm);
        assert_eq!(r("decoder_norms.0.weight"), Role::Norm);
        assert_eq!(r("model.norms.3.weight"), Role::Norm);
        assert_eq!(r("gpt_neox.embed_in.weight"), Role::Embeddings);
        assert_eq!(r("embed_out.weight"), Role::OutputHead);
        assert_eq!(r("backbone.embedding.weight"), Role::Embeddings);
        assert_eq!(r("shared.weight"), Role::Embeddings);
        assert_eq!(r("model.shared.weight"), Role::Embeddings);
        assert_eq!(
            r("model.layers.0.mlp.shared_expert.up_proj.weight"),
            Role::SharedExperts
        );
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
        assert_eq!(r("blk.0.ffn_up_shexp.weight"), Role::SharedExperts);
        assert_eq!(r("output_norm.weight"), Role::Norm);
        assert_eq!(r("output.weight"), Role::OutputHead);
    }

    #[test]
    fn every_rule_is_reachable_and_agrees_with_the_table() {
        let samples = [
            "visual.blocks.0.attn.qkv.weight",
            "model.norm.weight",
            "a.gate.weight",
            "model.layers.1.mlp.shared_experts.up_proj.weight",
            "blk.0.ffn_up_exps.weight",
            "wte.weight",
            "lm_head.weight",
            "blk.1.attn_k.weight",
            "h.0.mlp.c_fc.weight",
            "encoder.layer.3.output.dense.weight",
            "pooler.dense.weight",
        ];
        let mut seen = Vec::new();
        for name in samples {
            let (role, id) = role_of(name);
            let listed = ROLE_RULES.iter().find(|(r, _, _)| *r == id);
            assert_eq!(listed.map(|(_, r, _)| *r), Some(role), "{name}: {id}");
            seen.push(id);
        }
        let all: Vec<_> = ROLE_RULES.iter().map(|(r, _, _)| *r).collect();
        assert_eq!(
            seen, all,
            "samples follow the rule order and cover every rule"
        );
    }
}

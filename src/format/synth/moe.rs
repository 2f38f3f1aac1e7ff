//! Mixture-of-experts checkpoints in their published shapes, each with the `config.json` fields that decide the
//! active parameters (experts per token, routed/shared experts, dense layers, MTP layers) and the KV cache.
//! The figures are those of the models' own `config.json` files on the Hugging Face Hub (cited per function);
//! data are holes.

use super::models::{self, DeepSeekShape};
use super::SafetensorsWriter;
use crate::model::dtype::DType;
use serde_json::{json, Value};

/// mistralai/Mixtral-8x7B-v0.1's config.json: 32 layers, 8 local experts, 2 per token, 32 heads, 8 KV heads,
/// 32k positions. With [`models::mixtral_8x7b`].
pub fn mixtral_8x7b_config() -> Value {
    json!({"model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "tie_word_embeddings": false,
           "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 32768,
           "num_local_experts": 8, "num_experts_per_tok": 2, "vocab_size": 32000, "torch_dtype": "bfloat16",
           "sliding_window": null})
}

/// Qwen/Qwen3-30B-A3B's dimensions (its config.json): 48 layers, hidden 2048, 32 query / 4 KV heads of 128,
/// 128 experts of width 768 (`moe_intermediate_size`), 8 per token, every layer MoE (`decoder_sparse_step` 1,
/// `mlp_only_layers` []), vocab 151936, untied head, BF16, with transformers' Qwen3-MoE names.
pub fn qwen3_30b_a3b() -> (SafetensorsWriter, Value) {
    let (layers, h, heads, kv, d, experts, width, vocab) = (
        48u64, 2048u64, 32u64, 4u64, 128u64, 128u64, 768u64, 151936u64,
    );
    let mut w = SafetensorsWriter::new().metadata("format", "pt").tensor(
        "model.embed_tokens.weight",
        DType::BF16,
        &[vocab, h],
    );
    for l in 0..layers {
        let p = format!("model.layers.{l}");
        let mut t = |name: &str, shape: &[u64]| {
            w = std::mem::take(&mut w).tensor(&format!("{p}.{name}"), DType::BF16, shape);
        };
        t("input_layernorm.weight", &[h]);
        t("mlp.gate.weight", &[experts, h]);
        for e in 0..experts {
            t(&format!("mlp.experts.{e}.down_proj.weight"), &[h, width]);
            t(&format!("mlp.experts.{e}.gate_proj.weight"), &[width, h]);
            t(&format!("mlp.experts.{e}.up_proj.weight"), &[width, h]);
        }
        t("post_attention_layernorm.weight", &[h]);
        t("self_attn.k_norm.weight", &[d]);
        t("self_attn.k_proj.weight", &[kv * d, h]);
        t("self_attn.o_proj.weight", &[h, heads * d]);
        t("self_attn.q_norm.weight", &[d]);
        t("self_attn.q_proj.weight", &[heads * d, h]);
        t("self_attn.v_proj.weight", &[kv * d, h]);
    }
    let w = w.tensor("model.norm.weight", DType::BF16, &[h]).tensor(
        "lm_head.weight",
        DType::BF16,
        &[vocab, h],
    );
    let config = json!({"model_type": "qwen3_moe", "architectures": ["Qwen3MoeForCausalLM"],
        "tie_word_embeddings": false, "hidden_size": h, "intermediate_size": 6144,
        "moe_intermediate_size": width, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": d, "num_experts": experts, "num_experts_per_tok": 8,
        "decoder_sparse_step": 1, "mlp_only_layers": [], "max_position_embeddings": 40960,
        "max_window_layers": 48, "use_sliding_window": false, "sliding_window": null,
        "vocab_size": vocab, "torch_dtype": "bfloat16"});
    (w, config)
}

/// openai/gpt-oss-20b (24 layers × 32 experts) or gpt-oss-120b (36 × 128), MXFP4 experts, with their config.json
/// fields: 4 experts per token (`num_experts_per_tok` and `experts_per_token` both), 64 query / 8 KV heads of 64,
/// sliding window 128 on every other layer, 131072 positions.
pub fn gpt_oss(big: bool) -> (SafetensorsWriter, Value) {
    let (layers, experts) = if big { (36u64, 128u64) } else { (24, 32) };
    let layer_types: Vec<&str> = (0..layers)
        .map(|l| {
            if l % 2 == 0 {
                "sliding_attention"
            } else {
                "full_attention"
            }
        })
        .collect();
    let config = json!({"model_type": "gpt_oss", "architectures": ["GptOssForCausalLM"],
        "tie_word_embeddings": false, "hidden_size": 2880, "intermediate_size": 2880,
        "num_hidden_layers": layers, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
        "num_local_experts": experts, "num_experts_per_tok": 4, "experts_per_token": 4,
        "sliding_window": 128, "layer_types": layer_types, "max_position_embeddings": 131072,
        "vocab_size": 201088, "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert":
            ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}});
    (models::gpt_oss(layers, experts), config)
}

/// DeepSeek-V3's structure at toy widths for tests (4 routed experts of width 128, MLA with small ranks, one
/// layer per `layers`): set `layers` and `first_dense` with struct update syntax.
pub const DEEPSEEK_TINY: DeepSeekShape = DeepSeekShape {
    layers: 3,
    first_dense: 1,
    hidden: 256,
    dense_intermediate: 512,
    expert_intermediate: 128,
    experts: 4,
    heads: 2,
    q_lora: 256,
    kv_lora: 128,
    qk_nope: 128,
    qk_rope: 64,
    v_head: 128,
    vocab: 1000,
};

/// deepseek-ai/DeepSeek-V3's dimensions (its config.json): 61 layers, the first 3 dense (`first_k_dense_replace`),
/// hidden 7168, dense width 18432, 256 routed experts of width 2048 (`moe_intermediate_size`) and 1 shared, 8 per
/// token, 128 heads with MLA (q_lora_rank 1536, kv_lora_rank 512, qk_nope 128, qk_rope 64, v_head 128), vocab
/// 129280.
pub const DEEPSEEK_V3: DeepSeekShape = DeepSeekShape {
    layers: 61,
    first_dense: 3,
    hidden: 7168,
    dense_intermediate: 18432,
    expert_intermediate: 2048,
    experts: 256,
    heads: 128,
    q_lora: 1536,
    kv_lora: 512,
    qk_nope: 128,
    qk_rope: 64,
    v_head: 128,
    vocab: 129280,
};

/// A DeepSeek-V3-style FP8 checkpoint of `shape`, `used` routed experts per token (DeepSeek-V3: 8), plus `mtp` multi-token-prediction layers after the main ones,
/// as DeepSeek publishes them (layer 61: `enorm`, `hnorm`, `eh_proj`, a full MoE decoder layer, its own
/// `embed_tokens` and `shared_head.{norm,head}`), with the config.json fields of deepseek-ai/DeepSeek-V3
/// (`n_shared_experts` 1, `moe_layer_freq` 1, `num_nextn_predict_layers`).
pub fn deepseek_v3(shape: &DeepSeekShape, used: u64, mtp: u64) -> (SafetensorsWriter, Value) {
    let mut w = shape.fp8();
    let h = shape.hidden;
    let blocks = |n: u64| n.div_ceil(128);
    for l in shape.layers..shape.layers + mtp {
        let p = format!("model.layers.{l}");
        for (name, dtype, dims) in shape.others(l) {
            w = w.tensor(&name, dtype, &dims);
        }
        for (name, out, inp) in shape.linears(l) {
            w = w
                .tensor(&format!("{name}.weight"), DType::F8_E4M3, &[out, inp])
                .tensor(
                    &format!("{name}.weight_scale_inv"),
                    DType::F32,
                    &[blocks(out), blocks(inp)],
                );
        }
        w = w
            .tensor(&format!("{p}.enorm.weight"), DType::BF16, &[h])
            .tensor(&format!("{p}.hnorm.weight"), DType::BF16, &[h])
            .tensor(&format!("{p}.eh_proj.weight"), DType::BF16, &[h, 2 * h])
            .tensor(
                &format!("{p}.embed_tokens.weight"),
                DType::BF16,
                &[shape.vocab, h],
            )
            .tensor(&format!("{p}.shared_head.norm.weight"), DType::BF16, &[h])
            .tensor(
                &format!("{p}.shared_head.head.weight"),
                DType::BF16,
                &[shape.vocab, h],
            );
    }
    let config = json!({"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"],
        "tie_word_embeddings": false, "hidden_size": h, "intermediate_size": shape.dense_intermediate,
        "moe_intermediate_size": shape.expert_intermediate, "num_hidden_layers": shape.layers,
        "first_k_dense_replace": shape.first_dense, "moe_layer_freq": 1, "n_routed_experts": shape.experts,
        "n_shared_experts": 1, "num_experts_per_tok": used, "num_nextn_predict_layers": mtp,
        "num_attention_heads": shape.heads, "num_key_value_heads": shape.heads,
        "q_lora_rank": shape.q_lora, "kv_lora_rank": shape.kv_lora, "qk_nope_head_dim": shape.qk_nope,
        "qk_rope_head_dim": shape.qk_rope, "v_head_dim": shape.v_head, "max_position_embeddings": 163840,
        "vocab_size": shape.vocab, "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
            "weight_block_size": [128, 128]}});
    (w, config)
}

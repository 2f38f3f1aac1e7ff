//! DeepSeek-V3 at full size: the 163 shards and index of deepseek-ai/DeepSeek-V3 (91,991 tensors), data left as
//! holes. Dimensions from its config.json (hidden 7168, 61 layers, `first_k_dense_replace` 3, 256 routed experts +
//! 1 shared of width 2048, dense width 18432, 128 heads, q_lora_rank 1536, kv_lora_rank 512, qk_nope 128, qk_rope
//! 64, v_head 128, vocab 129280, `num_nextn_predict_layers` 1); names and the multi-token-prediction layer 61 from
//! its `model.safetensors.index.json` and README_WEIGHTS.md. The benchmarks' large-header case: 11.5 MB of shard
//! headers and a 9 MB index.

use super::{SafetensorsWriter, SynthTensor};
use crate::model::dtype::DType;
use serde_json::{json, Map, Value};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// deepseek-ai/DeepSeek-V3's main model (config.json), the one shape `synth::moe` also writes its MoE test files
/// with; the MTP layer is added by [`tensors`].
pub use super::moe::DEEPSEEK_V3;

/// How many shards the published checkpoint has (`model-00001-of-000163.safetensors` …).
pub const SHARDS: usize = 163;

/// Every tensor of the FP8 checkpoint in model order: embeddings, the 61 layers, the multi-token-prediction layer
/// 61 (a full MoE layer plus its own embeddings, `enorm`/`hnorm`, `eh_proj` and `shared_head`), norm, head.
/// Linear weights are F8_E4M3 with an F32 `weight_scale_inv` per 128×128 block; the rest BF16 (the router's
/// correction bias F32).
pub fn tensors() -> Vec<SynthTensor> {
    let s = DEEPSEEK_V3;
    let h = s.hidden;
    let blocks = |n: u64| n.div_ceil(128);
    let mut out = Vec::with_capacity(92_000);
    let mut push = |name: String, dtype: DType, shape: Vec<u64>| {
        out.push(SynthTensor {
            name,
            dtype,
            shape,
            data: None,
        })
    };
    push(
        "model.embed_tokens.weight".into(),
        DType::BF16,
        vec![s.vocab, h],
    );
    for l in 0..=s.layers {
        let p = format!("model.layers.{l}");
        if l == s.layers {
            push(
                format!("{p}.embed_tokens.weight"),
                DType::BF16,
                vec![s.vocab, h],
            );
            push(format!("{p}.enorm.weight"), DType::BF16, vec![h]);
            push(format!("{p}.hnorm.weight"), DType::BF16, vec![h]);
            push(format!("{p}.eh_proj.weight"), DType::BF16, vec![h, 2 * h]);
        }
        for (name, dtype, shape) in s.others(l) {
            push(name, dtype, shape);
        }
        for (name, o, i) in s.linears(l) {
            push(format!("{name}.weight"), DType::F8_E4M3, vec![o, i]);
            push(
                format!("{name}.weight_scale_inv"),
                DType::F32,
                vec![blocks(o), blocks(i)],
            );
        }
        if l == s.layers {
            push(format!("{p}.shared_head.norm.weight"), DType::BF16, vec![h]);
            push(
                format!("{p}.shared_head.head.weight"),
                DType::BF16,
                vec![s.vocab, h],
            );
        }
    }
    push("model.norm.weight".into(), DType::BF16, vec![h]);
    push("lm_head.weight".into(), DType::BF16, vec![s.vocab, h]);
    out
}

/// The tensors split into [`SHARDS`] files of about equal bytes, in order (each tensor goes to the shard its first
/// byte falls in, so every shard is written and none is split).
pub fn shards() -> Vec<SafetensorsWriter> {
    let all = tensors();
    let total: u64 = all.iter().map(SynthTensor::bytes).sum();
    let mut shards: Vec<SafetensorsWriter> = (0..SHARDS)
        .map(|_| SafetensorsWriter::new().metadata("format", "pt"))
        .collect();
    let mut before = 0u64;
    for t in all {
        let shard = (u128::from(before) * SHARDS as u128 / u128::from(total)) as usize;
        before += t.bytes();
        shards[shard].push(t);
    }
    shards
}

/// The file name of shard `i` (from 0) as the published checkpoint spells it: a six-digit count.
pub fn shard_name(i: usize) -> String {
    format!("model-{:05}-of-{SHARDS:06}.safetensors", i + 1)
}

/// Writes the 163 shards and `model.safetensors.index.json` into `dir`; returns the index path.
pub fn write(dir: &Path) -> io::Result<PathBuf> {
    let shards = shards();
    let mut weight_map = Map::new();
    let mut total_size = 0u64;
    for (i, shard) in shards.iter().enumerate() {
        let name = shard_name(i);
        shard.write(&dir.join(&name))?;
        for t in &shard.tensors {
            weight_map.insert(t.name.clone(), Value::String(name.clone()));
        }
        total_size += shard.data_bytes();
    }
    let index = json!({"metadata": {"total_size": total_size}, "weight_map": weight_map});
    let path = dir.join("model.safetensors.index.json");
    let mut f = std::fs::File::create(&path)?;
    f.write_all(
        serde_json::to_string_pretty(&index)
            .expect("index serialises")
            .as_bytes(),
    )?;
    Ok(path)
}

/// The config.json fields paramscope reads, as deepseek-ai/DeepSeek-V3 publishes them.
pub fn config() -> Value {
    let s = DEEPSEEK_V3;
    json!({
        "model_type": "deepseek_v3",
        "architectures": ["DeepseekV3ForCausalLM"],
        "hidden_size": s.hidden,
        "intermediate_size": s.dense_intermediate,
        "moe_intermediate_size": s.expert_intermediate,
        "num_hidden_layers": s.layers,
        "num_nextn_predict_layers": 1,
        "first_k_dense_replace": s.first_dense,
        "n_routed_experts": s.experts,
        "n_shared_experts": 1,
        "num_experts_per_tok": 8,
        "num_attention_heads": s.heads,
        "num_key_value_heads": s.heads,
        "q_lora_rank": s.q_lora,
        "kv_lora_rank": s.kv_lora,
        "qk_nope_head_dim": s.qk_nope,
        "qk_rope_head_dim": s.qk_rope,
        "v_head_dim": s.v_head,
        "vocab_size": s.vocab,
        "max_position_embeddings": 163840,
        "tie_word_embeddings": false,
        "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                "weight_block_size": [128, 128]}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_published_tensor_and_shard_counts() {
        // 3 dense layers × 20 + 58 MoE layers × 1558 + the MTP layer (1558 + 6) + embeddings, norm, head.
        assert_eq!(tensors().len(), 91_991);
        let shards = shards();
        assert_eq!(shards.len(), SHARDS);
        assert!(shards.iter().all(|s| !s.tensors.is_empty()));
        assert_eq!(shard_name(0), "model-00001-of-000163.safetensors");
    }
}

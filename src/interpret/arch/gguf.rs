//! The attention figures of a GGUF checkpoint, from its metadata: `general.architecture` names the prefix
//! (ARCH) of llama.cpp's hyperparameter keys. Missing required keys make the architecture unknown, as for
//! `config.json`.

use super::Attention;
use crate::format::gguf::hparams::{GgufHparams, Hparam, Reading};
use crate::model::metadata::{MetaKind, MetaValue};

/// Layers whose attention llama.cpp limits to the window, by architecture, when the file has no
/// `ARCH.attention.sliding_window_pattern`: llama.cpp's `set_swa_pattern(n)` makes layer i sliding when
/// `i % n < n − 1` (the last layer of every n attends globally).
const SWA_PATTERNS: [(&str, u64); 4] =
    [("gemma2", 2), ("gemma3", 6), ("cohere2", 4), ("gpt-oss", 2)];

/// Reads the attention figures from GGUF key/values; `Err` says which key is missing or unusable.
pub fn from_gguf(metadata: &[(String, MetaValue)]) -> Result<Attention, String> {
    let h = GgufHparams::read(metadata).ok_or("GGUF metadata has no general.architecture")?;
    let arch = h.architecture.as_str();
    let mut used = vec!["general.architecture".to_string()];
    // A key present with another type is neither used nor taken as absent, as for config.json.
    let mut get = |p: &Hparam<u64>| -> Result<Option<u64>, String> {
        match p.value {
            Reading::Absent => Ok(None),
            Reading::Value(n) => {
                used.push(p.key.clone());
                Ok(Some(n))
            }
            Reading::Unusable(MetaKind::Array) => Err(format!(
                "{} is a per-layer array; per-layer attention shapes are not supported",
                p.key
            )),
            Reading::Unusable(_) => Err(format!("{} is not a non-negative integer", p.key)),
        }
    };
    let missing = |p: &Hparam<u64>| format!("GGUF metadata has no {}", p.key);
    let layers = get(&h.block_count)?.ok_or_else(|| missing(&h.block_count))?;
    let max_context = h.context_length.count().filter(|&n| n > 0);
    // Multi-head latent attention (DeepSeek-V2/V3, Kimi K2: llama.cpp's deepseek2) caches the compressed
    // vector and the rotary part, as `from_hf_config` counts it from kv_lora_rank and qk_rope_head_dim.
    if let Some(rank) = get(&h.kv_lora_rank)? {
        let rope = get(&h.rope_dimension_count)?.ok_or_else(|| missing(&h.rope_dimension_count))?;
        return Ok(Attention::latent(layers, rank + rope, max_context, used));
    }
    let heads = get(&h.head_count)?.ok_or_else(|| missing(&h.head_count))?;
    // llama.cpp's default without the key: a KV head per head (no grouped-query attention).
    let kv_heads = get(&h.head_count_kv)?.unwrap_or(heads);
    let (key_dim, value_dim) = match (get(&h.key_length)?, get(&h.value_length)?) {
        (Some(k), Some(v)) => (k, v),
        (k, v) => {
            let embedding = get(&h.embedding_length)?.ok_or_else(|| {
                format!("GGUF metadata has neither {arch}.attention.key_length/value_length nor {arch}.embedding_length")
            })?;
            if heads == 0 || embedding % heads != 0 {
                return Err(format!(
                    "{arch}.embedding_length {embedding} is not a multiple of {arch}.attention.head_count {heads}"
                ));
            }
            (
                k.unwrap_or(embedding / heads),
                v.unwrap_or(embedding / heads),
            )
        }
    };
    let window = get(&h.sliding_window)?;
    let sliding_layers = match window {
        None => 0,
        Some(_) => sliding_layers(arch, layers, &h.sliding_window_pattern, &mut used)?,
    };
    Ok(Attention {
        layers,
        kv_heads,
        key_dim,
        value_dim,
        sliding_layers,
        sliding_window: window,
        uncached_layers: 0,
        cross_attention_layers: 0,
        mla_elements: None,
        max_context,
        fields_used: used,
    })
}

/// Whether the metadata holds a per-layer sliding-window pattern cut short by the summary reading.
pub fn gguf_needs_full_metadata(metadata: &[(String, MetaValue)]) -> bool {
    metadata.iter().any(|(k, v)| {
        k.ends_with(".attention.sliding_window_pattern")
            && v.as_array().is_some_and(|a| !a.is_complete())
    })
}

/// How many layers use the window: the per-layer pattern when the file has one (true = sliding), else
/// llama.cpp's built-in pattern for the architecture, else every layer (as Mistral's window applies).
fn sliding_layers(
    arch: &str,
    layers: u64,
    pattern: &Hparam<Vec<bool>>,
    used: &mut Vec<String>,
) -> Result<u64, String> {
    match &pattern.value {
        Reading::Value(sliding) => {
            used.push(pattern.key.clone());
            let sliding = sliding.iter().filter(|&&s| s).count();
            Ok((sliding as u64).min(layers))
        }
        Reading::Unusable(_) => Err(format!("{} is not a complete array", pattern.key)),
        Reading::Absent => Ok(match SWA_PATTERNS.iter().find(|(a, _)| *a == arch) {
            Some(&(_, n)) => super::sliding_in_period(layers, n),
            None => layers,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(pairs: &[(&str, MetaValue)]) -> Vec<(String, MetaValue)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn llama3_8b_from_its_gguf_keys() {
        let m = kv(&[
            ("general.architecture", MetaValue::String("llama".into())),
            ("llama.block_count", MetaValue::U32(32)),
            ("llama.attention.head_count", MetaValue::U32(32)),
            ("llama.attention.head_count_kv", MetaValue::U32(8)),
            ("llama.embedding_length", MetaValue::U32(4096)),
        ]);
        let a = from_gguf(&m).unwrap();
        // 32 layers × (K and V) × 8 heads × 128 dims.
        assert_eq!(a.cached_elements(1), 65_536);
        assert_eq!(
            a.fields_used,
            [
                "general.architecture",
                "llama.block_count",
                "llama.attention.head_count",
                "llama.attention.head_count_kv",
                "llama.embedding_length"
            ]
        );
    }

    #[test]
    fn deepseek_latent_attention_caches_rank_plus_rope() {
        let m = kv(&[
            (
                "general.architecture",
                MetaValue::String("deepseek2".into()),
            ),
            ("deepseek2.block_count", MetaValue::U32(61)),
            ("deepseek2.attention.head_count", MetaValue::U32(128)),
            ("deepseek2.attention.head_count_kv", MetaValue::U32(128)),
            ("deepseek2.attention.key_length", MetaValue::U32(192)),
            ("deepseek2.attention.value_length", MetaValue::U32(128)),
            ("deepseek2.attention.kv_lora_rank", MetaValue::U32(512)),
            ("deepseek2.rope.dimension_count", MetaValue::U32(64)),
        ]);
        let a = from_gguf(&m).unwrap();
        // 61 layers × (512 + 64), not 61 × 128 heads × (192 + 128).
        assert_eq!(a.cached_elements(1), 61 * 576);
        assert_eq!(a.mla_elements, Some(576));
        assert_eq!(
            a.fields_used,
            [
                "general.architecture",
                "deepseek2.block_count",
                "deepseek2.attention.kv_lora_rank",
                "deepseek2.rope.dimension_count"
            ]
        );
        let err = from_gguf(&m[..7]).unwrap_err();
        assert_eq!(err, "GGUF metadata has no deepseek2.rope.dimension_count");
    }

    #[test]
    fn key_and_value_lengths_and_gemma_windows() {
        let m = kv(&[
            ("general.architecture", MetaValue::String("gemma3".into())),
            ("gemma3.block_count", MetaValue::U32(12)),
            ("gemma3.attention.head_count", MetaValue::U32(4)),
            ("gemma3.attention.head_count_kv", MetaValue::U32(1)),
            ("gemma3.attention.key_length", MetaValue::U32(256)),
            ("gemma3.attention.value_length", MetaValue::U32(128)),
            ("gemma3.attention.sliding_window", MetaValue::U32(512)),
        ]);
        let a = from_gguf(&m).unwrap();
        // Layers 5 and 11 are global, the other 10 slide: at 4096 tokens, 1 head × 384 × (2×4096 + 10×512).
        assert_eq!((a.sliding_layers, a.sliding_window), (10, Some(512)));
        assert_eq!(a.cached_elements(4096), 384 * (2 * 4096 + 10 * 512));
    }

    #[test]
    fn a_pattern_array_decides_and_missing_keys_are_named() {
        let pattern = MetaValue::Array(crate::model::metadata::MetaArray {
            element: crate::model::metadata::MetaKind::Bool,
            len: 3,
            values: vec![
                MetaValue::Bool(true),
                MetaValue::Bool(false),
                MetaValue::Bool(true),
            ],
        });
        let m = kv(&[
            ("general.architecture", MetaValue::String("x".into())),
            ("x.block_count", MetaValue::U32(3)),
            ("x.attention.head_count", MetaValue::U32(2)),
            ("x.embedding_length", MetaValue::U32(16)),
            ("x.attention.sliding_window", MetaValue::U32(10)),
            ("x.attention.sliding_window_pattern", pattern),
        ]);
        assert_eq!(from_gguf(&m).unwrap().sliding_layers, 2);
        let err = from_gguf(&m[..2]).unwrap_err();
        assert_eq!(err, "GGUF metadata has no x.attention.head_count");
        assert!(from_gguf(&[]).unwrap_err().contains("general.architecture"));
    }
}

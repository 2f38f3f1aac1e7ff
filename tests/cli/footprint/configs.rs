//! `paramscope footprint` on the config.json shapes of real models whose attention is not plain Llama: older
//! sliding-window configs (Gemma 2, Gemma 3), GPT-2 / Falcon key names, and `--fits` against the model's own
//! maximum context. Every figure is derived by hand from the published config.

use crate::common::paramscope;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::Path;

/// A one-tensor checkpoint (the KV cache does not depend on the weights) with `config` beside it.
fn with_config(dir: &Path, config: &str) {
    SafetensorsWriter::new()
        .tensor("model.embed_tokens.weight", DType::BF16, &[1024, 64])
        .write(&dir.join("model.safetensors"))
        .unwrap();
    std::fs::write(dir.join("config.json"), config).unwrap();
}

fn footprint(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = paramscope()
        .arg("footprint")
        .arg(dir)
        .args(extra)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), json)
}

/// google/gemma-2-2b's config.json has no `layer_types`: transformers alternates sliding (even index) and global
/// layers.
const GEMMA2_2B: &str = r#"{"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
  "cache_implementation": "hybrid", "head_dim": 256, "hidden_size": 2304, "num_attention_heads": 8,
  "num_hidden_layers": 26, "num_key_value_heads": 4, "max_position_embeddings": 8192, "sliding_window": 4096,
  "vocab_size": 256000}"#;

#[test]
fn gemma2_without_layer_types_caps_only_every_other_layer() {
    let dir = tempfile::tempdir().unwrap();
    with_config(dir.path(), GEMMA2_2B);
    let (_, r) = footprint(dir.path(), &["--context", "8192"]);
    // One layer, one token: K and V × 4 KV heads × 256 dims × 2 bytes = 4096 bytes. 13 global layers hold all
    // 8192 tokens, 13 sliding layers the 4096-token window.
    let per_layer_token = 2 * 4 * 256 * 2;
    let expected: u64 = per_layer_token * (13 * 8192 + 13 * 4096);
    assert_eq!(expected, 654_311_424);
    let inf = &r["inference"];
    assert_eq!(inf["attention"]["sliding_layers"], 13);
    assert_eq!(inf["kv_cache_bytes"], expected);
}

#[test]
fn gemma3_sliding_window_pattern_leaves_every_sixth_layer_global() {
    let dir = tempfile::tempdir().unwrap();
    // google/gemma-3-4b-it's text config, before transformers wrote `layer_types`.
    with_config(
        dir.path(),
        r#"{"model_type": "gemma3", "text_config": {"model_type": "gemma3_text", "head_dim": 256,
        "hidden_size": 2560, "num_attention_heads": 8, "num_hidden_layers": 34, "num_key_value_heads": 4,
        "sliding_window": 1024, "sliding_window_pattern": 6}}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "8192"]);
    // Layers 5, 11, 17, 23, 29 (1-based multiples of 6) are global: 5 of 34; 29 slide over 1024 tokens.
    let per_layer_token: u64 = 2 * 4 * 256 * 2;
    assert_eq!(r["inference"]["attention"]["sliding_layers"], 29);
    assert_eq!(
        r["inference"]["kv_cache_bytes"],
        per_layer_token * (5 * 8192 + 29 * 1024)
    );
}

#[test]
fn gemma3_without_a_pattern_key_takes_transformers_default_of_six() {
    let dir = tempfile::tempdir().unwrap();
    // google/gemma-3-27b-it's text config as published: no `sliding_window_pattern`, no `layer_types`;
    // Gemma3TextConfig's default pattern 6 applies (62 layers: 10 global, 52 sliding).
    with_config(
        dir.path(),
        r#"{"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
        "text_config": {"head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504,
        "model_type": "gemma3_text", "num_attention_heads": 32, "num_hidden_layers": 62,
        "num_key_value_heads": 16, "query_pre_attn_scalar": 168, "sliding_window": 1024,
        "rope_scaling": {"factor": 8.0, "rope_type": "linear"}}}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "32768"]);
    // One layer, one token: K and V × 16 KV heads × 128 dims × 2 bytes = 8192 bytes.
    let per_layer_token: u64 = 2 * 16 * 128 * 2;
    let a = &r["inference"]["attention"];
    assert_eq!(a["sliding_layers"], 52);
    assert_eq!(
        r["inference"]["kv_cache_bytes"],
        per_layer_token * (10 * 32768 + 52 * 1024)
    );
    // transformers 4.53+ re-saves the key with a leading underscore.
    with_config(
        dir.path(),
        r#"{"model_type": "gemma3_text", "head_dim": 256, "num_attention_heads": 4,
        "num_hidden_layers": 26, "num_key_value_heads": 1, "sliding_window": 512,
        "_sliding_window_pattern": 2}"#,
    );
    let (_, r) = footprint(dir.path(), &[]);
    assert_eq!(r["inference"]["attention"]["sliding_layers"], 13);
    assert!(r["inference"]["attention"]["fields_used"]
        .as_array()
        .unwrap()
        .contains(&Value::from("_sliding_window_pattern")));
}

#[test]
fn mllama_cross_attention_layers_add_nothing_per_token() {
    let dir = tempfile::tempdir().unwrap();
    // meta-llama/Llama-3.2-11B-Vision's text config: 40 layers, 8 of them cross-attention to the image.
    with_config(
        dir.path(),
        r#"{"model_type": "mllama", "architectures": ["MllamaForConditionalGeneration"],
        "text_config": {"model_type": "mllama_text_model", "num_hidden_layers": 40,
        "cross_attention_layers": [3, 8, 13, 18, 23, 28, 33, 38], "num_attention_heads": 32,
        "num_key_value_heads": 8, "hidden_size": 4096, "max_position_embeddings": 131072,
        "vocab_size": 128256}}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "8192"]);
    // 32 self-attention layers × K and V × 8 KV heads × 128 dims × 2 bytes = 128 KiB per token, as Llama-3-8B.
    let per_token: u64 = 32 * 2 * 8 * 128 * 2;
    assert_eq!(per_token, 131_072);
    let inf = &r["inference"];
    assert_eq!(inf["attention"]["cross_attention_layers"], 8);
    assert_eq!(inf["kv_bytes_per_token"], per_token);
    assert_eq!(inf["kv_cache_bytes"], per_token * 8192);
    let text = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("8 of them cross-attention"), "{text}");
}

#[test]
fn gpt2_and_falcon_key_names_give_the_architecture() {
    let dir = tempfile::tempdir().unwrap();
    // openai-community/gpt2's config.json.
    with_config(
        dir.path(),
        r#"{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768,
        "n_head": 12, "n_layer": 12, "n_positions": 1024, "vocab_size": 50257}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "1024"]);
    // 12 layers × K and V × 12 heads × 64 dims (768 / 12) × 2 bytes = 36,864 bytes per token.
    assert_eq!(r["architecture_unknown"], Value::Null);
    assert_eq!(r["inference"]["kv_bytes_per_token"], 12 * 2 * 12 * 64 * 2);
    assert_eq!(r["inference"]["kv_cache_bytes"], 36_864 * 1024);

    // tiiuae/falcon-7b: multi-query attention, one KV head shared by 71 query heads of 4544 / 71 = 64 dims.
    with_config(
        dir.path(),
        r#"{"architectures": ["FalconForCausalLM"], "model_type": "falcon", "hidden_size": 4544,
        "multi_query": true, "n_head": 71, "n_layer": 32, "new_decoder_architecture": false}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "2048"]);
    assert_eq!(r["inference"]["attention"]["kv_heads"], 1);
    assert_eq!(r["inference"]["kv_bytes_per_token"], 32 * 2 * 64 * 2);
}

#[test]
fn fits_stops_at_the_models_maximum_context() {
    let dir = tempfile::tempdir().unwrap();
    // Qwen2.5-0.5B's attention: 24 layers × 2 KV heads × 64 dims, 32,768 positions.
    with_config(
        dir.path(),
        r#"{"model_type": "qwen2", "hidden_size": 896, "num_attention_heads": 14, "num_hidden_layers": 24,
        "num_key_value_heads": 2, "max_position_embeddings": 32768, "sliding_window": 32768,
        "use_sliding_window": false}"#,
    );
    let (code, r) = footprint(dir.path(), &["--fits", "80GiB"]);
    // 24 × 2 × 2 × 64 × 2 = 12 KiB per token: 80 GiB would hold millions of tokens, the model takes 32,768.
    assert_eq!(code, 0);
    assert_eq!(r["fits"]["fits"], true);
    assert_eq!(r["fits"]["context_limit"], 32_768);
    assert_eq!(r["fits"]["max_context"], 32_768);
    let text = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .args(["--fits", "80GiB"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("longest context that fits: 32,768 tokens, the model's maximum"),
        "{text}"
    );

    // The weights are 1024 × 64 × 2 = 131,072 bytes, 144,179 with 10% overhead: 100 KiB cannot hold them.
    let (code, r) = footprint(dir.path(), &["--fits", "100KiB"]);
    assert_eq!(code, 1);
    assert_eq!(r["fits"]["max_context"], 0);
    let text = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .args(["--fits", "100KiB"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("not even without a KV cache"), "{text}");
}

#[test]
fn linear_attention_layers_of_hybrid_models_keep_no_kv_cache() {
    let dir = tempfile::tempdir().unwrap();
    // Qwen/Qwen3-Next-80B-A3B: 48 layers, every 4th full attention (2 KV heads × 256 dims), the rest Gated
    // DeltaNet linear attention with a fixed-size state.
    with_config(
        dir.path(),
        r#"{"model_type": "qwen3_next", "hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 16,
        "num_key_value_heads": 2, "head_dim": 256, "full_attention_interval": 4, "max_position_embeddings": 262144}"#,
    );
    let (_, r) = footprint(dir.path(), &["--context", "32768"]);
    // 12 attention layers × K and V × 2 heads × 256 dims × 2 bytes = 24,576 bytes per token.
    assert_eq!(r["inference"]["attention"]["uncached_layers"], 36);
    assert_eq!(r["inference"]["kv_bytes_per_token"], 12 * 2 * 2 * 256 * 2);
    assert_eq!(r["inference"]["kv_cache_bytes"], 24_576 * 32_768);

    // The same layout spelled out in `layer_types` under `text_config` (Qwen3.5), 8 layers: 2 attention layers.
    let types: Vec<&str> = (1..=8)
        .map(|i| {
            if i % 4 == 0 {
                "full_attention"
            } else {
                "linear_attention"
            }
        })
        .collect();
    let config = serde_json::json!({"model_type": "qwen3_5", "text_config": {"hidden_size": 1024,
        "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
        "layer_types": types}});
    with_config(dir.path(), &config.to_string());
    let (_, r) = footprint(dir.path(), &["--context", "1000"]);
    assert_eq!(r["inference"]["attention"]["uncached_layers"], 6);
    assert_eq!(r["inference"]["kv_cache_bytes"], 2 * 2 * 2 * 256 * 2 * 1000);
}

//! `paramscope footprint` on GGUF files: the KV cache comes from the file's own metadata (llama.cpp's
//! ARCH.* keys), checked against figures derived by hand.

use crate::common::footprint_json;
use paramscope::format::synth::gguf::{llama_q4_k_m, GgufWriter};
use paramscope::format::synth::LlamaShape;
use paramscope::model::metadata::MetaValue;
use serde_json::json;

#[test]
fn llama3_8b_gguf_kv_cache_is_one_gib_at_8192_tokens_in_f16() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llama3-8b-q4_k_m.gguf");
    llama_q4_k_m(&LlamaShape::LLAMA3_8B, 0)
        .write(&path)
        .unwrap();
    // A config.json beside a GGUF is not what the GGUF holds: it must not be read.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"num_hidden_layers": 1}"#,
    )
    .unwrap();
    let r = footprint_json(&path, &["--context", "8192", "--kv-dtype", "f16"]);
    // By hand: 32 layers × (K and V) × 8 KV heads × (4096 / 32 = 128) dims × 2 bytes = 131,072 bytes per
    // token; × 8192 tokens = 2^30.
    let per_token: u64 = 32 * 2 * 8 * 128 * 2;
    let inf = &r["inference"];
    assert_eq!(inf["kv_bytes_per_token"], per_token);
    assert_eq!(inf["kv_cache_bytes"], 1u64 << 30);
    assert_eq!(
        inf["attention"]["fields_used"],
        json!([
            "general.architecture",
            "llama.block_count",
            "llama.attention.head_count",
            "llama.attention.head_count_kv",
            "llama.embedding_length"
        ])
    );
    assert!(r["architecture_unknown"].is_null());
}

#[test]
fn gguf_key_lengths_and_sliding_window_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.gguf");
    GgufWriter::new()
        .kv_str("general.architecture", "gemma2")
        .kv("gemma2.block_count", MetaValue::U32(10))
        .kv("gemma2.attention.head_count", MetaValue::U32(8))
        .kv("gemma2.attention.head_count_kv", MetaValue::U32(4))
        .kv("gemma2.embedding_length", MetaValue::U32(2304))
        .kv("gemma2.attention.key_length", MetaValue::U32(256))
        .kv("gemma2.attention.value_length", MetaValue::U32(256))
        .kv("gemma2.attention.sliding_window", MetaValue::U32(4096))
        .tensor(
            "token_embd.weight",
            paramscope::model::dtype::DType::F16,
            &[16, 2304],
        )
        .write(&path)
        .unwrap();
    let r = footprint_json(&path, &["--context", "8192", "--kv-dtype", "f16"]);
    // Gemma 2 alternates: layers 0, 2, 4, 6, 8 slide (window 4096), 1, 3, 5, 7, 9 attend globally.
    // Per layer and token: 4 heads × (256 + 256) × 2 bytes = 4096 bytes.
    let expect: u64 = 4096 * (5 * 8192 + 5 * 4096);
    assert_eq!(r["inference"]["kv_cache_bytes"], expect);
    assert_eq!(r["inference"]["attention"]["sliding_layers"], 5);
}

#[test]
fn gguf_without_attention_keys_names_the_missing_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.gguf");
    GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv("llama.block_count", MetaValue::U32(2))
        .tensor("w", paramscope::model::dtype::DType::F32, &[4])
        .write(&path)
        .unwrap();
    let r = footprint_json(&path, &[]);
    assert_eq!(
        r["architecture_unknown"],
        "GGUF metadata has no llama.attention.head_count"
    );
}

#[test]
fn a_sliding_window_pattern_longer_than_the_summary_is_read_whole() {
    use paramscope::format::synth::gguf::array;
    use paramscope::model::metadata::MetaKind;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.gguf");
    // 12 layers; the pattern marks layers 0, 1, 2 and 9, 10, 11 as sliding (6), the middle 6 as global. The
    // first 8 entries alone would give 3.
    let pattern: Vec<MetaValue> = (0..12)
        .map(|i| MetaValue::Bool(!(3..9).contains(&i)))
        .collect();
    GgufWriter::new()
        .kv_str("general.architecture", "x")
        .kv("x.block_count", MetaValue::U32(12))
        .kv("x.attention.head_count", MetaValue::U32(2))
        .kv("x.embedding_length", MetaValue::U32(64))
        .kv("x.attention.sliding_window", MetaValue::U32(100))
        .kv(
            "x.attention.sliding_window_pattern",
            array(MetaKind::Bool, pattern),
        )
        .tensor("w", paramscope::model::dtype::DType::F32, &[4])
        .write(&path)
        .unwrap();
    let r = footprint_json(&path, &["--context", "1000", "--kv-dtype", "f32"]);
    assert_eq!(r["inference"]["attention"]["sliding_layers"], 6);
    // Per layer and token: 2 heads × (32 + 32) × 4 bytes = 512; 6 layers × 1000 + 6 × 100 tokens.
    assert_eq!(r["inference"]["kv_cache_bytes"], 512 * (6 * 1000 + 6 * 100));
}

#[test]
fn fits_stops_at_the_gguf_context_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llama3-8b-q4_k_m.gguf");
    llama_q4_k_m(&LlamaShape::LLAMA3_8B, 0)
        .write(&path)
        .unwrap();
    // 128 KiB of KV cache per token: 80 GiB minus ~5 GiB of Q4_K_M weights holds some 500,000 tokens, but
    // `llama.context_length` says the model takes 8192.
    let r = footprint_json(&path, &["--fits", "80GiB"]);
    assert_eq!(r["inference"]["attention"]["max_context"], 8192);
    assert_eq!(r["fits"]["context_limit"], 8192);
    assert_eq!(r["fits"]["max_context"], 8192);
}

/// DeepSeek-V3-shaped GGUF (llama.cpp's deepseek2): the KV cache is the latent vector plus the rotary part per
/// layer, as for its config.json, not 128 heads of K 192 + V 128.
#[test]
fn deepseek_gguf_kv_cache_is_the_latent_vector() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deepseek.gguf");
    let u32_kv = |w: GgufWriter, k: &str, v: u32| w.kv(k, MetaValue::U32(v));
    let mut w = GgufWriter::new().kv_str("general.architecture", "deepseek2");
    for (k, v) in [
        ("deepseek2.block_count", 61),
        ("deepseek2.attention.head_count", 128),
        ("deepseek2.attention.head_count_kv", 128),
        ("deepseek2.attention.key_length", 192),
        ("deepseek2.attention.value_length", 128),
        ("deepseek2.attention.kv_lora_rank", 512),
        ("deepseek2.rope.dimension_count", 64),
    ] {
        w = u32_kv(w, k, v);
    }
    w.write(&path).unwrap();
    let r = footprint_json(&path, &["--context", "1000", "--kv-dtype", "f16"]);
    // By hand: 61 layers × (512 + 64) elements × 2 bytes = 70,272 bytes per token.
    let inf = &r["inference"];
    assert_eq!(inf["kv_bytes_per_token"], 61 * 576 * 2);
    assert_eq!(inf["kv_cache_bytes"], 61 * 576 * 2 * 1000);
}

use super::*;
use serde_json::json;

#[test]
fn llama3_8b_caches_128_kib_per_token() {
    let a = from_hf_config(&json!({"num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "hidden_size": 4096}))
    .unwrap();
    // 32 layers × (K and V) × 8 heads × 128 dims = 65,536 elements per token.
    assert_eq!(a.cached_elements(1), 65_536);
    assert_eq!(
        a.fields_used,
        [
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "hidden_size"
        ]
    );
}

#[test]
fn sliding_window_caps_the_cache_of_sliding_layers_only() {
    let c = json!({"num_hidden_layers": 4, "num_attention_heads": 2, "head_dim": 8,
        "sliding_window": 100, "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]});
    let a = from_hf_config(&c).unwrap();
    // Per layer and token: 2 heads × (8 + 8) = 32 elements. At 1000 tokens: 2 full layers × 1000 + 2 × 100.
    assert_eq!(a.cached_elements(1000), 32 * (2 * 1000 + 2 * 100));
    let mistral = json!({"num_hidden_layers": 2, "num_attention_heads": 2, "head_dim": 8, "sliding_window": 100});
    assert_eq!(
        from_hf_config(&mistral).unwrap().cached_elements(1000),
        32 * 2 * 100
    );
    let qwen = json!({"num_hidden_layers": 2, "num_attention_heads": 2, "head_dim": 8, "sliding_window": 100, "use_sliding_window": false});
    assert_eq!(
        from_hf_config(&qwen).unwrap().cached_elements(1000),
        32 * 2 * 1000
    );
    // Qwen2 with the window on: layers from max_window_layers (here 3 of 4) on slide, the first 3 do not.
    let qwen_on = json!({"model_type": "qwen2", "num_hidden_layers": 4, "num_attention_heads": 2, "head_dim": 8,
        "sliding_window": 100, "use_sliding_window": true, "max_window_layers": 3});
    let a = from_hf_config(&qwen_on).unwrap();
    assert_eq!(a.sliding_layers, 1);
    assert_eq!(a.cached_elements(1000), 32 * (3 * 1000 + 100));
    // As Qwen2.5's configs write it (max_window_layers = the depth): no layer slides.
    let all = json!({"num_hidden_layers": 4, "num_attention_heads": 2, "head_dim": 8,
        "sliding_window": 100, "use_sliding_window": true, "max_window_layers": 4});
    assert_eq!(
        from_hf_config(&all).unwrap().cached_elements(1000),
        32 * 4 * 1000
    );
    // Without `use_sliding_window`, Qwen2's default (false) holds.
    let unset = json!({"num_hidden_layers": 4, "num_attention_heads": 2, "head_dim": 8,
        "sliding_window": 100, "max_window_layers": 0});
    assert_eq!(
        from_hf_config(&unset).unwrap().cached_elements(1000),
        32 * 4 * 1000
    );
}

#[test]
fn mla_and_nested_text_config_and_unknowns() {
    let ds = json!({"num_hidden_layers": 61, "num_attention_heads": 128, "kv_lora_rank": 512, "qk_rope_head_dim": 64});
    assert_eq!(
        from_hf_config(&ds).unwrap().cached_elements(10),
        61 * 576 * 10
    );
    let vlm = json!({"text_config": {"num_hidden_layers": 2, "num_attention_heads": 4, "hidden_size": 64}});
    let a = from_hf_config(&vlm).unwrap();
    assert_eq!(a.key_dim, 16);
    assert_eq!(a.fields_used[0], "text_config.num_hidden_layers");
    assert!(from_hf_config(&json!({"hidden_size": 64}))
        .unwrap_err()
        .contains("num_hidden_layers"));
}

#[test]
fn a_mistyped_count_is_named_not_taken_as_absent() {
    let llama = |kv: Value| {
        json!({"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": kv,
            "hidden_size": 4096})
    };
    // Absent would mean 32 KV heads: 4 × the 8 the string says.
    assert_eq!(
        from_hf_config(&llama(json!("8"))).unwrap_err(),
        r#"config.json's num_key_value_heads is "8", not a whole number"#
    );
    assert_eq!(
        from_hf_config(&llama(json!(8.5))).unwrap_err(),
        "config.json's num_key_value_heads is 8.5, not a whole number"
    );
    // null is transformers' "use the default": all heads.
    assert_eq!(from_hf_config(&llama(Value::Null)).unwrap().kv_heads, 32);
    // llava-hf/llava-1.5-7b-hf: the text config leaves the Llama figures to LlamaConfig's defaults.
    let llava =
        json!({"model_type": "llava", "text_config": {"model_type": "llama", "vocab_size": 32064}});
    assert_eq!(
        from_hf_config(&llava).unwrap_err(),
        "config.json has no text_config.num_hidden_layers (its language model's text_config leaves it to the model type's default, which is not assumed)"
    );
    let heads_only = json!({"text_config": {"num_hidden_layers": 2, "num_attention_heads": 4}});
    assert!(from_hf_config(&heads_only)
        .unwrap_err()
        .starts_with("config.json has neither text_config.head_dim nor text_config.hidden_size"));
    assert_eq!(
        from_hf_config(&json!({"num_hidden_layers": 2})).unwrap_err(),
        "config.json has no num_attention_heads"
    );
    let null_on_top = json!({"num_hidden_layers": null,
        "text_config": {"num_hidden_layers": 2, "num_attention_heads": 4, "hidden_size": 64}});
    assert_eq!(
        from_hf_config(&null_on_top).unwrap().cached_elements(1),
        2 * 4 * 32
    );
    let vlm = json!({"text_config": {"num_hidden_layers": "40"}});
    assert_eq!(
        from_hf_config(&vlm).unwrap_err(),
        r#"config.json's text_config.num_hidden_layers is "40", not a whole number"#
    );
}

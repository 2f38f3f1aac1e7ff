//! Grouping and honest parameter semantics on checkpoints in the shapes of real models, with real names.
//! Expected figures are computed here from the shapes, independently of the code under test.
mod common;

use common::shapes::{self, write_config};
use common::{inspect_json, paramscope};
use paramscope::dtype::DType;
use paramscope::synth::{write_sharded, LlamaShape};
use serde_json::{json, Value};

fn rows(report: &Value) -> Vec<(String, u64, u64, u64)> {
    report["groups"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
                r["parameters"].as_u64().unwrap(),
                r["logical_parameters"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn row(name: &str, count: u64, parameters: u64, logical: u64) -> (String, u64, u64, u64) {
    (name.to_string(), count, parameters, logical)
}

#[test]
fn gpt2_masks_are_buffers_and_layers_collapse() {
    let dir = tempfile::tempdir().unwrap();
    shapes::gpt2()
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    write_config(
        dir.path(),
        json!({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 12}),
    );
    let path = dir.path().join("model.safetensors");
    let r = inspect_json(&[path.to_str().unwrap(), "--group-by", "layer"]);

    let (h, vocab, positions) = (768u64, 50257u64, 1024u64);
    let block =
        2 * h + (h * 3 * h + 3 * h) + (h * h + h) + 2 * h + (h * 4 * h + 4 * h) + (4 * h * h + h);
    let mask = positions * positions;
    let (wte, wpe, ln_f) = (vocab * h, positions * h, 2 * h);
    assert_eq!(r["parameters"], 137_022_720u64);
    assert_eq!(wte + wpe + 12 * (block + mask) + ln_f, 137_022_720);
    assert_eq!(r["logical_parameters"], 124_439_808u64);
    assert_eq!(wte + wpe + 12 * block + ln_f, 124_439_808);
    assert_eq!(r["embedding_parameters"], wte + wpe);
    assert_eq!(r["non_embedding_parameters"], 12 * block + ln_f);
    assert_eq!(r["classes"]["buffer"]["tensors"], 12);
    assert_eq!(r["classes"]["buffer"]["elements"], 12 * mask);
    assert_eq!(r["classes"]["buffer"]["bytes"], 4 * 12 * mask);
    assert_eq!(r["classes"]["quant_aux"]["tensors"], 0);
    assert_eq!(r["model"]["model_type"], "gpt2");
    // Sorted names put `h.*` first, as the reference writer lays them out.
    assert_eq!(
        rows(&r),
        [
            row("h.{0..11}", 12, 12 * (block + mask), 12 * block),
            row("ln_f", 1, ln_f, ln_f),
            row("wpe", 1, wpe, wpe),
            row("wte", 1, wte, wte),
        ]
    );
    assert_eq!(r["groups"]["rows"][0]["parameters_each"], block + mask);
}

#[test]
fn gpt2_tensor_list_names_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    shapes::gpt2().write(&path).unwrap();
    let r = inspect_json(&[
        path.to_str().unwrap(),
        "--tensors",
        "--filter",
        "h.0.attn.*",
    ]);
    let by_name = |n: &str| {
        r["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .unwrap()
            .clone()
    };
    let mask = by_name("h.0.attn.bias");
    assert_eq!(
        (mask["class"].as_str(), mask["rule"].as_str()),
        (Some("buffer"), Some("buffer.attention_mask"))
    );
    assert_eq!(mask["logical_parameters"], 0);
    let bias = by_name("h.0.attn.c_attn.bias");
    assert_eq!(
        (bias["class"].as_str(), bias["rule"].as_str()),
        (Some("weight"), Some("weight.default"))
    );
    assert_eq!(bias["role"], "attention");
    // The filter restricts the counts: 1 mask and 4 attention tensors of block 0.
    assert_eq!(r["logical_parameters"], 768 * 2304 + 2304 + 768 * 768 + 768);
}

#[test]
fn llama3_8b_layers_and_untied_embeddings() {
    let dir = tempfile::tempdir().unwrap();
    let shape = LlamaShape::LLAMA3_8B;
    write_sharded(
        dir.path(),
        "model",
        &shape.shards(DType::BF16, 5_000_000_000),
        serde_json::Map::new(),
    )
    .unwrap();
    write_config(
        dir.path(),
        json!({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "tie_word_embeddings": false,
               "hidden_size": 4096, "num_hidden_layers": 32}),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "layer"]);
    let (h, i, kv, vocab) = (4096u64, 14336u64, 1024u64, 128256u64);
    let block = 2 * h + 3 * h * i + 2 * h * h + 2 * kv * h;
    assert_eq!(r["parameters"], 8_030_261_248u64);
    assert_eq!(r["logical_parameters"], 8_030_261_248u64);
    assert_eq!(r["embedding_parameters"], 2 * vocab * h);
    assert_eq!(r["non_embedding_parameters"], 32 * block + h);
    assert_eq!(
        rows(&r),
        [
            row("model.embed_tokens", 1, vocab * h, vocab * h),
            row("model.layers.{0..31}", 32, 32 * block, 32 * block),
            row("model.norm", 1, h, h),
            row("lm_head", 1, vocab * h, vocab * h),
        ]
    );
    assert_eq!(r["model"]["tie_word_embeddings"], false);

    let m = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "module"]);
    let module_rows: Vec<_> = rows(&m).into_iter().map(|(n, _, p, _)| (n, p)).collect();
    assert_eq!(
        module_rows,
        [
            ("embeddings".to_string(), vocab * h),
            ("attention".to_string(), 32 * (2 * h * h + 2 * kv * h)),
            ("mlp".to_string(), 32 * 3 * h * i),
            ("norm".to_string(), 32 * 2 * h + h),
            ("output_head".to_string(), vocab * h),
        ]
    );
}

#[test]
fn table_shows_semantics_and_bars() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    shapes::gpt2().write(&path).unwrap();
    let out = paramscope()
        .args([
            "inspect",
            path.to_str().unwrap(),
            "--group-by",
            "layer",
            "--explain",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("logical parameters") && text.contains("124,439,808"),
        "{text}"
    );
    assert!(
        text.contains("buffers") && text.contains("12 tensors, 12,582,912 elements"),
        "{text}"
    );
    assert!(text.contains("h.{0..11}") && text.contains('█'), "{text}");
    assert!(text.contains("buffer.attention_mask"), "{text}");
}

#[test]
fn broken_config_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    shapes::gpt2().write(&path).unwrap();
    std::fs::write(dir.path().join("config.json"), "{\"model_type\": ").unwrap();
    let r = inspect_json(&[path.to_str().unwrap()]);
    assert!(r["model"].is_null());
    assert!(r["notes"][0]
        .as_str()
        .unwrap()
        .contains("config.json: not valid JSON"));
    assert_eq!(r["logical_parameters"], 124_439_808u64);
}

#[test]
fn bad_group_by_is_a_usage_error() {
    let out = paramscope()
        .args([
            "inspect",
            "fixtures/tiny/model.safetensors",
            "--group-by",
            "layers",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("depth:N"));
}

//! Honest parameter semantics: classes, logical and embedding counts, config.json, --explain, on checkpoints in
//! the shapes of real models. Expected figures are computed here from the shapes.

use crate::common::shapes::write_config;
use crate::common::{self, inspect_json, paramscope};
use paramscope::format::synth::models as shapes;
use paramscope::model::dtype::DType;
use serde_json::json;

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
fn readme_documents_every_rule() {
    let readme = std::fs::read_to_string(common::repo_path("docs/inspect.md")).unwrap();
    for rule in paramscope::interpret::classify::RULES {
        assert!(
            readme.contains(&format!(
                "| `{}` | {} | {} |",
                rule.id,
                rule.class.name(),
                rule.description
            )),
            "docs/inspect.md lacks rule {}",
            rule.id
        );
    }
    for (id, role, description) in paramscope::interpret::role::ROLE_RULES {
        assert!(
            readme.contains(&format!("| `{id}` | {} | {description} |", role.name())),
            "docs/inspect.md lacks role rule {id}"
        );
    }
}

/// Qwen/Qwen2.5-0.5B: 24 layers, hidden 896, MLP 4864, 14 query / 2 KV heads of 64, biases on q/k/v, vocab
/// 151936, tied embeddings (no `lm_head.weight` stored). Its model card says "0.49B, 0.36B non-embedding".
fn qwen25_05b(with_head: bool) -> paramscope::format::synth::SafetensorsWriter {
    let (h, i, kv, vocab) = (896u64, 4864u64, 128u64, 151936u64);
    let mut w = paramscope::format::synth::SafetensorsWriter::new().tensor(
        "model.embed_tokens.weight",
        DType::BF16,
        &[vocab, h],
    );
    for l in 0..24 {
        let p = format!("model.layers.{l}");
        for (name, shape) in [
            ("input_layernorm.weight", vec![h]),
            ("mlp.down_proj.weight", vec![h, i]),
            ("mlp.gate_proj.weight", vec![i, h]),
            ("mlp.up_proj.weight", vec![i, h]),
            ("post_attention_layernorm.weight", vec![h]),
            ("self_attn.k_proj.bias", vec![kv]),
            ("self_attn.k_proj.weight", vec![kv, h]),
            ("self_attn.o_proj.weight", vec![h, h]),
            ("self_attn.q_proj.bias", vec![h]),
            ("self_attn.q_proj.weight", vec![h, h]),
            ("self_attn.v_proj.bias", vec![kv]),
            ("self_attn.v_proj.weight", vec![kv, h]),
        ] {
            w = w.tensor(&format!("{p}.{name}"), DType::BF16, &shape);
        }
    }
    w = w.tensor("model.norm.weight", DType::BF16, &[h]);
    if with_head {
        w = w.tensor("lm_head.weight", DType::BF16, &[vocab, h]);
    }
    w
}

#[test]
fn tied_embeddings_count_once_as_the_model_card_does() {
    let embed = 151936u64 * 896;
    let block = 2 * 896 + 3 * 896 * 4864 + 2 * 896 * 896 + 2 * 128 * 896 + 896 + 2 * 128;
    let non_embedding = 24 * block + 896;
    assert_eq!(embed + non_embedding, 494_032_768);
    let config = json!({"model_type": "qwen2", "tie_word_embeddings": true});
    for with_head in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        qwen25_05b(with_head)
            .write(&dir.path().join("model.safetensors"))
            .unwrap();
        write_config(dir.path(), config.clone());
        let r = inspect_json(&[
            dir.path().to_str().unwrap(),
            "--tensors",
            "--filter",
            "lm_head*",
        ]);
        let all = inspect_json(&[dir.path().to_str().unwrap()]);
        assert_eq!(all["logical_parameters"], 494_032_768u64);
        assert_eq!(all["embedding_parameters"], embed);
        assert_eq!(all["non_embedding_parameters"], non_embedding);
        // A stored copy of the tied head is in the element total, and named as a duplicate.
        let head = if with_head { embed } else { 0 };
        assert_eq!(all["parameters"], 494_032_768 + head);
        if with_head {
            assert_eq!(r["tensors"][0]["rule"], "weight.tied_duplicate");
            assert_eq!(r["tensors"][0]["logical_parameters"], 0);
        }
    }
}

#[test]
fn explain_with_tensors_shows_each_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    shapes::gpt2().write(&path).unwrap();
    let out = paramscope()
        .args([
            "inspect",
            path.to_str().unwrap(),
            "--tensors",
            "--explain",
            "--filter",
            "h.0.attn.*",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mask_line = text
        .lines()
        .find(|l| l.contains("h.0.attn.bias ") && l.contains("F32"))
        .unwrap();
    assert!(
        mask_line.contains("buffer.attention_mask") && mask_line.contains("attention.component"),
        "{mask_line}"
    );
    assert!(
        text.contains("buffer.attention_mask: `attn.bias`"),
        "{text}"
    );
}

#[test]
fn pythia_embeddings_match_the_published_non_embedding_count() {
    // EleutherAI/pythia-160m (GPT-NeoX): `embed_in` and an untied `embed_out`, each [50304, 768]; the Pythia
    // model table publishes 162,322,944 parameters, 85,056,000 of them non-embedding.
    let (v, h) = (50_304u64, 768u64);
    let mut w = paramscope::format::synth::SafetensorsWriter::new().tensor(
        "gpt_neox.embed_in.weight",
        DType::F16,
        &[v, h],
    );
    for l in 0..12 {
        let p = format!("gpt_neox.layers.{l}");
        for (name, shape) in [
            ("input_layernorm.weight", vec![h]),
            ("input_layernorm.bias", vec![h]),
            ("post_attention_layernorm.weight", vec![h]),
            ("post_attention_layernorm.bias", vec![h]),
            ("attention.query_key_value.weight", vec![3 * h, h]),
            ("attention.query_key_value.bias", vec![3 * h]),
            ("attention.dense.weight", vec![h, h]),
            ("attention.dense.bias", vec![h]),
            ("mlp.dense_h_to_4h.weight", vec![4 * h, h]),
            ("mlp.dense_h_to_4h.bias", vec![4 * h]),
            ("mlp.dense_4h_to_h.weight", vec![h, 4 * h]),
            ("mlp.dense_4h_to_h.bias", vec![h]),
        ] {
            w = w.tensor(&format!("{p}.{name}"), DType::F16, &shape);
        }
    }
    w = w
        .tensor("gpt_neox.final_layer_norm.weight", DType::F16, &[h])
        .tensor("gpt_neox.final_layer_norm.bias", DType::F16, &[h])
        .tensor("embed_out.weight", DType::F16, &[v, h]);
    let dir = tempfile::tempdir().unwrap();
    w.write(&dir.path().join("model.safetensors")).unwrap();
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "module"]);
    assert_eq!(r["logical_parameters"], 162_322_944);
    assert_eq!(r["embedding_parameters"], 2 * v * h);
    assert_eq!(r["non_embedding_parameters"], 85_056_000);
    let embeddings = &r["groups"]["rows"][0];
    assert_eq!(embeddings["name"], "embeddings");
    assert_eq!(embeddings["parameters"], v * h);
}

/// Vision-language checkpoints saved by transformers < 4.52 (meta-llama/Llama-3.2-11B-Vision, llava-hf/*) keep
/// the language model under `language_model.`: its head is `language_model.lm_head.weight`.
#[test]
fn vision_language_head_under_language_model_is_the_output_head() {
    // Llama-3.2-11B-Vision's text vocabulary 128,256; its embedding holds 8 more rows (image tokens).
    let (h, vocab) = (64u64, 128_256u64);
    let dir = tempfile::tempdir().unwrap();
    paramscope::format::synth::SafetensorsWriter::new()
        .tensor(
            "language_model.model.embed_tokens.weight",
            DType::BF16,
            &[vocab + 8, h],
        )
        .tensor(
            "language_model.model.layers.0.mlp.up_proj.weight",
            DType::BF16,
            &[4 * h, h],
        )
        .tensor("language_model.lm_head.weight", DType::BF16, &[vocab, h])
        .tensor(
            "vision_model.patch_embedding.weight",
            DType::BF16,
            &[h, 3, 14, 14],
        )
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    write_config(
        dir.path(),
        json!({"model_type": "mllama", "text_config": {"tie_word_embeddings": false}}),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "module"]);
    let embedding = (vocab + 8) * h + vocab * h;
    assert_eq!(r["embedding_parameters"], embedding);
    assert_eq!(r["non_embedding_parameters"], 4 * h * h + h * 3 * 14 * 14);
    let rows = r["groups"]["rows"].as_array().unwrap();
    let head = rows
        .iter()
        .find(|row| row["name"] == "output_head")
        .unwrap();
    assert_eq!(head["parameters"], vocab * h);
    assert!(rows.iter().all(|row| row["name"] != "other"), "{rows:?}");
}

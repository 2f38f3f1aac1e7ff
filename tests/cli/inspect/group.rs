//! Grouping and honest parameter semantics on checkpoints in the shapes of real models, with real names.
//! Expected figures are computed here from the shapes, independently of the code under test.

use crate::common::shapes::write_config;
use crate::common::{inspect_json, paramscope};
use paramscope::format::synth::models as shapes;
use paramscope::format::synth::{write_sharded, LlamaShape};
use paramscope::model::dtype::DType;
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
    // Model order: the embeddings, the blocks, the final norm.
    assert_eq!(
        rows(&r),
        [
            row("wpe", 1, wpe, wpe),
            row("wte", 1, wte, wte),
            row("h.{0..11}", 12, 12 * (block + mask), 12 * block),
            row("ln_f", 1, ln_f, ln_f),
        ]
    );
    assert_eq!(r["groups"]["rows"][2]["parameters_each"], block + mask);
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

fn child_rows(row: &Value) -> Vec<(String, u64, u64, u64)> {
    row["children"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap().to_string(),
                        r["count"].as_u64().unwrap(),
                        r["parameters"].as_u64().unwrap(),
                        r["parameters_each"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn mixtral_experts_collapse_inside_the_layer_rows() {
    let dir = tempfile::tempdir().unwrap();
    shapes::mixtral_8x7b()
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    write_config(
        dir.path(),
        json!({"model_type": "mixtral", "tie_word_embeddings": false}),
    );
    let path = dir.path().to_str().unwrap();
    let r = inspect_json(&[path, "--group-by", "layer"]);
    let (h, i, kv, vocab) = (4096u64, 14336u64, 1024u64, 32000u64);
    let expert = 3 * h * i;
    let attention = 2 * h * h + 2 * kv * h;
    let block = attention + 8 * expert + 8 * h + 2 * h;
    assert_eq!(r["parameters"], 46_702_792_704u64);
    assert_eq!(2 * vocab * h + 32 * block + h, 46_702_792_704);
    assert_eq!(r["logical_parameters"], 46_702_792_704u64);
    assert_eq!(r["embedding_parameters"], 2 * vocab * h);
    assert_eq!(
        rows(&r),
        [
            row("model.embed_tokens", 1, vocab * h, vocab * h),
            row("model.layers.{0..31}", 32, 32 * block, 32 * block),
            row("model.norm", 1, h, h),
            row("lm_head", 1, vocab * h, vocab * h),
        ]
    );
    assert_eq!(
        child_rows(&r["groups"]["rows"][1]),
        [(
            "block_sparse_moe.experts.{0..7}".to_string(),
            8,
            32 * 8 * expert,
            expert
        )]
    );

    let m = inspect_json(&[path, "--group-by", "module"]);
    let module_rows: Vec<_> = rows(&m).into_iter().map(|(n, _, p, _)| (n, p)).collect();
    assert_eq!(
        module_rows,
        [
            ("embeddings".to_string(), vocab * h),
            ("attention".to_string(), 32 * attention),
            ("experts".to_string(), 32 * 8 * expert),
            ("router".to_string(), 32 * 8 * h),
            ("norm".to_string(), 32 * 2 * h + h),
            ("output_head".to_string(), vocab * h),
        ]
    );
    assert_eq!(m["groups"]["rows"][3]["rules"], json!(["router.component"]));

    let t = inspect_json(&[path, "--tree", "--depth", "2"]);
    let top: Vec<_> = t["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["parameters"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("model".to_string(), vocab * h + 32 * block + h),
            ("lm_head.weight".to_string(), vocab * h)
        ]
    );
    let layers = &t["tree"][0]["children"][1];
    assert_eq!(layers["name"], "layers.{0..31}");
    assert_eq!(layers["count"], 32);
    assert_eq!(layers["parameters"], 32 * block);
    // --depth 2 keeps two levels: the layers node has no children.
    assert!(layers.get("children").is_none());
}

#[test]
fn deepseek_style_dense_and_moe_layers_are_separate_rows_fp8_scales_are_aux() {
    let s = shapes::DeepSeekShape {
        layers: 4,
        ..paramscope::format::synth::moe::DEEPSEEK_TINY
    };
    let dir = tempfile::tempdir().unwrap();
    s.fp8()
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    write_config(
        dir.path(),
        json!({"model_type": "deepseek_v3", "tie_word_embeddings": false, "first_k_dense_replace": 1,
               "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}}),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "layer"]);
    // Per layer: linear weights (out × in), their 128×128 block scales, norms and router, from the shapes.
    let weights = |l: u64| s.linears(l).iter().map(|(_, o, i)| o * i).sum::<u64>();
    let scales = |l: u64| {
        s.linears(l)
            .iter()
            .map(|(_, o, i)| o.div_ceil(128) * i.div_ceil(128))
            .sum::<u64>()
    };
    let others = |l: u64| {
        s.others(l)
            .iter()
            .map(|(_, _, shape)| shape.iter().product::<u64>())
            .sum::<u64>()
    };
    // Dense layer 0: attention + MLP 3 × 512 × 256; MoE layers: attention + 5 experts (4 routed, 1 shared).
    let attention = 256 * 256 + 384 * 256 + 192 * 256 + 512 * 128 + 256 * 256;
    assert_eq!(weights(0), attention + 3 * 512 * 256);
    assert_eq!(weights(1), attention + 5 * 3 * 128 * 256);
    let embed = 1000 * 256;
    let logical = 2 * embed + 256 + (0..4).map(|l| weights(l) + others(l)).sum::<u64>();
    let aux = (0..4).map(scales).sum::<u64>();
    assert_eq!(r["logical_parameters"], logical);
    assert_eq!(r["parameters"], logical + aux);
    assert_eq!(r["classes"]["quant_aux"]["elements"], aux);
    assert_eq!(r["classes"]["quant_aux"]["bytes"], 4 * aux);
    assert_eq!(r["classes"]["weight"]["elements"], logical);
    assert_eq!(r["embedding_parameters"], 2 * embed);
    let layer = |l: u64| weights(l) + scales(l) + others(l);
    let logical_layer = |l: u64| weights(l) + others(l);
    assert_eq!(
        rows(&r),
        [
            row("model.embed_tokens", 1, embed, embed),
            row("model.layers.0", 1, layer(0), logical_layer(0)),
            row("model.layers.{1..3}", 3, 3 * layer(1), 3 * logical_layer(1)),
            row("model.norm", 1, 256, 256),
            row("lm_head", 1, embed, embed),
        ]
    );
    // Each routed expert: 3 linears of 128 × 256 weights plus 3 scales of 1 × 2 blocks.
    let expert = 3 * 128 * 256 + 3 * 2;
    assert_eq!(
        child_rows(&r["groups"]["rows"][2]),
        [("mlp.experts.{0..3}".to_string(), 4, 3 * 4 * expert, expert)]
    );
    assert_eq!(r["model"]["quantization"]["quant_method"], "fp8");
}

#[test]
fn several_checkpoints_sum_their_classes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpt2.safetensors");
    shapes::gpt2().write(&path).unwrap();
    let p = path.to_str().unwrap();
    let r = inspect_json(&[p, "fixtures/tiny/model.safetensors"]);
    // GPT-2's 124,439,808 plus the tiny BERT's 145,472 elements less its 128 position ids.
    assert_eq!(
        r["total"]["logical_parameters"],
        124_439_808u64 + 145_472 - 128
    );
    assert_eq!(r["total"]["classes"]["buffer"]["tensors"], 12 + 1);
    let md = paramscope()
        .args(["inspect", p, "--group-by", "layer", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## By layer"), "{md}");
    assert!(md.contains("| h.{0..11} "), "{md}");
}

#[test]
fn deeply_nested_names_do_not_exhaust_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    // 100,000 components, every other one an index: recursion per level would overflow the stack.
    let deep = format!("{}w", "x.0.".repeat(50_000));
    paramscope::format::synth::SafetensorsWriter::new()
        .tensor(&deep, DType::F32, &[3])
        .tensor("y.weight", DType::F32, &[2])
        .write(&path)
        .unwrap();
    let p = path.to_str().unwrap();
    for how in [["--group-by", "layer"], ["--tree", "--depth=1000"]] {
        let out = paramscope()
            .args(["inspect", p, "--format", "json"])
            .args(how)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["logical_parameters"], 5);
        let top = r.get("groups").map_or(&r["tree"], |g| &g["rows"]);
        let sum: u64 = top
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["parameters"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, 5);
    }
}

#[test]
fn gguf_moe_names_group_by_role_and_layer() {
    use paramscope::model::dtype::GgmlQuant;
    let (h, i, vocab, experts) = (256u64, 512u64, 512u64, 4u64);
    let (q4, q6) = (DType::Ggml(GgmlQuant::Q4_K), DType::Ggml(GgmlQuant::Q6_K));
    let mut w = paramscope::format::synth::gguf::GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .tensor("token_embd.weight", q4, &[vocab, h])
        .tensor("rope_freqs.weight", DType::F32, &[64]);
    for l in 0..3 {
        let p = format!("blk.{l}");
        // Layer 1 keeps `attn_v` at Q6_K, as llama.cpp's mixes do for some layers: it cannot merge with 0 and 2.
        let v = if l == 1 { q6 } else { q4 };
        w = w
            .tensor(&format!("{p}.attn_norm.weight"), DType::F32, &[h])
            .tensor(&format!("{p}.attn_q.weight"), q4, &[h, h])
            .tensor(&format!("{p}.attn_k.weight"), q4, &[h, h])
            .tensor(&format!("{p}.attn_v.weight"), v, &[h, h])
            .tensor(&format!("{p}.attn_output.weight"), q4, &[h, h])
            .tensor(
                &format!("{p}.ffn_gate_inp.weight"),
                DType::F32,
                &[experts, h],
            )
            .tensor(&format!("{p}.ffn_gate_exps.weight"), q4, &[experts, i, h])
            .tensor(&format!("{p}.ffn_up_exps.weight"), q4, &[experts, i, h])
            .tensor(&format!("{p}.ffn_down_exps.weight"), q4, &[experts, h, i])
            .tensor(&format!("{p}.ffn_norm.weight"), DType::F32, &[h]);
    }
    let w =
        w.tensor("output_norm.weight", DType::F32, &[h])
            .tensor("output.weight", q6, &[vocab, h]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moe.gguf");
    w.write(&path).unwrap();
    // A config.json beside a GGUF file is not its own: it must not be read.
    write_config(
        dir.path(),
        json!({"model_type": "other", "tie_word_embeddings": true}),
    );
    let p = path.to_str().unwrap();

    let block = 2 * h + 4 * h * h + experts * h + 3 * experts * i * h;
    let r = inspect_json(&[p, "--group-by", "layer"]);
    assert!(r["model"].is_null());
    assert_eq!(r["parameters"], vocab * h + 64 + 3 * block + h + vocab * h);
    // rope_freqs is a buffer computed from the config, not a parameter.
    assert_eq!(r["logical_parameters"], 2 * vocab * h + 3 * block + h);
    assert_eq!(r["embedding_parameters"], 2 * vocab * h);
    assert_eq!(
        rows(&r),
        [
            row("token_embd", 1, vocab * h, vocab * h),
            row("blk.{0,2}", 2, 2 * block, 2 * block),
            row("blk.1", 1, block, block),
            row("rope_freqs", 1, 64, 0),
            row("output_norm", 1, h, h),
            row("output", 1, vocab * h, vocab * h),
        ]
    );
    let m = inspect_json(&[p, "--group-by", "module"]);
    let module_rows: Vec<_> = rows(&m).into_iter().map(|(n, _, p, _)| (n, p)).collect();
    assert_eq!(
        module_rows,
        [
            ("embeddings".to_string(), vocab * h),
            ("attention".to_string(), 3 * 4 * h * h),
            ("experts".to_string(), 3 * 3 * experts * i * h),
            ("router".to_string(), 3 * experts * h),
            ("norm".to_string(), 3 * 2 * h + h),
            ("output_head".to_string(), vocab * h),
            ("other".to_string(), 64),
        ]
    );
}

#[test]
fn t5_small_roles_by_module() {
    // google-t5/t5-small: d_model 512, d_ff 2048, 6 encoder and 6 decoder blocks, a `shared` [32128, 512] token
    // embedding tied to the head, relative position biases [32, 8] in block 0 of each stack; 60,506,624
    // parameters published.
    let (d, f) = (512u64, 2048u64);
    let mut w = paramscope::format::synth::SafetensorsWriter::new().tensor(
        "shared.weight",
        DType::F32,
        &[32128, d],
    );
    for side in ["encoder", "decoder"] {
        for b in 0..6 {
            let mut tensors: Vec<(String, Vec<u64>)> = Vec::new();
            let p = format!("{side}.block.{b}.layer");
            let attention = |kind: &str, layer: u32, tensors: &mut Vec<(String, Vec<u64>)>| {
                for x in ["q", "k", "v", "o"] {
                    tensors.push((format!("{p}.{layer}.{kind}.{x}.weight"), vec![d, d]));
                }
                tensors.push((format!("{p}.{layer}.layer_norm.weight"), vec![d]));
            };
            attention("SelfAttention", 0, &mut tensors);
            if b == 0 {
                tensors.push((
                    format!("{p}.0.SelfAttention.relative_attention_bias.weight"),
                    vec![32, 8],
                ));
            }
            let mlp = if side == "decoder" {
                attention("EncDecAttention", 1, &mut tensors);
                2
            } else {
                1
            };
            tensors.push((format!("{p}.{mlp}.DenseReluDense.wi.weight"), vec![f, d]));
            tensors.push((format!("{p}.{mlp}.DenseReluDense.wo.weight"), vec![d, f]));
            tensors.push((format!("{p}.{mlp}.layer_norm.weight"), vec![d]));
            for (name, shape) in tensors {
                w = w.tensor(&name, DType::F32, &shape);
            }
        }
        w = w.tensor(&format!("{side}.final_layer_norm.weight"), DType::F32, &[d]);
    }
    let dir = tempfile::tempdir().unwrap();
    w.write(&dir.path().join("model.safetensors")).unwrap();
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "module"]);
    assert_eq!(r["parameters"], 60_506_624);
    let row = |name: &str| {
        r["groups"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("no {name} row"))["parameters"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(row("embeddings"), 32128 * d);
    // 6 self-attention + 6 × (self + cross) attention blocks of 4 [512, 512] matrices, plus two [32, 8] biases.
    assert_eq!(row("attention"), 18 * 4 * d * d + 2 * 32 * 8);
    // 12 feed-forward blocks, `wi` [2048, 512] and `wo` [512, 2048] each.
    assert_eq!(row("mlp"), 12 * 2 * f * d);
    // A layer norm per sub-layer (6 × 2 + 6 × 3) and a final one per stack.
    assert_eq!(row("norm"), 32 * d);
    assert_eq!(r["embedding_parameters"], 32128 * d);
}

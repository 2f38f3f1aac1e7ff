//! `paramscope footprint`: exact byte figures for generated checkpoints, and KV-cache estimates derived by hand.

mod configs;
mod fits;
mod gguf;

use crate::common::{footprint_json, paramscope};
use paramscope::format::synth::{LlamaShape, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::Path;

fn precision<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["precisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

const LLAMA3_8B_CONFIG: &str = r#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
  "num_key_value_heads": 8, "max_position_embeddings": 8192, "vocab_size": 128256, "torch_dtype": "bfloat16"}"#;

fn sparse_llama3_8b(dir: &Path) {
    let mut w = SafetensorsWriter::new();
    for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
        w = w.tensor(&name, DType::BF16, &shape);
    }
    w.write(&dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("config.json"), LLAMA3_8B_CONFIG).unwrap();
}

#[test]
fn llama3_8b_kv_cache_is_one_gib_per_sequence_at_8192_tokens() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    let r = footprint_json(dir.path(), &["--context", "8192"]);
    // By hand: each token stores a key and a value vector of head_dim = 4096 / 32 = 128 for each of the 8 KV heads
    // in each of the 32 layers, 2 bytes per BF16 element: 32 · 2 · 8 · 128 · 2 = 131,072 bytes; 8192 tokens = 2^30.
    let per_token: u64 = 32 * 2 * 8 * 128 * 2;
    assert_eq!(per_token * 8192, 1 << 30);
    let inf = &r["inference"];
    assert_eq!(inf["kv_bytes_per_token"], per_token);
    assert_eq!(inf["kv_cache_bytes"], 1u64 << 30);
    let weights = 16_060_522_496u64;
    assert_eq!(inf["weights_bytes"], weights);
    let total = (weights + (1 << 30)) * 110 / 100;
    assert_eq!(inf["total_bytes"], total);
    // Batch 4 at FP8 cache: four sequences at one byte per element.
    let r = footprint_json(
        dir.path(),
        &["--context", "8192", "--batch", "4", "--kv-dtype", "f8"],
    );
    assert_eq!(r["inference"]["kv_cache_bytes"], 4u64 << 29);
}

#[test]
fn dense_bf16_bytes_at_every_precision() {
    let dir = tempfile::tempdir().unwrap();
    // Two 2-D weights and one 1-D norm, BF16.
    SafetensorsWriter::new()
        .tensor("embed.weight", DType::BF16, &[1000, 256])
        .tensor("proj.weight", DType::BF16, &[512, 256])
        .tensor("norm.weight", DType::BF16, &[256])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    let r = footprint_json(dir.path(), &[]);
    let (big, norm) = (1000 * 256 + 512 * 256u64, 256u64);
    assert_eq!(r["weights"]["stored_bytes"], 2 * (big + norm));
    assert_eq!(r["weights"]["logical_parameters"], big + norm);
    assert_eq!(precision(&r, "F32")["bytes"], 4 * (big + norm));
    assert_eq!(precision(&r, "F16/BF16")["bytes"], 2 * (big + norm));
    // Below 16 bits the 1-D norm stays at 2 bytes per element.
    assert_eq!(precision(&r, "F8")["bytes"], big + 2 * norm);
    // INT8: one F16 scale per output row (1000 + 512 rows).
    assert_eq!(precision(&r, "INT8")["scale_bytes"], 2 * (1000 + 512));
    assert_eq!(
        precision(&r, "INT8")["bytes"],
        big + 2 * norm + 2 * (1000 + 512)
    );
    // INT4, groups of 128: 256,000 / 128 = 2000 and 131,072 / 128 = 1024 groups, one F16 scale each.
    assert_eq!(precision(&r, "INT4")["scale_bytes"], 2 * (2000 + 1024));
    assert_eq!(
        precision(&r, "INT4")["bytes"],
        big / 2 + 2 * norm + 2 * (2000 + 1024)
    );
    let r64 = footprint_json(dir.path(), &["--group-size", "64"]);
    assert_eq!(precision(&r64, "INT4")["scale_bytes"], 2 * (4000 + 2048));
    // Disk: the file is header + data.
    let size = std::fs::metadata(dir.path().join("model.safetensors"))
        .unwrap()
        .len();
    assert_eq!(r["disk"]["file_bytes"], size);
    assert_eq!(r["disk"]["overhead_bytes"], size - 2 * (big + norm));
    // No config.json: the architecture is unknown, and said so rather than guessed.
    assert!(r["inference"].is_null());
    assert!(r["architecture_unknown"]
        .as_str()
        .unwrap()
        .contains("config.json"));
}

#[test]
fn training_with_adam_is_sixteen_bytes_per_parameter() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    let r = footprint_json(dir.path(), &["--training", "adam"]);
    assert_eq!(r["training"]["bytes"], 8_030_261_248u64 * 16);
    assert!(r["training"]["formula"]
        .as_str()
        .unwrap()
        .contains("F32 master weights 4"));
}

#[test]
fn unknown_architecture_is_said_plainly_in_the_table() {
    let out = paramscope()
        .args(["footprint", "fixtures/sharded"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("architecture unknown: no config.json"),
        "{text}"
    );
}

#[test]
fn a_kv_cache_beyond_u64_never_wraps_into_fitting() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    // 131,072 bytes per token × 4096 tokens × 10^11 sequences ≈ 5.4 × 10^19 bytes, past u64's 1.8 × 10^19: the
    // cache and total stay at the largest figure; a wrapped sum made it "fit in 24 GiB" (total 16.45 GiB).
    let out = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .args([
            "--batch",
            "100000000000",
            "--fits",
            "24GiB",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "does not fit: exit 1");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inference"]["kv_cache_bytes"], u64::MAX);
    assert_eq!(r["inference"]["total_bytes"], u64::MAX);
    assert_eq!(r["fits"]["fits"], false);
    assert_eq!(r["fits"]["max_context"], 0);
}

#[test]
fn weights_that_fit_are_not_said_not_to_fit_when_one_token_of_cache_does_not() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    // Weights 16,060,522,496 bytes + 10% = 17,666,574,745 ≤ 17 GiB (18,253,611,008); one token at batch 10^6 is
    // 131,072,000,000 bytes of KV cache more.
    let run = |budget: &str| {
        let out = paramscope()
            .arg("footprint")
            .arg(dir.path())
            .args(["--batch", "1000000", "--fits", budget])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run("17GiB");
    assert!(
        text.contains("the weights fit, but not one token of KV cache at batch 1000000"),
        "{text}"
    );
    assert!(!text.contains("not even without a KV cache"), "{text}");
    // 16 GiB (17,179,869,184) is below the weights with overhead.
    assert!(run("16GiB").contains("not even without a KV cache"));
}

#[test]
fn table_headers_do_not_name_a_unit_the_cells_may_not_use() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    let out = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // 4096 tokens × 128 KiB = 512 MiB: the cell is in MiB, so a header "KV cache GiB" misread it by 1024×.
    let row = text.lines().find(|l| l.contains("4,096 ┆")).unwrap();
    assert!(row.contains("512.00 MiB"), "{row}");
    for header in text
        .lines()
        .filter(|l| l.contains("precision ┆") || l.contains("context ┆"))
    {
        assert!(
            !header.contains("GiB") && !header.contains(" GB "),
            "{header}"
        );
    }
}

#[test]
fn a_context_beyond_the_models_maximum_is_pointed_out() {
    let dir = tempfile::tempdir().unwrap();
    // max_position_embeddings 8192 (config.json written by the helper).
    sparse_llama3_8b(dir.path());
    let run = |context: &str| {
        let out = paramscope()
            .arg("footprint")
            .arg(dir.path())
            .args(["--context", context, "--fits", "80GiB"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run("200000");
    assert!(
        text.contains("note: 200,000 tokens is beyond the model's maximum context of 8,192 tokens"),
        "{text}"
    );
    assert!(!run("8192").contains("beyond the model's maximum"));
}

#[test]
fn fits_answers_with_the_longest_context_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    sparse_llama3_8b(dir.path());
    // Llama-3.1-8B's 131,072 positions: the longest context that fits is the budget's, not the model's limit.
    let llama31 = LLAMA3_8B_CONFIG.replace(
        r#""max_position_embeddings": 8192"#,
        r#""max_position_embeddings": 131072"#,
    );
    std::fs::write(dir.path().join("config.json"), llama31).unwrap();
    let budget: u64 = 24 << 30;
    let r = footprint_json(dir.path(), &["--fits", "24GiB"]);
    let f = &r["fits"];
    assert_eq!(f["budget_bytes"], budget);
    assert_eq!(f["fits"], true);
    // By hand: weights W = 16,060,522,496 bytes, 131,072 KV bytes per token, 10% overhead (integer division):
    // the longest context c has (W + 131072·c)·1.1 ≤ 24 GiB.
    let weights = 16_060_522_496u64;
    let total = |c: u64| {
        let x = weights + 131_072 * c;
        x + x * 10 / 100
    };
    let mut c = ((budget as f64 / 1.1 - weights as f64) / 131_072.0) as u64 + 2;
    while total(c) > budget {
        c -= 1;
    }
    assert!(c < 131_072);
    assert_eq!(f["max_context"], c);
    assert_eq!(f["context_limit"], 131_072);
    let out = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .args(["--fits", "16GB"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "does not fit: exit 1");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("does NOT fit"), "{text}");
    let bad = paramscope()
        .arg("footprint")
        .arg(dir.path())
        .args(["--fits", "16G"])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "ambiguous unit is a usage error"
    );
}

/// An AWQ (GEMM) layout: `qweight` I32 [in, out/8], `qzeros` I32 [in/group, out/8], `scales` F16 [in/group, out].
#[test]
fn awq_packed_weights_count_at_their_real_size_and_recast_by_logical_elements() {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out, group) = (256u64, 128u64, 128u64);
    SafetensorsWriter::new()
        .tensor("model.embed_tokens.weight", DType::BF16, &[64, inp])
        .tensor(
            "model.layers.0.mlp.up_proj.qweight",
            DType::I32,
            &[inp, out / 8],
        )
        .tensor(
            "model.layers.0.mlp.up_proj.qzeros",
            DType::I32,
            &[inp / group, out / 8],
        )
        .tensor(
            "model.layers.0.mlp.up_proj.scales",
            DType::F16,
            &[inp / group, out],
        )
        .tensor("model.norm.weight", DType::BF16, &[inp])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}}"#,
    )
    .unwrap();
    let r = footprint_json(dir.path(), &[]);
    let w = &r["weights"];
    // Stored: qweight 256·16·4, qzeros 2·16·4 + scales 2·128·2, embeddings 64·256·2 + norm 256·2.
    assert_eq!(w["quant_packed_bytes"], 16_384);
    assert_eq!(w["quant_aux_bytes"], 128 + 512);
    assert_eq!(w["weight_bytes"], 32_768 + 512);
    assert_eq!(w["stored_bytes"], 16_384 + 640 + 33_280);
    // Logical: the dense 256×128 matrix (8 int4 per I32), 64×256 embeddings, 256 norm.
    assert_eq!(w["logical_parameters"], 32_768 + 16_384 + 256);
    assert_eq!(
        precision(&r, "F16/BF16")["bytes"],
        2 * (32_768 + 16_384 + 256)
    );
    // INT8: one byte per 2-D weight plus an F16 scale per output row (128 for the dense matrix, from `scales`;
    // 64 for the embeddings), the 1-D norm at 2 bytes.
    assert_eq!(precision(&r, "INT8")["scale_bytes"], 2 * (128 + 64));
    assert_eq!(
        precision(&r, "INT8")["bytes"],
        32_768 + 16_384 + 2 * 192 + 512
    );
    // INT4 in groups of 128: half a byte per weight, 256 + 128 groups of F16 scales.
    assert_eq!(
        precision(&r, "INT4")["bytes"],
        16_384 + 8_192 + 2 * (256 + 128) + 512
    );
}

/// DeepSeek-V3-style FP8: F8_E4M3 weights with an F32 `weight_scale_inv` per 128×128 block.
#[test]
fn fp8_weights_with_block_scales() {
    let dir = tempfile::tempdir().unwrap();
    SafetensorsWriter::new()
        .tensor(
            "model.layers.0.mlp.down_proj.weight",
            DType::F8_E4M3,
            &[256, 256],
        )
        .tensor(
            "model.layers.0.mlp.down_proj.weight_scale_inv",
            DType::F32,
            &[2, 2],
        )
        .tensor("model.norm.weight", DType::BF16, &[256])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    let r = footprint_json(dir.path(), &[]);
    let w = &r["weights"];
    assert_eq!(w["stored_bytes"], 65_536 + 16 + 512);
    assert_eq!(w["quant_aux_bytes"], 16);
    assert_eq!(w["weight_bytes"], 65_536 + 512);
    assert_eq!(w["logical_parameters"], 65_536 + 256);
    // Re-cast to F8, the stored scales are dropped (a new scheme brings its own), the norm stays 16-bit.
    assert_eq!(precision(&r, "F8")["bytes"], 65_536 + 512);
    assert_eq!(precision(&r, "F16/BF16")["bytes"], 2 * (65_536 + 256));
    assert_eq!(precision(&r, "F32")["bytes"], 4 * (65_536 + 256));
}

#[test]
fn sharded_checkpoint_lists_each_shard_on_disk() {
    let out = paramscope()
        .args(["footprint", "fixtures/sharded"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Files"), "{text}");
    for n in 1..=3 {
        let name = format!("model-0000{n}-of-00003.safetensors");
        let bytes = std::fs::read(Path::new("fixtures/sharded").join(&name)).unwrap();
        // Header and padding: the 8-byte length plus the JSON header it announces; the rest is tensor data.
        let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap());
        let size = bytes.len() as u64;
        let row = text
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        let cells: Vec<&str> = row.split('┆').map(|c| c.trim_matches(['│', ' '])).collect();
        assert_eq!(
            cells[1..],
            [
                paramscope::model::units::bytes(size),
                paramscope::model::units::bytes(size - header),
                paramscope::model::units::bytes(header)
            ],
            "{row}"
        );
    }
}

/// gpt-oss stacks its experts: MXFP4 `*_blocks` U8 [E, out, blocks, 16] with `*_scales` U8 [E, out, blocks],
/// biases [E, out]; transformers' fused experts are dense [E, out, in].
#[test]
fn stacked_experts_have_a_scale_row_per_expert_row_and_biases_stay_16_bit() {
    let dir = tempfile::tempdir().unwrap();
    SafetensorsWriter::new()
        .tensor(
            "model.layers.0.mlp.experts.down_proj_blocks",
            DType::U8,
            &[2, 64, 4, 16],
        )
        .tensor(
            "model.layers.0.mlp.experts.down_proj_scales",
            DType::U8,
            &[2, 64, 4],
        )
        .tensor(
            "model.layers.0.mlp.experts.down_proj_bias",
            DType::BF16,
            &[2, 64],
        )
        .tensor(
            "model.layers.1.mlp.experts.gate_up_proj",
            DType::BF16,
            &[2, 128, 64],
        )
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    let r = footprint_json(dir.path(), &[]);
    // Weights: the blocks hold 2·64·4·16 bytes of two 4-bit weights each = 16,384; the dense experts 2·128·64 =
    // 16,384; the bias 128, kept at 2 bytes. Output rows: 2 × 64 for the blocks, 2 × 128 for the dense experts.
    let (blocks, dense, bias) = (16_384u64, 16_384u64, 128u64);
    assert_eq!(r["weights"]["logical_parameters"], blocks + dense + bias);
    let int8 = precision(&r, "INT8");
    assert_eq!(int8["scale_bytes"], 2 * (128 + 256));
    assert_eq!(int8["bytes"], blocks + dense + 2 * bias + 2 * (128 + 256));
    // INT4: half a byte per weight and one F16 scale per 128 weights of each matrix.
    let int4 = precision(&r, "INT4");
    assert_eq!(
        int4["bytes"],
        blocks / 2 + dense / 2 + 2 * bias + 2 * (blocks / 128 + dense / 128)
    );
}

#[test]
fn zero_context_batch_or_group_size_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    SafetensorsWriter::new()
        .tensor("w", DType::F32, &[4, 4])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    for option in ["--context", "--batch", "--group-size"] {
        let out = paramscope()
            .args(["footprint", dir.path().to_str().unwrap(), option, "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{option}");
        assert!(out.stdout.is_empty(), "{option}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(&format!(
                "error: invalid value '0' for '{option} <{}>': {}\n",
                if option == "--batch" { "B" } else { "N" },
                if option == "--context" {
                    "a context is at least 1 token"
                } else {
                    "must be at least 1"
                }
            )),
            "{err}"
        );
        assert!(
            err.ends_with("For more information, try '--help'.\n"),
            "{err}"
        );
    }
}

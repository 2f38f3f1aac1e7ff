//! `footprint --fits` on several devices and per precision, the KV-cache dtypes people use, the architecture
//! given by `--config` or flags for a folder without config.json, and KV-by-context rows that stop at the model's
//! maximum. Figures derived by hand from Llama-3-70B's shapes (meta-llama/Meta-Llama-3-70B's config.json: 80
//! layers, hidden 8192, 64 query / 8 KV heads of 128, 8,192 positions).

use crate::common::{footprint_json, paramscope};
use paramscope::format::synth::{moe, write_sharded, LlamaShape};
use paramscope::model::dtype::DType;
use serde_json::{json, Value};
use std::path::Path;

const LLAMA3_70B_CONFIG: &str = r#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 8192, "intermediate_size": 28672, "num_attention_heads": 64, "num_hidden_layers": 80,
  "num_key_value_heads": 8, "max_position_embeddings": 8192, "vocab_size": 128256, "torch_dtype": "bfloat16"}"#;

/// Llama-3-70B's BF16 weights: 70,553,706,496 parameters × 2 bytes.
const WEIGHTS: u64 = 141_107_412_992;
/// Its KV cache per token in F16: 80 layers × (K and V) × 8 heads × 128 dims × 2 bytes.
const KV_PER_TOKEN: u64 = 80 * 2 * 8 * 128 * 2;

/// The shards as a partial download leaves them: index and weights, no config.json. Returns the config's path
/// (outside the folder).
fn llama3_70b_without_config(dir: &Path) -> std::path::PathBuf {
    let shards = LlamaShape::LLAMA3_70B.shards(DType::BF16, 5_000_000_000);
    let model = dir.join("model");
    std::fs::create_dir(&model).unwrap();
    write_sharded(&model, "model", &shards, serde_json::Map::new()).unwrap();
    let config = dir.join("llama3-70b-config.json");
    std::fs::write(&config, LLAMA3_70B_CONFIG).unwrap();
    config
}

fn run(path: &Path, args: &[&str]) -> (i32, Value) {
    let out = paramscope()
        .arg("footprint")
        .arg(path)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn row<'a>(fits: &'a Value, name: &str) -> &'a Value {
    fits["precisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} row"))
}

#[test]
fn llama3_70b_on_two_80gb_gpus_tensor_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let (code, r) = run(
        &model,
        &["--config", config.to_str().unwrap(), "--fits", "2x80GB"],
    );
    assert_eq!(code, 0);
    let f = &r["fits"];
    assert_eq!(f["budget"], "2x80GB", "the budget as typed");
    assert_eq!(f["devices"], json!([80_000_000_000u64, 80_000_000_000u64]));
    assert_eq!(f["budget_bytes"], 160_000_000_000u64);
    assert_eq!(f["split"]["kind"], "tensor_parallel");
    assert_eq!(f["split"]["kv_heads_per_device"], 4);
    assert_eq!(f["split"]["device_overhead_bytes"], 1u64 << 30);
    // By hand, each GPU: half the weights, 4 of the 8 KV heads at 4,096 tokens, 10% on that, 1 GiB fixed.
    let share = WEIGHTS / 2 + KV_PER_TOKEN * 4096 / 2;
    let per_device = share + share / 10 + (1 << 30);
    assert_eq!(per_device, 79_421_016_473);
    assert_eq!(f["needed_per_device_bytes"], per_device);
    assert_eq!(f["needed_bytes"], 2 * per_device);
    assert_eq!(f["fits"], true);
    // The longest context: the largest c with (WEIGHTS/2 + c · KV_PER_TOKEN/2) · 1.1 + 1 GiB ≤ 80 GB.
    let c = f["max_context"].as_u64().unwrap();
    let need = |c: u64| {
        let s = WEIGHTS / 2 + c * KV_PER_TOKEN / 2;
        s + s / 10 + (1 << 30)
    };
    assert!(
        need(c) <= 80_000_000_000 && need(c + 1) > 80_000_000_000,
        "{c}"
    );
    assert_eq!(row(f, "as stored")["max_context"], c);
    // The split is said in the table.
    let out = paramscope()
        .arg("footprint")
        .arg(&model)
        .args(["--config", config.to_str().unwrap(), "--fits", "2x80GB"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fits in 2x80GB (2 devices"), "{text}");
    assert!(
        text.contains("split assumed: tensor-parallel over 2 devices: 1/2 of the weights and 4 of the 8 KV heads each"),
        "{text}"
    );
}

#[test]
fn llama3_70b_does_not_fit_one_80gib_gpu_at_bf16_but_int4_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let (code, r) = run(
        &model,
        &["--config", config.to_str().unwrap(), "--fits", "80GiB"],
    );
    assert_eq!(code, 1, "the stored BF16 weights alone are 131 GiB");
    let f = &r["fits"];
    assert!(
        f["split"].is_null(),
        "one budget: no split, no per-device overhead"
    );
    let kv = KV_PER_TOKEN * 4096;
    let bf16 = (WEIGHTS + kv) + (WEIGHTS + kv) / 10;
    assert_eq!(f["needed_bytes"], bf16);
    assert_eq!(row(f, "F16/BF16")["needed_bytes"], bf16);
    assert_eq!(row(f, "F16/BF16")["fits"], false);
    assert_eq!(row(f, "F16/BF16")["max_context"], 0);
    // INT4 by hand: every 2-D weight at 4 bits plus an F16 scale per 128 weights; the 80 × 2 + 1 norms of 8192
    // stay 16-bit. 70,553,706,496 parameters, of which 1,318,912 in norms.
    let norms = 161 * 8192u64;
    let matrices = 70_553_706_496 - norms;
    let int4 = matrices / 2 + 2 * matrices / 128 + 2 * norms;
    assert_eq!(int4, 36_381_212_672, "the issue's ~34 GiB");
    let i4 = row(f, "INT4");
    assert_eq!(i4["weights_bytes"], int4);
    assert_eq!(i4["needed_bytes"], (int4 + kv) + (int4 + kv) / 10);
    assert_eq!(i4["fits"], true);
    // Up to the model's 8,192 positions: (36.4 GB + 2.7 GB KV) × 1.1 is well inside 80 GiB.
    assert_eq!(i4["max_context"], 8192);
    assert_eq!(row(f, "F8")["fits"], true);
    assert_eq!(row(f, "F32")["fits"], false);
    // The smallest budget each precision needs is its `needed_bytes`: INT4 fits in exactly that, not a byte less.
    let exact = i4["needed_bytes"].as_u64().unwrap();
    let (code, r) = run(
        &model,
        &[
            "--config",
            config.to_str().unwrap(),
            "--fits",
            &format!("{exact}B"),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(row(&r["fits"], "INT4")["fits"], true);
    let (_, r) = run(
        &model,
        &[
            "--config",
            config.to_str().unwrap(),
            "--fits",
            &format!("{}B", exact - 1),
        ],
    );
    assert_eq!(row(&r["fits"], "INT4")["fits"], false);
    // In the table: a row per precision.
    let out = paramscope()
        .arg("footprint")
        .arg(&model)
        .args(["--config", config.to_str().unwrap(), "--fits", "80GiB"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Fits in 80GiB by precision"), "{text}");
    assert!(text.contains("does NOT fit in 80GiB (80.00 GiB): needs 145.93 GiB; not even without a KV cache; fits at F8, INT8, INT4"), "{text}");
    assert!(text.contains("8,192 (the maximum)"), "{text}");
}

#[test]
fn flags_give_the_architecture_of_a_folder_without_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let r = footprint_json(&model, &[]);
    let why = r["architecture_unknown"].as_str().unwrap();
    assert!(
        why.contains("--config FILE or --layers/--kv-heads/--head-dim"),
        "{why}"
    );
    let from_config = footprint_json(&model, &["--config", config.to_str().unwrap()]);
    let from_flags = footprint_json(
        &model,
        &[
            "--layers",
            "80",
            "--kv-heads",
            "8",
            "--head-dim",
            "128",
            "--max-context",
            "8192",
        ],
    );
    for r in [&from_config, &from_flags] {
        assert_eq!(r["inference"]["kv_bytes_per_token"], KV_PER_TOKEN);
        assert_eq!(r["inference"]["kv_cache_bytes"], KV_PER_TOKEN * 4096);
        assert_eq!(r["inference"]["attention"]["max_context"], 8192);
    }
    assert_eq!(
        from_flags["inference"]["attention"]["fields_used"],
        json!(["--layers", "--kv-heads", "--head-dim"])
    );
    // A flag alone is a usage error; a --config that is not JSON names the file.
    let out = paramscope()
        .arg("footprint")
        .arg(&model)
        .args(["--layers", "80"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let out = paramscope()
        .arg("footprint")
        .arg(&model)
        .args(["--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.json") && err.contains("not valid JSON"),
        "{err}"
    );
}

#[test]
fn device_lists_and_their_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let cfg = config.to_str().unwrap();
    let (code, r) = run(&model, &["--config", cfg, "--fits", "8×80GiB"]);
    assert_eq!(code, 0);
    assert_eq!(r["fits"]["devices"].as_array().unwrap().len(), 8);
    assert_eq!(r["fits"]["split"]["kv_heads_per_device"], 1);
    let share = WEIGHTS / 8 + KV_PER_TOKEN * 4096 / 8;
    assert_eq!(
        r["fits"]["needed_per_device_bytes"],
        share + share / 10 + (1 << 30)
    );
    // Two 24 GiB cards with no fixed overhead: 65.7 GB of BF16 each does not fit; INT4 (18.2 GB each) does.
    let (code, r) = run(
        &model,
        &[
            "--config",
            cfg,
            "--fits",
            "24GiB,24GiB",
            "--device-overhead",
            "0B",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(r["fits"]["split"]["device_overhead_bytes"], 0);
    assert_eq!(row(&r["fits"], "INT4")["fits"], true);
    let out = paramscope()
        .arg("footprint")
        .arg(&model)
        .args(["--config", cfg, "--fits", "2x80G"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2x80G"), "{err}");
    // More devices than KV heads: each caches one head (replicated), not a fraction.
    let (_, r) = run(&model, &["--config", cfg, "--fits", "16x80GB"]);
    let share = WEIGHTS / 16 + KV_PER_TOKEN * 4096 / 8;
    assert_eq!(r["fits"]["split"]["kv_heads_per_device"], 1);
    assert_eq!(
        r["fits"]["needed_per_device_bytes"],
        share + share / 10 + (1 << 30)
    );
}

#[test]
fn kv_cache_dtypes_people_use() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let elements = KV_PER_TOKEN / 2 * 4096;
    // One byte per element for the FP8s and INT8; llama.cpp's q8_0 stores 32 elements in 34 bytes, q4_0 in 18.
    for (dtype, bytes, bits) in [
        ("f16", 2 * elements, 16.0),
        ("bf16", 2 * elements, 16.0),
        ("fp8-e4m3", elements, 8.0),
        ("fp8-e5m2", elements, 8.0),
        ("int8", elements, 8.0),
        ("q8_0", elements / 32 * 34, 8.5),
        ("q4_0", elements / 32 * 18, 4.5),
    ] {
        let r = footprint_json(
            &model,
            &["--config", config.to_str().unwrap(), "--kv-dtype", dtype],
        );
        let inf = &r["inference"];
        assert_eq!(inf["kv_cache_bytes"], bytes, "{dtype}");
        assert_eq!(inf["kv_dtype"], dtype);
        assert_eq!(inf["kv_bits_per_element"], bits);
    }
}

#[test]
fn kv_rows_stop_at_and_include_the_maximum_context() {
    let dir = tempfile::tempdir().unwrap();
    let config = llama3_70b_without_config(dir.path());
    let model = dir.path().join("model");
    let contexts = |r: &Value| -> Vec<u64> {
        r["inference"]["kv_by_context"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[0].as_u64().unwrap())
            .collect()
    };
    let r = footprint_json(&model, &["--config", config.to_str().unwrap()]);
    assert_eq!(contexts(&r), [4096, 8192]);
    // Qwen3-30B-A3B: 40,960 positions, between the 32k and 128k rows.
    let qwen = tempfile::tempdir().unwrap();
    let (w, c) = moe::qwen3_30b_a3b();
    w.write(&qwen.path().join("model.safetensors")).unwrap();
    std::fs::write(qwen.path().join("config.json"), c.to_string()).unwrap();
    assert_eq!(
        contexts(&footprint_json(qwen.path(), &[])),
        [4096, 8192, 32768, 40960]
    );
    // tiny-quantized.gguf's context_length is 2,048: the default context shrinks to it, without a note.
    let r = footprint_json(Path::new("fixtures/gguf/tiny-quantized.gguf"), &[]);
    assert_eq!(r["inference"]["context"], 2048);
    assert_eq!(contexts(&r), [2048]);
    let out = paramscope()
        .args(["footprint", "fixtures/gguf/tiny-quantized.gguf"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("beyond the model's maximum"), "{text}");
    // Asked for explicitly, a longer context is computed and flagged.
    let out = paramscope()
        .args([
            "footprint",
            "fixtures/gguf/tiny-quantized.gguf",
            "--context",
            "4096",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("4,096 tokens is beyond the model's maximum context of 2,048"),
        "{text}"
    );
}

#[test]
fn latent_attention_is_cached_whole_on_every_device() {
    let dir = tempfile::tempdir().unwrap();
    let s = paramscope::format::synth::models::DeepSeekShape {
        layers: 3,
        ..paramscope::format::synth::moe::DEEPSEEK_TINY
    };
    let (w, c) = moe::deepseek_v3(&s, 2, 0);
    w.write(&dir.path().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("config.json"), c.to_string()).unwrap();
    let (_, r) = run(dir.path(), &["--fits", "2x1GB", "--device-overhead", "0B"]);
    let f = &r["fits"];
    assert!(f["split"]["kv_heads_per_device"].is_null());
    // 3 layers × (kv_lora_rank 128 + qk_rope 64) elements × 2 bytes × 4,096 tokens, whole on each device.
    let kv = 3 * 192 * 2 * 4096u64;
    let stored = r["weights"]["stored_bytes"].as_u64().unwrap();
    let share = stored.div_ceil(2) + kv;
    assert_eq!(f["needed_per_device_bytes"], share + share / 10);
}

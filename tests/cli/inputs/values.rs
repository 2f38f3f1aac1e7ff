//! Dtypes in any case and in PyTorch's spellings, and one quantity parser per kind of flag.

use crate::common::{self, footprint_json, paramscope};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use tempfile::TempDir;

/// A BF16 [64, 32] weight and an F32 [32] norm: 2,080 parameters.
fn small() -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new()
        .tensor("model.layers.0.mlp.up_proj.weight", DType::BF16, &[64, 32])
        .tensor("model.norm.weight", DType::F32, &[32]);
    let p = common::write(dir.path(), "model.safetensors", &w);
    // A Llama-shaped attention for the KV cache: 2 layers × 2 KV heads × 8 dims, K and V, so 64 elements a token.
    crate::common::shapes::write_config(
        dir.path(),
        serde_json::json!({"model_type": "llama", "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "hidden_size": 32, "head_dim": 8, "max_position_embeddings": 131072}),
    );
    (dir, p)
}

/// KV elements per token of [`small`].
const KV_PER_TOKEN: u64 = 2 * 2 * 2 * 8;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = paramscope().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn dtypes_are_taken_in_any_case_and_in_pytorchs_spellings_everywhere() {
    let (_dir, p) = small();
    for allowed in [
        "bfloat16,float32",
        "torch.bfloat16,torch.float32",
        "BF16,f32",
        "Bf16,FLOAT32",
    ] {
        let (code, out, err) = run(&["check", &p, "--dtype", allowed]);
        assert_eq!(code, 0, "{allowed}: {out}{err}");
        assert!(
            out.contains("PASS dtype: BF16 (1 tensor), F32 (1 tensor) all allowed (BF16, F32)"),
            "{out}"
        );
    }
    let (code, _, err) = run(&["check", &p, "--dtype", "bfloat"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown dtype 'bfloat'") && err.contains("bfloat16"),
        "{err}"
    );

    // The rules file takes the same spellings.
    let dir = TempDir::new().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "dtype = [\"torch.bfloat16\", \"float32\"]\n").unwrap();
    let (code, out, _) = run(&["check", &p, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    // --kv-dtype: BF16 was refused ("a similar value exists: 'f16'"); every spelling is taken.
    let path = std::path::Path::new(&p);
    for (spelling, bits) in [
        ("BF16", 16),
        ("bfloat16", 16),
        ("torch.float16", 16),
        ("F32", 32),
        ("fp8", 8),
    ] {
        let r = footprint_json(path, &["--kv-dtype", spelling, "--context", "1000"]);
        assert_eq!(r["inference"]["kv_bits"], bits, "{spelling}");
        assert_eq!(
            r["inference"]["kv_cache_bytes"],
            KV_PER_TOKEN * bits / 8 * 1000,
            "{spelling}"
        );
    }
    // int8 is a KV-cache type (TensorRT-LLM's INT8 cache); uint8 is a dtype but no cache type.
    let r = footprint_json(path, &["--kv-dtype", "INT8", "--context", "1000"]);
    assert_eq!(r["inference"]["kv_bits"], 8);
    let (code, _, err) = run(&["footprint", &p, "--kv-dtype", "uint8"]);
    assert_eq!(code, 2);
    assert!(err.contains("U8 is not a KV-cache type"), "{err}");
}

#[test]
fn contexts_take_k_as_model_cards_mean_it() {
    let (_dir, p) = small();
    let path = std::path::Path::new(&p);
    for (written, tokens) in [
        ("32k", 32_768u64),
        ("8K", 8192),
        ("128K", 131_072),
        ("4096", 4096),
    ] {
        let r = footprint_json(path, &["--context", written]);
        assert_eq!(r["inference"]["context"], tokens, "{written}");
        assert_eq!(
            r["inference"]["kv_cache_bytes"],
            KV_PER_TOKEN * 2 * tokens,
            "{written}"
        );
    }
    let (code, _, err) = run(&["footprint", &p, "--context", "32 tokens"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown unit 'tokens'"), "{err}");
}

#[test]
fn a_byte_budget_needs_its_unit_and_a_quoted_space_is_accepted() {
    let (_dir, p) = small();
    // `--fits 24` became 24 bytes without a word; `--max-bytes 16 GiB` unquoted made the limit 16 bytes.
    let (code, out, err) = run(&["footprint", &p, "--fits", "24"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("24 what? A byte size needs its unit: write 24GiB or 24GB, or 24B"),
        "{err}"
    );
    let (code, _, err) = run(&["check", &p, "--max-bytes", "16", "GiB"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("16 what?") && err.contains("'16 GiB'"),
        "{err}"
    );
    let (code, out, _) = run(&["check", &p, "--max-bytes", "16 GiB"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("<= 16 GiB"), "{out}");
    // Data bytes: 64·32·2 + 32·4 = 4,224; an exact count of bytes is written with B.
    let (code, out, _) = run(&["check", &p, "--max-bytes", "4223B"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL max-bytes: 4.22 KB (4,224 bytes) > 4,223B"),
        "{out}"
    );
    // `--max-params 8.1 B` unquoted reached the parser as `8.1`: "not a whole number" now says what to write.
    let (code, _, err) = run(&["check", &p, "--max-params", "8.1", "B"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("8.1 is not a whole number; write 8.1B for billions"),
        "{err}"
    );
    let (code, out, _) = run(&["check", &p, "--max-params", "2.08 K"]);
    assert_eq!(code, 0, "{out}");
}

//! The counts people gate on: the logical count of a 4-bit checkpoint in check's rules and inspect's first
//! lines; norms named `norm1`, `norm2`, `decoder_norms.0`; a dtype rule summarised by dtype.

use crate::common::{self, check, inspect_json, paramscope};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use tempfile::TempDir;

/// A GPTQ-packed projection, in 128 and out 64, group 128: `qweight` I32 [16, 64] packs 8 4-bit weights an
/// element, so 8,192 weights; `qzeros` I32 [1, 8], `scales` F16 [1, 64] and `g_idx` I32 [128] are auxiliaries.
fn gptq() -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let w = SafetensorsWriter::new()
        .tensor("model.layers.0.mlp.up_proj.qweight", DType::I32, &[16, 64])
        .tensor("model.layers.0.mlp.up_proj.qzeros", DType::I32, &[1, 8])
        .tensor("model.layers.0.mlp.up_proj.scales", DType::F16, &[1, 64])
        .tensor("model.layers.0.mlp.up_proj.g_idx", DType::I32, &[128]);
    let p = common::write(dir.path(), "model.safetensors", &w);
    (dir, p)
}

/// The Hub count, 1,224.
const HUB: u64 = 16 * 64 + 8 + 64 + 128;
const LOGICAL: u64 = 128 * 64;

#[test]
fn logical_rules_gate_a_4_bit_checkpoint_on_the_weights_it_stands_for() {
    let (_dir, p) = gptq();
    assert_eq!(inspect_json(&[&p])["logical_parameters"], LOGICAL);
    // `--min-params 7B` fails a 4-bit model on its Hub count; the logical rules judge what it stands for.
    let (code, out, _) = check(&[&p, "--min-params", "5K"]);
    assert_eq!(code, 1, "{out}");
    let (code, out, _) = check(&[
        &p,
        "--min-logical-params",
        "8K",
        "--max-logical-params",
        "8.2K",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS min-logical-params: 8.19K (8,192) >= 8K"),
        "{out}"
    );
    assert!(
        out.contains("PASS max-logical-params: 8.19K (8,192) <= 8.2K"),
        "{out}"
    );
    let (code, out, _) = check(&[&p, "--max-logical-params", "8191"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL max-logical-params: 8.19K (8,192) > 8,191"),
        "{out}"
    );
    let dir = TempDir::new().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "min-logical-params = \"9K\"\n").unwrap();
    let (code, out, _) = check(&[&p, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL min-logical-params: 8.19K (8,192) < 9K"),
        "{out}"
    );
    let (code, _, err) = check(&[
        &p,
        "--min-logical-params",
        "9K",
        "--max-logical-params",
        "8K",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--min-logical-params 9K is above --max-logical-params 8K"),
        "{err}"
    );
}

#[test]
fn inspect_shows_the_logical_count_beside_the_hub_count_when_they_differ() {
    let (_dir, p) = gptq();
    let out = paramscope().arg(&p).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(HUB, 1224);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("parameters") && l.contains("(1,224)"))
        .unwrap();
    assert!(
        lines[at + 1].contains("logical parameters") && lines[at + 1].contains("(8,192)"),
        "{text}"
    );
    assert_eq!(text.matches("logical parameters").count(), 1, "{text}");
}

#[test]
fn norms_with_a_number_or_a_plural_are_norms() {
    let dir = TempDir::new().unwrap();
    // Names as a real 85K-parameter time-series model (a PyPI wheel) has them.
    let w = SafetensorsWriter::new()
        .tensor("encoder.layers.0.norm1.weight", DType::F32, &[16])
        .tensor("encoder.layers.0.norm2.weight", DType::F32, &[16])
        .tensor("decoder_norms.0.weight", DType::F32, &[16])
        .tensor("decoder_norms.0.bias", DType::F32, &[16])
        .tensor("head.weight", DType::F32, &[16, 4]);
    let p = common::write(dir.path(), "model.safetensors", &w);
    let report = inspect_json(&[&p, "--tensors"]);
    for t in report["tensors"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let expected = if name.starts_with("head") {
            "other"
        } else {
            "norm"
        };
        assert_eq!(t["role"], expected, "{name}");
    }
}

#[test]
fn a_dtype_rule_counts_tensors_by_dtype_and_lists_them_with_verbose() {
    let dir = TempDir::new().unwrap();
    let mut w = SafetensorsWriter::new();
    for i in 0..50 {
        w = w.tensor(&format!("model.layers.{i}.mlp.weight"), DType::BF16, &[4]);
    }
    let p = common::write(dir.path(), "model.safetensors", &w);
    let (code, out, _) = check(&[&p, "--dtype", "f32"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().collect::<Vec<_>>()[1..3],
        [
            "FAIL dtype: BF16 (50 tensors) not allowed; allowed: F32",
            "    (--verbose lists the 50 tensors)"
        ],
        "{out}"
    );
    let (code, out, _) = check(&[&p, "--dtype", "f32", "--verbose"]);
    assert_eq!(code, 1);
    assert_eq!(out.matches(": BF16\n").count(), 50, "{out}");
    assert!(
        out.contains("    model.layers.49.mlp.weight: BF16\n"),
        "{out}"
    );
}

/// The same thing is the same word: footprint gains inspect's `format`, `layout` and `parameters`; stats gives
/// its `elements` as `parameters` too (the total and each dtype row).
#[test]
fn footprint_and_stats_name_the_count_as_inspect_does() {
    let (_dir, p) = gptq();
    let inspect = inspect_json(&[&p]);
    let footprint = common::footprint_json(std::path::Path::new(&p), &[]);
    for key in ["format", "layout", "parameters"] {
        assert_eq!(footprint[key], inspect[key], "{key}");
    }
    assert_eq!(footprint["parameters"], HUB);
    let stats = crate::common::stats_expect::stats_json(std::path::Path::new(&p), &[]);
    assert_eq!(stats["parameters"], HUB);
    assert_eq!(stats["elements"], HUB);
    for row in stats["dtypes"].as_array().unwrap() {
        assert_eq!(row["parameters"], row["elements"]);
    }
}

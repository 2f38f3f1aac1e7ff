//! `paramscope diff` on generated checkpoints.

mod gguf;
mod gguf_bias;
mod groups;
mod range;
mod speed;

use crate::common::{self, diff_json, diff_values_json as values_json, paramscope};
use paramscope::format::synth::{write_sharded, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::Path;

/// `diff A B --format json`, which must not fail on its input.
fn structure_json(a: &Path, b: &Path) -> (i32, Value) {
    let (code, r) = diff_json(a, b, &[]);
    assert!(code == 0 || code == 1, "{r}");
    (code, r)
}

fn base() -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor("model.embed.weight", DType::BF16, &[10, 4])
        .tensor("model.layers.0.w", DType::BF16, &[4, 4])
        .tensor("model.layers.1.w", DType::BF16, &[4, 4])
        .tensor("lm_head.weight", DType::BF16, &[10, 4])
}

#[test]
fn a_checkpoint_equals_itself_resharded() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single.safetensors");
    base().write(&single).unwrap();
    let sharded = dir.path().join("sharded");
    std::fs::create_dir(&sharded).unwrap();
    let all = base().tensors;
    let shards = vec![
        SafetensorsWriter {
            tensors: all[..1].to_vec(),
            metadata: vec![],
        },
        SafetensorsWriter {
            tensors: all[1..].to_vec(),
            metadata: vec![],
        },
    ];
    write_sharded(&sharded, "model", &shards, serde_json::Map::new()).unwrap();
    let (code, r) = structure_json(&single, &sharded);
    assert_eq!(code, 0);
    assert_eq!(r["structure_identical"], true);
    assert_eq!(r["matching"], 4);
    assert_eq!(r["parameters_delta"], 0);
}

#[test]
fn added_removed_and_reshaped_tensors_are_listed_with_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    base().write(&a).unwrap();
    SafetensorsWriter::new()
        .tensor("model.embed.weight", DType::BF16, &[12, 4]) // vocabulary grew by 2
        .tensor("model.layers.0.w", DType::F32, &[4, 4]) // up-cast
        .tensor("model.layers.1.w", DType::BF16, &[4, 4])
        .tensor("model.layers.2.w", DType::BF16, &[4, 4]) // new layer; lm_head removed (tied)
        .write(&b)
        .unwrap();
    let (code, r) = structure_json(&a, &b);
    assert_eq!(code, 1);
    assert_eq!(r["structure_identical"], false);
    // A: 40 + 16 + 16 + 40 = 112; B: 48 + 16 + 16 + 16 = 96.
    assert_eq!(r["a"]["parameters"], 112);
    assert_eq!(r["b"]["parameters"], 96);
    assert_eq!(r["parameters_delta"], -16);
    // Bytes: A 112·2 = 224; B 48·2 + 16·4 + 16·2 + 16·2 = 224.
    assert_eq!(r["tensor_bytes_delta"], 0);
    assert_eq!(r["only_in_a"][0]["name"], "lm_head.weight");
    assert_eq!(r["only_in_b"][0]["name"], "model.layers.2.w");
    let changed: Vec<&str> = r["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["model.embed.weight", "model.layers.0.w"]);
    assert_eq!(r["changed"][1]["b"]["dtype"], "F32");
    assert_eq!(r["matching"], 1);
    let text = paramscope().arg("diff").arg(&a).arg(&b).output().unwrap();
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("different: 1 only in A, 1 only in B, 2 changed, 1 matching"),
        "{text}"
    );
}

#[test]
fn a_removed_prefix_is_one_pattern_not_hundreds_of_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let mut wa = SafetensorsWriter::new();
    let mut wb = SafetensorsWriter::new();
    for l in 0..40 {
        wa = wa.tensor(&format!("model.layers.{l}.w"), DType::F16, &[8]);
        wb = wb.tensor(&format!("layers.{l}.w"), DType::F16, &[8]);
    }
    wa = wa.tensor("model.extra", DType::F16, &[3]);
    wa.write(&a).unwrap();
    wb.write(&b).unwrap();
    let (code, r) = structure_json(&a, &b);
    assert_eq!(code, 1);
    assert_eq!(
        r["prefix_changes"],
        serde_json::json!([{"from": "model.", "to": "", "tensors": 40}])
    );
    assert_eq!(r["matching"], 40);
    assert_eq!(r["only_in_a"].as_array().unwrap().len(), 1);
    assert_eq!(r["only_in_b"].as_array().unwrap().len(), 0);
}

#[test]
fn unusable_input_exits_2() {
    let out = paramscope()
        .args([
            "diff",
            "fixtures/tiny/model.safetensors",
            "fixtures/malformed/gap.safetensors",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("fixtures/malformed/gap.safetensors"));
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Round-to-nearest-even F32 → BF16 on the bit pattern, written here independently of the `half` crate.
fn bf16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let bias = 0x7FFF + ((bits >> 16) & 1);
    ((bits + bias) >> 16) as u16
}

#[test]
fn one_tensor_changed_by_a_known_amount_gives_the_exact_max_abs_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let mut rng = common::Lcg(3);
    let w: Vec<f32> = (0..3000).map(|_| rng.next_f32(1.0)).collect();
    let mut w2 = w.clone();
    w2[1234] += 0.5; // one element moves by exactly 0.5 (|w| < 1, so the sum is exact in f32)
    let other: Vec<f32> = (0..64).map(|i| i as f32).collect();
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[3000], f32_bytes(&w))
        .tensor_with_data("other", DType::F32, &[64], f32_bytes(&other))
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[3000], f32_bytes(&w2))
        .tensor_with_data("other", DType::F32, &[64], f32_bytes(&other))
        .write(&b)
        .unwrap();
    let (code, r) = values_json(&a, &b, &[]);
    assert_eq!(code, 1);
    let v = &r["values"];
    assert_eq!(v["differing_tensors"], 1);
    let t = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "w")
        .unwrap();
    let moved = (w2[1234] as f64 - w[1234] as f64).abs();
    assert_eq!(t["max_abs_diff"].as_f64().unwrap(), moved);
    assert_eq!(t["differing_elements"], 1);
    assert!((t["mean_abs_diff"].as_f64().unwrap() - moved / 3000.0).abs() < 1e-15);
    let norm: f64 = w
        .iter()
        .map(|&x| (x as f64) * (x as f64))
        .sum::<f64>()
        .sqrt();
    assert!((t["rel_l2"].as_f64().unwrap() - moved / norm).abs() < 1e-12);
    // Within a tolerance of 0.5 everything is equal, and the exit code says so.
    let (code, r) = values_json(&a, &b, &["--atol", "0.5"]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn a_bf16_cast_differs_from_its_f32_original_by_bf16_rounding_only() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("f32.safetensors"),
        dir.path().join("bf16.safetensors"),
    );
    let mut rng = common::Lcg(11);
    let w: Vec<f32> = (0..5000).map(|_| rng.next_f32(3.0)).collect();
    let cast: Vec<u16> = w.iter().map(|&x| bf16_bits(x)).collect();
    let back: Vec<f64> = cast
        .iter()
        .map(|&h| f32::from_bits((h as u32) << 16) as f64)
        .collect();
    let expected_max = w
        .iter()
        .zip(&back)
        .map(|(&x, &y)| (x as f64 - y).abs())
        .fold(0.0, f64::max);
    // BF16 keeps 8 significant bits: rounding moves a value by at most half a unit in the 8th bit, 2^-8 of it.
    for (&x, &y) in w.iter().zip(&back) {
        assert!((x as f64 - y).abs() <= (x as f64).abs() / 256.0);
    }
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[50, 100], f32_bytes(&w))
        .write(&a)
        .unwrap();
    let bytes: Vec<u8> = cast.iter().flat_map(|h| h.to_le_bytes()).collect();
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::BF16, &[50, 100], bytes)
        .write(&b)
        .unwrap();
    let (code, r) = values_json(&a, &b, &[]);
    assert_eq!(code, 1, "rounding makes values differ at zero tolerance");
    assert_eq!(r["changed"][0]["b"]["dtype"], "BF16");
    let t = &r["values"]["tensors"][0];
    assert_eq!(t["max_abs_diff"].as_f64().unwrap(), expected_max);
    assert!(t["cosine"].as_f64().unwrap() > 0.99999);
    assert!(t["rel_l2"].as_f64().unwrap() < 1.0 / 256.0);
    // rtol of 2^-8 covers BF16 rounding everywhere: no element lies outside it.
    let (code, r) = values_json(&a, &b, &["--rtol", "0.00390625"]);
    assert_eq!(r["values"]["differing_tensors"], 0);
    assert_eq!(
        code, 0,
        "a dtype change whose values agree within the tolerance is not a difference"
    );
    // Without --values the dtype change alone is a difference.
    let out = paramscope().arg("diff").arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn identical_stops_at_the_first_differing_byte_and_renames_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
        dir.path().join("c.safetensors"),
    );
    let data: Vec<u8> = (0..64u8).collect();
    SafetensorsWriter::new()
        .tensor_with_data("x", DType::U8, &[64], data.clone())
        .tensor_with_data("y", DType::U8, &[8], vec![1; 8])
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor_with_data("x", DType::U8, &[64], data.clone())
        .tensor_with_data("y", DType::U8, &[8], vec![1; 8])
        .write(&b)
        .unwrap();
    let same = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--identical")
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8(same.stdout)
        .unwrap()
        .contains("identical: every tensor is bit-for-bit equal"));
    let mut changed = data.clone();
    changed[40] ^= 1;
    SafetensorsWriter::new()
        .tensor_with_data("renamed_x", DType::U8, &[64], data)
        .tensor_with_data("y", DType::U8, &[8], vec![1; 8])
        .write(&c)
        .unwrap();
    SafetensorsWriter::new()
        .tensor_with_data("x", DType::U8, &[64], changed)
        .tensor_with_data("y", DType::U8, &[8], vec![1; 8])
        .write(&b)
        .unwrap();
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--identical", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["identical"]["identical"], false);
    assert_eq!(r["identical"]["first_difference"]["name"], "x");
    assert_eq!(r["identical"]["first_difference"]["byte"], 40);
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&c)
        .args(["--renames", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["renames"],
        serde_json::json!([{"from": "x", "to": "renamed_x"}])
    );
    assert_eq!(r["only_in_a"].as_array().unwrap().len(), 0);
    assert_eq!(r["only_in_b"].as_array().unwrap().len(), 0);
}

#[test]
fn group_by_gives_deltas_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    base().write(&a).unwrap();
    SafetensorsWriter::new()
        .tensor("model.embed.weight", DType::BF16, &[12, 4])
        .tensor("model.layers.0.w", DType::BF16, &[4, 4])
        .tensor("model.layers.1.w", DType::BF16, &[4, 4])
        .tensor("model.layers.2.w", DType::BF16, &[4, 4])
        .write(&b)
        .unwrap();
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--group-by", "depth:2", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // By hand: embed 40 → 48 (×2 bytes), layers 2·16 → 3·16, lm_head 40 → gone; all dense, so logical = stored.
    assert_eq!(
        r["groups"],
        serde_json::json!([
            {"name": "model.embed", "a_parameters": 40, "b_parameters": 48,
             "a_logical_parameters": 40, "b_logical_parameters": 48, "a_bytes": 80, "b_bytes": 96},
            {"name": "model.layers", "a_parameters": 32, "b_parameters": 48,
             "a_logical_parameters": 32, "b_logical_parameters": 48, "a_bytes": 64, "b_bytes": 96},
            {"name": "lm_head.weight", "a_parameters": 40, "b_parameters": 0,
             "a_logical_parameters": 40, "b_logical_parameters": 0, "a_bytes": 80, "b_bytes": 0},
        ])
    );
}

#[test]
fn a_value_that_became_infinite_is_outside_every_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let inf = f32::INFINITY;
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[4], f32_bytes(&[1.0, 2.0, inf, -inf]))
        .write(&a)
        .unwrap();
    // Element 0 becomes +∞, element 3 flips to +∞; element 2 stays +∞ (equal).
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[4], f32_bytes(&[inf, 2.0, inf, inf]))
        .write(&b)
        .unwrap();
    for extra in [
        &[][..],
        &["--rtol", "0.1"],
        &["--atol", "1e30", "--rtol", "1"],
    ] {
        let (code, r) = values_json(&a, &b, extra);
        assert_eq!(code, 1, "{extra:?}: {r}");
        assert_eq!(r["values"]["differing_tensors"], 1, "{extra:?}");
        assert_eq!(
            r["values"]["tensors"][0]["differing_elements"], 2,
            "{extra:?}"
        );
    }
    let (code, r) = values_json(&a, &a, &[]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["values"]["tensors"][0]["differing_elements"], 0);
}

#[test]
fn integers_are_compared_exactly_even_beyond_f64_precision() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let i64s = |v: &[i64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let big = 1i64 << 53; // 2^53 + 1 is the first integer an f64 cannot hold
    SafetensorsWriter::new()
        .tensor_with_data("ids", DType::I64, &[3], i64s(&[big, -5, 7]))
        .tensor_with_data("u", DType::U64, &[1], u64::MAX.to_le_bytes().to_vec())
        .tensor_with_data("small", DType::I8, &[2], vec![0x80, 3])
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor_with_data("ids", DType::I64, &[3], i64s(&[big + 1, -5, 7]))
        .tensor_with_data("u", DType::U64, &[1], (u64::MAX - 2).to_le_bytes().to_vec())
        .tensor_with_data(
            "small",
            DType::I16,
            &[2],
            [(-128i16).to_le_bytes(), 3i16.to_le_bytes()].concat(),
        )
        .write(&b)
        .unwrap();
    let (code, r) = values_json(&a, &b, &[]);
    assert_eq!(code, 1, "{r}");
    let t = |name: &str| {
        r["values"]["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(t("ids")["max_abs_diff"], 1.0);
    assert_eq!(t("ids")["differing_elements"], 1);
    assert_eq!(t("u")["max_abs_diff"], 2.0);
    assert_eq!(t("u")["differing_elements"], 1);
    // I8 -128 and 3 against the same values as I16: equal (sign extension).
    assert_eq!(t("small")["max_abs_diff"], 0.0);
    assert_eq!(t("small")["differing_elements"], 0);
    assert_eq!(r["values"]["differing_tensors"], 2);
    // Within 2 every value agrees, and an I8 → I16 cast with equal values is not a difference.
    let (code, r) = values_json(&a, &b, &["--atol", "2"]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn a_negative_or_nan_tolerance_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.safetensors");
    base().write(&a).unwrap();
    for bad in [["--atol=-1"], ["--rtol=nan"], ["--atol=x"]] {
        let out = paramscope()
            .arg("diff")
            .arg(&a)
            .arg(&a)
            .arg("--values")
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(&bad[0][..6]), "{bad:?}: {stderr}");
    }
    let (code, r) = values_json(&a, &a, &["--atol", "1e-3", "--rtol", "inf"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["values"]["atol"], 1e-3);
}

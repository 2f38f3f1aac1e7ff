//! `paramscope diff` on generated checkpoints.
mod common;

use common::paramscope;
use paramscope::dtype::DType;
use paramscope::synth::{write_sharded, SafetensorsWriter};
use serde_json::Value;
use std::path::Path;

fn diff_json(a: &Path, b: &Path) -> (i32, Value) {
    let out = paramscope()
        .arg("diff")
        .arg(a)
        .arg(b)
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
    let (code, r) = diff_json(&single, &sharded);
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
    let (code, r) = diff_json(&a, &b);
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
    let (code, r) = diff_json(&a, &b);
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

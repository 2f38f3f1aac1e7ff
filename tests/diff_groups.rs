//! `diff --group-by` when names changed by a prefix: the groups are joined through the pairs the diff formed.
mod common;

use common::paramscope;
use paramscope::dtype::DType;
use paramscope::synth::SafetensorsWriter;
use serde_json::{json, Value};

/// A with `model.` on its layers, B (the same tensors, saved by code that strips it) without: the diff reports
/// the prefix once and compares the tensors as pairs, so the groups must not show every layer removed and added.
#[test]
fn groups_follow_a_prefix_change() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    SafetensorsWriter::new()
        .tensor("model.embed.weight", DType::BF16, &[10, 4])
        .tensor("model.layers.0.w", DType::BF16, &[4, 4])
        .tensor("model.layers.1.w", DType::BF16, &[4, 4])
        .tensor("lm_head.weight", DType::BF16, &[10, 4])
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor("embed.weight", DType::BF16, &[10, 4])
        .tensor("layers.0.w", DType::BF16, &[4, 4])
        .tensor("layers.1.w", DType::F32, &[4, 4]) // one genuine change: up-cast
        .tensor("lm_head.weight", DType::BF16, &[10, 4])
        .write(&b)
        .unwrap();
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--group-by", "depth:2", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["prefix_changes"],
        json!([{"from": "model.", "to": "", "tensors": 3}])
    );
    let row = |name: &str, params: u64, a_bytes: u64, b_bytes: u64| {
        json!({"name": name, "a_parameters": params, "b_parameters": params,
               "a_logical_parameters": params, "b_logical_parameters": params,
               "a_bytes": a_bytes, "b_bytes": b_bytes})
    };
    // embed 10·4 = 40 BF16 (80 B); layers 2·16 = 32, B holding one layer as F32: 16·2 + 16·4 = 96 B.
    assert_eq!(
        r["groups"],
        json!([
            row("model.embed", 40, 80, 80),
            row("model.layers", 32, 64, 96),
            row("lm_head.weight", 40, 80, 80),
        ])
    );
}

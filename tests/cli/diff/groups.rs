//! `diff --group-by` when names changed by a prefix: the groups are joined through the pairs the diff formed.

use crate::common::{diff_json, paramscope};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::json;

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
    let (code, r) = diff_json(&a, &b, &["--group-by", "depth:2"]);
    assert_eq!(code, 1);
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

/// transformers 4.52 renamed LLaVA-style checkpoints' keys with several prefixes at once
/// (`language_model.model.` → `model.language_model.`, `vision_tower.` → `model.vision_tower.`,
/// `multi_modal_projector.` → `model.multi_modal_projector.`): each pattern is reported once and its tensors
/// compared as pairs, instead of only the largest pattern and the rest listed as removed and added.
#[test]
fn several_prefix_changes_at_once_are_each_found() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let old: Vec<String> = (0..6)
        .map(|i| format!("language_model.model.layers.{i}.w"))
        .chain((0..4).map(|i| format!("vision_tower.blocks.{i}.w")))
        .chain((0..2).map(|i| format!("multi_modal_projector.linear_{i}.weight")))
        .collect();
    let new = |n: &str| {
        n.replacen("language_model.model.", "model.language_model.", 1)
            .replacen("vision_tower.", "model.vision_tower.", 1)
            .replacen("multi_modal_projector.", "model.multi_modal_projector.", 1)
    };
    let (mut wa, mut wb) = (SafetensorsWriter::new(), SafetensorsWriter::new());
    for n in &old {
        wa = wa.tensor(n, DType::BF16, &[2, 2]);
        wb = wb.tensor(&new(n), DType::BF16, &[2, 2]);
    }
    wa.write(&a).unwrap();
    wb.write(&b).unwrap();
    let (code, r) = diff_json(&a, &b, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        r["prefix_changes"],
        json!([
            {"from": "language_model.model.", "to": "model.language_model.", "tensors": 6},
            // The vision tower and the projector: one pattern, `model.` added.
            {"from": "", "to": "model.", "tensors": 6},
        ])
    );
    assert_eq!(r["only_in_a"], json!([]));
    assert_eq!(r["only_in_b"], json!([]));
    assert_eq!(r["matching"], 12);
}

/// The verdict line names what differs when only names changed: a prefix and a rename (it read "different: 0 only
/// in A, 0 only in B, 0 changed, 1 matching").
#[test]
fn the_verdict_names_renames_and_prefix_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    SafetensorsWriter::new()
        .tensor("model.x", DType::BF16, &[2])
        .tensor("model.y", DType::BF16, &[3])
        .tensor_with_data("old", DType::U8, &[4], vec![1, 2, 3, 4])
        .write(&a)
        .unwrap();
    SafetensorsWriter::new()
        .tensor("x", DType::BF16, &[2])
        .tensor("y", DType::BF16, &[3])
        .tensor_with_data("new", DType::U8, &[4], vec![1, 2, 3, 4])
        .write(&b)
        .unwrap();
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--renames")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().last().unwrap(),
        "different: 0 only in A, 0 only in B, 0 changed, 1 renamed, 2 matching (2 of them under a changed prefix)"
    );
}

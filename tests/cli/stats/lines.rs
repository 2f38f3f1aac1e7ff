//! `stats --format jsonl`: one report per checkpoint and line, an unreadable one as `{"path", "errors"}`.

use crate::common::paramscope;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::Path;

fn f32_model(path: &Path, values: &[f32]) {
    let bytes = values.iter().flat_map(|x| x.to_le_bytes()).collect();
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::F32, &[values.len() as u64], bytes)
        .write(path)
        .unwrap();
}

/// Runs `stats ARGS --format jsonl --quiet`; returns the exit code and each stdout line parsed.
fn lines(args: &[&Path]) -> (i32, Vec<Value>) {
    let out = paramscope()
        .arg("stats")
        .args(args)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let parsed = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out.status.code().unwrap(), parsed)
}

#[test]
fn each_checkpoint_is_a_line_and_an_unreadable_one_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (a, broken, b, missing) = (
        dir.path().join("a.safetensors"),
        dir.path().join("broken.safetensors"),
        dir.path().join("b.safetensors"),
        dir.path().join("missing.safetensors"),
    );
    f32_model(&a, &[1.0, 2.0, 3.0, 4.0]);
    f32_model(&b, &[-2.0, 0.0, 0.0, 6.0, 1.0]);
    f32_model(&broken, &[1.0, 2.0]);
    let full = std::fs::metadata(&broken).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&broken)
        .unwrap()
        .set_len(full - 4)
        .unwrap();

    let (code, got) = lines(&[&a, &broken, &missing, &b]);
    assert_eq!(code, 2);
    assert_eq!(got.len(), 4, "{got:?}");
    // A path that names nothing comes first, then each checkpoint in order.
    assert_eq!(got[0]["path"], missing.to_str().unwrap());
    assert_eq!(got[0]["errors"][0]["code"], "io");
    assert_eq!(got[1]["path"], a.to_str().unwrap());
    assert_eq!(got[1]["tensor_count"], 1);
    let total = &got[1]["total"];
    assert_eq!(total["values"], 4);
    assert_eq!(
        (total["min"].clone(), total["max"].clone()),
        (1.0.into(), 4.0.into())
    );
    assert_eq!(total["mean"], 2.5);
    // Population std of 1..4: √((2.25 + 0.25 + 0.25 + 2.25) / 4) = √1.25.
    assert!((total["std"].as_f64().unwrap() - 1.25f64.sqrt()).abs() < 1e-15);
    assert_eq!(got[2]["path"], broken.to_str().unwrap());
    assert_eq!(got[2]["errors"][0]["code"], "truncated");
    assert_eq!(got[3]["path"], b.to_str().unwrap());
    assert_eq!(got[3]["total"]["mean"], 1.0);
    assert_eq!(got[3]["total"]["zeros"], 2);
    assert_eq!(got[3]["tensors"][0]["name"], "w");
}

#[test]
fn a_line_is_the_report_that_json_gives_for_one_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.safetensors");
    f32_model(&a, &[0.5, -0.25, f32::NAN]);
    let (code, got) = lines(&[&a]);
    assert_eq!(code, 0);
    let json = paramscope()
        .arg("stats")
        .arg(&a)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(got, vec![json]);
    assert_eq!(got[0]["total"]["nan"], 1);
}

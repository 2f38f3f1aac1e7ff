//! PyTorch checkpoints on the committed fixtures made with torch (tools/make_torch_fixtures.py): every count
//! against what torch reported when the file was made (`F.counts.json` beside each), the safety verdicts, the
//! payloads never run, the .bin ↔ .safetensors value diff, and truncated or corrupted files refused by code.

use crate::common::{self, check, inspect_fails, inspect_json, paramscope, repo_path};
use serde_json::Value;
use std::path::Path;

/// The file the malicious fixtures' payload would create (tools/make_torch_fixtures.py `PAYLOAD_MARKER`).
const PAYLOAD_MARKER: &str = "/tmp/paramscope-payload-ran";

const FIXTURES: [&str; 15] = [
    "dtypes.pt",
    "dtypes-legacy.pt",
    "views.pt",
    "views-legacy.pt",
    "lightning.ckpt",
    "whole-module.pt",
    "scripted.pt",
    "lpips-vgg.pth",
    "facenet-pnet.pt",
    "convert/pytorch_model.bin",
    "sharded/pytorch_model.bin.index.json",
    "malicious/payload.pt",
    "malicious/payload-legacy.pt",
    "malicious/payload-bare.pkl",
    "malicious/unknown-global.pt",
];

fn counts(fixture: &str) -> Value {
    let path = repo_path(&format!("fixtures/torch/{fixture}.counts.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// torch's dtype names as paramscope spells them.
fn dtype_name(torch: &str) -> &str {
    match torch {
        "float32" => "F32",
        "float16" => "F16",
        "bfloat16" => "BF16",
        "float64" => "F64",
        "int8" => "I8",
        "int16" => "I16",
        "int32" => "I32",
        "int64" => "I64",
        "uint8" => "U8",
        "uint16" => "U16",
        "uint32" => "U32",
        "uint64" => "U64",
        "bool" => "BOOL",
        "complex64" => "C64",
        "complex128" => "C128",
        "float8_e4m3fn" => "F8_E4M3",
        "float8_e5m2" => "F8_E5M2",
        "float8_e4m3fnuz" => "F8_E4M3FNUZ",
        "float8_e5m2fnuz" => "F8_E5M2FNUZ",
        "float8_e8m0fnu" => "F8_E8M0",
        other => panic!("no mapping for {other}"),
    }
}

#[test]
fn every_count_equals_torchs() {
    for fixture in FIXTURES {
        let expected = counts(fixture);
        let path = format!("fixtures/torch/{fixture}");
        let r = inspect_json(&[&path, "--tensors"]);
        assert_eq!(r["format"], "pytorch", "{fixture}");
        assert_eq!(r["tensor_count"], expected["tensors"], "{fixture}");
        assert_eq!(r["parameters"], expected["parameters"], "{fixture}");
        assert_eq!(r["tensor_bytes"], expected["storage_bytes"], "{fixture}");
        if expected["tensors"] != 0 {
            assert_eq!(r["storages"]["count"], expected["storages"], "{fixture}");
            assert_eq!(
                r["storages"]["bytes"], expected["storage_bytes"],
                "{fixture}"
            );
            assert_eq!(
                r["storages"]["shared"], expected["shared_storages"],
                "{fixture}"
            );
        }
        // Each tensor by name: dtype, shape, and where a view, its stride and storage offset.
        let rows = r["tensors"].as_array().unwrap();
        for t in expected["tensor_list"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|row| row["name"] == t["name"])
                .unwrap_or_else(|| panic!("{fixture}: no tensor {}", t["name"]));
            assert_eq!(
                row["dtype"],
                dtype_name(t["dtype"].as_str().unwrap()),
                "{fixture} {}",
                t["name"]
            );
            assert_eq!(row["shape"], t["shape"], "{fixture} {}", t["name"]);
            assert_eq!(row["parameters"], t["numel"], "{fixture} {}", t["name"]);
            if let Some(view) = row.get("view") {
                assert_eq!(view["stride"], t["stride"], "{fixture} {}", t["name"]);
                assert_eq!(
                    view["storage_offset"], t["storage_offset"],
                    "{fixture} {}",
                    t["name"]
                );
            } else {
                assert_eq!(t["storage_offset"], 0, "{fixture} {}", t["name"]);
            }
        }
    }
    assert!(!Path::new(PAYLOAD_MARKER).exists(), "a payload ran");
}

#[test]
fn a_transposed_view_shares_its_storage() {
    for fixture in ["views.pt", "views-legacy.pt"] {
        let r = inspect_json(&[&format!("fixtures/torch/{fixture}"), "--tensors"]);
        let row = |name: &str| {
            r["tensors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(row("weight_t")["view"]["stride"], serde_json::json!([1, 3]));
        assert_eq!(row("weight_t")["view"]["shared"], true);
        assert_eq!(row("row")["view"]["storage_offset"], 3);
        // The shared storage's 48 bytes are counted once, with the first tensor that views it.
        assert_eq!(row("weight")["bytes"], 48);
        assert_eq!(row("weight_t")["bytes"], 0);
        assert!(row("own").get("view").is_none());
    }
}

#[test]
fn a_lightning_checkpoint_lists_its_plain_values_as_metadata() {
    let r = inspect_json(&["fixtures/torch/lightning.ckpt"]);
    assert_eq!(r["metadata"]["epoch"], 3);
    assert_eq!(r["metadata"]["global_step"], 120);
    assert_eq!(r["metadata"]["hyper_parameters.name"], "mlp");
    assert_eq!(r["metadata"]["optimizer_states.0.param_groups.0.lr"], 0.001);
}

#[test]
fn dangerous_and_unknown_globals_are_named_and_fail_check() {
    for (fixture, global, verdict) in [
        ("payload.pt", "system", "dangerous"),
        ("payload-legacy.pt", "system", "dangerous"),
        ("payload-bare.pkl", "system", "dangerous"),
        ("unknown-global.pt", "Config", "unknown"),
    ] {
        let path = format!("fixtures/torch/malicious/{fixture}");
        let r = inspect_json(&[&path]);
        assert_eq!(r["pickle"]["verdict"], verdict, "{fixture}");
        let named: Vec<&Value> = r["pickle"]["globals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["name"] == global)
            .collect();
        assert_eq!(named.len(), 1, "{fixture}");
        assert_eq!(named[0]["verdict"], verdict);
        let text = paramscope().args(["inspect", &path]).output().unwrap();
        let shown = String::from_utf8_lossy(&text.stdout);
        let line = if verdict == "dangerous" {
            "DANGER: the pickle calls"
        } else {
            "WARNING:"
        };
        assert!(
            shown.contains(line) && shown.contains(global),
            "{fixture}: {shown}"
        );
        let (code, out, _) = check(&[&path]);
        assert_eq!(code, 1, "{fixture}: {out}");
        assert!(
            out.contains("FAIL pickle-safety") && out.contains(global),
            "{fixture}: {out}"
        );
    }
    let (code, out, _) = check(&[
        "fixtures/torch/malicious/unknown-global.pt",
        "--allow-global",
        "__main__.Config",
    ]);
    assert_eq!(code, 0, "{out}");
    // JSON: the globals refused counted against 0 and named; the same global accepted by a rules file.
    let (code, out, _) = check(&[
        "fixtures/torch/malicious/unknown-global.pt",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    let rule = &json["rules"][1];
    assert_eq!(rule["rule"], "pickle-safety");
    assert_eq!(rule["status"], "fail");
    assert_eq!(rule["measured"], 1);
    assert_eq!(rule["limit"], 0);
    assert_eq!(
        rule["message"],
        "0 dangerous and 1 unknown pickle globals (torch.load would import and call them; nothing was run)"
    );
    assert_eq!(
        rule["details"],
        serde_json::json!(["__main__.Config (unknown, 1×)"])
    );
    let dir = tempfile::TempDir::new().unwrap();
    let rules = dir.path().join("paramscope.toml");
    std::fs::write(&rules, "allow-global = [\"__main__.Config\"]\n").unwrap();
    let (code, out, _) = check(&[
        "fixtures/torch/malicious/unknown-global.pt",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS pickle-safety: 4 pickle globals named, none dangerous or unknown (or accepted by --allow-global)"), "{out}");
    let (code, _, _) = check(&["fixtures/torch/views.pt"]);
    assert_eq!(code, 0);
    assert!(!Path::new(PAYLOAD_MARKER).exists(), "a payload ran");
}

#[test]
fn the_bin_and_its_safetensors_conversion_hold_the_same_values() {
    // down_proj is stored transposed in the .bin (strides (1, 32)) and contiguous in the .safetensors.
    for a in [
        "fixtures/torch/convert/pytorch_model.bin",
        "fixtures/torch/sharded",
    ] {
        let (code, report) = common::diff_values_json(
            &repo_path(a),
            &repo_path("fixtures/torch/convert/model.safetensors"),
            &[],
        );
        assert_eq!(code, 0, "{a}");
        assert_eq!(report["values"]["compared_elements"], 6192, "{a}");
        assert_eq!(report["values"]["max_abs_diff"], 0.0, "{a}");
    }
}

#[test]
fn stats_read_views_through_their_strides() {
    let out = paramscope()
        .args(["stats", "fixtures/torch/views.pt", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // weight 0..11 and its transpose, row [3, 4, 5], tail 5..11 and four ones: 204 over 38 values.
    assert_eq!(r["total"]["values"], 38, "{r}");
    assert_eq!(r["total"]["zeros"], 2);
    let mean = r["total"]["mean"].as_f64().unwrap();
    assert!((mean - 204.0 / 38.0).abs() < 1e-12, "{mean}");
}

#[test]
fn a_folder_of_torch_shards_and_its_index_read_alike() {
    let folder = inspect_json(&["fixtures/torch/sharded"]);
    let index = inspect_json(&["fixtures/torch/sharded/pytorch_model.bin.index.json"]);
    assert_eq!(folder["layout"], "sharded");
    assert_eq!(folder["parameters"], index["parameters"]);
    assert_eq!(folder["shards"], 2);
}

#[test]
fn truncated_and_corrupted_files_are_refused_by_code() {
    let dir = tempfile::tempdir().unwrap();
    let zip = std::fs::read(repo_path("fixtures/torch/views.pt")).unwrap();
    let legacy = std::fs::read(repo_path("fixtures/torch/views-legacy.pt")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "zip-truncated.pt",
            zip[..zip.len() / 2].to_vec(),
            "torch_zip",
        ),
        (
            "legacy-in-pickle.pt",
            legacy[..200].to_vec(),
            "pickle_truncated",
        ),
        (
            "legacy-in-data.pt",
            legacy[..legacy.len() - 10].to_vec(),
            "truncated",
        ),
    ];
    for (name, bytes, code) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (exit, stderr) = inspect_fails(&[path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(exit, 2, "{name}");
        let row: Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
        assert_eq!(row["code"], code, "{name}: {stderr}");
    }
}

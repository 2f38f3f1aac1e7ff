//! `paramscope check`: every rule passing and failing, with exact lines and exit codes, on checkpoints written
//! here with hand-computable figures.

mod ci;
mod gguf;
mod values;

use crate::common::{self, check, paramscope};
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// `embed.weight` BF16 [1000, 8] (8,000 parameters, 16,000 bytes) and `norm.weight` F32 [100] (100, 400):
/// 8,100 parameters and 16,400 bytes of tensor data.
fn small() -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor("embed.weight", DType::BF16, &[1000, 8])
        .tensor("norm.weight", DType::F32, &[100])
}

fn write(dir: &Path, name: &str, w: &SafetensorsWriter) -> PathBuf {
    let path = dir.join(name);
    w.write(&path).unwrap();
    path
}

/// Runs `check` and returns (exit code, stdout, stderr).
const STRUCTURE_ONE_FILE: &str =
    "PASS structure: 1 file, 2 tensors read: headers in bounds, tensors tile the data exactly, no trailing bytes";

/// The rule lines (everything but the verdict line) of a single-checkpoint run.
fn rule_lines(stdout: &str) -> Vec<&str> {
    let lines: Vec<&str> = stdout.lines().collect();
    lines[..lines.len() - 1].to_vec()
}

fn small_file() -> (TempDir, String) {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "model.safetensors", &small());
    (dir, p.display().to_string())
}

#[test]
fn max_params_passes_and_fails() {
    let (_dir, p) = small_file();
    let (code, out, _) = check(&[&p, "--max-params", "8.1K"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!("{STRUCTURE_ONE_FILE}\nPASS max-params: 8.10K (8,100) <= 8.1K\n{p}: all 2 rules passed\n")
    );
    let (code, out, _) = check(&[&p, "--max-params", "8099"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!("{STRUCTURE_ONE_FILE}\nFAIL max-params: 8.10K (8,100) > 8,099\n{p}: 1 of 2 rules failed (max-params)\n")
    );
}

/// With no rule given, `check` is an integrity gate: the structure rule alone, and a verdict in the singular.
#[test]
fn structure_alone_is_one_rule() {
    let (_dir, p) = small_file();
    let (code, out, _) = check(&[&p]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("{STRUCTURE_ONE_FILE}\n{p}: 1 rule passed\n"));
}

#[test]
fn min_params_passes_and_fails() {
    let (_dir, p) = small_file();
    let (code, out, _) = check(&[&p, "--min-params", "8,100"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (0, "PASS min-params: 8.10K (8,100) >= 8,100")
    );
    let (code, out, _) = check(&[&p, "--min-params", "1e4"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (1, "FAIL min-params: 8.10K (8,100) < 1e4")
    );
}

#[test]
fn max_bytes_counts_tensor_data_not_headers() {
    let (_dir, p) = small_file();
    // 16,400 bytes of tensor data: 16.40 KB, or 16,400 / 1024 = 16.02 KiB.
    let (code, out, _) = check(&[&p, "--max-bytes", "16.4KB"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (0, "PASS max-bytes: 16.40 KB (16,400 bytes) <= 16.4KB")
    );
    let (code, out, _) = check(&[&p, "--max-bytes", "16KiB"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (1, "FAIL max-bytes: 16.02 KiB (16,400 bytes) > 16KiB")
    );
}

#[test]
fn max_file_bytes_names_every_file_over_the_limit() {
    let dir = TempDir::new().unwrap();
    let big = SafetensorsWriter::new().tensor("a", DType::U8, &[20_000]);
    let little = SafetensorsWriter::new().tensor("b", DType::U8, &[10_000]);
    let w1 = write(dir.path(), "model-00001-of-00002.safetensors", &big);
    write(dir.path(), "model-00002-of-00002.safetensors", &little);
    let size = |w: &SafetensorsWriter| 8 + w.header().len() as u64 + w.data_bytes();
    let (s1, s2) = (size(&big), size(&little));
    assert_eq!(std::fs::metadata(&w1).unwrap().len(), s1);
    let folder = dir.path().display().to_string();

    let (code, out, _) = check(&[&folder, "--max-file-bytes", &format!("{s1}B")]);
    assert_eq!(code, 0, "{out}");
    let grouped = |n: u64| {
        let s = n.to_string();
        format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..])
    };
    assert_eq!(
        rule_lines(&out)[1],
        format!(
            "PASS max-file-bytes: largest file {:.2} KB ({} bytes) <= {}B: {}",
            s1 as f64 / 1000.0,
            grouped(s1),
            grouped(s1),
            w1.display()
        )
    );
    let (code, out, _) = check(&[&folder, "--max-file-bytes", &format!("{}B", s2 - 1)]);
    assert_eq!(code, 1);
    let lines = rule_lines(&out);
    assert_eq!(
        lines[1],
        format!(
            "FAIL max-file-bytes: 2 of 2 files over {}B; largest {:.2} KB ({} bytes): {}",
            grouped(s2 - 1),
            s1 as f64 / 1000.0,
            grouped(s1),
            w1.display()
        )
    );
    assert_eq!(lines.len(), 4, "one detail line per file over: {out}");
}

#[test]
fn allowed_and_forbidden_dtypes_list_offending_tensors() {
    let (_dir, p) = small_file();
    let (code, out, _) = check(&[&p, "--dtype", "bf16,F32"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (
            0,
            "PASS dtype: BF16 (1 tensor), F32 (1 tensor) all allowed (BF16, F32)"
        )
    );
    let (code, out, _) = check(&[&p, "--dtype", "BF16"]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_lines(&out)[1..],
        [
            "FAIL dtype: F32 (1 tensor) not allowed; allowed: BF16",
            "    norm.weight: F32"
        ]
    );
    let (code, out, _) = check(&[&p, "--forbid-dtype", "F16", "--forbid-dtype", "F64"]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (0, "PASS forbid-dtype: none of F16, F64 present")
    );
    let (code, out, _) = check(&[&p, "--forbid-dtype", "F32"]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_lines(&out)[1..],
        [
            "FAIL forbid-dtype: F32 (1 tensor) present; forbidden: F32",
            "    norm.weight: F32"
        ]
    );
}

#[test]
fn expect_tensors_reports_missing_unexpected_and_changed() {
    let dir = TempDir::new().unwrap();
    let base = write(dir.path(), "base.safetensors", &small());
    let listing = paramscope()
        .args([
            "inspect",
            base.to_str().unwrap(),
            "--format",
            "json",
            "--tensors",
        ])
        .output()
        .unwrap();
    let expected = dir.path().join("expected.json");
    std::fs::write(&expected, &listing.stdout).unwrap();
    let e = expected.display().to_string();

    let (code, out, _) = check(&[base.to_str().unwrap(), "--expect-tensors", &e]);
    assert_eq!(
        (code, rule_lines(&out)[1]),
        (
            0,
            format!("PASS expect-tensors: 2 tensors as in {e}").as_str()
        )
    );

    // norm.weight changed dtype, embed.weight went missing, head.weight is new.
    let changed = SafetensorsWriter::new()
        .tensor("norm.weight", DType::BF16, &[100])
        .tensor("head.weight", DType::BF16, &[8, 1000]);
    let new = write(dir.path(), "new.safetensors", &changed);
    let (code, out, _) = check(&[new.to_str().unwrap(), "--expect-tensors", &e]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_lines(&out)[1..],
        [
            format!("FAIL expect-tensors: 1 missing, 1 unexpected, 1 changed (expected 2 tensors from {e})").as_str(),
            "    missing: embed.weight",
            "    unexpected: head.weight (BF16 [8, 1000])",
            "    changed: norm.weight: F32 [100] -> BF16 [100]",
        ]
    );

    // A hand-written list of names only: dtypes and shapes are not compared.
    let names = dir.path().join("names.json");
    std::fs::write(&names, r#"["norm.weight", "head.weight"]"#).unwrap();
    let (code, _, _) = check(&[
        new.to_str().unwrap(),
        "--expect-tensors",
        names.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
}

#[test]
fn expect_tensors_refuses_a_cut_list() {
    let (dir, p) = small_file();
    let listing = paramscope()
        .args([
            "inspect",
            &p,
            "--format",
            "json",
            "--tensors",
            "--limit",
            "1",
        ])
        .output()
        .unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &listing.stdout).unwrap();
    let (code, out, err) = check(&[&p, "--expect-tensors", cut.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!(
            "error: --expect-tensors {}: the tensor list was cut by --limit; write it without\n",
            cut.display()
        )
    );
}

#[test]
fn unit_errors_are_usage_errors() {
    let (_dir, p) = small_file();
    for (flag, value, reason) in [
        (
            "--max-params",
            "8.1G",
            "G is not a count unit; counts use K, M, B (billion) or T, so write 8.1B",
        ),
        (
            "--max-bytes",
            "16Gb",
            "a lowercase b means bits; write 16GB (powers of 1000) or 16GiB (powers of 1024)",
        ),
        (
            "--max-file-bytes",
            "5G",
            "ambiguous: write 5GB (powers of 1000) or 5GiB (powers of 1024)",
        ),
        ("--min-params", "-1", "must not be negative"),
        (
            "--max-params",
            "99999999999T",
            "too large (the largest is 18,446,744,073,709,551,615)",
        ),
    ] {
        let (code, out, err) = check(&[&p, &format!("{flag}={value}")]);
        assert_eq!((code, out.as_str()), (2, ""), "{flag} {value}");
        let metavar = if flag.ends_with("params") {
            "COUNT"
        } else {
            "BYTES"
        };
        assert!(
            err.starts_with(&format!(
                "error: invalid value '{value}' for '{flag} <{metavar}>': {reason}\n"
            )),
            "{err}"
        );
    }
}

#[test]
fn contradictory_rules_are_usage_errors() {
    let (_dir, p) = small_file();
    let (code, _, err) = check(&[&p, "--min-params", "2M", "--max-params", "1M"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: --min-params 2M is above --max-params 1M\n")
    );
    let (code, _, err) = check(&[&p, "--dtype", "F32", "--forbid-dtype", "F32"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: F32 is both allowed (--dtype) and forbidden (--forbid-dtype)\n"
        )
    );
    let (code, _, err) = check(&[&p, "--max-growth", "2%"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: a growth allowance needs --baseline BASE.json to grow from\n"
        )
    );
}

#[test]
fn unreadable_checkpoint_is_exit_2_with_its_errors() {
    let (code, out, err) = check(&[
        "fixtures/malformed/trailing.safetensors",
        "--max-params",
        "1B",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: fixtures/malformed/trailing.safetensors: "),
        "{err}"
    );
    assert!(err.contains("trailing bytes"), "{err}");
    assert_eq!(
        out,
        "fixtures/malformed/trailing.safetensors: unreadable (1 problem), rules not evaluated\n"
    );
    let (code, out, _) = check(&[
        "fixtures/malformed/trailing.safetensors",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["errors"][0]["code"], "trailing_bytes");
    assert_eq!(
        v["errors"][0]["path"],
        "fixtures/malformed/trailing.safetensors"
    );
}

#[test]
fn json_output_has_rules_figures_and_verdicts() {
    let (_dir, p) = small_file();
    let (code, out, _) = check(&[
        &p,
        "--max-params",
        "8K",
        "--max-bytes",
        "1MiB",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["path"], p.as_str());
    assert_eq!(v["status"], "fail");
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0]["rule"], "structure");
    assert_eq!(rules[0]["limit"], serde_json::Value::Null);
    assert_eq!(rules[1]["rule"], "max-params");
    assert_eq!(rules[1]["status"], "fail");
    assert_eq!(rules[1]["measured"], 8100);
    assert_eq!(rules[1]["limit"], 8000);
    assert_eq!(rules[1]["message"], "8.10K (8,100) > 8K");
    assert_eq!(rules[2]["status"], "pass");
    assert_eq!(rules[2]["measured"], 16400);
    assert_eq!(rules[2]["limit"], 1 << 20);
}

/// A checkpoint without a single tensor is well-formed, but every figure of it is zero: the structure rule fails
/// it, and inspect says why in a note (exit 0).
#[test]
fn a_checkpoint_without_tensors_fails_the_structure_rule() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // `{}`: an 8-byte length of 2, then the header.
    let bare = d.join("bare.safetensors");
    std::fs::write(&bare, [&2u64.to_le_bytes()[..], b"{}"].concat()).unwrap();
    let header = br#"{"__metadata__":{"format":"pt"}}"#;
    let metadata_only = d.join("metadata-only.safetensors");
    let length = (header.len() as u64).to_le_bytes();
    std::fs::write(&metadata_only, [&length[..], header].concat()).unwrap();
    std::fs::create_dir(d.join("indexed")).unwrap();
    let index = d.join("indexed/model.safetensors.index.json");
    std::fs::write(
        &index,
        r#"{"metadata": {"total_size": 0}, "weight_map": {}}"#,
    )
    .unwrap();

    let read =
        "0 tensors read: headers in bounds, tensors tile the data exactly, no trailing bytes";
    let cases = [
        (
            &bare,
            "the header names no tensors",
            format!("1 file, {read}"),
        ),
        (
            &metadata_only,
            "the header names no tensors",
            format!("1 file, {read}"),
        ),
        (
            &index,
            "the index's weight_map is empty",
            format!("0 files, {read}, index consistent with its shards"),
        ),
    ];
    for (path, why, structure) in cases {
        let p = path.to_str().unwrap();
        let (code, out, err) = check(&[p]);
        assert_eq!((code, err.as_str()), (1, ""), "{p}");
        assert_eq!(
            out,
            format!(
                "FAIL structure: no tensors: {why}; {structure}\n\
                 {p}: 1 of 1 rules failed (structure)\n"
            )
        );
        let (code, out, _) = check(&[p, "--format", "json"]);
        assert_eq!(code, 1);
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["status"], "fail");
        assert_eq!(r["rules"][0]["status"], "fail");

        let r = common::inspect_json(&[p]);
        assert_eq!(r["tensor_count"], 0);
        assert_eq!(
            r["notes"],
            serde_json::json!([format!("no tensors: {why}")])
        );
    }
}

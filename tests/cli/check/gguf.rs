//! `paramscope check` on GGUF files: the structure rule describes GGUF's layout, and bytes after the tensor
//! data are a note, not a failure.

use crate::common::paramscope;
use paramscope::format::synth::gguf::GgufWriter;
use paramscope::model::dtype::{DType, GgmlQuant};
use std::io::Write;

fn structure_line(path: &std::path::Path) -> (i32, String) {
    let out = paramscope().arg("check").arg(path).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.contains("structure:"))
        .unwrap_or_else(|| panic!("no structure line in {stdout}"))
        .to_string();
    (out.status.code().unwrap(), line)
}

#[test]
fn gguf_structure_names_the_alignment_and_trailing_bytes_are_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    // 10 F32 elements = 40 bytes, padded to 64 on a 64-byte alignment.
    let w = GgufWriter::new()
        .alignment(64)
        .tensor("a.weight", DType::F32, &[10])
        .tensor("b.weight", DType::F16, &[4]);
    w.write(&path).unwrap();
    let data_start = (w.header().len() as u64).div_ceil(64) * 64;
    let (code, line) = structure_line(&path);
    assert_eq!(code, 0, "{line}");
    assert_eq!(
        line,
        "PASS structure: 1 file, 2 tensors read: headers in bounds, tensors in order on the 64-byte alignment, \
         nothing after the tensor data"
    );
    // The last tensor ends at 64 + 8 = 72, padded to 128: the file is cut there, then 13 bytes follow.
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.set_len(data_start + 128).unwrap();
    (&file).write_all(&[0xAB; 13]).unwrap();
    let (code, line) = structure_line(&path);
    assert_eq!(code, 0, "{line}");
    assert!(
        line.ends_with("13 bytes after the tensor data (a note: llama.cpp ignores them)"),
        "{line}"
    );
}

/// The dtype rules and `--expect-tensors` take ggml type names as `inspect` prints them, so a GGUF's own
/// `inspect --tensors --format json` is a valid expectation and `--dtype Q4_K` can allow a quantised type.
#[test]
fn dtype_rules_and_expected_tensors_know_ggml_type_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    GgufWriter::new()
        .tensor(
            "blk.0.attn_q.weight",
            DType::Ggml(GgmlQuant::Q4_K),
            &[2, 256],
        )
        .tensor(
            "blk.0.ffn_up.weight",
            DType::Ggml(GgmlQuant::Q8_0),
            &[2, 32],
        )
        .tensor("blk.0.attn_norm.weight", DType::F32, &[32])
        .write(&path)
        .unwrap();
    let run = |args: &[&str]| {
        let out = paramscope()
            .arg("check")
            .arg(&path)
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        (out.status.code().unwrap(), text)
    };
    let (code, text) = run(&["--dtype", "Q4_K,q8_0,F32"]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(&["--forbid-dtype", "Q8_0"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("blk.0.ffn_up.weight"), "{text}");
    let (code, text) = run(&["--dtype", "Q4_K,F32"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("blk.0.ffn_up.weight"), "{text}");
    let (code, text) = run(&["--dtype", "Q4_Z"]);
    assert_eq!(code, 2, "{text}");

    let expected = dir.path().join("expected.json");
    let report = paramscope()
        .args(["inspect", "--tensors", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::write(&expected, &report.stdout).unwrap();
    let (code, text) = run(&["--expect-tensors", expected.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    std::fs::write(
        &expected,
        r#"[{"name": "blk.0.attn_q.weight", "dtype": "Q6_K", "shape": [2, 256]}]"#,
    )
    .unwrap();
    let (code, text) = run(&["--expect-tensors", expected.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Q6_K"), "{text}");
}

/// A GGUF without tensors (gguf-split's metadata-only first part, a vocab-only file) is padded to the alignment
/// by ggml and gguf-py like any other: that padding is not "bytes after the tensor data". A file that stops
/// short of it is read too, as ggml's reader does. Holding no weights, it fails the structure rule for that.
#[test]
fn the_padding_of_a_file_without_tensors_is_not_trailing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let w = GgufWriter::new().kv_str("general.architecture", "llama");
    let header = w.header();
    // 4 + 4 + 8 + 8 + (8 + 20 + 4 + 8 + 5) = 69 header bytes, padded to 96 on the default 32-byte alignment.
    assert_eq!(header.len(), 69);
    let mut padded = header.clone();
    padded.resize(96, 0);
    for (name, bytes) in [("padded.gguf", padded), ("unpadded.gguf", header)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (code, line) = structure_line(&path);
        assert_eq!(code, 1, "{line}");
        assert!(
            line.starts_with("FAIL structure: no tensors: tensor_count is 0 (a vocab-only file?); 1 file, 0 tensors read")
                && line.ends_with("nothing after the tensor data"),
            "{name}: {line}"
        );
        let out = paramscope().arg("inspect").arg(&path).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("(gguf, 1 file)"), "{name}: {stdout}");
        assert!(!stdout.contains("after the end"), "{name}: {stdout}");
        assert_eq!(out.status.code(), Some(0));
    }
}

/// `check model-*.gguf` checks a multi-part model once, not once per part.
#[test]
fn check_reads_a_split_named_by_all_its_parts_once() {
    let out = paramscope()
        .args([
            "check",
            "fixtures/gguf/split/tiny-00001-of-00003.gguf",
            "fixtures/gguf/split/tiny-00002-of-00003.gguf",
            "fixtures/gguf/split/tiny-00003-of-00003.gguf",
            "fixtures/gguf/tiny-quantized.gguf",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.matches("PASS structure").count(), 2, "{stdout}");
    assert!(
        stdout.contains("2 checkpoints: 2 passed, 0 failed, 0 unreadable"),
        "{stdout}"
    );
}

//! `paramscope check` on GGUF files: the structure rule describes GGUF's layout, and bytes after the tensor
//! data are a note, not a failure.
mod common;

use common::paramscope;
use paramscope::dtype::{DType, GgmlQuant};
use paramscope::synth::gguf::GgufWriter;
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

/// `--dtype` and `--forbid-dtype` (and the rules file's `dtype`) take ggml block types by their ggml names, in
/// any case, so a GGUF checkpoint can be gated on its quantization.
#[test]
fn dtype_rules_take_ggml_block_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.gguf");
    GgufWriter::new()
        .tensor(
            "blk.0.attn_q.weight",
            DType::Ggml(GgmlQuant::Q4_K),
            &[2, 256],
        )
        .tensor("blk.0.attn_k.weight", DType::Ggml(GgmlQuant::Q8_0), &[32])
        .tensor("output_norm.weight", DType::F32, &[4])
        .write(&path)
        .unwrap();
    let p = path.display().to_string();
    let structure =
        "PASS structure: 1 file, 3 tensors read: headers in bounds, tensors in order on the \
                     32-byte alignment, nothing after the tensor data";
    let run = |args: &[&str]| {
        let out = paramscope()
            .arg("check")
            .arg(&path)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    assert_eq!(
        run(&["--dtype", "q4_k,F32"]),
        (
            1,
            format!(
                "{structure}\nFAIL dtype: Q8_0 (1 tensor) not allowed; allowed: Q4_K, F32\n    \
                 blk.0.attn_k.weight: Q8_0\n{p}: 1 of 2 rules failed (dtype)\n"
            )
        )
    );
    assert_eq!(
        run(&["--forbid-dtype", "Q8_0"]),
        (
            1,
            format!(
                "{structure}\nFAIL forbid-dtype: Q8_0 (1 tensor) present; forbidden: Q8_0\n    \
                 blk.0.attn_k.weight: Q8_0\n{p}: 1 of 2 rules failed (forbid-dtype)\n"
            )
        )
    );
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "dtype = [\"Q4_K\", \"Q8_0\", \"F32\"]\n").unwrap();
    let (code, out) = run(&["--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS dtype: "), "{out}");
}

/// `--expect-tensors` takes what `inspect --format json --tensors` writes for a GGUF file (ggml dtype names), and
/// reports a tensor whose block type changed.
#[test]
fn expect_tensors_reads_a_gguf_listing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.gguf");
    GgufWriter::new()
        .tensor("blk.0.attn_k.weight", DType::Ggml(GgmlQuant::Q8_0), &[32])
        .tensor("output_norm.weight", DType::F32, &[4])
        .write(&path)
        .unwrap();
    let listing = paramscope()
        .arg("inspect")
        .arg(&path)
        .args(["--format", "json", "--tensors"])
        .output()
        .unwrap();
    let expected = dir.path().join("expected.json");
    std::fs::write(&expected, &listing.stdout).unwrap();
    let check = |expect: &std::path::Path| {
        let out = paramscope()
            .arg("check")
            .arg(&path)
            .arg("--expect-tensors")
            .arg(expect)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, out) = check(&expected);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!(
        "PASS expect-tensors: 2 tensors as in {}\n",
        expected.display()
    )));

    let edited = dir.path().join("edited.json");
    let mut json: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    let k = json["tensors"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["name"] == "blk.0.attn_k.weight")
        .unwrap();
    k["dtype"] = "Q4_0".into();
    std::fs::write(&edited, json.to_string()).unwrap();

    let (code, out) = check(&edited);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    changed: blk.0.attn_k.weight: Q4_0 [32] -> Q8_0 [32]\n"),
        "{out}"
    );
}

//! `paramscope check` on GGUF files: the structure rule describes GGUF's layout, and bytes after the tensor
//! data are a note, not a failure.
mod common;

use common::paramscope;
use paramscope::dtype::DType;
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

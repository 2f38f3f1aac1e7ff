//! Every case of the malformed corpus (fixtures/malformed/EXPECTED.tsv) is refused with exit 2, the file named,
//! and the expected error class; none panics.

use crate::common::{self, paramscope, repo_path};
use serde_json::Value;

#[test]
fn malformed_corpus_gives_the_expected_error_class() {
    let table =
        std::fs::read_to_string(common::repo_path("fixtures/malformed/EXPECTED.tsv")).unwrap();
    let mut cases = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.split('\t');
        let (rel, code) = (cols.next().unwrap(), cols.next().unwrap());
        let path = format!("fixtures/malformed/{rel}");

        let out = paramscope()
            .args(["inspect", &path, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        // No report, but check's error object, with the same first code as stderr's first line.
        let object: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{rel}: stdout is not one JSON error object ({e})"));
        assert_eq!(object["status"], "error", "{rel}");
        assert_eq!(object["errors"][0]["code"], code, "{rel}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let first: Value = serde_json::from_str(stderr.lines().next().unwrap())
            .unwrap_or_else(|e| panic!("{rel}: stderr is not JSON lines ({e}): {stderr}"));
        assert_eq!(first["code"], code, "{rel}: {stderr}");
        assert!(
            first["path"].as_str().unwrap().starts_with(&path),
            "{rel}: {stderr}"
        );

        let out = paramscope().args(["inspect", &path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!("error: {path}")),
            "{rel}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{rel}: {stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{rel}: one line per problem: {stderr}"
        );
        cases += 1;
    }
    assert!(cases >= 39, "only {cases} cases read");
}

/// Files that claim a 90 GB header, 2^60 tensors or a 2^60-element array are refused at once and without
/// allocating what they claim: the run is capped at 256 MiB of address space and must finish in seconds.
#[cfg(target_os = "linux")]
#[test]
fn huge_claims_are_refused_promptly_in_small_memory() {
    let bin = assert_cmd::cargo::cargo_bin("paramscope");
    for rel in [
        "header-90GB.safetensors",
        "header-2pow62.safetensors",
        "gguf-tensor-count-huge.gguf",
        "gguf-kv-count-huge.gguf",
        "gguf-array-huge.gguf",
    ] {
        let path = common::repo_path(&format!("fixtures/malformed/{rel}"));
        let start = std::time::Instant::now();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 262144 && RAYON_NUM_THREADS=1 exec \"$0\" inspect \"$1\"")
            .arg(&bin)
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rel}: {stderr}");
        assert!(stderr.starts_with("error: "), "{rel}: {stderr}");
        assert!(!stderr.contains("memory allocation"), "{rel}: {stderr}");
        assert!(
            start.elapsed().as_secs() < 5,
            "{rel} took {:?}",
            start.elapsed()
        );
    }
}

/// Opening a FIFO waits for a writer: a shard, index, GGUF part or config.json that is one must be refused at once,
/// not hang the tool (a tar archive can carry a FIFO into a model folder).
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_file_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(common::repo_path("fixtures/sharded")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let shard = dir.path().join("model-00002-of-00003.safetensors");
    std::fs::remove_file(&shard).unwrap();
    let config = dir.path().join("config.json");
    let lone = dir.path().join("lone.safetensors");
    for fifo in [&shard, &config, &lone] {
        let made = std::process::Command::new("mkfifo")
            .arg(fifo)
            .status()
            .unwrap();
        assert!(made.success());
    }
    let start = std::time::Instant::now();
    for (path, message) in [
        (
            dir.path().to_path_buf(),
            format!(
                "error: {}: cannot read: not a regular file",
                shard.display()
            ),
        ),
        (
            lone.clone(),
            format!("error: {}: cannot read: not a regular file", lone.display()),
        ),
    ] {
        let out = paramscope()
            .arg("inspect")
            .arg(&path)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with(&message), "{stderr}");
    }
    assert!(start.elapsed().as_secs() < 10);
}

/// Unix file names can be any bytes: JSON output writes a name that is not UTF-8 with U+FFFD for the bad bytes
/// (reports and error lines alike) instead of panicking, in every command that prints paths.
#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_do_not_break_json() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let good = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"m\xff.safetensors"));
    std::fs::copy(common::repo_path("fixtures/tiny/model.safetensors"), &good).unwrap();
    let shown = format!("{}/m\u{fffd}.safetensors", dir.path().display());
    let runs: [&[&str]; 6] = [
        &["inspect", "--format", "json"],
        &["inspect", "--format", "jsonl"],
        &["check", "--format", "json"],
        &["footprint", "--format", "json"],
        &["stats", "--format", "json"],
        &["diff", "--format", "json"],
    ];
    for args in runs {
        let mut cmd = paramscope();
        cmd.args(args).arg(&good);
        if args[0] == "diff" {
            cmd.arg(&good);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}");
        let json: Value = serde_json::from_str(&stdout).unwrap();
        let path = if args[0] == "diff" {
            &json["a"]["path"]
        } else {
            &json["path"]
        };
        assert_eq!(path, shown.as_str(), "{args:?}");
    }

    let bad = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"t\xfe.safetensors"));
    std::fs::copy(
        common::repo_path("fixtures/malformed/truncated.safetensors"),
        &bad,
    )
    .unwrap();
    let out = paramscope()
        .args(["inspect", "--recursive", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let failed = lines.iter().find(|l| l.get("errors").is_some()).unwrap();
    let bad_shown = format!("{}/t\u{fffd}.safetensors", dir.path().display());
    assert_eq!(failed["path"], bad_shown.as_str());
    assert_eq!(failed["errors"][0]["code"], "truncated");
}

/// A zip archive whose first member is `name`: a local file header (30 bytes, the name's length at byte 26), the
/// name, then some bytes of the member.
fn zip_with_first_member(name: &str) -> Vec<u8> {
    let mut bytes = b"PK\x03\x04\x14\x00".to_vec();
    bytes.extend([0u8; 20]);
    bytes.extend((name.len() as u16).to_le_bytes());
    bytes.extend([0u8; 2]);
    bytes.extend(name.as_bytes());
    bytes.extend([7u8; 100]);
    bytes
}

/// HDF5, ONNX and other zip files are named as what they are (code `unsupported_format`); PyTorch files, by
/// their name or misnamed as safetensors or GGUF, are read as PyTorch (these are cut short: the zip has no central
/// directory, the legacy file ends after its protocol version).
#[test]
fn hdf5_and_onnx_files_are_named_as_such_and_pytorch_files_read() {
    let dir = tempfile::tempdir().unwrap();
    let torch_zip = zip_with_first_member("archive/data.pkl");
    // Legacy torch.save: PROTO 2, then the magic number 0x1950a86a20f9469cfc6c as LONG1.
    let legacy = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.".to_vec();
    let zip_note = "a zip archive (not a PyTorch checkpoint: no data.pkl): paramscope reads safetensors and GGUF files";
    for (name, bytes, code) in [
        ("pytorch_model.bin", torch_zip.clone(), "torch_zip"),
        (
            "model.pth",
            zip_with_first_member("model/byteorder"),
            "torch_zip",
        ),
        ("legacy.pt", legacy.clone(), "pickle_truncated"),
        ("last.ckpt", torch_zip.clone(), "torch_zip"),
        ("model.safetensors", torch_zip.clone(), "torch_zip"),
        ("model.gguf", legacy, "pickle_truncated"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = paramscope()
            .args(["inspect", path.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], code, "{name}: {err}");
    }
    let cases: [(&str, Vec<u8>, String); 3] = [
        ("tf_model.h5", b"\x89HDF\r\n\x1a\n\0\0\0\0".to_vec(), "an HDF5 file (Keras/TensorFlow .h5 weights): paramscope reads safetensors and GGUF files; save the weights as safetensors".into()),
        ("model.onnx", b"\x08\x07\x12\x07pytorch".to_vec(), "an ONNX model: paramscope reads safetensors and GGUF files".into()),
        ("weights.npz", zip_with_first_member("arr_0.npy"), zip_note.into()),
    ];
    for (name, bytes, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        let out = paramscope()
            .args(["inspect", p, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(
            err,
            serde_json::json!({"path": p, "code": "unsupported_format", "message": message}),
            "{name}"
        );
        let out = paramscope().args(["check", p]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("error: {p}: {message}\n"),
            "{name}"
        );
    }
}

/// A folder whose only weights are a PyTorch checkpoint (an older Hugging Face repository) is read as PyTorch;
/// `check --recursive` finds it in a model store beside a safetensors checkpoint.
#[test]
fn a_folder_with_only_a_pytorch_checkpoint_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("bert");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("config.json"), "{}").unwrap();
    std::fs::copy(
        repo_path("fixtures/torch/views.pt"),
        folder.join("pytorch_model.bin"),
    )
    .unwrap();
    let r = common::inspect_json(&[folder.to_str().unwrap()]);
    assert_eq!(r["format"], "pytorch");
    assert_eq!(r["parameters"], 38);
    paramscope::format::synth::SafetensorsWriter::new()
        .tensor("w", paramscope::model::dtype::DType::F32, &[2])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    let out = paramscope()
        .args([
            "check",
            "--recursive",
            dir.path().to_str().unwrap(),
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
}

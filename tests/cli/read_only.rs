//! Inputs are never written: every fixture's bytes, size, mtime and permissions are the same after every command.

use crate::common::{self, paramscope, repo_path};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

#[derive(Debug, PartialEq)]
struct Fingerprint {
    hash: u64,
    len: u64,
    modified: std::time::SystemTime,
    readonly: bool,
}

fn fingerprints(files: &[PathBuf]) -> Vec<Fingerprint> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).unwrap();
            let mut h = DefaultHasher::new();
            std::fs::read(f).unwrap().hash(&mut h);
            Fingerprint {
                hash: h.finish(),
                len: meta.len(),
                modified: meta.modified().unwrap(),
                readonly: meta.permissions().readonly(),
            }
        })
        .collect()
}

#[test]
fn no_command_changes_any_fixture() {
    let root = repo_path("fixtures");
    let files = common::files_under(&root);
    let before = fingerprints(&files);
    let mut targets: Vec<PathBuf> = files.clone();
    targets.extend(
        std::fs::read_dir(root.join("malformed"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir()),
    );
    targets.push(root.join("sharded"));
    for t in &targets {
        for format in ["table", "json", "markdown"] {
            paramscope()
                .arg("inspect")
                .arg(t)
                .args(["--tensors", "--format", format])
                .output()
                .unwrap();
        }
        paramscope()
            .arg("diff")
            .arg(t)
            .arg(root.join("tiny/model.safetensors"))
            .args(["--values", "--renames"])
            .output()
            .unwrap();
        paramscope()
            .arg("stats")
            .arg(t)
            .args(["--hist", "--format", "json"])
            .output()
            .unwrap();
        paramscope()
            .arg("footprint")
            .arg(t)
            .args(["--training", "adam"])
            .output()
            .unwrap();
        paramscope()
            .arg("check")
            .arg(t)
            .args(["--max-params", "1B"])
            .output()
            .unwrap();
    }
    paramscope()
        .args(["inspect", "--recursive", "--format", "jsonl"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(before, fingerprints(&files));
}

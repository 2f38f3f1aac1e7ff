//! The paths people type: `model/*` with its companions, shards named together, a Hugging Face cache repository,
//! and the filter that matches nothing.

use crate::common::{inspect_json, paramscope};
use paramscope::format::synth::{write_sharded, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A Hub-like folder: an index and 3 shards (F32 [10, 4], [6], [3, 3]: 55 parameters), config.json, tokenizer
/// files, README.md and a stray notes.csv.
fn hub_folder(dir: &Path) -> Vec<PathBuf> {
    let shards = [
        SafetensorsWriter::new().tensor("model.embed_tokens.weight", DType::F32, &[10, 4]),
        SafetensorsWriter::new().tensor("model.layers.0.input_layernorm.weight", DType::F32, &[6]),
        SafetensorsWriter::new().tensor("lm_head.weight", DType::F32, &[3, 3]),
    ];
    write_sharded(dir, "model", &shards, Map::new()).unwrap();
    for (name, text) in [
        ("config.json", "{\"model_type\": \"llama\"}"),
        ("tokenizer.json", "{}"),
        ("tokenizer_config.json", "{}"),
        ("special_tokens_map.json", "{}"),
        ("generation_config.json", "{}"),
        ("README.md", "# a model"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

const PARAMETERS: u64 = 40 + 6 + 9;

fn args(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn a_folder_globbed_is_the_checkpoint_its_companions_left_out() {
    let dir = TempDir::new().unwrap();
    let mut all = hub_folder(dir.path());
    // `paramscope llama3-8b/*` failed on config.json with exit 2.
    let out = paramscope()
        .args(args(&all))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "",
        "the usual companions are left out silently"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["parameters"], PARAMETERS);
    assert_eq!(report["shards"], 3);

    // Another file that is no weights: left out with a note.
    let stray = dir.path().join("notes.csv");
    std::fs::write(&stray, "a,b\n").unwrap();
    all.push(stray.clone());
    let out = paramscope().args(args(&all)).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("note: {}: not a weight file; left out\n", stray.display())
    );
    // Named alone, a companion is still told it is no checkpoint.
    let out = paramscope()
        .arg(dir.path().join("config.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shards_named_together_form_one_checkpoint() {
    let dir = TempDir::new().unwrap();
    let all = hub_folder(dir.path());
    let shards: Vec<PathBuf> = all
        .iter()
        .filter(|p| p.to_str().unwrap().ends_with("-of-00003.safetensors"))
        .cloned()
        .collect();
    assert_eq!(shards.len(), 3);
    // `*.safetensors` gave 3 reports with a total; now the checkpoint their index describes.
    let report = inspect_json(&args(&shards));
    assert_eq!(report["parameters"], PARAMETERS);
    assert_eq!(
        report["path"],
        dir.path()
            .join("model.safetensors.index.json")
            .to_str()
            .unwrap()
    );
    // Without an index, the shards alone, as their folder reads them; one missing is reported as in a folder.
    std::fs::remove_file(dir.path().join("model.safetensors.index.json")).unwrap();
    let report = inspect_json(&args(&shards));
    assert_eq!(report["parameters"], PARAMETERS);
    assert_eq!(report["shards"], 3);
    assert_eq!(report["layout"], "directory");
    let out = paramscope().args(args(&shards[..2])).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("part 3 of 3"), "{err}");
}

/// `models--org--tiny` with two snapshots: `refs/main` names the newer, `refs/v1` the older.
#[cfg(unix)]
fn cache() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let repo = dir.path().join("models--org--tiny");
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    for (commit, elements, blob) in [("1111aaaa", 3u64, "b1"), ("2222bbbb", 5, "b2")] {
        let snapshot = repo.join("snapshots").join(commit);
        std::fs::create_dir_all(&snapshot).unwrap();
        SafetensorsWriter::new()
            .tensor("w", DType::F32, &[elements])
            .write(&repo.join("blobs").join(blob))
            .unwrap();
        std::os::unix::fs::symlink(
            format!("../../blobs/{blob}"),
            snapshot.join("model.safetensors"),
        )
        .unwrap();
    }
    std::fs::write(repo.join("refs/main"), "2222bbbb").unwrap();
    std::fs::write(repo.join("refs/v1"), "1111aaaa\n").unwrap();
    (dir, repo)
}

#[cfg(unix)]
#[test]
fn a_cache_repository_reads_refs_main_or_the_revision_asked_for() {
    let (_dir, repo) = cache();
    let run = |path: &Path, extra: &[&str]| {
        let out = paramscope()
            .arg("inspect")
            .arg(path)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap(), report, stderr)
    };
    let (code, report, stderr) = run(&repo, &[]);
    assert_eq!((code, &report["parameters"]), (0, &Value::from(5)));
    assert_eq!(
        stderr,
        format!(
            "note: {}: reading snapshot 2222bbbb (refs/main)\n",
            repo.display()
        )
    );
    // `…/snapshots` gave a generic "no checkpoint".
    let (code, report, _) = run(&repo.join("snapshots"), &[]);
    assert_eq!((code, &report["parameters"]), (0, &Value::from(5)));
    let (code, report, stderr) = run(&repo, &["--revision", "v1"]);
    assert_eq!((code, &report["parameters"]), (0, &Value::from(3)));
    assert!(
        stderr.contains("reading snapshot 1111aaaa (refs/v1)"),
        "{stderr}"
    );
    let (code, report, stderr) = run(&repo, &["--revision", "1111"]);
    assert_eq!((code, &report["parameters"]), (0, &Value::from(3)));
    assert!(stderr.contains("(revision 1111)"), "{stderr}");
    let (code, _, stderr) = run(&repo, &["--revision", "v9"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "no snapshot for revision 'v9' (refs: main, v1; snapshots: 1111aaaa, 2222bbbb)"
        ),
        "{stderr}"
    );
    // Without refs/main, two snapshots are a question for the user; one is the answer.
    std::fs::remove_file(repo.join("refs/main")).unwrap();
    let (code, _, stderr) = run(&repo, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--revision REF"), "{stderr}");
    std::fs::remove_dir_all(repo.join("snapshots/1111aaaa")).unwrap();
    let (code, report, stderr) = run(&repo, &[]);
    assert_eq!((code, &report["parameters"]), (0, &Value::from(5)));
    assert!(stderr.contains("(the only snapshot)"), "{stderr}");
}

/// Shards symlinked into a working folder (`ln -s ~/models/x/* .`) read the same with an index and without:
/// one note, not one error per shard.
#[cfg(unix)]
#[test]
fn symlinked_shards_read_alike_with_and_without_an_index() {
    let store = TempDir::new().unwrap();
    hub_folder(store.path());
    for with_index in [true, false] {
        let work = TempDir::new().unwrap();
        for e in std::fs::read_dir(store.path()).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if name.ends_with(".safetensors") || (with_index && name.ends_with(".index.json")) {
                std::os::unix::fs::symlink(&p, work.path().join(&name)).unwrap();
            }
        }
        let report = inspect_json(&[work.path().to_str().unwrap()]);
        assert_eq!(report["parameters"], PARAMETERS, "index: {with_index}");
        let notes = report["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0]
                .as_str()
                .unwrap()
                .starts_with("3 shards are symlinks to files outside the checkpoint's folder"),
            "{notes:?}"
        );
    }
}

#[test]
fn a_filter_that_matches_nothing_says_so_and_a_plain_name_is_a_prefix() {
    let dir = TempDir::new().unwrap();
    hub_folder(dir.path());
    let folder = dir.path().to_str().unwrap();
    // `--filter model.layers.0` matched nothing (a glob matches the whole name) and said nothing.
    let report = inspect_json(&[folder, "--filter", "model.layers.0"]);
    assert_eq!(report["parameters"], 6);
    let report = inspect_json(&[folder, "--filter", "model.layers.00"]);
    assert_eq!(report["parameters"], 0);
    let notes = report["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("--filter 'model.layers.00' matched no tensor")
            && n.as_str().unwrap().ends_with("try '*model.layers.00*'")),
        "{notes:?}"
    );
    let out = paramscope()
        .args([folder, "--filter", "layers.0"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("matched no tensor") && text.contains("try '*layers.0*'"),
        "{text}"
    );
    let out = paramscope()
        .args(["stats", folder, "--filter", "nothing.here"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--filter 'nothing.here' matched no tensor"),
        "{err}"
    );
}

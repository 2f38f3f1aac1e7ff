//! `verify` on the real binary: a Hugging Face cache built here with real data and blobs named by their hashes,
//! manifests, a digest for one file, missing and unverified files. Every expected hash is computed by another
//! program (`sha256sum`, `git hash-object`), not by the code under test.
#![cfg(unix)]

use crate::common::{paramscope, Lcg};
use paramscope::format::synth::{write_sharded, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHARDS: [&str; 3] = [
    "model-00001-of-00003.safetensors",
    "model-00002-of-00003.safetensors",
    "model-00003-of-00003.safetensors",
];
const INDEX: &str = "model.safetensors.index.json";

fn tool(program: &str, args: &[&str], path: &Path) -> String {
    let out = Command::new(program).args(args).arg(path).output().unwrap();
    assert!(out.status.success(), "{program} {}", path.display());
    String::from_utf8(out.stdout).unwrap()[..if program == "git" { 40 } else { 64 }].to_string()
}

fn sha256sum(path: &Path) -> String {
    tool("sha256sum", &[], path)
}

fn git_blob(path: &Path) -> String {
    tool("git", &["hash-object", "--no-filters"], path)
}

/// A checkpoint of three shards of pseudo-random F32 data (256 KiB each), its index and a config.json.
fn write_checkpoint(dir: &Path) {
    let mut rng = Lcg(7);
    let shards: Vec<SafetensorsWriter> = (0..3)
        .map(|i| {
            let data: Vec<u8> = (0..65_536)
                .flat_map(|_| rng.next_f32(1.0).to_le_bytes())
                .collect();
            SafetensorsWriter::new().tensor_with_data(
                &format!("model.layers.{i}.mlp.weight"),
                DType::F32,
                &[256, 256],
                data,
            )
        })
        .collect();
    write_sharded(dir, "model", &shards, serde_json::Map::new()).unwrap();
    std::fs::write(dir.join("config.json"), br#"{"model_type": "llama"}"#).unwrap();
}

/// `models--org--tiny` as huggingface_hub lays it out: each file of the checkpoint moved to `blobs/`, named by
/// its SHA-256 (the weights, LFS files on the Hub) or its git blob id (index and config), and linked from
/// `snapshots/REV/` by a relative link; `refs/main` names REV. Returns (repository, snapshot).
fn hf_repository(root: &Path) -> (PathBuf, PathBuf) {
    let staging = root.join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    write_checkpoint(&staging);
    let repo = root.join("models--org--tiny");
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = repo.join("snapshots").join(rev);
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(repo.join("refs/main"), rev).unwrap();
    for entry in std::fs::read_dir(&staging).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let id = if name.ends_with(".safetensors") {
            sha256sum(&path)
        } else {
            git_blob(&path)
        };
        std::fs::rename(&path, repo.join("blobs").join(&id)).unwrap();
        std::os::unix::fs::symlink(format!("../../blobs/{id}"), snapshot.join(&name)).unwrap();
    }
    (repo, snapshot)
}

fn verify(args: &[&str]) -> (i32, String, String) {
    let out = paramscope().arg("verify").args(args).output().unwrap();
    (
        out.status.code().expect("an exit code, not a signal"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn verify_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = verify(&all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn file<'a>(report: &'a Value, path: &Path) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == s(path))
        .unwrap_or_else(|| panic!("{} not in {report:#}", path.display()))
}

#[test]
fn a_cache_repository_verifies_clean_by_each_blobs_name() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, snapshot) = hf_repository(dir.path());
    for target in [&repo, &snapshot] {
        let (code, r) = verify_json(&[s(target)]);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!(r["verdict"], "verified");
        let paths: Vec<&str> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        let want: Vec<PathBuf> = std::iter::once(INDEX)
            .chain(SHARDS)
            .chain(["config.json"])
            .map(|n| snapshot.join(n))
            .collect();
        assert_eq!(paths, want.iter().map(|p| s(p)).collect::<Vec<_>>());
        for shard in SHARDS {
            let f = file(&r, &snapshot.join(shard));
            let sha = sha256sum(&snapshot.join(shard));
            assert_eq!(
                (&f["status"], &f["sha256"]),
                (&"ok".into(), &sha.clone().into())
            );
            let reference = &f["references"][0];
            assert_eq!(reference["kind"], "hf-cache");
            assert_eq!(reference["algorithm"], "sha256");
            assert_eq!(reference["expected"], sha);
            assert_eq!(reference["origin"], s(&repo.join("blobs").join(&sha)));
            assert_eq!(reference["matches"], true);
        }
        // Small files are named by their git blob id, which verify computes for them alone.
        for small in [INDEX, "config.json"] {
            let f = file(&r, &snapshot.join(small));
            let id = git_blob(&snapshot.join(small));
            assert_eq!(f["status"], "ok");
            assert_eq!(f["git_blob_sha1"], id);
            assert_eq!(f["references"][0]["algorithm"], "git-blob-sha1");
            assert_eq!(f["references"][0]["expected"], id);
            assert_eq!(f["sha256"], sha256sum(&snapshot.join(small)));
        }
        let bytes: u64 = want
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        assert_eq!(r["summary"]["bytes_hashed"], bytes);
        assert_eq!(r["summary"]["ok"], 5);
    }
    let (code, out, _) = verify(&[s(&repo)]);
    assert_eq!(code, 0);
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("verified: 5 files (") && last.ends_with(") match their references"),
        "{out}"
    );
}

#[test]
fn one_flipped_byte_deep_in_a_shard_fails_naming_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, snapshot) = hf_repository(dir.path());
    let shard = snapshot.join(SHARDS[1]);
    let blob = std::fs::canonicalize(&shard).unwrap();
    let expected = sha256sum(&shard);
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.len() * 3 / 4;
    bytes[at] ^= 0x10;
    std::fs::write(&blob, &bytes).unwrap();
    let actual = sha256sum(&shard);
    assert_ne!(actual, expected);

    let (code, out, err) = verify(&[s(&repo)]);
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5 + 2 + 1, "{out}");
    assert!(
        lines[2].starts_with(&format!("MISMATCH   {}: ", shard.display())),
        "{out}"
    );
    assert_eq!(
        lines[3],
        format!(
            "    expected {expected} (hf-cache {})",
            repo.join("blobs").join(&expected).display()
        )
    );
    assert_eq!(lines[4], format!("    actual   {actual}"));
    for ok in [0, 1, 5, 6] {
        assert!(lines[ok].starts_with("ok "), "{out}");
    }
    assert!(
        lines[7].starts_with("FAILED: 1 mismatch of 5 files"),
        "{out}"
    );

    // The same in JSON, and in GitHub's and JUnit's terms.
    let (code, r) = verify_json(&[s(&repo)]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "failed");
    let f = file(&r, &shard);
    assert_eq!(
        (&f["status"], &f["sha256"]),
        (&"mismatch".into(), &actual.clone().into())
    );
    assert_eq!(f["references"][0]["matches"], false);
    let junit = dir.path().join("verify.xml");
    let (code, out, _) = verify(&[s(&repo), "--format", "github", "--junit", s(&junit)]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "::error file={},title=paramscope verify%3A mismatch::",
            s(&shard).replace(':', "%3A").replace(',', "%2C")
        )),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"0\""),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<failure message=\"mismatch").count(),
        1,
        "{xml}"
    );
}

#[test]
fn a_small_file_that_changed_fails_by_its_git_blob_id() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, snapshot) = hf_repository(dir.path());
    let config = snapshot.join("config.json");
    let blob = std::fs::canonicalize(&config).unwrap();
    std::fs::write(&blob, br#"{"model_type": "llamb"}"#).unwrap();
    let (code, r) = verify_json(&[s(&repo)]);
    assert_eq!(code, 1);
    let f = file(&r, &config);
    assert_eq!(f["status"], "mismatch");
    assert_eq!(f["git_blob_sha1"], git_blob(&config));
    assert_eq!(f["references"][0]["algorithm"], "git-blob-sha1");
}

#[test]
fn a_shard_whose_blob_is_gone_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, snapshot) = hf_repository(dir.path());
    let shard = snapshot.join(SHARDS[2]);
    let blob = std::fs::canonicalize(&shard).unwrap();
    std::fs::remove_file(&blob).unwrap();
    let (code, r) = verify_json(&[s(&repo)]);
    assert_eq!(code, 1);
    assert_eq!(r["verdict"], "failed");
    let f = file(&r, &shard);
    assert_eq!(f["status"], "missing");
    assert_eq!(f["sha256"], Value::Null);
    assert_eq!(
        f["note"],
        format!("its cache blob {} is missing", blob.display())
    );
    assert_eq!(f["references"][0]["matches"], Value::Null);
    assert_eq!(r["summary"]["missing"], 1);
    assert_eq!(r["summary"]["ok"], 4);
}

/// A plain copy of the checkpoint (no cache links) and a manifest written by `sha256sum` in its folder.
fn copy_with_manifest(root: &Path, binary: bool) -> PathBuf {
    let folder = root.join("release");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    write_checkpoint(&folder);
    std::fs::write(folder.join("sub/tokenizer.model"), b"tokens").unwrap();
    let mut names: Vec<&str> = SHARDS.to_vec();
    names.extend([INDEX, "config.json", "sub/tokenizer.model"]);
    let out = Command::new("sha256sum")
        .args(if binary { &["-b"][..] } else { &[][..] })
        .args(&names)
        .current_dir(&folder)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(folder.join("SHA256SUMS"), out.stdout).unwrap();
    folder
}

#[test]
fn a_manifest_with_relative_paths_verifies_the_folder_from_anywhere() {
    for binary in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let folder = copy_with_manifest(dir.path(), binary);
        let manifest = folder.join("SHA256SUMS");
        let (code, r) = verify_json(&[s(&folder), "--sha256", s(&manifest)]);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!(r["summary"]["files"], 6);
        let tokenizer = file(&r, &folder.join("sub/tokenizer.model"));
        assert_eq!(tokenizer["status"], "ok");
        assert_eq!(tokenizer["references"][0]["kind"], "manifest");
        assert_eq!(
            tokenizer["references"][0]["origin"],
            format!("{}:6", s(&manifest))
        );

        // From the folder itself, by relative paths.
        let out = paramscope()
            .current_dir(&folder)
            .args(["verify", ".", "--sha256", "SHA256SUMS", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn a_missing_shard_named_by_the_index_and_the_manifest_fails() {
    let dir = tempfile::tempdir().unwrap();
    let folder = copy_with_manifest(dir.path(), false);
    std::fs::remove_file(folder.join(SHARDS[0])).unwrap();
    let (code, out, _) = verify(&[s(&folder), "--sha256", s(&folder.join("SHA256SUMS"))]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "MISSING    {}: named by {}\n",
            folder.join(SHARDS[0]).display(),
            folder.join(INDEX).display()
        )),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("FAILED: 1 missing of 6 files ("),
        "{out}"
    );
}

#[test]
fn a_file_without_a_reference_is_unverified_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let folder = copy_with_manifest(dir.path(), false);
    // The manifest lacks the last shard: the rest verify, that one cannot be.
    let manifest = folder.join("SHA256SUMS");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.contains(SHARDS[2]))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, kept).unwrap();
    let (code, r) = verify_json(&[s(&folder), "--sha256", s(&manifest)]);
    assert_eq!(code, 2);
    assert_eq!(r["verdict"], "incomplete");
    let f = file(&r, &folder.join(SHARDS[2]));
    assert_eq!(f["status"], "unverified");
    assert_eq!(f["references"], serde_json::json!([]));
    assert_eq!(f["sha256"], sha256sum(&folder.join(SHARDS[2])));
    assert_eq!(r["summary"]["ok"], 5);

    // With no reference at all, every weight file (and nothing else) is hashed and reported unverified.
    let (code, out, _) = verify(&[s(&folder)]);
    assert_eq!(code, 2);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("unverified "))
        .collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("incomplete: 4 unverified of 4 files"),
        "{out}"
    );
}

#[test]
fn a_digest_for_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = copy_with_manifest(dir.path(), false);
    let shard = folder.join(SHARDS[0]);
    let sha = sha256sum(&shard);
    let (code, r) = verify_json(&[s(&shard), "--sha256", &sha.to_uppercase()]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(file(&r, &shard)["references"][0]["kind"], "argument");
    let wrong = format!("{}0", &sha[..63]);
    let wrong = if wrong == sha {
        format!("{}1", &sha[..63])
    } else {
        wrong
    };
    let (code, out, _) = verify(&[s(&shard), "--sha256", &wrong]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("    expected {wrong} (argument --sha256)")),
        "{out}"
    );

    let (code, _, err) = verify(&[s(&folder), "--sha256", &sha]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --sha256 HEX is the hash of one file"),
        "{err}"
    );
}

#[test]
fn an_unreadable_manifest_or_target_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = copy_with_manifest(dir.path(), false);
    let bad = folder.join("SUMS");
    std::fs::write(&bad, format!("{}  a\nmd5 is not it\n", "0".repeat(64))).unwrap();
    let (code, _, err) = verify(&[s(&folder), "--sha256", s(&bad)]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: --sha256 {}: line 2 is neither `SHA256  PATH` nor `SHA256 (PATH) = HEX`: md5 is not it\n",
            bad.display()
        )
    );
    let absent = folder.join("absent");
    let (code, out, _) = verify(&[s(&absent), s(&folder.join(SHARDS[0]))]);
    assert_eq!(code, 2);
    assert!(
        out.contains(&format!("UNREADABLE {}: cannot read:", absent.display())),
        "{out}"
    );
}

/// `check --verify`: the rule passes on the cache as it is, fails naming a flipped shard, fails on a copy with no
/// reference, and passes on that copy with `--verify-sha256` (or `verify-sha256` in a rules file).
#[test]
fn check_verify_is_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    let (_, snapshot) = hf_repository(dir.path());
    let index = snapshot.join(INDEX);
    let check = |args: &[&str]| {
        let out = paramscope().arg("check").args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, out) = check(&[s(&index), "--verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS verify: 4 files ("), "{out}");

    let shard = snapshot.join(SHARDS[0]);
    let blob = std::fs::canonicalize(&shard).unwrap();
    let expected = sha256sum(&shard);
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.len() - 1000;
    bytes[at] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let (code, out) = check(&[s(&index), "--verify", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let rule = &r["rules"][1];
    assert_eq!(
        (&rule["rule"], &rule["status"], &rule["measured"]),
        (&"verify".into(), &"fail".into(), &1.into())
    );
    assert_eq!(
        rule["details"][0],
        format!(
            "{}: expected {expected} ({}), actual {}",
            shard.display(),
            blob.display(),
            sha256sum(&shard)
        )
    );

    let folder = copy_with_manifest(dir.path(), false);
    let copy = folder.join(INDEX);
    let (code, out) = check(&[s(&copy), "--verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL verify: 4 of 4 files do not verify (4 unverified;"),
        "{out}"
    );
    let (code, out) = check(&[s(&copy), "--verify-sha256", s(&folder.join("SHA256SUMS"))]);
    assert_eq!(code, 0, "{out}");
    let rules = dir.path().join("paramscope.toml");
    std::fs::write(&rules, "verify-sha256 = \"release/SHA256SUMS\"\n").unwrap();
    let (code, out) = check(&[s(&copy), "--rules", s(&rules)]);
    assert_eq!(code, 0, "{out}");
}

//! `inspect --recursive --format jsonl` and `check --recursive` over a model store, and `check` on a sparse
//! 405B-shaped sharded checkpoint.

use crate::common::paramscope;
use paramscope::format::synth::{write_sharded, LlamaShape, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::{Map, Value};
use std::fs;
use tempfile::TempDir;

/// 8,100 parameters: BF16 [1000, 8] and F32 [100].
fn small() -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor("embed.weight", DType::BF16, &[1000, 8])
        .tensor("norm.weight", DType::F32, &[100])
}

/// root/a/good.safetensors; root/b/sharded/ (index and two shards of the same 8,100 parameters);
/// root/c/broken.safetensors (3 trailing bytes) and root/c/d/notes.txt; root/e/ empty.
fn store() -> TempDir {
    let root = TempDir::new().unwrap();
    let p = root.path();
    for d in ["a", "b/sharded", "c/d", "e"] {
        fs::create_dir_all(p.join(d)).unwrap();
    }
    small().write(&p.join("a/good.safetensors")).unwrap();
    let shards = [
        SafetensorsWriter::new().tensor("embed.weight", DType::BF16, &[1000, 8]),
        SafetensorsWriter::new().tensor("norm.weight", DType::F32, &[100]),
    ];
    write_sharded(&p.join("b/sharded"), "model", &shards, Map::new()).unwrap();
    let mut broken = small().to_bytes();
    broken.extend_from_slice(&[0, 0, 0]);
    fs::write(p.join("c/broken.safetensors"), broken).unwrap();
    fs::write(p.join("c/d/notes.txt"), "not a checkpoint").unwrap();
    root
}

#[test]
fn inspect_recursive_jsonl_lists_each_checkpoint_once_and_goes_on_after_a_broken_one() {
    let root = store();
    let p = root.path();
    let out = paramscope()
        .args([
            "inspect",
            "--recursive",
            p.to_str().unwrap(),
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");

    assert_eq!(
        lines[0]["path"],
        p.join("a/good.safetensors").to_str().unwrap()
    );
    assert_eq!(lines[0]["parameters"], 8100);
    assert_eq!(lines[0]["tensor_bytes"], 16400);

    // The shards are one checkpoint, through its index.
    let index = p.join("b/sharded/model.safetensors.index.json");
    assert_eq!(lines[1]["path"], index.to_str().unwrap());
    assert_eq!(lines[1]["layout"], "sharded");
    assert_eq!(lines[1]["shards"], 2);
    assert_eq!(lines[1]["parameters"], 8100);

    let broken = p.join("c/broken.safetensors");
    assert_eq!(lines[2]["path"], broken.to_str().unwrap());
    let errors = lines[2]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], "trailing_bytes");
    assert_eq!(errors[0]["path"], broken.to_str().unwrap());
    assert_eq!(
        lines[2].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["path", "errors"]
    );
}

#[test]
fn check_recursive_applies_the_rules_to_every_checkpoint() {
    let root = store();
    let p = root.path();
    let out = paramscope()
        .args([
            "check",
            "-r",
            p.to_str().unwrap(),
            "--max-params",
            "8.1K",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable checkpoint makes the run unusable"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let statuses: Vec<(String, String)> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_string(),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |rel: &str| p.join(rel).display().to_string();
    assert_eq!(
        statuses,
        [
            (at("a/good.safetensors"), "pass".to_string()),
            (
                at("b/sharded/model.safetensors.index.json"),
                "pass".to_string()
            ),
            (at("c/broken.safetensors"), "error".to_string()),
        ]
    );

    // Without the broken file, a failing rule gives exit 1 and the summary counts it.
    fs::remove_file(p.join("c/broken.safetensors")).unwrap();
    let out = paramscope()
        .args([
            "check",
            "--recursive",
            p.to_str().unwrap(),
            "--max-params",
            "8K",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.ends_with("2 checkpoints: 0 passed, 2 failed, 0 unreadable\n"),
        "{stdout}"
    );
}

/// A tree without checkpoints is reported like an empty folder named alone (`empty_directory`), in every
/// output format: `check --format json` printed nothing on stdout and the JUnit file held no test suite.
#[test]
fn recursive_walk_of_a_tree_without_checkpoints_is_an_error() {
    let root = TempDir::new().unwrap();
    fs::create_dir_all(root.path().join("x/y")).unwrap();
    let root_str = root.path().to_str().unwrap();
    let message = "no checkpoint found in this directory (no *.safetensors, *.safetensors.index.json, *.gguf or PyTorch *.bin/*.pt/*.pth)";
    for cmd in ["inspect", "check"] {
        let out = paramscope()
            .args([cmd, "--recursive", root_str])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("error: {root_str}: {message}\n")
        );
    }
    let expected_error =
        serde_json::json!([{"code": "empty_directory", "message": message, "path": root_str}]);
    let junit = root.path().join("x/check.xml");
    let out = paramscope()
        .args([
            "check",
            "--recursive",
            root_str,
            "--format",
            "json",
            "--junit",
        ])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "error");
    assert_eq!(report["errors"], expected_error);
    let junit = fs::read_to_string(junit).unwrap();
    assert!(
        junit.contains(r#"tests="1" failures="0" errors="1""#),
        "{junit}"
    );

    let out = paramscope()
        .args(["inspect", "--recursive", root_str, "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["errors"], expected_error);
}

#[test]
fn check_sparse_405b_sharded_checkpoint_with_size_rules() {
    let dir = TempDir::new().unwrap();
    let shape = LlamaShape::LLAMA31_405B;
    let shards = shape.shards(DType::BF16, 5_000_000_000);
    let index = write_sharded(dir.path(), "model", &shards, Map::new()).unwrap();

    // Per layer: two norms [h], gate/up/down [i, h], q/o [h, h], k/v [kv_heads × head_dim, h]; then the
    // embeddings and the head [vocab, h] and the final norm [h].
    let (h, i, vocab, layers, kv) = (16_384u64, 53_248u64, 128_256u64, 126u64, 8 * 128u64);
    let per_layer = 2 * h + 3 * h * i + 2 * h * h + 2 * kv * h;
    let parameters = layers * per_layer + 2 * vocab * h + h;
    assert_eq!(parameters, 405_853_388_800);
    // Shards hold at most 5 GB of tensor data; a file also holds its header. Sizes from the writer.
    let file_sizes: Vec<u64> = shards
        .iter()
        .map(|s| 8 + s.header().len() as u64 + s.data_bytes())
        .collect();
    let largest = *file_sizes.iter().max().unwrap();
    let at_largest = file_sizes.iter().filter(|&&s| s == largest).count();
    assert!(largest <= 5_000_000_000);

    let out = paramscope()
        .args([
            "check",
            index.to_str().unwrap(),
            "--max-params",
            "406B",
            "--min-params",
            "405B",
            "--max-bytes",
            "756GiB",
            "--max-file-bytes",
            "5GB",
            "--dtype",
            "BF16",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = |name: &str| {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(rule("structure")["measured"], shards.len());
    assert_eq!(rule("max-params")["measured"], parameters);
    assert_eq!(rule("max-params")["limit"], 406_000_000_000u64);
    assert_eq!(rule("min-params")["limit"], 405_000_000_000u64);
    // BF16: two bytes per parameter; 756 GiB = 811,748,818,944 bytes.
    assert_eq!(rule("max-bytes")["measured"], 2 * parameters);
    assert_eq!(rule("max-bytes")["limit"], 756u64 << 30);
    assert_eq!(rule("max-file-bytes")["measured"], largest);
    assert_eq!(rule("max-file-bytes")["limit"], 5_000_000_000u64);
    assert_eq!(rule("dtype")["measured"], serde_json::json!(["BF16"]));

    // One byte less than the largest file fails exactly the files of that size.
    let limit = largest - 1;
    let out = paramscope()
        .args([
            "check",
            index.to_str().unwrap(),
            "--max-file-bytes",
            &format!("{limit}B"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let fail_line = stdout.lines().nth(1).unwrap();
    assert!(
        fail_line.starts_with(&format!(
            "FAIL max-file-bytes: {at_largest} of {} files over {}B; largest ",
            shards.len(),
            grouped(limit)
        )),
        "{fail_line}"
    );
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let chunks: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    chunks.join(",")
}

#[test]
fn inspect_jsonl_without_recursion_prints_one_compact_line_per_checkpoint() {
    let out = paramscope()
        .args([
            "inspect",
            "fixtures/tiny/model.safetensors",
            "fixtures/sharded",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], "fixtures/tiny/model.safetensors");
    assert_eq!(
        lines[1]["path"],
        "fixtures/sharded/model.safetensors.index.json"
    );
}

#[test]
fn check_json_over_several_checkpoints_has_a_summary_and_github_annotates_unreadable_ones() {
    let out = paramscope()
        .args([
            "check",
            "fixtures/tiny/model.safetensors",
            "fixtures/sharded",
            "--max-params",
            "100K",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 145,472 > 100K fails; 22,688 passes.
    assert_eq!(v["checkpoints"][0]["status"], "fail");
    assert_eq!(v["checkpoints"][1]["status"], "pass");
    assert_eq!(
        v["summary"],
        serde_json::json!({"checkpoints": 2, "passed": 1, "failed": 1, "unreadable": 0})
    );

    let out = paramscope()
        .args([
            "check",
            "fixtures/malformed/trailing.safetensors",
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(
            "::error file=fixtures/malformed/trailing.safetensors,title=paramscope check%3A unreadable checkpoint::\
             fixtures/malformed/trailing.safetensors: "
        ),
        "{stdout}"
    );
}

/// An index may keep its shards in a subfolder (`shards/model-00001-of-00002.safetensors`): the walk reports the
/// checkpoint once, through its index, and not the shards' folder again as a second model.
#[test]
fn recursive_walk_counts_shards_in_an_index_subfolder_once() {
    let root = TempDir::new().unwrap();
    let model = root.path().join("model");
    let shards = [
        SafetensorsWriter::new().tensor("embed.weight", DType::BF16, &[1000, 8]),
        SafetensorsWriter::new().tensor("norm.weight", DType::F32, &[100]),
    ];
    fs::create_dir_all(model.join("shards")).unwrap();
    let index_path = write_sharded(&model.join("shards"), "model", &shards, Map::new()).unwrap();
    let mut index: Value = serde_json::from_slice(&fs::read(&index_path).unwrap()).unwrap();
    for file in index["weight_map"].as_object_mut().unwrap().values_mut() {
        *file = format!("shards/{}", file.as_str().unwrap()).into();
    }
    fs::remove_file(&index_path).unwrap();
    let index_path = model.join("model.safetensors.index.json");
    fs::write(&index_path, index.to_string()).unwrap();
    small()
        .write(&model.join("shards/extra.safetensors"))
        .unwrap();

    let out = paramscope()
        .args(["inspect", "--recursive", "--format", "jsonl"])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    let extra = model.join("shards/extra.safetensors");
    assert_eq!(
        paths,
        [index_path.to_str().unwrap(), extra.to_str().unwrap()],
        "{stdout}"
    );
    assert_eq!(lines[0]["shards"], 2);
    assert_eq!(lines[0]["parameters"], 1000 * 8 + 100);
}

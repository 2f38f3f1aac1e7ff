//! The same thing said the same way by every subcommand (issue 17, "Consistency between subcommands").

use crate::common::paramscope;
use serde_json::Value;

/// Unusable input with `--format json`: every subcommand writes check's error object on stdout, its problem on
/// stderr, and exits 2. The header length prefix of "garbage\n" read little-endian is far past any limit.
#[test]
fn unusable_input_gives_one_json_error_object_on_stdout_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"garbage\n").unwrap();
    let bad = bad.to_str().unwrap();
    let runs: [&[&str]; 5] = [
        &["check", bad],
        &["inspect", bad],
        &["stats", bad],
        &["footprint", bad],
        &["diff", bad, bad],
    ];
    let mut objects = Vec::new();
    for args in runs {
        let out = paramscope()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("header"), "{args:?}: {stderr}");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON object ({e})"));
        assert_eq!(v["status"], "error", "{args:?}: {v}");
        assert_eq!(v["path"], bad, "{args:?}: {v}");
        assert_eq!(v["errors"][0]["code"], "header_too_large", "{args:?}: {v}");
        assert_eq!(v["errors"][0]["path"], bad, "{args:?}: {v}");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        objects.push((args[0], keys.into_iter().cloned().collect::<Vec<_>>()));
    }
    // One shape: the keys check writes, in every subcommand (diff names both sides, so two errors).
    for (name, keys) in &objects {
        assert_eq!(keys, &objects[0].1, "{name}");
    }
}

/// `weights_memory.stored_bytes` is the key in both `inspect` and `footprint` (footprint said only
/// `weights.stored_bytes`, kept as an alias): the same bytes, equal to the sum of the tensors' byte ranges.
#[test]
fn stored_bytes_have_one_key_in_inspect_and_footprint() {
    let path = crate::common::repo_path("fixtures/tiny/model.safetensors");
    let inspect = crate::common::inspect_json(&[path.to_str().unwrap(), "--tensors"]);
    let footprint = crate::common::footprint_json(&path, &[]);
    let summed: u64 = inspect["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["data_offsets"][1].as_u64().unwrap() - t["data_offsets"][0].as_u64().unwrap())
        .sum();
    assert!(summed > 0);
    assert_eq!(inspect["weights_memory"]["stored_bytes"], summed);
    assert_eq!(footprint["weights_memory"]["stored_bytes"], summed);
    assert_eq!(
        footprint["weights"]["stored_bytes"], summed,
        "the old key stays"
    );
    assert_eq!(
        footprint["weights_memory"]["precisions"],
        footprint["precisions"]
    );
}

/// `check -r --brief`: one line per checkpoint found, named as `inspect --brief` names it, with its verdict.
#[test]
fn check_recursive_brief_is_one_line_per_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = crate::common::repo_path("fixtures/tiny/model.safetensors");
    for name in ["alpha", "beta"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::copy(&tiny, dir.path().join(name).join("model.safetensors")).unwrap();
    }
    std::fs::create_dir(dir.path().join("gamma")).unwrap();
    std::fs::write(dir.path().join("gamma/model.safetensors"), b"").unwrap();
    let params = crate::common::inspect_json(&[tiny.to_str().unwrap()])["parameters"]
        .as_u64()
        .unwrap();
    let run = |limit: u64| {
        let out = paramscope()
            .args(["check", "-r", "--brief", dir.path().to_str().unwrap()])
            .args(["--max-params", &limit.to_string()])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, stdout) = run(params);
    assert_eq!(code, Some(2), "{stdout}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "alpha  PASS",
            "beta  PASS",
            "gamma  ERROR  empty_file: file is empty"
        ],
        "{stdout}"
    );
    let (_, stdout) = run(params - 1);
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines[..2],
        ["alpha  FAIL  max-params", "beta  FAIL  max-params"]
    );
    assert_eq!(lines.len(), 3, "{stdout}");
}

/// Byte counts in messages have thousands separators; the code stays what it was.
#[test]
fn byte_counts_in_messages_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.safetensors");
    let mut bytes = 12_345_678u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[b' '; 1500]);
    std::fs::write(&bad, &bytes).unwrap();
    let bad = bad.to_str().unwrap();
    let out = paramscope().args(["inspect", bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .contains("header length 12,345,678 goes past the end of the file (1,500 bytes follow"),
        "{stderr}"
    );
    let out = paramscope()
        .args(["check", bad, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("12,345,678"), "{message}");
    assert!(!message.contains("12345678"), "{message}");
}

/// One word for one thing across tables: inspect's and footprint's table of the files is "Files" with an
/// "on disk" column, and 16-bit memory is "F16/BF16" in both.
#[test]
fn tables_use_one_word_for_one_thing() {
    let text = |sub: &str| {
        let out = paramscope()
            .args([sub, "fixtures/sharded", "--files"])
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        assert!(out.status.success(), "{sub}");
        String::from_utf8(out.stdout).unwrap()
    };
    for sub in ["inspect", "footprint"] {
        let t = text(sub);
        assert!(t.lines().any(|l| l.trim() == "Files"), "{sub}: {t}");
        assert!(t.contains("on disk"), "{sub}: {t}");
        assert!(!t.contains("Per shard"), "{sub}: {t}");
        assert!(t.contains("F16/BF16"), "{sub}: {t}");
    }
    let inspect = text("inspect");
    let memory = inspect
        .lines()
        .find(|l| l.contains("weights in memory"))
        .unwrap();
    assert!(memory.contains("F16/BF16 "), "{memory}");
}

/// `diff --group-by layer` of a 32-block against a 28-block model pairs the two block rows and says so, instead
/// of one row removed and one added.
#[test]
fn diff_by_layer_pairs_block_ranges() {
    use paramscope::format::synth::SafetensorsWriter;
    use paramscope::model::dtype::DType;
    let dir = tempfile::tempdir().unwrap();
    let model = |blocks: u64| {
        let mut w =
            SafetensorsWriter::new().tensor("model.embed_tokens.weight", DType::F16, &[64, 8]);
        for i in 0..blocks {
            w = w.tensor(&format!("model.layers.{i}.mlp.weight"), DType::F16, &[8, 8]);
        }
        w
    };
    let a = dir.path().join("a.safetensors");
    let b = dir.path().join("b.safetensors");
    model(32).write(&a).unwrap();
    model(28).write(&b).unwrap();
    let (_, v) = crate::common::diff_json(&a, &b, &["--group-by", "layer"]);
    let groups = v["groups"].as_array().unwrap();
    let blocks: Vec<&Value> = groups
        .iter()
        .filter(|g| g["name"].as_str().unwrap().contains("layers"))
        .collect();
    assert_eq!(blocks.len(), 1, "{groups:?}");
    let g = blocks[0];
    assert_eq!(g["name"], "model.layers.{0..31}");
    assert_eq!(g["b_name"], "model.layers.{0..27}");
    assert_eq!(g["blocks"], "32 → 28 blocks");
    assert_eq!(g["a_parameters"], 32 * 64);
    assert_eq!(g["b_parameters"], 28 * 64);
    let out = paramscope()
        .args([
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--group-by",
            "layer",
        ])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("32 → 28 blocks"), "{text}");
}

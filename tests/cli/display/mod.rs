//! The first screen (issue 17, part B): model order, a files summary instead of a long table, `--brief`, units,
//! Markdown alignment, help order. Expected orders and figures are written here from the files the tests make.

mod narrow;

use crate::common::{inspect_json, paramscope};
use paramscope::format::synth::{write_sharded, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::path::Path;

const H: u64 = 64;

/// A small Llama-shaped model of `layers` blocks in `shards` shards, written so that the index's alphabetical
/// `weight_map` meets the last shard first (`lm_head.weight` is in it).
fn llama(dir: &Path, layers: u64, shards: usize) -> std::path::PathBuf {
    let mut names: Vec<(String, Vec<u64>)> =
        vec![("model.embed_tokens.weight".into(), vec![100, H])];
    for l in 0..layers {
        for part in ["input_layernorm", "post_attention_layernorm"] {
            names.push((format!("model.layers.{l}.{part}.weight"), vec![H]));
        }
        for proj in ["self_attn.q_proj", "mlp.up_proj"] {
            names.push((format!("model.layers.{l}.{proj}.weight"), vec![H, H]));
        }
    }
    names.push(("model.norm.weight".into(), vec![H]));
    names.push(("lm_head.weight".into(), vec![100, H]));
    let per = names.len().div_ceil(shards);
    let writers: Vec<SafetensorsWriter> = names
        .chunks(per)
        .map(|chunk| {
            chunk.iter().fold(SafetensorsWriter::new(), |w, (n, s)| {
                w.tensor(n, DType::BF16, s)
            })
        })
        .collect();
    assert_eq!(writers.len(), shards);
    write_sharded(dir, "model", &writers, serde_json::Map::new()).unwrap()
}

fn file_names(report: &Value) -> Vec<String> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn text(args: &[&str]) -> String {
    let out = paramscope().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn files_and_tensors_come_in_shard_order() {
    let dir = tempfile::tempdir().unwrap();
    let index = llama(dir.path(), 12, 4);
    let r = inspect_json(&[index.to_str().unwrap(), "--tensors"]);
    let expected: Vec<String> = (1..=4)
        .map(|i| format!("model-{i:05}-of-00004.safetensors"))
        .collect();
    assert_eq!(file_names(&r), expected);
    // Tensors by (file, offset): the first is the first of shard 1, the last the last of shard 4.
    let tensors = r["tensors"].as_array().unwrap();
    assert_eq!(tensors[0]["name"], "model.embed_tokens.weight");
    assert_eq!(tensors.last().unwrap()["name"], "lm_head.weight");
    let fp = crate::common::footprint_json(&index, &[]);
    let shards: Vec<String> = fp["disk"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(shards, expected);
}

#[test]
fn group_by_layer_and_tree_read_in_model_order() {
    let dir = tempfile::tempdir().unwrap();
    let index = llama(dir.path(), 12, 3);
    let r = inspect_json(&[index.to_str().unwrap(), "--group-by", "layer"]);
    let names: Vec<&str> = r["groups"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "model.embed_tokens",
            "model.layers.{0..11}",
            "model.norm",
            "lm_head"
        ]
    );
    let r = inspect_json(&[index.to_str().unwrap(), "--tree"]);
    let top: Vec<&str> = r["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["model", "lm_head.weight"]);
    let model: Vec<&str> = r["tree"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        model,
        ["embed_tokens.weight", "layers.{0..11}", "norm.weight"]
    );
}

#[test]
fn deepseek_like_mtp_layer_comes_after_the_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = SafetensorsWriter::new()
        .tensor("lm_head.weight", DType::BF16, &[100, H])
        .tensor("model.embed_tokens.weight", DType::BF16, &[100, H])
        .tensor("model.norm.weight", DType::BF16, &[H]);
    for l in 0..5u64 {
        // Layers 0..1 dense, 2..4 wider (MoE-like), 5 the MTP layer with its own embedding.
        let width = if l < 2 { H } else { 2 * H };
        w = w.tensor(
            &format!("model.layers.{l}.mlp.up_proj.weight"),
            DType::BF16,
            &[width, H],
        );
    }
    w = w
        .tensor("model.layers.5.embed_tokens.weight", DType::BF16, &[100, H])
        .tensor("model.layers.5.mlp.up_proj.weight", DType::BF16, &[H, H]);
    let path = dir.path().join("model.safetensors");
    w.write(&path).unwrap();
    let r = inspect_json(&[path.to_str().unwrap(), "--group-by", "layer"]);
    let names: Vec<&str> = r["groups"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "model.embed_tokens",
            "model.layers.{0..1}",
            "model.layers.{2..4}",
            "model.layers.5",
            "model.norm",
            "lm_head"
        ]
    );
}

#[test]
fn sort_name_is_natural() {
    let dir = tempfile::tempdir().unwrap();
    let index = llama(dir.path(), 12, 2);
    let r = inspect_json(&[
        index.to_str().unwrap(),
        "--tensors",
        "--sort",
        "name",
        "--filter",
        "*.input_layernorm.*",
    ]);
    let names: Vec<&str> = r["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..12)
        .map(|l| format!("model.layers.{l}.input_layernorm.weight"))
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn many_files_get_a_summary_line_and_few_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let index = llama(dir.path(), 12, 9);
    let path = index.to_str().unwrap();
    let out = text(&["inspect", path]);
    assert!(out.contains("files: 9 files, "), "{out}");
    assert!(!out.contains("\nFiles\n"), "{out}");
    let listed = text(&["inspect", path, "--files"]);
    assert!(listed.contains("\nFiles\n"), "{listed}");
    assert!(
        listed.contains("model-00009-of-00009.safetensors"),
        "{listed}"
    );
    let fp = text(&["footprint", path]);
    assert!(
        fp.contains("files: 9 files, ") && !fp.contains("Files"),
        "{fp}"
    );
    assert!(text(&["footprint", path, "--files"]).contains("Files"));
    // JSON keeps every file.
    assert_eq!(file_names(&inspect_json(&[path])).len(), 9);

    let few = tempfile::tempdir().unwrap();
    let index = llama(few.path(), 12, 3);
    let out = text(&["inspect", index.to_str().unwrap()]);
    assert!(
        out.contains("\nFiles\n") && !out.contains("files: "),
        "{out}"
    );
    // Rows name the shard relative to the checkpoint's folder, which the heading names once.
    assert!(out.contains("│ model-00001-of-00003.safetensors "), "{out}");
    let full = few.path().join("model-00001-of-00003.safetensors");
    assert!(!out.contains(full.to_str().unwrap()), "{out}");
}

#[test]
fn brief_is_one_line_per_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("Tiny-Llama");
    std::fs::create_dir(&a).unwrap();
    llama(&a, 2, 2);
    // 2 × 100 × 64 embeddings/head, 2 layers × (2 × 64 + 2 × 64 × 64), the final norm.
    let params = 2 * 100 * H + 2 * (2 * H + 2 * H * H) + H;
    assert_eq!(params, 29_504);
    let out = text(&["inspect", a.to_str().unwrap(), "--brief"]);
    let on_disk: u64 = inspect_json(&[a.to_str().unwrap()])["file_bytes"]
        .as_u64()
        .unwrap();
    let size = format!("{:.2} KiB", on_disk as f64 / 1024.0);
    assert_eq!(
        out,
        format!("Tiny-Llama  29.50K params · BF16 · {size} · 2 files\n")
    );
    let b = dir.path().join("Other");
    std::fs::create_dir(&b).unwrap();
    llama(&b, 1, 1);
    let two = text(&[
        "inspect",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--brief",
    ]);
    assert_eq!(two.lines().count(), 2, "{two}");
}

#[test]
fn units_switch_at_a_thousand_and_markdown_aligns_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    // 256,000 F32 elements: 1,024,000 bytes, 1000 KiB.
    SafetensorsWriter::new()
        .tensor("w", DType::F32, &[256_000])
        .write(&path)
        .unwrap();
    let out = text(&["inspect", path.to_str().unwrap()]);
    assert!(out.contains("0.98 MiB (1,024,000 bytes)"), "{out}");
    assert!(!out.contains("1000.00 KiB"), "{out}");
    let md = text(&["inspect", path.to_str().unwrap(), "--format", "markdown"]);
    assert!(
        md.contains("| dtype | tensors | parameters | % params |    bytes | % bytes |\n|-------|--------:|-----------:|---------:|---------:|--------:|"),
        "{md}"
    );
}

#[test]
fn group_by_dtype_prints_one_by_dtype_table() {
    let fixture = crate::common::repo_path("fixtures/tiny/model.safetensors");
    let out = text(&["inspect", fixture.to_str().unwrap(), "--group-by", "dtype"]);
    assert_eq!(out.matches("By dtype").count(), 1, "{out}");
}

#[test]
fn help_lists_the_main_job_first_and_check_headings() {
    let help = text(&["--help"]);
    let at = |name: &str| {
        help.find(&format!("\n  {name} "))
            .unwrap_or_else(|| panic!("{name}: {help}"))
    };
    let order = [
        "inspect",
        "check",
        "footprint",
        "diff",
        "stats",
        "verify",
        "completions",
        "man",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}: {help}");
    }
    let check = text(&["check", "-h"]);
    let rules = check.find("\nRules:\n").unwrap();
    let after_rules = &check[rules..];
    let next_heading = after_rules[1..]
        .find("\n\n")
        .map(|e| &after_rules[..e + 1])
        .unwrap();
    for flag in [
        "  --format <",
        "  --junit <",
        "  --rules <",
        "  --recursive",
        "  --follow-symlinks",
    ] {
        assert!(!next_heading.contains(flag), "{flag} under Rules: {check}");
    }
    assert!(
        check.contains("\nOutput:\n") && check.contains("\nInput:\n"),
        "{check}"
    );
}

//! Narrow terminals (issue 17): at 80 and 60 columns no line is wider than the terminal, no cell holding a number
//! or a name is broken across lines, and each shard of a Hugging Face cache snapshot is one row on one line.
#![cfg(target_os = "linux")]

use crate::terminal::{on_pty, Stream};
use paramscope::format::synth::{write_sharded, LlamaShape};
use paramscope::model::dtype::DType;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Llama-3-8B's tensors (data left as holes) in shards of at most 2 GB, in a folder named like a Hugging Face
/// cache snapshot, with its config.json.
fn llama3_8b_snapshot(root: &Path) -> PathBuf {
    let snapshot = root
        .join("hub/models--meta-llama--Meta-Llama-3-8B-Instruct/snapshots")
        .join("5f0b02c75b57c5855da9ae460ce51323ea669d8a");
    std::fs::create_dir_all(&snapshot).unwrap();
    let shards = LlamaShape::LLAMA3_8B.shards(DType::BF16, 2_000_000_000);
    write_sharded(&snapshot, "model", &shards, serde_json::Map::new()).unwrap();
    std::fs::write(
        snapshot.join("config.json"),
        r#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
  "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "max_position_embeddings": 8192, "vocab_size": 128256, "torch_dtype": "bfloat16"}"#,
    )
    .unwrap();
    snapshot
}

/// What the binary prints with stdout on a terminal of `columns` (no colour, no `COLUMNS` to override it).
fn at(columns: u16, args: &[&str]) -> String {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("paramscope"));
    cmd.args(args).env("NO_COLOR", "1").env_remove("COLUMNS");
    on_pty(cmd, columns, Stream::Stdout).replace('\r', "")
}

/// The cells of a table row (`│ a ┆ b │`), trimmed; nothing for a line that is not a row.
fn cells(line: &str) -> Vec<&str> {
    if !line.starts_with('│') {
        return Vec::new();
    }
    line.trim_matches('│').split('┆').map(str::trim).collect()
}

/// Every line fits; every cell of digits and commas is a whole grouped number (`525,336,5`, the first line of
/// `525,336,576` broken, is not).
fn assert_fits_with_whole_numbers(out: &str, columns: usize) {
    for line in out.lines() {
        assert!(
            line.chars().count() <= columns,
            "wider than {columns}: {line}\n{out}"
        );
        for cell in cells(line) {
            if cell.contains(',') && cell.chars().all(|c| c.is_ascii_digit() || c == ',') {
                let groups: Vec<&str> = cell.split(',').collect();
                let whole = groups[0].len() <= 3
                    && !groups[0].is_empty()
                    && groups[1..].iter().all(|g| g.len() == 3);
                assert!(whole, "broken number {cell:?} at {columns}: {line}\n{out}");
            }
        }
    }
}

#[test]
fn tensor_tables_never_break_a_name_or_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = llama3_8b_snapshot(dir.path());
    let path = snapshot.to_str().unwrap();
    let names: Vec<String> = LlamaShape::LLAMA3_8B
        .tensors()
        .into_iter()
        .map(|t| t.0)
        .collect();
    for columns in [80usize, 60] {
        let out = at(columns as u16, &["inspect", path, "--tensors"]);
        assert!(out.contains("Tensors"), "{out}");
        assert_fits_with_whole_numbers(&out, columns);
        // Each name is a whole cell of one line.
        let shown: std::collections::HashSet<&str> = out.lines().flat_map(cells).collect();
        for name in &names {
            assert!(shown.contains(name.as_str()), "{name} at {columns}:\n{out}");
        }
        if columns == 80 {
            // 128256 × 4096: the embedding's and the head's parameters, whole, on their rows.
            for name in ["model.embed_tokens.weight", "lm_head.weight"] {
                let row = out
                    .lines()
                    .find(|l| cells(l).first() == Some(&name))
                    .unwrap();
                assert!(cells(row).contains(&"525,336,576"), "{row}\n{out}");
            }
        }
    }
}

#[test]
fn each_shard_of_a_cache_snapshot_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = llama3_8b_snapshot(dir.path());
    let path = snapshot.to_str().unwrap();
    let shards = LlamaShape::LLAMA3_8B
        .shards(DType::BF16, 2_000_000_000)
        .len();
    assert!(shards > 4, "{shards}");
    for columns in [80usize, 60] {
        for args in [
            vec!["inspect", path, "--files"],
            vec!["footprint", path, "--files"],
        ] {
            let out = at(columns as u16, &args);
            assert_fits_with_whole_numbers(&out, columns);
            for i in 1..=shards {
                let name = format!("model-{i:05}-of-{shards:05}.safetensors");
                let rows: Vec<&str> = out.lines().filter(|l| l.contains(&name)).collect();
                assert_eq!(rows.len(), 1, "{name} at {columns}:\n{out}");
                // The rest of the row is on the same line: a size.
                assert!(
                    rows[0].contains("GiB") || rows[0].contains("MiB"),
                    "{}",
                    rows[0]
                );
            }
        }
    }
}

/// A pipe keeps the natural width (what scripts saw before) unless `COLUMNS` asks for one; JSON never changes.
#[test]
fn a_pipe_is_fitted_only_when_columns_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = llama3_8b_snapshot(dir.path());
    let path = snapshot.to_str().unwrap();
    let piped = |columns: Option<&str>, args: &[&str]| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("paramscope"));
        cmd.args(args).env_remove("COLUMNS");
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let tensors = ["inspect", path, "--tensors"];
    let natural = piped(None, &tensors);
    // The full tensor row: name, dtype, shape, parameters, bytes, file, offsets, on one line however wide.
    let row = natural
        .lines()
        .find(|l| l.contains("│ lm_head.weight "))
        .unwrap();
    assert!(row.chars().count() > 100, "{row}");
    assert!(
        row.contains("[128256, 4096]") && row.contains("525,336,576"),
        "{row}"
    );
    let fitted = piped(Some("80"), &tensors);
    assert_fits_with_whole_numbers(&fitted, 80);
    assert!(fitted.contains("525,336,576"), "{fitted}");
    let json = ["inspect", path, "--tensors", "--format", "json"];
    assert_eq!(piped(Some("40"), &json), piped(None, &json));
}

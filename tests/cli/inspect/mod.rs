//! `paramscope inspect` on committed fixtures and generated checkpoints, asserting exact figures.

mod gguf;
mod group;
mod quantized;
mod semantics;

use crate::common::fixtures::{TINY_BERT_PARAMETERS, TINY_LLAMA, TINY_LLAMA_PARAMETERS};
use crate::common::{self, inspect_fails, inspect_json, paramscope};
use paramscope::format::synth::{write_sharded, LlamaShape, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::Value;
use std::time::Instant;

fn dtype_row<'a>(report: &'a Value, dtype: &str) -> &'a Value {
    report["dtypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dtype"] == dtype)
        .unwrap_or_else(|| panic!("no {dtype} row"))
}

#[test]
fn tiny_bert_single_file_exact_counts() {
    let r = inspect_json(&["fixtures/tiny/model.safetensors"]);
    assert_eq!(r["format"], "safetensors");
    assert_eq!(r["layout"], "single_file");
    // 3 embeddings + 6 linear weights in each of 2 layers + the pooler are BF16.
    let bf16_params =
        512 * 64 + 128 * 64 + 2 * 64 + 2 * (4 * 64 * 64 + 256 * 64 + 64 * 256) + 64 * 64;
    assert_eq!(r["parameters"], TINY_BERT_PARAMETERS);
    assert_eq!(r["tensor_count"], 40);
    let bf16 = dtype_row(&r, "BF16");
    assert_eq!(bf16["tensors"], 16);
    assert_eq!(bf16["parameters"], bf16_params);
    assert_eq!(bf16["bytes"], 2 * bf16_params);
    let i64_row = dtype_row(&r, "I64");
    assert_eq!(i64_row["parameters"], 128);
    assert_eq!(i64_row["bytes"], 1024);
    let f32_params = TINY_BERT_PARAMETERS - bf16_params - 128;
    assert_eq!(dtype_row(&r, "F32")["bytes"], 4 * f32_params);
    assert_eq!(r["tensor_bytes"], 2 * bf16_params + 1024 + 4 * f32_params);
    // The file is the 8-byte prefix, the header, then exactly the tensor data.
    let size = std::fs::metadata("fixtures/tiny/model.safetensors")
        .unwrap()
        .len();
    assert_eq!(r["files"][0]["size_bytes"], size);
    assert_eq!(
        r["files"][0]["header_bytes"].as_u64().unwrap() + r["tensor_bytes"].as_u64().unwrap(),
        size
    );
    assert_eq!(r["metadata"]["format"], "pt");
}

#[test]
fn sharded_via_index_directory_and_shards_agree() {
    let via_index = inspect_json(&["fixtures/sharded/model.safetensors.index.json"]);
    let via_dir = inspect_json(&["fixtures/sharded"]);
    for r in [&via_index, &via_dir] {
        assert_eq!(r["layout"], "sharded");
        assert_eq!(r["parameters"], TINY_LLAMA_PARAMETERS);
        assert_eq!(r["tensor_bytes"], 2 * TINY_LLAMA_PARAMETERS);
        assert_eq!(r["tensor_count"], TINY_LLAMA.tensors().len());
        assert_eq!(r["shards"], 3);
        assert_eq!(r["index"]["total_size"], 2 * TINY_LLAMA_PARAMETERS);
        assert_eq!(r["index"]["total_parameters"], TINY_LLAMA_PARAMETERS);
    }
}

/// Shards holding many tensors (enough to be read on every core and moved into place as each is read): every
/// tensor in its own shard, in file order, with exact sums; and when a shard holds another number of tensors than
/// the index says, the same error as a small checkpoint gives.
#[test]
fn many_tensors_in_shards_keep_their_files_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let (shards, per_shard) = (3usize, 4000usize);
    let writers: Vec<SafetensorsWriter> = (0..shards)
        .map(|s| {
            (0..per_shard).fold(SafetensorsWriter::new(), |w, i| {
                w.tensor(
                    &format!("blocks.{s}.t{i}"),
                    DType::F32,
                    &[(i % 5 + 1) as u64],
                )
            })
        })
        .collect();
    let index = write_sharded(dir.path(), "model", &writers, serde_json::Map::new()).unwrap();
    let r = inspect_json(&[index.to_str().unwrap(), "--tensors", "--sort", "file"]);
    assert_eq!(r["tensor_count"], shards * per_shard);
    // Per shard: 800 tensors each of 1, 2, 3, 4 and 5 elements.
    let per_shard_elements: usize = (0..per_shard).map(|i| i % 5 + 1).sum();
    assert_eq!(r["parameters"], shards * per_shard_elements);
    let files: Vec<String> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), shards);
    // In the order of the data: shard by shard, each in the order it was written.
    let rows = r["tensors"].as_array().unwrap();
    let written: Vec<String> = (0..shards)
        .flat_map(|s| (0..per_shard).map(move |i| format!("blocks.{s}.t{i}")))
        .collect();
    let listed: Vec<&str> = rows.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(listed, written);
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let s: usize = name.split('.').nth(1).unwrap().parse().unwrap();
        assert_eq!(row["file"], files[s].as_str(), "{name}");
    }
    // The index puts one tensor of shard 2 in shard 1: shard 1 holds one tensor fewer than the index says.
    let text = std::fs::read_to_string(&index).unwrap();
    let moved = text.replacen(
        "\"blocks.1.t7\": \"model-00002-of-00003.safetensors\"",
        "\"blocks.1.t7\": \"model-00001-of-00003.safetensors\"",
        1,
    );
    assert_ne!(moved, text);
    std::fs::write(&index, moved).unwrap();
    let (code, stderr) = inspect_fails(&[index.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("blocks.1.t7")
            && stderr.contains("model-00001-of-00003.safetensors")
            && stderr.contains("model-00002-of-00003.safetensors"),
        "{stderr}"
    );
}

#[test]
fn several_paths_give_one_report_each_and_a_total() {
    let r = inspect_json(&["fixtures/tiny/model.safetensors", "fixtures/sharded"]);
    let checkpoints = r["checkpoints"].as_array().unwrap();
    assert_eq!(checkpoints.len(), 2);
    assert_eq!(r["total"]["checkpoints"], 2);
    assert_eq!(
        r["total"]["parameters"],
        TINY_BERT_PARAMETERS + TINY_LLAMA_PARAMETERS
    );
    assert_eq!(r["total"]["tensor_count"], 40 + TINY_LLAMA.tensors().len());
    // BF16 rows merge across checkpoints.
    let bf16 = dtype_row(&r["total"], "BF16");
    assert_eq!(
        bf16["parameters"].as_u64().unwrap(),
        dtype_row(&checkpoints[0], "BF16")["parameters"]
            .as_u64()
            .unwrap()
            + TINY_LLAMA_PARAMETERS
    );
}

#[test]
fn filter_restricts_totals_and_says_so() {
    let r = inspect_json(&[
        "fixtures/sharded",
        "--filter",
        "*.layers.0.*",
        "--filter",
        "lm_head*",
    ]);
    assert_eq!(r["filtered"], true);
    assert_eq!(
        r["filters"],
        serde_json::json!(["*.layers.0.*", "lm_head*"])
    );
    // One layer: q,o 32x32; k,v 16x32; gate, up, down 64x32; two norms of 32. Plus lm_head 64x32.
    let layer = 2 * 32 * 32 + 2 * 16 * 32 + 3 * 64 * 32 + 2 * 32;
    assert_eq!(r["parameters"], layer + 64 * 32);
    assert_eq!(r["tensor_count"], 9 + 1);
    let table = paramscope()
        .args(["inspect", "fixtures/sharded", "--filter", "lm_head*"])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("filtered by"), "{text}");
}

#[test]
fn tensor_list_sorts_limits_and_carries_offsets() {
    let r = inspect_json(&[
        "fixtures/sharded",
        "--tensors",
        "--sort",
        "params",
        "--limit",
        "3",
    ]);
    let tensors = r["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 3);
    assert_eq!(r["tensors_listed_of"], TINY_LLAMA.tensors().len());
    // Largest tensors are the 64x32 ones (embeddings, head, MLP); ties are ordered by name.
    assert_eq!(tensors[0]["parameters"], 2048);
    assert_eq!(tensors[0]["name"], "lm_head.weight");
    let by_file = inspect_json(&["fixtures/sharded", "--tensors"]);
    let first = &by_file["tensors"][0];
    assert_eq!(first["name"], "model.embed_tokens.weight");
    assert_eq!(first["data_offsets"], serde_json::json!([0, 4096]));
    assert_eq!(first["shape"], serde_json::json!([64, 32]));
    assert_eq!(first["dtype"], "BF16");
    assert!(first["file"]
        .as_str()
        .unwrap()
        .ends_with("model-00001-of-00003.safetensors"));
    let by_name = inspect_json(&["fixtures/sharded", "--tensors", "--sort", "name"]);
    let names: Vec<&str> = by_name["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn every_dtype_including_sub_byte_ones_counts_from_bits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.safetensors");
    let mut w = SafetensorsWriter::new();
    for d in paramscope::model::dtype::SAFETENSORS_DTYPES {
        // 8 elements fill whole bytes for every width, including 4- and 6-bit types.
        w = w.tensor(&format!("t.{d}"), d, &[2, 4]);
    }
    w = w
        .tensor("scalar", DType::F32, &[])
        .tensor("empty", DType::F32, &[0, 5]);
    w.write(&path).unwrap();
    let r = inspect_json(&[path.to_str().unwrap()]);
    let expect_bytes = |d: &str| match d {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" => 8,
        d if d.starts_with("F8") => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" => 32,
        "F32" => 32 + 4, // plus the scalar (1 element) and the empty tensor (0)
        _ => 64,
    };
    for row in r["dtypes"].as_array().unwrap() {
        let d = row["dtype"].as_str().unwrap();
        assert_eq!(row["bytes"], expect_bytes(d), "{d}");
    }
    assert_eq!(r["dtypes"].as_array().unwrap().len(), 22);
    assert_eq!(r["parameters"], 22 * 8 + 1);
    assert_eq!(r["tensor_count"], 24);
}

/// Llama-3-8B's real tensor names and shapes with a hole for data: 8,030,261,248 parameters, as the Hub reports.
#[test]
fn sparse_llama3_8b_is_exact_and_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let mut w = SafetensorsWriter::new().metadata("format", "pt");
    for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
        w = w.tensor(&name, DType::BF16, &shape);
    }
    let size = w.write(&path).unwrap();
    let start = Instant::now();
    let r = inspect_json(&[path.to_str().unwrap()]);
    let elapsed = start.elapsed();
    assert_eq!(r["parameters"], 8_030_261_248u64);
    assert_eq!(r["tensor_bytes"], 16_060_522_496u64);
    assert_eq!(r["tensor_count"], 291);
    assert_eq!(r["files"][0]["size_bytes"], size);
    // Only the header is read: a 15 GiB file answers like a small one (generous bound for a loaded CI machine).
    assert!(elapsed.as_secs_f64() < 3.0, "inspect took {elapsed:?}");
    let text = paramscope().arg("inspect").arg(&path).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("8.03B (8,030,261,248)"), "{text}");
    assert!(text.contains("14.96 GiB"), "{text}");

    // The short footprint line, by hand from Llama-3-8B's shapes: the 2-D matrices (embeddings, head, 7 per block)
    // re-cast, the 65 RMSNorm vectors of 4096 kept at 16 bits.
    let (h, i, kv, vocab) = (4096u64, 14336u64, 1024u64, 128256u64);
    let matrices: Vec<(u64, u64)> = [(vocab, h), (vocab, h)]
        .into_iter()
        .chain((0..32).flat_map(|_| [(h, h), (kv, h), (kv, h), (h, h), (i, h), (i, h), (h, i)]))
        .collect();
    let norms = 65 * h * 2;
    let elements: u64 = matrices.iter().map(|(o, i)| o * i).sum();
    let rows: u64 = matrices.iter().map(|(o, _)| o).sum();
    let memory = &r["weights_memory"];
    assert_eq!(memory["stored_bytes"], 16_060_522_496u64);
    let bytes = |name: &str| {
        memory["precisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["bytes"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(bytes("F16/BF16"), 2 * elements + norms);
    assert_eq!(bytes("INT8"), elements + 2 * rows + norms);
    assert_eq!(bytes("INT4"), elements / 2 + 2 * (elements / 128) + norms);
    assert!(
        text.contains("as stored 14.96 GiB · F16/BF16 14.96 GiB · INT8 7.48 GiB · INT4 3.86 GiB"),
        "{text}"
    );

    // Filtered, the line covers what the filter keeps: 32 q_proj matrices.
    let r = inspect_json(&[path.to_str().unwrap(), "--filter", "*.q_proj.weight"]);
    assert_eq!(r["weights_memory"]["stored_bytes"], 32 * h * h * 2);
    assert_eq!(
        r["weights_memory"]["precisions"][4]["bytes"],
        32 * (h * h / 2 + 2 * (h * h / 128))
    );
}

#[test]
fn sparse_70b_sharded_like_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let shards = LlamaShape::LLAMA3_70B.shards(DType::BF16, 5_000_000_000);
    let index = write_sharded(dir.path(), "model", &shards, serde_json::Map::new()).unwrap();
    let r = inspect_json(&[index.to_str().unwrap()]);
    // Llama-3-70B: embed + head 2·128256·8192, final norm 8192, and per layer (80):
    // q,o 8192² each, k,v 1024·8192 each, gate/up/down 28672·8192 each, two norms of 8192.
    let per_layer: u64 = 2 * 8192 * 8192 + 2 * 1024 * 8192 + 3 * 28672 * 8192 + 2 * 8192;
    let expected = 2 * 128_256 * 8192 + 8192 + 80 * per_layer;
    assert_eq!(expected, 70_553_706_496); // the figure the Hub shows for Meta-Llama-3-70B
    assert_eq!(r["parameters"], expected);
    assert_eq!(r["tensor_bytes"], 2 * expected);
    assert_eq!(r["shards"], shards.len());
    assert_eq!(r["index"]["total_size"], 2 * expected);
}

#[test]
fn directory_prefers_its_index_and_notes_other_weight_files() {
    let dir = tempfile::tempdir().unwrap();
    let shards = vec![
        SafetensorsWriter::new().tensor("a", DType::F32, &[2]),
        SafetensorsWriter::new().tensor("b", DType::F32, &[3]),
    ];
    write_sharded(dir.path(), "model", &shards, serde_json::Map::new()).unwrap();
    SafetensorsWriter::new()
        .tensor("consolidated", DType::F32, &[100])
        .write(&dir.path().join("consolidated.safetensors"))
        .unwrap();
    let r = inspect_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(r["parameters"], 5);
    let notes = r["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(notes[0]
        .as_str()
        .unwrap()
        .contains("consolidated.safetensors"));
}

#[test]
fn directory_without_index_groups_shards_and_keeps_other_files_apart() {
    let dir = tempfile::tempdir().unwrap();
    SafetensorsWriter::new()
        .tensor("a", DType::F16, &[4])
        .write(&dir.path().join("model-00001-of-00002.safetensors"))
        .unwrap();
    SafetensorsWriter::new()
        .tensor("b", DType::F16, &[6])
        .write(&dir.path().join("model-00002-of-00002.safetensors"))
        .unwrap();
    SafetensorsWriter::new()
        .tensor("a", DType::F32, &[7])
        .write(&dir.path().join("other.safetensors"))
        .unwrap();
    let r = inspect_json(&[dir.path().to_str().unwrap()]);
    let cps = r["checkpoints"].as_array().unwrap();
    assert_eq!(cps.len(), 2);
    let shards = cps.iter().find(|c| c["layout"] == "directory").unwrap();
    assert_eq!(shards["parameters"], 10);
    assert_eq!(shards["shards"], 2);
    let single = cps.iter().find(|c| c["layout"] == "single_file").unwrap();
    assert_eq!(single["parameters"], 7);
    assert_eq!(r["total"]["parameters"], 17);
}

/// The JSON keeps the shape of several paths, `{checkpoints, total}`, when one of them is broken, so what a script
/// parses does not depend on which input failed.
#[test]
fn a_bad_path_among_good_ones_is_reported_and_the_rest_still_inspected() {
    let out = paramscope()
        .args([
            "inspect",
            "fixtures/tiny/model.safetensors",
            "fixtures/malformed/truncated.safetensors",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkpoints = report["checkpoints"].as_array().unwrap();
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(checkpoints[0]["path"], "fixtures/tiny/model.safetensors");
    assert_eq!(checkpoints[0]["parameters"], TINY_BERT_PARAMETERS);
    assert_eq!(report["total"]["checkpoints"], 1);
    assert_eq!(report["total"]["parameters"], TINY_BERT_PARAMETERS);
    let err: Value = serde_json::from_str(
        String::from_utf8(out.stderr)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(err["code"], "truncated");
    assert_eq!(err["path"], "fixtures/malformed/truncated.safetensors");
}

#[test]
fn every_broken_shard_is_named_not_just_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let shards = vec![
        SafetensorsWriter::new().tensor("a", DType::F32, &[2]),
        SafetensorsWriter::new().tensor("b", DType::F32, &[2]),
        SafetensorsWriter::new().tensor("c", DType::F32, &[2]),
    ];
    write_sharded(dir.path(), "model", &shards, serde_json::Map::new()).unwrap();
    for n in [1, 3] {
        let p = dir
            .path()
            .join(format!("model-0000{n}-of-00003.safetensors"));
        let len = std::fs::metadata(&p).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(len - 1)
            .unwrap();
    }
    let (code, stderr) = inspect_fails(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("model-00001-of-00003.safetensors: expected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("model-00003-of-00003.safetensors: expected"),
        "{stderr}"
    );
    assert!(stderr.contains("truncated download?"), "{stderr}");
    assert!(!stderr.contains("model-00002"), "{stderr}");
}

/// A shard named by an index that is a symlink out of the folder is read where it points, with one note (it
/// was refused, one `shard_outside_folder` per shard, unless `--follow-symlinks`, which is still accepted).
#[cfg(unix)]
#[test]
fn symlinked_shard_outside_the_folder_is_read_with_a_note() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shards = vec![SafetensorsWriter::new().tensor("a", DType::F32, &[2])];
    write_sharded(outside.path(), "model", &shards, serde_json::Map::new()).unwrap();
    let name = "model-00001-of-00001.safetensors";
    std::os::unix::fs::symlink(outside.path().join(name), dir.path().join(name)).unwrap();
    std::fs::copy(
        outside.path().join("model.safetensors.index.json"),
        dir.path().join("model.safetensors.index.json"),
    )
    .unwrap();
    let report = inspect_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(report["parameters"], 2);
    let real = outside.path().canonicalize().unwrap();
    assert_eq!(
        report["notes"],
        serde_json::json!([format!(
            "{name} is a symlink to a file outside the checkpoint's folder ({}); read there",
            real.display()
        )])
    );
    let ok = paramscope()
        .args(["inspect", "--follow-symlinks"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(ok.status.success());
}

/// The Hugging Face cache links a snapshot's files to its repository's `blobs/`
/// (`models--X/snapshots/REV/model-00001-of-00002.safetensors -> ../../blobs/HASH`): that layout is read without
/// a note; a link from the snapshot to anywhere else in the repository is read with one.
#[cfg(unix)]
#[test]
fn hugging_face_cache_snapshots_are_read_through_their_blob_links() {
    let cache = tempfile::tempdir().unwrap();
    let repo = cache.path().join("models--org--tiny");
    let (blobs, snapshot, other) = (
        repo.join("blobs"),
        repo.join("snapshots/0a1b2c"),
        repo.join("other"),
    );
    for d in [&blobs, &snapshot, &other] {
        std::fs::create_dir_all(d).unwrap();
    }
    let shards = vec![
        SafetensorsWriter::new().tensor("a", DType::F32, &[2, 3]),
        SafetensorsWriter::new().tensor("b", DType::BF16, &[5]),
    ];
    write_sharded(&other, "model", &shards, serde_json::Map::new()).unwrap();
    for (i, name) in [
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    .iter()
    .enumerate()
    {
        std::fs::rename(other.join(name), blobs.join(format!("blob{i}"))).unwrap();
        std::os::unix::fs::symlink(format!("../../blobs/blob{i}"), snapshot.join(name)).unwrap();
    }
    let report = inspect_json(&[snapshot.to_str().unwrap()]);
    assert_eq!(report["parameters"], 2 * 3 + 5);
    assert_eq!(report["tensor_bytes"], 2 * 3 * 4 + 5 * 2);
    assert_eq!(report["shards"], 2);

    std::fs::rename(blobs.join("blob2"), other.join("moved")).unwrap();
    let last = snapshot.join("model-00002-of-00002.safetensors");
    std::fs::remove_file(&last).unwrap();
    std::os::unix::fs::symlink("../../other/moved", &last).unwrap();
    let report = inspect_json(&[snapshot.to_str().unwrap()]);
    assert_eq!(report["parameters"], 2 * 3 + 5);
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].as_str().unwrap().starts_with(
            "model-00002-of-00002.safetensors is a symlink to a file outside the checkpoint's folder"
        ),
        "{notes:?}"
    );
}

#[test]
fn markdown_and_table_views_show_the_same_figures() {
    let md = paramscope()
        .args([
            "inspect",
            "fixtures/tiny/model.safetensors",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## By dtype"), "{md}");
    assert!(md.contains("| BF16"), "{md}");
    assert!(md.contains("145,472"), "{md}");
    let table = paramscope()
        .args(["inspect", "fixtures/tiny/model.safetensors"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("145.47K (145,472)"), "{table}");
    // Not a terminal: no colour escapes.
    assert!(!table.contains('\u{1b}'), "{table}");
}

/// `inspect PATH --tensors` as a table.
fn tensor_table(path: &std::path::Path) -> String {
    let out = paramscope()
        .arg("inspect")
        .arg(path)
        .arg("--tensors")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn control_characters_in_names_are_escaped_in_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.safetensors");
    SafetensorsWriter::new()
        .metadata("note", "\u{1b}[2J")
        .tensor("x\u{1b}[31m", DType::F32, &[1])
        .write(&path)
        .unwrap();
    let text = tensor_table(&path);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("x\\u{1b}[31m"), "{text}");
}

#[test]
fn a_path_alone_runs_inspect_and_usage_errors_exit_2() {
    let out = paramscope()
        .arg("fixtures/tiny/model.safetensors")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("145,472"));
    let bad = paramscope()
        .args(["inspect", "fixtures/tiny", "--sort", "weight"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let missing = paramscope()
        .args(["inspect", "no/such/file.safetensors"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8(missing.stderr)
        .unwrap()
        .starts_with("error: no/such/file.safetensors: cannot read"));
}

/// Shards named `-of-00004` with no index: the name is the only record of the series, so a shard lost in a
/// download must fail `inspect` and `check` rather than pass as a smaller model.
#[test]
fn unindexed_shards_with_a_member_missing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (n, name) in [(1, "a"), (3, "c")] {
        SafetensorsWriter::new()
            .tensor(name, DType::F32, &[2])
            .write(
                &dir.path()
                    .join(format!("model-0000{n}-of-00004.safetensors")),
            )
            .unwrap();
    }
    let d = dir.path().display().to_string();
    let expected = format!(
        "error: {d}: part 2 of 4 ('{d}/model-00002-of-00004.safetensors') is missing\n\
         error: {d}: part 4 of 4 ('{d}/model-00004-of-00004.safetensors') is missing\n"
    );
    let out = paramscope().arg("inspect").arg(&d).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), expected);

    let out = paramscope()
        .args(["check", &d, "--max-params", "1B"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), expected);
}

/// Cells of one Markdown table: the line split on `|` that is not escaped as `\|`.
fn markdown_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push(chars.next().unwrap())
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

/// A `|` in a tensor name, a metadata entry or a column title (`max |a−b|`) is escaped in Markdown, so every row
/// of a table keeps its header's cells.
#[test]
fn markdown_tables_keep_their_columns_when_text_holds_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipes.safetensors");
    SafetensorsWriter::new()
        .metadata("k|ey", "v|alue")
        .tensor("a|b", DType::F32, &[3])
        .write(&path)
        .unwrap();
    let inspect = paramscope()
        .arg("inspect")
        .arg(&path)
        .args(["--tensors", "--format", "markdown"])
        .output()
        .unwrap();
    let diff = paramscope()
        .arg("diff")
        .arg(&path)
        .arg(&path)
        .args(["--values", "--format", "markdown"])
        .output()
        .unwrap();
    for out in [inspect, diff] {
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        // A table runs until a blank line (GitHub-flavoured Markdown): each row keeps the header's cells, and a
        // line of text right after a table would be read as one more row.
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.starts_with('|')) {
            let next = lines.get(i + 1).copied().unwrap_or("");
            assert!(next.is_empty() || next.starts_with('|'), "{text}");
            let first = lines[..i]
                .iter()
                .rposition(|l| !l.starts_with('|'))
                .map_or(0, |p| p + 1);
            assert_eq!(
                markdown_cells(line).len(),
                markdown_cells(lines[first]).len(),
                "{text}"
            );
        }
        if text.contains("## Tensors") {
            assert!(text.contains("| k\\|ey | v\\|alue |"), "{text}");
            let row = text.lines().find(|l| l.starts_with("| a\\|b")).unwrap();
            assert_eq!(
                markdown_cells(row),
                ["", "a|b", "F32", "[3]", "3", "12 B", "0..12", ""],
                "{text}"
            );
        } else {
            assert!(text.contains("max \\|a−b\\|"), "{text}");
        }
    }
}

/// Bidirectional overrides are invisible and reorder what a terminal shows ("Trojan Source"): a tensor name or a
/// metadata value holding one is printed with it escaped, in tables and in check's lines.
#[test]
fn bidirectional_controls_in_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bidi.safetensors");
    SafetensorsWriter::new()
        .metadata("note", "safe\u{2066}x")
        .tensor("lm_head\u{202e}thgiew", DType::F32, &[1])
        .write(&path)
        .unwrap();
    let text = tensor_table(&path);
    assert!(!text.contains(['\u{202e}', '\u{2066}']), "{text}");
    assert!(text.contains("lm_head\\u{202e}thgiew"), "{text}");
    assert!(text.contains("safe\\u{2066}x"), "{text}");

    let out = paramscope()
        .arg("check")
        .arg(&path)
        .args(["--forbid-dtype", "F32"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("    lm_head\\u{202e}thgiew: F32\n"), "{text}");
}

/// `--sort` and `--limit` order and cut the tensor list, and asking for either asks for the list: they imply
/// `--tensors` (they were a usage error without it).
#[test]
fn sort_and_limit_imply_tensors() {
    let limited = inspect_json(&["fixtures/sharded", "--limit", "2"]);
    assert_eq!(limited["tensors"].as_array().unwrap().len(), 2);
    let sorted = inspect_json(&["fixtures/sharded", "--sort", "size"]);
    let bytes: Vec<u64> = sorted["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["bytes"].as_u64().unwrap())
        .collect();
    assert!(
        bytes.len() > 2 && bytes.windows(2).all(|w| w[0] >= w[1]),
        "{bytes:?}"
    );
    let table = paramscope()
        .args(["inspect", "fixtures/sharded", "--limit", "1"])
        .output()
        .unwrap();
    assert!(table.status.success());
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("Tensors (first 1 of "), "{text}");
}

/// Human figures never show 1000 of a unit after rounding: 999,999 parameters are 1.00M, 999,999 bytes
/// 1.00 MB and 1,048,575 bytes 1.00 MiB (they showed 1000.00K, 1000.00 KB and 1024.00 KiB).
#[test]
fn rounding_up_moves_to_the_next_unit() {
    let dir = tempfile::tempdir().unwrap();
    let just_under_a_million = SafetensorsWriter::new().tensor("w", DType::U8, &[999_999]);
    let path = common::write(dir.path(), "a.safetensors", &just_under_a_million);
    let out = paramscope().arg(&path).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("│ parameters                ┆ 1.00M (999,999)"),
        "{text}"
    );
    let (code, out, _) = common::check(&[&path, "--max-bytes", "1MB"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("PASS max-bytes: 1.00 MB (999,999 bytes) <= 1MB"),
        "{out}"
    );

    let just_under_a_mib = SafetensorsWriter::new().tensor("w", DType::U8, &[(1 << 20) - 1]);
    let path = common::write(dir.path(), "b.safetensors", &just_under_a_mib);
    let out = paramscope().arg(&path).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1.00 MiB (1,048,575 bytes)"), "{text}");
}

/// A shard named alone is reported with a note that the figures are that shard's, a third of the model here;
/// nothing said so.
#[test]
fn a_shard_inspected_alone_says_so() {
    let shard = common::repo_path("fixtures/sharded/model-00001-of-00003.safetensors");
    let report = inspect_json(&[shard.to_str().unwrap()]);
    let note = format!(
        "{} is part 1 of 3 of a sharded checkpoint, read alone: these figures are this file's \
         (name its folder or index for the whole model)",
        shard.display()
    );
    assert_eq!(report["notes"], serde_json::json!([note]));
    let out = paramscope().arg(&shard).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with(&format!("note: {note}\n")), "{text}");
    // The whole checkpoint, and a file that is not a shard, carry no such note.
    let whole = inspect_json(&[common::repo_path("fixtures/sharded").to_str().unwrap()]);
    assert_eq!(whole["notes"], serde_json::json!([]));
    let tiny = inspect_json(&[common::repo_path("fixtures/tiny/model.safetensors")
        .to_str()
        .unwrap()]);
    assert_eq!(tiny["notes"], serde_json::json!([]));
}

/// A Hugging Face cache repository (`models--ORG--NAME`) named instead of its snapshot is read at the snapshot
/// `refs/main` names, and a note says which (it was refused with "name a snapshot"); a recursive walk finds it.
/// (tests/cli/inputs/cache.rs has `--revision`, `snapshots/` and the only snapshot.)
#[cfg(unix)]
#[test]
fn a_cache_repository_reads_the_snapshot_refs_main_names() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("models--org--tiny");
    let snapshot = repo.join("snapshots").join("abc123");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs").join("main"), "abc123").unwrap();
    std::fs::copy(
        common::repo_path("fixtures/tiny/model.safetensors"),
        repo.join("blobs").join("0123abcd"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../../blobs/0123abcd", snapshot.join("model.safetensors")).unwrap();

    let out = paramscope()
        .arg(&repo)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "note: {}: reading snapshot abc123 (refs/main)\n",
            repo.display()
        )
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["parameters"], TINY_BERT_PARAMETERS);
    assert_eq!(
        report["path"],
        snapshot.join("model.safetensors").to_str().unwrap()
    );
    let report = inspect_json(&[snapshot.to_str().unwrap()]);
    assert_eq!(report["parameters"], TINY_BERT_PARAMETERS);
    let out = paramscope()
        .args(["inspect", "--recursive", "--format", "jsonl"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(out.status.success());
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["parameters"], TINY_BERT_PARAMETERS);
}

/// A checkpoint named twice is read once: `paramscope model/*` names the index and each shard it covers (the
/// total was 45,376 parameters, twice the model), and a folder and its index name one checkpoint.
#[test]
fn a_checkpoint_named_twice_is_counted_once() {
    let folder = common::repo_path("fixtures/sharded");
    let index = folder.join("model.safetensors.index.json");
    let shard = |n: u32| folder.join(format!("model-0000{n}-of-00003.safetensors"));
    let whole = TINY_LLAMA_PARAMETERS;
    let as_globbed = [shard(1), shard(2), shard(3), index.clone()];
    let args: Vec<&str> = as_globbed.iter().map(|p| p.to_str().unwrap()).collect();
    let report = inspect_json(&args);
    assert_eq!(report["parameters"], whole);
    assert_eq!(report["path"], index.to_str().unwrap());
    assert_eq!(report["notes"], serde_json::json!([]));
    let report = inspect_json(&[folder.to_str().unwrap(), index.to_str().unwrap()]);
    assert_eq!(report["parameters"], whole);
    // Shards named without their index form the checkpoint their index describes (they were read one
    // checkpoint each, with a total).
    let report = inspect_json(&args[..3]);
    assert_eq!(report["parameters"], whole);
    assert_eq!(report["path"], index.to_str().unwrap());
    // JSON Lines (read and printed one checkpoint at a time): one line for the model, as in every other format;
    // a file named by two paths is one checkpoint too.
    let relative = format!(
        "{}/../sharded/model-00001-of-00003.safetensors",
        folder.display()
    );
    let index_s = index.to_str().unwrap();
    for (naming, shown) in [(args.clone(), index_s), (vec![args[0], &relative], args[0])] {
        let out = paramscope()
            .arg("inspect")
            .args(&naming)
            .args(["--format", "jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{naming:?}");
        let lines: Vec<Value> = out
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{naming:?}");
        assert_eq!(lines[0]["path"], shown, "{naming:?}");
    }
}

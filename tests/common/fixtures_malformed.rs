//! The malformed corpus under `fixtures/malformed/` (docs/FORMATS.md §6): one file or folder per broken rule,
//! and `EXPECTED.tsv`, the table of (path, expected error code) that `tests/cli/malformed.rs` reads.

use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use serde_json::json;
use std::fs;
use std::path::Path;

/// A safetensors file from a raw header string and a data region of `data_len` zero bytes.
fn raw(header: &str, data_len: usize) -> Vec<u8> {
    raw_bytes(header.as_bytes(), data_len)
}

fn raw_bytes(header: &[u8], data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.resize(out.len() + data_len, 0);
    out
}

fn small_shard(names: &[&str]) -> SafetensorsWriter {
    names.iter().fold(SafetensorsWriter::new(), |w, n| {
        w.tensor_with_data(n, DType::F32, &[2], vec![0; 8])
    })
}

fn write_index(dir: &Path, index: serde_json::Value) {
    fs::write(
        dir.join("model.safetensors.index.json"),
        serde_json::to_string_pretty(&index).unwrap(),
    )
    .unwrap();
}

/// (path relative to the corpus, expected error code, what is broken)
pub fn write_all(root: &Path) {
    fs::create_dir_all(root).unwrap();
    let mut table: Vec<(String, &str, &str)> = Vec::new();
    let mut file = |name: &str, bytes: Vec<u8>, code: &'static str, what: &'static str| {
        fs::write(root.join(name), bytes).unwrap();
        table.push((name.to_string(), code, what));
    };
    let one = r#""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#;

    file("empty.safetensors", vec![], "empty_file", "empty file");
    file(
        "short.safetensors",
        vec![1, 0, 0, 0, 0],
        "header_too_small",
        "fewer than 8 bytes",
    );
    file(
        "header-past-end.safetensors",
        {
            let mut b = 1000u64.to_le_bytes().to_vec();
            b.extend_from_slice(b"{}");
            b
        },
        "header_past_end",
        "header length beyond the file",
    );
    file(
        "header-2pow62.safetensors",
        {
            let mut b = (1u64 << 62).to_le_bytes().to_vec();
            b.extend_from_slice(b"{}");
            b
        },
        "header_too_large",
        "header length >= 2^62",
    );
    file(
        "header-90GB.safetensors",
        {
            let mut b = 90_000_000_000u64.to_le_bytes().to_vec();
            b.extend_from_slice(b"{}");
            b
        },
        "header_too_large",
        "a 90 GB header claimed by a tiny file",
    );
    file(
        "not-utf8.safetensors",
        raw_bytes(b"{\"\xff\xfe\":{}}  ", 0),
        "header_not_utf8",
        "header not UTF-8",
    );
    file(
        "not-json.safetensors",
        raw("{not json}", 0),
        "header_json",
        "header not JSON",
    );
    file(
        "not-object.safetensors",
        raw("[1, 2, 3]", 0),
        "header_not_object",
        "JSON that is not an object",
    );
    file(
        "truncated-json.safetensors",
        raw(r#"{"a":{"dtype":"F32","#, 0),
        "header_json",
        "header JSON cut short",
    );
    file(
        "unknown-dtype.safetensors",
        raw(
            r#"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#,
            16,
        ),
        "unknown_dtype",
        "unknown dtype",
    );
    file(
        "negative-dim.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
            8,
        ),
        "bad_tensor_entry",
        "negative dim",
    );
    file(
        "fractional-dim.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#,
            8,
        ),
        "bad_tensor_entry",
        "fractional dim",
    );
    file(
        "overflow-dims.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}"#,
            8,
        ),
        "shape_overflow",
        "dims whose product overflows u64",
    );
    file(
        "missing-offsets.safetensors",
        raw(r#"{"a":{"dtype":"F32","shape":[2]}}"#, 8),
        "bad_tensor_entry",
        "data_offsets missing",
    );
    file(
        "missing-dtype.safetensors",
        raw(r#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, 8),
        "bad_tensor_entry",
        "dtype missing",
    );
    file(
        "reversed-offsets.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
            8,
        ),
        "offsets_reversed",
        "END < BEGIN",
    );
    file(
        "overlap.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            12,
        ),
        "offset_overlap",
        "overlapping tensors",
    );
    file(
        "gap.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#,
            20,
        ),
        "offset_gap",
        "a gap between tensors",
    );
    file(
        "gap-at-start.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            12,
        ),
        "offset_gap",
        "first tensor not at offset 0",
    );
    file(
        "size-mismatch.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
        ),
        "size_mismatch",
        "bytes do not match dtype x shape",
    );
    file(
        "partial-byte.safetensors",
        raw(
            r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#,
            2,
        ),
        "partial_byte",
        "F4 tensor with an odd element count",
    );
    file(
        "truncated.safetensors",
        raw(&format!("{{{one}}}"), 4),
        "truncated",
        "data region shorter than the offsets say",
    );
    file(
        "past-end.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#,
            8,
        ),
        "truncated",
        "offsets past the end of the file",
    );
    file(
        "trailing.safetensors",
        raw(&format!("{{{one}}}"), 12),
        "trailing_bytes",
        "bytes after the last tensor",
    );
    file(
        "metadata-not-string.safetensors",
        raw(
            &format!(r#"{{"__metadata__":{{"format":"pt","step":100}},{one}}}"#),
            8,
        ),
        "bad_metadata",
        "__metadata__ with a non-string value",
    );
    file(
        "metadata-not-object.safetensors",
        raw(&format!(r#"{{"__metadata__":["pt"],{one}}}"#), 8),
        "bad_metadata",
        "__metadata__ that is not an object",
    );
    file(
        "duplicate-name.safetensors",
        raw(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
            16,
        ),
        "duplicate_tensor",
        "the same tensor name twice",
    );

    let mut folder = |name: &str, code: &'static str, what: &'static str, make: &dyn Fn(&Path)| {
        let dir = root.join(name);
        fs::create_dir_all(&dir).unwrap();
        make(&dir);
        table.push((name.to_string(), code, what));
    };
    let two_shards = |dir: &Path| {
        small_shard(&["a", "b"])
            .write(&dir.join("model-00001-of-00002.safetensors"))
            .unwrap();
        small_shard(&["c"])
            .write(&dir.join("model-00002-of-00002.safetensors"))
            .unwrap();
    };
    let map = |entries: &[(&str, u8)]| {
        let m: serde_json::Map<_, _> = entries
            .iter()
            .map(|(n, s)| {
                (
                    n.to_string(),
                    json!(format!("model-0000{s}-of-00002.safetensors")),
                )
            })
            .collect();
        m
    };
    folder(
        "empty-dir",
        "empty_directory",
        "a directory with no checkpoint",
        &|d| {
            fs::write(d.join("README.txt"), "no weights here\n").unwrap();
        },
    );
    folder(
        "index-not-json",
        "index_json",
        "index that is not JSON",
        &|d| {
            two_shards(d);
            fs::write(d.join("model.safetensors.index.json"), "{\"weight_map\": {").unwrap();
        },
    );
    folder(
        "index-no-weight-map",
        "index_no_weight_map",
        "index without weight_map (a real Hub case: a shards list)",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "shards": ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]}),
            );
        },
    );
    folder(
        "index-missing-shard",
        "missing_shard",
        "index naming a shard that is not there",
        &|d| {
            small_shard(&["a", "b"])
                .write(&d.join("model-00001-of-00002.safetensors"))
                .unwrap();
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "weight_map": map(&[("a", 1), ("b", 1), ("c", 2)])}),
            );
        },
    );
    folder(
        "index-outside",
        "shard_outside_folder",
        "index naming a path outside its folder",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "../model-00002-of-00002.safetensors"}}),
            );
        },
    );
    folder(
        "index-backslash-outside",
        "shard_outside_folder",
        "index naming a shard through `..` between backslashes (found by fuzzing)",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "sub\\..\\..\\model-00002-of-00002.safetensors"}}),
            );
        },
    );
    folder(
        "index-wrong-shard",
        "tensor_in_wrong_shard",
        "index mapping a tensor to the wrong shard",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "weight_map": map(&[("a", 1), ("b", 2), ("c", 2)])}),
            );
        },
    );
    folder(
        "index-unmapped",
        "tensor_not_in_index",
        "a shard holding a tensor the index does not name",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "weight_map": map(&[("a", 1), ("c", 2)])}),
            );
        },
    );
    folder(
        "index-phantom",
        "tensor_not_in_shard",
        "index naming a tensor its shard does not hold",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "weight_map": map(&[("a", 1), ("b", 1), ("c", 2), ("d", 2)])}),
            );
        },
    );
    folder(
        "index-total-size",
        "total_size_mismatch",
        "index total_size disagreeing with the shards",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": 140737488355328u64}, "weight_map": map(&[("a", 1), ("b", 1), ("c", 2)])}),
            );
        },
    );
    folder(
        "index-bad-total-size",
        "index_bad_metadata",
        "index total_size that is not an integer",
        &|d| {
            two_shards(d);
            write_index(
                d,
                json!({"metadata": {"total_size": "24"}, "weight_map": map(&[("a", 1), ("b", 1), ("c", 2)])}),
            );
        },
    );
    folder(
        "index-broken-shard",
        "truncated",
        "index whose second shard is truncated",
        &|d| {
            two_shards(d);
            let p = d.join("model-00002-of-00002.safetensors");
            let bytes = fs::read(&p).unwrap();
            fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
            write_index(
                d,
                json!({"metadata": {"total_size": 24}, "weight_map": map(&[("a", 1), ("b", 1), ("c", 2)])}),
            );
        },
    );
    folder(
        "shards-duplicate",
        "tensor_in_two_files",
        "two shards (no index) holding the same tensor",
        &|d| {
            small_shard(&["a", "b"])
                .write(&d.join("model-00001-of-00002.safetensors"))
                .unwrap();
            small_shard(&["b"])
                .write(&d.join("model-00002-of-00002.safetensors"))
                .unwrap();
        },
    );
    folder(
        "shards-missing-part",
        "missing_shard",
        "shards 1 and 3 of 3 (no index): the second is missing",
        &|d| {
            small_shard(&["a"])
                .write(&d.join("model-00001-of-00003.safetensors"))
                .unwrap();
            small_shard(&["c"])
                .write(&d.join("model-00003-of-00003.safetensors"))
                .unwrap();
        },
    );

    table.extend(super::fixtures_malformed_gguf::write_all(root));
    table.extend(super::fixtures_malformed_foreign::write_all(root));

    let mut tsv = String::from("# path\texpected error code\twhat is broken (generated by tests/common/fixtures_malformed.rs)\n");
    for (path, code, what) in &table {
        tsv.push_str(&format!("{path}\t{code}\t{what}\n"));
    }
    fs::write(root.join("EXPECTED.tsv"), tsv).unwrap();
}

//! The GGUF half of the malformed corpus (docs/FORMATS.md §6): files written by `GgufWriter`, then broken by
//! patching the bytes of one field whose position is computed from the layout (docs/FORMATS.md §4).

use paramscope::format::synth::gguf::{array, write_split, GgufTensor, GgufWriter};
use paramscope::model::dtype::{DType, GgmlQuant};
use paramscope::model::metadata::MetaValue;
use std::fs;
use std::path::Path;

/// Byte position of the first key/value: magic, version, tensor_count, metadata_kv_count.
const FIRST_KV: usize = 4 + 4 + 8 + 8;

fn small() -> GgufWriter {
    GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .tensor_with_data("a", DType::F32, &[4], vec![0; 16])
        .tensor_with_data("b", DType::F32, &[2], vec![0; 8])
}

fn patch(mut bytes: Vec<u8>, at: usize, with: &[u8]) -> Vec<u8> {
    bytes[at..at + with.len()].copy_from_slice(with);
    bytes
}

/// Position of the value type of the first key/value, whose key is `key`.
fn first_value_type(key: &str) -> usize {
    FIRST_KV + 8 + key.len()
}

fn raw(name: &str, type_id: u32, dims: &[u64], bytes: u64, offset: Option<u64>) -> GgufTensor {
    GgufTensor {
        name: name.into(),
        type_id,
        dims: dims.to_vec(),
        bytes,
        data: None,
        offset,
    }
}

fn nested(depth: u32) -> MetaValue {
    if depth == 0 {
        return MetaValue::U8(1);
    }
    let inner = nested(depth - 1);
    array(inner.kind(), vec![inner])
}

/// Writes the GGUF cases into `root`; returns (path, expected code, what is broken) rows for EXPECTED.tsv.
pub fn write_all(root: &Path) -> Vec<(String, &'static str, &'static str)> {
    let mut table = Vec::new();
    let mut file = |name: &str, bytes: Vec<u8>, code: &'static str, what: &'static str| {
        fs::write(root.join(name), bytes).unwrap();
        table.push((name.to_string(), code, what));
    };
    let valid = small().to_bytes();
    file("gguf-empty.gguf", vec![], "empty_file", "GGUF: empty file");
    file(
        "gguf-bad-magic.gguf",
        patch(valid.clone(), 0, b"tjgg"),
        "gguf_bad_magic",
        "GGUF: bad magic (a pre-GGUF ggjt file)",
    );
    file(
        "gguf-version-1.gguf",
        patch(valid.clone(), 4, &1u32.to_le_bytes()),
        "gguf_unsupported_version",
        "GGUF: version 1 (32-bit counts)",
    );
    file(
        "gguf-version-4.gguf",
        patch(valid.clone(), 4, &4u32.to_le_bytes()),
        "gguf_unsupported_version",
        "GGUF: unknown future version",
    );
    file(
        "gguf-big-endian.gguf",
        patch(valid.clone(), 4, &3u32.to_be_bytes()),
        "gguf_big_endian",
        "GGUF: big-endian (version byte-swapped)",
    );
    file(
        "gguf-short.gguf",
        b"GGUF\x03\x00\x00".to_vec(),
        "gguf_header_truncated",
        "GGUF: file ends inside the version",
    );
    file(
        "gguf-tensor-count-huge.gguf",
        patch(valid.clone(), 8, &(1u64 << 60).to_le_bytes()),
        "gguf_count_too_large",
        "GGUF: tensor_count 2^60 in a small file",
    );
    file(
        "gguf-kv-count-huge.gguf",
        patch(valid.clone(), 16, &(1u64 << 60).to_le_bytes()),
        "gguf_count_too_large",
        "GGUF: metadata_kv_count 2^60 in a small file",
    );
    file(
        "gguf-key-past-end.gguf",
        patch(valid.clone(), FIRST_KV, &(1u64 << 40).to_le_bytes()),
        "gguf_string_past_end",
        "GGUF: key length past the end of the file",
    );
    let key = "general.architecture";
    file(
        "gguf-string-past-end.gguf",
        patch(
            valid.clone(),
            first_value_type(key) + 4,
            &(u64::MAX).to_le_bytes(),
        ),
        "gguf_string_past_end",
        "GGUF: string value length past the end of the file",
    );
    file(
        "gguf-unknown-value-type.gguf",
        patch(valid.clone(), first_value_type(key), &13u32.to_le_bytes()),
        "gguf_unknown_value_type",
        "GGUF: unknown metadata value type 13",
    );
    let tokens_key = "tokenizer.ggml.tokens";
    let with_tokens = GgufWriter::new()
        .kv_strings(tokens_key, &["a".to_string(), "b".to_string()])
        .to_bytes();
    file(
        "gguf-array-huge.gguf",
        patch(
            with_tokens,
            first_value_type(tokens_key) + 4 + 4,
            &(1u64 << 60).to_le_bytes(),
        ),
        "gguf_array_past_end",
        "GGUF: array of 2^60 strings in a small file",
    );
    let ctx_key = "llama.context_length";
    let with_u32 = GgufWriter::new()
        .kv(ctx_key, MetaValue::U32(4096))
        .kv_str("general.name", "x")
        .to_bytes();
    file(
        "gguf-truncated-metadata.gguf",
        with_u32[..first_value_type(ctx_key) + 4 + 2].to_vec(),
        "gguf_header_truncated",
        "GGUF: file cut inside a metadata value",
    );
    file(
        "gguf-nested-too-deep.gguf",
        GgufWriter::new().kv("x", nested(9)).to_bytes(),
        "gguf_bad_metadata",
        "GGUF: arrays nested 9 deep",
    );
    file(
        "gguf-duplicate-key.gguf",
        small().kv_str("general.architecture", "qwen2").to_bytes(),
        "gguf_duplicate_key",
        "GGUF: the same metadata key twice",
    );
    file(
        "gguf-bad-alignment.gguf",
        small().alignment(48).to_bytes(),
        "gguf_bad_metadata",
        "GGUF: general.alignment 48 (not a power of two)",
    );
    file(
        "gguf-unknown-tensor-type.gguf",
        small().raw_tensor(raw("c", 99, &[4], 16, None)).to_bytes(),
        "gguf_unknown_tensor_type",
        "GGUF: unknown tensor type 99",
    );
    file(
        "gguf-retired-tensor-type.gguf",
        small().raw_tensor(raw("c", 31, &[32], 18, None)).to_bytes(),
        "gguf_retired_tensor_type",
        "GGUF: retired tensor type 31 (Q4_0_4_4)",
    );
    file(
        "gguf-too-many-dims.gguf",
        small()
            .raw_tensor(raw("c", 0, &[1, 1, 1, 1, 1], 4, None))
            .to_bytes(),
        "gguf_too_many_dims",
        "GGUF: n_dims 5",
    );
    let q4_0 = GgmlQuant::Q4_0.id();
    file(
        "gguf-partial-block.gguf",
        small()
            .raw_tensor(raw("c", q4_0, &[48, 2], 54, None))
            .to_bytes(),
        "gguf_partial_block",
        "GGUF: Q4_0 rows of 48 (blocks are 32)",
    );
    file(
        "gguf-misaligned.gguf",
        GgufWriter::new()
            .tensor("a", DType::F32, &[4])
            .raw_tensor(raw("b", 0, &[2], 8, Some(16)))
            .to_bytes(),
        "gguf_offset_misaligned",
        "GGUF: data offset 16 with alignment 32",
    );
    file(
        "gguf-overlap.gguf",
        GgufWriter::new()
            .tensor("a", DType::F32, &[16])
            .raw_tensor(raw("b", 0, &[2], 8, Some(32)))
            .to_bytes(),
        "offset_overlap",
        "GGUF: overlapping tensors",
    );
    file(
        "gguf-offset-past-end.gguf",
        {
            // Header, padding to the data region, then 8 bytes of data: the tensor claims to be 1 TiB further.
            let w = GgufWriter::new().raw_tensor(raw("a", 0, &[2], 8, Some(1 << 40)));
            let mut b = w.header();
            b.resize(w.data_start() as usize + 8, 0);
            b
        },
        "truncated",
        "GGUF: tensor offset past the end of the file",
    );
    file(
        "gguf-truncated.gguf",
        valid[..valid.len() - 30].to_vec(),
        "truncated",
        "GGUF: data region cut short (truncated download)",
    );
    file(
        "gguf-duplicate-name.gguf",
        GgufWriter::new()
            .tensor("a", DType::F32, &[2])
            .tensor("a", DType::F32, &[2])
            .to_bytes(),
        "duplicate_tensor",
        "GGUF: the same tensor name twice",
    );

    let mut folder = |name: &str, code: &'static str, what: &'static str, make: &dyn Fn(&Path)| {
        let dir = root.join(name);
        fs::create_dir_all(&dir).unwrap();
        make(&dir);
        table.push((name.to_string(), code, what));
    };
    let part = |names: &[&str]| {
        names.iter().fold(GgufWriter::new(), |w, n| {
            w.tensor_with_data(n, DType::F32, &[2], vec![0; 8])
        })
    };
    folder(
        "gguf-split-missing-part",
        "missing_shard",
        "GGUF: multi-part file with part 2 of 3 missing",
        &|d| {
            write_split(d, "m", &[part(&["a"]), part(&["b"]), part(&["c"])]).unwrap();
            fs::remove_file(d.join("m-00002-of-00003.gguf")).unwrap();
        },
    );
    folder(
        "gguf-split-inconsistent",
        "gguf_split_inconsistent",
        "GGUF: parts whose split.tensors.count disagrees with their tensors",
        &|d| {
            for (i, names) in [&["a"][..], &["b", "c"][..]].iter().enumerate() {
                part(names)
                    .kv("split.no", MetaValue::U16(i as u16))
                    .kv("split.count", MetaValue::U16(2))
                    .kv(
                        "split.tensors.count",
                        MetaValue::I32(if i == 0 { 3 } else { 4 }),
                    )
                    .write(&d.join(format!("m-0000{}-of-00002.gguf", i + 1)))
                    .unwrap();
            }
        },
    );
    folder(
        "gguf-split-duplicate",
        "tensor_in_two_files",
        "GGUF: two parts holding the same tensor",
        &|d| {
            write_split(d, "m", &[part(&["a", "b"]), part(&["b"])]).unwrap();
        },
    );
    table
}

//! `paramscope inspect` on GGUF files: committed fixtures and files generated here, with figures computed by hand
//! from shapes and ggml block sizes (docs/FORMATS.md §4).

use crate::common::fixtures_gguf::{
    tiny_quantized_tensors, SPLIT_PARAMETERS, TINY_QUANTIZED_PARAMETERS,
};
use crate::common::{inspect_fails, inspect_json, paramscope};
use paramscope::format::synth::gguf::{llama_q4_k_m, write_split, GgufWriter};
use paramscope::format::synth::LlamaShape;
use paramscope::model::dtype::{DType, GgmlQuant};
use paramscope::model::metadata::MetaValue;
use serde_json::{json, Value};

fn dtype_row<'a>(report: &'a Value, dtype: &str) -> &'a Value {
    report["dtypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dtype"] == dtype)
        .unwrap_or_else(|| panic!("no {dtype} row"))
}

#[test]
fn tiny_quantized_exact_elements_bytes_and_bits_per_weight() {
    let r = inspect_json(&["fixtures/gguf/tiny-quantized.gguf"]);
    assert_eq!(r["format"], "gguf");
    assert_eq!(r["layout"], "single_file");
    assert_eq!(r["tensor_count"], 12);
    assert_eq!(r["parameters"], TINY_QUANTIZED_PARAMETERS);
    // (type, tensors, elements, bytes, bits per weight) by hand: elements / block × block bytes.
    let expected = [
        ("Q8_0", 1, 32 * 256, 32 * 256 / 32 * 34, 8.5),
        ("Q4_K", 1, 256 * 256, 256 * 256 / 256 * 144, 4.5),
        ("Q4_0", 1, 128 * 256, 128 * 256 / 32 * 18, 4.5),
        ("Q5_0", 1, 128 * 256, 128 * 256 / 32 * 22, 5.5),
        ("Q3_K", 1, 256 * 256, 256 * 110, 3.4375),
        ("Q2_K", 1, 256 * 256, 256 * 84, 2.625),
        ("IQ4_XS", 1, 256 * 256, 256 * 136, 4.25),
        ("Q6_K", 2, 256 * 256 + 32 * 256, (256 + 32) * 210, 6.5625),
        ("F32", 3, 3 * 256, 3 * 256 * 4, 32.0),
    ];
    let mut total_bytes = 0u64;
    for (dtype, tensors, elements, bytes, bits) in expected {
        let row = dtype_row(&r, dtype);
        assert_eq!(row["tensors"], tensors, "{dtype}");
        assert_eq!(row["parameters"], elements, "{dtype}");
        assert_eq!(row["bytes"], bytes, "{dtype}");
        assert_eq!(row["bits_per_weight"], bits, "{dtype}");
        total_bytes += bytes;
    }
    assert_eq!(r["dtypes"].as_array().unwrap().len(), expected.len());
    assert_eq!(r["tensor_bytes"], total_bytes);
    let g = &r["gguf"];
    assert_eq!(
        g["bits_per_weight"],
        total_bytes as f64 * 8.0 / TINY_QUANTIZED_PARAMETERS as f64
    );
    assert_eq!(g["architecture"], "llama");
    assert_eq!(g["name"], "paramscope tiny quantized");
    assert_eq!(g["file_type"], json!({"id": 15, "name": "MOSTLY_Q4_K_M"}));
    assert_eq!(g["context_length"], 2048);
    assert_eq!(g["block_count"], 1);
    assert_eq!(g["embedding_length"], 256);
    assert_eq!(g["head_count"], 2);
    assert_eq!(g["head_count_kv"], 1);
    assert_eq!(g["tokenizer"], json!({"model": "gpt2", "tokens": 32}));
    assert_eq!(g["parameter_count"], TINY_QUANTIZED_PARAMETERS);
    assert_eq!(g["parameter_count_matches"], true);
    assert_eq!(g["alignment"], 32);
    assert_eq!(g["version"], 3);
    // The data region follows the header padded to 32 bytes and ends padded too.
    let file = &r["files"][0];
    let header = file["header_bytes"].as_u64().unwrap();
    assert_eq!(header % 32, 0);
    let size = std::fs::metadata("fixtures/gguf/tiny-quantized.gguf")
        .unwrap()
        .len();
    assert_eq!(file["size_bytes"], size);
    // Every tensor's size here is a multiple of 32, so the data is exactly the tensor bytes.
    assert_eq!(size, header + total_bytes);
}

#[test]
fn every_metadata_value_type_is_read() {
    let r = inspect_json(&["fixtures/gguf/tiny-quantized.gguf"]);
    let m = &r["metadata"];
    assert_eq!(m["paramscope.test.u8"], 200);
    assert_eq!(m["paramscope.test.i8"], -100);
    assert_eq!(m["paramscope.test.u16"], 60000);
    assert_eq!(m["paramscope.test.i16"], -30000);
    assert_eq!(m["paramscope.test.i32"], -2_000_000_000);
    assert_eq!(m["general.file_type"], 15);
    assert_eq!(m["tokenizer.ggml.bos_token_id"], 0);
    assert_eq!(m["paramscope.test.i64"], -(1i64 << 40));
    assert_eq!(m["general.parameter_count"], TINY_QUANTIZED_PARAMETERS);
    assert_eq!(m["paramscope.test.f64"], 0.1);
    assert_eq!(m["llama.attention.layer_norm_rms_epsilon"], 1e-5);
    assert_eq!(m["llama.rope.freq_base"], 10000.0);
    assert_eq!(m["tokenizer.ggml.add_bos_token"], true);
    assert_eq!(m["general.architecture"], "llama");
    assert_eq!(
        m["paramscope.test.nested"],
        json!({"type": "array", "element": "array", "length": 2, "values": [
            {"type": "array", "element": "i16", "length": 2, "values": [1, -2]},
            {"type": "array", "element": "string", "length": 1, "values": ["x"]},
        ]})
    );
    // Arrays are summarised: type, length, first 8 elements.
    let tokens = &m["tokenizer.ggml.tokens"];
    assert_eq!(tokens["element"], "string");
    assert_eq!(tokens["length"], 32);
    let first: Vec<String> = (0..8).map(|i| format!("tok{i}")).collect();
    assert_eq!(tokens["values"], json!(first));
    assert_eq!(m["tokenizer.ggml.token_type"]["element"], "i32");
    assert_eq!(m["tokenizer.ggml.scores"]["values"][3], -3.0);
    assert_eq!(r["gguf"]["metadata_arrays"], "summary");

    let full = inspect_json(&["fixtures/gguf/tiny-quantized.gguf", "--metadata", "full"]);
    let all: Vec<String> = (0..32).map(|i| format!("tok{i}")).collect();
    assert_eq!(
        full["metadata"]["tokenizer.ggml.tokens"]["values"],
        json!(all)
    );
    assert_eq!(full["gguf"]["metadata_arrays"], "full");
}

#[test]
fn shapes_are_pytorch_order_and_data_sits_on_the_alignment() {
    let r = inspect_json(&["fixtures/gguf/tiny-quantized.gguf", "--tensors"]);
    let rows = r["tensors"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let defined = tiny_quantized_tensors();
    assert_eq!(names, defined.iter().map(|t| t.0).collect::<Vec<_>>());
    for (row, (_, dtype, shape)) in rows.iter().zip(&defined) {
        assert_eq!(row["shape"], json!(shape));
        assert_eq!(row["dtype"], dtype.name());
    }
    // token_embd is [vocab, hidden] as in PyTorch; the file stores ggml dims [256, 32].
    assert_eq!(rows[0]["shape"], json!([32, 256]));

    // Alignment 64 (general.alignment), version 2; every offset by hand: each tensor starts at the previous
    // one's end rounded up to 64.
    let r = inspect_json(&["fixtures/gguf/aligned-64.gguf", "--tensors"]);
    assert_eq!(r["gguf"]["alignment"], 64);
    // The version is the u32 after the magic.
    let bytes = std::fs::read("fixtures/gguf/aligned-64.gguf").unwrap();
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 2);
    assert_eq!(r["gguf"]["version"], 2);
    let want = [
        ("a.f32", [0, 60]),
        ("b.f16", [64, 78]),
        ("c.bf16", [128, 140]),
        ("d.i8", [192, 197]),
        ("e.i16", [256, 262]),
        ("f.i32", [320, 328]),
        ("g.i64", [384, 392]),
        ("h.f64", [448, 464]),
        ("i.empty", [512, 512]),
    ];
    let rows = r["tensors"].as_array().unwrap();
    for (row, (name, offsets)) in rows.iter().zip(want) {
        assert_eq!(row["name"], name);
        assert_eq!(row["data_offsets"], json!(offsets), "{name}");
    }
    assert_eq!(r["parameters"], 15 + 7 + 6 + 5 + 3 + 2 + 1 + 2);
    assert_eq!(r["tensor_bytes"], 60 + 14 + 12 + 5 + 6 + 8 + 8 + 16);
    assert_eq!(r["files"][0]["header_bytes"].as_u64().unwrap() % 64, 0);
    assert_eq!(
        r["files"][0]["size_bytes"].as_u64().unwrap(),
        r["files"][0]["header_bytes"].as_u64().unwrap() + 512
    );
}

#[test]
fn multi_part_opens_from_any_part_or_the_folder() {
    let dir = "fixtures/gguf/split";
    for path in [
        format!("{dir}/tiny-00001-of-00003.gguf"),
        format!("{dir}/tiny-00003-of-00003.gguf"),
        dir.to_string(),
    ] {
        let r = inspect_json(&[&path]);
        assert_eq!(r["layout"], "split", "{path}");
        assert_eq!(r["shards"], 3);
        assert_eq!(r["tensor_count"], 8);
        assert_eq!(r["parameters"], SPLIT_PARAMETERS);
        assert_eq!(r["tensor_bytes"], 2 * SPLIT_PARAMETERS);
        // The model's metadata comes from the first part.
        assert_eq!(r["gguf"]["name"], "paramscope tiny split");
        assert_eq!(r["metadata"]["split.count"], 3);
        let files: Vec<u64> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["tensors"].as_u64().unwrap())
            .collect();
        assert_eq!(files, [3, 3, 2]);
    }
}

#[test]
fn multi_part_consistency_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let part = |n: &str| GgufWriter::new().tensor(n, DType::F16, &[4]);
    // split.no swapped between the two parts.
    for (i, name) in ["a", "b"].iter().enumerate() {
        part(name)
            .kv("split.no", MetaValue::U16(1 - i as u16))
            .kv("split.count", MetaValue::U16(2))
            .kv("split.tensors.count", MetaValue::I32(2))
            .write(&dir.path().join(format!("m-0000{}-of-00002.gguf", i + 1)))
            .unwrap();
    }
    let (code, stderr) = inspect_fails(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("says split.no = 1, but it is part 1 (expected split.no = 0)"),
        "{stderr}"
    );

    // A lone file that says it is one of several parts is read, with a note.
    let lone = dir.path().join("lone.gguf");
    part("a")
        .kv("split.count", MetaValue::U16(3))
        .write(&lone)
        .unwrap();
    let r = inspect_json(&[lone.to_str().unwrap()]);
    assert!(
        r["notes"][0].as_str().unwrap().contains("one of 3 parts"),
        "{r}"
    );
}

/// Llama-3-8B shapes quantised roughly as Q4_K_M (Q4_K, with Q6_K for attn_v, ffn_down and output), data
/// left as holes; 128,256 tokenizer tokens and 1,000 merges in the metadata.
#[test]
fn llama3_8b_shaped_q4_k_m_sparse() {
    let (layers, h, kv, ff, vocab) = (32u64, 4096u64, 1024u64, 14336u64, 128256u64);
    let w = llama_q4_k_m(&LlamaShape::LLAMA3_8B, 1000)
        .kv("general.parameter_count", MetaValue::U64(8_030_261_248))
        .tensor("rope_freqs.weight", DType::F32, &[64]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Llama-3-8B-Q4_K_M.gguf");
    w.write(&path).unwrap();

    let r = inspect_json(&[path.to_str().unwrap()]);
    let q4k_elements = vocab * h + layers * (2 * h * h + kv * h + 2 * ff * h);
    let q6k_elements = vocab * h + layers * (kv * h + h * ff);
    let f32_elements = 64 + layers * 2 * h + h;
    // The Hub's figure for meta-llama/Meta-Llama-3-8B plus the 64-element rope_freqs GGUF adds.
    assert_eq!(
        q4k_elements + q6k_elements + f32_elements,
        8_030_261_248 + 64
    );
    assert_eq!(r["parameters"], 8_030_261_248u64 + 64);
    assert_eq!(r["tensor_count"], 1 + 32 * 9 + 2 + 1);
    let bytes = q4k_elements / 256 * 144 + q6k_elements / 256 * 210 + f32_elements * 4;
    assert_eq!(r["tensor_bytes"], bytes);
    assert_eq!(dtype_row(&r, "Q4_K")["bytes"], q4k_elements / 256 * 144);
    assert_eq!(dtype_row(&r, "Q6_K")["parameters"], q6k_elements);
    let g = &r["gguf"];
    assert_eq!(g["tokenizer"], json!({"model": "gpt2", "tokens": vocab}));
    assert_eq!(g["head_count_kv"], 8);
    assert_eq!(r["metadata"]["tokenizer.ggml.merges"]["length"], 1000);
    assert_eq!(g["parameter_count_matches"], false);
    assert_eq!(
        g["bits_per_weight"],
        bytes as f64 * 8.0 / (8_030_261_248u64 + 64) as f64
    );
    assert_eq!(
        r["metadata"]["tokenizer.ggml.tokens"]["values"]
            .as_array()
            .unwrap()
            .len(),
        8
    );

    let out = paramscope()
        .args(["inspect", path.to_str().unwrap()])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("8,030,261,248 (counted 8,030,261,312, a difference of 64)"),
        "{table}"
    );
    assert!(
        table.contains("[string × 128,256] \"tok0\", \"tok1\""),
        "{table}"
    );
}

#[test]
fn gguf_found_by_magic_and_in_folders_beside_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let model = GgufWriter::new().tensor("a", DType::Ggml(GgmlQuant::Q8_0), &[2, 64]);
    model.write(&dir.path().join("model-q8")).unwrap();
    let r = inspect_json(&[dir.path().join("model-q8").to_str().unwrap()]);
    assert_eq!(r["format"], "gguf");
    assert_eq!(r["tensor_bytes"], 2 * 64 / 32 * 34);

    model.write(&dir.path().join("b.gguf")).unwrap();
    write_split(
        dir.path(),
        "c",
        &[
            GgufWriter::new().tensor("x", DType::F32, &[1]),
            GgufWriter::new().tensor("y", DType::F32, &[1]),
        ],
    )
    .unwrap();
    paramscope::format::synth::SafetensorsWriter::new()
        .tensor("s", DType::BF16, &[3])
        .write(&dir.path().join("model.safetensors"))
        .unwrap();
    let r = inspect_json(&[dir.path().to_str().unwrap()]);
    let reports = r["checkpoints"].as_array().unwrap();
    let formats: Vec<(&str, &str)> = reports
        .iter()
        .map(|c| (c["format"].as_str().unwrap(), c["layout"].as_str().unwrap()))
        .collect();
    assert_eq!(
        formats,
        [
            ("safetensors", "single_file"),
            ("gguf", "single_file"),
            ("gguf", "split")
        ]
    );
    assert_eq!(r["total"]["parameters"], 3 + 128 + 2);
}

#[test]
fn markdown_and_table_show_the_gguf_summary() {
    for format in ["table", "markdown"] {
        let out = paramscope()
            .args([
                "inspect",
                "fixtures/gguf/tiny-quantized.gguf",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("MOSTLY_Q4_K_M (15)"), "{text}");
        assert!(text.contains("gpt2, 32 tokens"), "{text}");
        assert!(text.contains("410,368 (matches the count)"), "{text}");
        assert!(text.contains("bits/weight"), "{text}");
    }
}

/// Unescaped `|` in a Markdown table line (each one starts or ends a cell).
fn cell_bars(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

/// Asserts every row of every Markdown table has as many cells as its header separator (`|---|---|`).
fn assert_markdown_tables_keep_their_columns(text: &str) {
    let mut columns = None;
    let mut rows = 0;
    for line in text.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        if line.starts_with("|-") {
            columns = Some(line.matches('|').count());
            continue;
        }
        if let Some(n) = columns {
            assert_eq!(cell_bars(line), n, "row with a broken cell: {line}\n{text}");
            rows += 1;
        }
    }
    assert!(rows > 0, "no Markdown table rows in {text}");
}

#[test]
fn markdown_tables_escape_bars_in_tokens_templates_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
    let tokens = ["<|begin_of_text|>".to_string(), "a|b".to_string()];
    let one: Vec<u8> = 1.0f32.to_le_bytes().repeat(32);
    let two: Vec<u8> = 2.0f32.to_le_bytes().repeat(32);
    GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv_strings("tokenizer.ggml.tokens", &tokens)
        .kv_str("tokenizer.chat_template", "{{ '<|im_start|>' }}")
        .tensor_with_data("blk.0.attn_q.weight", DType::F32, &[32], one)
        .write(&a)
        .unwrap();
    GgufWriter::new()
        .tensor_with_data("blk.0.attn_q.weight", DType::F32, &[32], two)
        .write(&b)
        .unwrap();
    let out = paramscope()
        .arg("inspect")
        .arg(&a)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r"<\|begin_of_text\|>"), "{text}");
    assert_markdown_tables_keep_their_columns(&text);
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--values", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r"max \|a−b\|"), "{text}");
    assert_markdown_tables_keep_their_columns(&text);
}

/// `inspect model-*.gguf` (the shell's glob of a multi-part file), or a part and its folder, is one checkpoint:
/// each part names the whole model, which was counted once per part.
#[test]
fn every_part_of_a_split_named_at_once_is_read_once() {
    let parts = [
        "fixtures/gguf/split/tiny-00001-of-00003.gguf",
        "fixtures/gguf/split/tiny-00002-of-00003.gguf",
        "./fixtures/gguf/split/tiny-00003-of-00003.gguf",
        "fixtures/gguf/split",
    ];
    let r = inspect_json(&parts);
    assert_eq!(r["layout"], "split", "{r}");
    assert_eq!(r["parameters"], SPLIT_PARAMETERS);
    assert_eq!(r["path"], parts[0]);
    // With another checkpoint beside it: two checkpoints, the split counted once.
    let r = inspect_json(&[parts[1], "fixtures/gguf/tiny-quantized.gguf", parts[0]]);
    assert_eq!(r["total"]["checkpoints"], 2, "{r}");
    assert_eq!(
        r["total"]["parameters"],
        SPLIT_PARAMETERS + TINY_QUANTIZED_PARAMETERS
    );
}

//! The committed GGUF fixtures under `fixtures/gguf/`, written by `paramscope::format::synth::gguf::GgufWriter`.

use super::Lcg;
use half::f16;
use paramscope::format::synth::gguf::{array, write_split, GgufWriter};
use paramscope::model::dtype::{DType, GgmlQuant};
use paramscope::model::metadata::{MetaKind, MetaValue};
use std::fs;
use std::path::Path;

fn f32_data(rng: &mut Lcg, n: u64, centre: f32, scale: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|_| (centre + rng.next_f32(scale)).to_le_bytes())
        .collect()
}

fn f16_data(rng: &mut Lcg, n: u64, scale: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|_| f16::from_f32(rng.next_f32(scale)).to_le_bytes())
        .collect()
}

pub const TINY_VOCAB: u64 = 32;
pub const TINY_HIDDEN: u64 = 256;
pub const TINY_KV: u64 = 128;

/// Tensors of `tiny_quantized` (PyTorch-order shapes) and their types: a one-block Llama with hidden 256 (K-quants
/// need rows of 256), 2 heads of 128, 1 KV head, feed-forward 256, vocabulary 32, in nine ggml types.
pub fn tiny_quantized_tensors() -> Vec<(&'static str, DType, Vec<u64>)> {
    let (v, h, kv) = (TINY_VOCAB, TINY_HIDDEN, TINY_KV);
    let q = DType::Ggml;
    vec![
        ("token_embd.weight", q(GgmlQuant::Q8_0), vec![v, h]),
        ("blk.0.attn_norm.weight", DType::F32, vec![h]),
        ("blk.0.attn_q.weight", q(GgmlQuant::Q4_K), vec![h, h]),
        ("blk.0.attn_k.weight", q(GgmlQuant::Q4_0), vec![kv, h]),
        ("blk.0.attn_v.weight", q(GgmlQuant::Q5_0), vec![kv, h]),
        ("blk.0.attn_output.weight", q(GgmlQuant::Q3_K), vec![h, h]),
        ("blk.0.ffn_norm.weight", DType::F32, vec![h]),
        ("blk.0.ffn_gate.weight", q(GgmlQuant::Q2_K), vec![h, h]),
        ("blk.0.ffn_up.weight", q(GgmlQuant::IQ4_XS), vec![h, h]),
        ("blk.0.ffn_down.weight", q(GgmlQuant::Q6_K), vec![h, h]),
        ("output_norm.weight", DType::F32, vec![h]),
        ("output.weight", q(GgmlQuant::Q6_K), vec![v, h]),
    ]
}

/// Parameters of `tiny_quantized`, by hand: embeddings and output 32·256 each, q/o/gate/up/down 256·256 each,
/// k/v 128·256 each, three norms of 256.
pub const TINY_QUANTIZED_PARAMETERS: u64 = 2 * 32 * 256 + 5 * 256 * 256 + 2 * 128 * 256 + 3 * 256;

/// A GGUF v3 file with every metadata value type (nested arrays included) and nine tensor types; quantised
/// blocks are zeros, norms are pseudo-random F32.
pub fn tiny_quantized() -> GgufWriter {
    let mut rng = Lcg(11);
    let tokens: Vec<String> = (0..TINY_VOCAB).map(|i| format!("tok{i}")).collect();
    let mut w = GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv_str("general.name", "paramscope tiny quantized")
        .kv("general.file_type", MetaValue::U32(15))
        .kv(
            "general.parameter_count",
            MetaValue::U64(TINY_QUANTIZED_PARAMETERS),
        )
        .kv("general.quantization_version", MetaValue::U32(2))
        .kv("llama.context_length", MetaValue::U32(2048))
        .kv("llama.block_count", MetaValue::U32(1))
        .kv("llama.embedding_length", MetaValue::U32(256))
        .kv("llama.feed_forward_length", MetaValue::U32(256))
        .kv("llama.attention.head_count", MetaValue::U32(2))
        .kv("llama.attention.head_count_kv", MetaValue::U32(1))
        .kv("llama.rope.freq_base", MetaValue::F32(10000.0))
        .kv(
            "llama.attention.layer_norm_rms_epsilon",
            MetaValue::F32(1e-5),
        )
        .kv_str("tokenizer.ggml.model", "gpt2")
        .kv_strings("tokenizer.ggml.tokens", &tokens)
        .kv(
            "tokenizer.ggml.token_type",
            array(
                MetaKind::I32,
                (0..TINY_VOCAB)
                    .map(|i| MetaValue::I32(1 + (i == 0) as i32))
                    .collect(),
            ),
        )
        .kv(
            "tokenizer.ggml.scores",
            array(
                MetaKind::F32,
                (0..TINY_VOCAB)
                    .map(|i| MetaValue::F32(-(i as f32)))
                    .collect(),
            ),
        )
        .kv("tokenizer.ggml.bos_token_id", MetaValue::U32(0))
        .kv("tokenizer.ggml.add_bos_token", MetaValue::Bool(true))
        .kv("paramscope.test.u8", MetaValue::U8(200))
        .kv("paramscope.test.i8", MetaValue::I8(-100))
        .kv("paramscope.test.u16", MetaValue::U16(60000))
        .kv("paramscope.test.i16", MetaValue::I16(-30000))
        .kv("paramscope.test.i32", MetaValue::I32(-2_000_000_000))
        .kv("paramscope.test.i64", MetaValue::I64(-(1 << 40)))
        .kv("paramscope.test.f64", MetaValue::F64(0.1))
        .kv(
            "paramscope.test.nested",
            array(
                MetaKind::Array,
                vec![
                    array(MetaKind::I16, vec![MetaValue::I16(1), MetaValue::I16(-2)]),
                    array(MetaKind::String, vec![MetaValue::String("x".into())]),
                ],
            ),
        );
    for (name, dtype, shape) in tiny_quantized_tensors() {
        w = if dtype == DType::F32 {
            let n = shape.iter().product();
            w.tensor_with_data(name, dtype, &shape, f32_data(&mut rng, n, 1.0, 0.05))
        } else {
            w.tensor(name, dtype, &shape)
        };
    }
    w
}

/// A GGUF v2 file aligned to 64 bytes (`general.alignment`), with tensors in the plain types whose sizes are not
/// multiples of 64, so padding shows: F32 [3, 5], F16 [7], BF16 [2, 3], I8 [5], I16 [3], I32 [2], I64 [1],
/// F64 [2], and an empty F32 [0, 4].
pub fn aligned_64() -> GgufWriter {
    let mut rng = Lcg(5);
    GgufWriter::new()
        .version(2)
        .kv_str("general.architecture", "paramscope-test")
        .alignment(64)
        .tensor_with_data(
            "a.f32",
            DType::F32,
            &[3, 5],
            f32_data(&mut rng, 15, 0.0, 1.0),
        )
        .tensor_with_data("b.f16", DType::F16, &[7], f16_data(&mut rng, 7, 1.0))
        .tensor("c.bf16", DType::BF16, &[2, 3])
        .tensor_with_data("d.i8", DType::I8, &[5], vec![1, 2, 3, 4, 5])
        .tensor("e.i16", DType::I16, &[3])
        .tensor("f.i32", DType::I32, &[2])
        .tensor("g.i64", DType::I64, &[1])
        .tensor("h.f64", DType::F64, &[2])
        .tensor("i.empty", DType::F32, &[0, 4])
}

/// A tiny F16 model split in three parts (hidden 32, 2 blocks, vocabulary 64); the first part carries the
/// model's metadata, every part its `split.*` keys.
pub fn split_parts() -> Vec<GgufWriter> {
    let mut rng = Lcg(3);
    let (h, v) = (32u64, 64u64);
    let mut tensors: Vec<(String, Vec<u64>)> = vec![("token_embd.weight".into(), vec![v, h])];
    for b in 0..2 {
        tensors.push((format!("blk.{b}.attn_norm.weight"), vec![h]));
        tensors.push((format!("blk.{b}.attn_q.weight"), vec![h, h]));
        tensors.push((format!("blk.{b}.ffn_up.weight"), vec![2 * h, h]));
    }
    tensors.push(("output_norm.weight".into(), vec![h]));
    let mut parts = vec![
        GgufWriter::new()
            .kv_str("general.architecture", "llama")
            .kv_str("general.name", "paramscope tiny split")
            .kv("general.file_type", MetaValue::U32(1))
            .kv("llama.block_count", MetaValue::U32(2))
            .kv("llama.context_length", MetaValue::U32(512)),
        GgufWriter::new(),
        GgufWriter::new(),
    ];
    for (i, (name, shape)) in tensors.into_iter().enumerate() {
        let n = shape.iter().product();
        let part = std::mem::take(&mut parts[i * 3 / 8]);
        parts[i * 3 / 8] =
            part.tensor_with_data(&name, DType::F16, &shape, f16_data(&mut rng, n, 0.1));
    }
    parts
}

/// Parameters of `split_parts`, by hand: embeddings 64·32, per block 32 + 32·32 + 64·32, final norm 32.
pub const SPLIT_PARAMETERS: u64 = 64 * 32 + 2 * (32 + 32 * 32 + 64 * 32) + 32;

pub fn write_all(root: &Path) {
    fs::create_dir_all(root).unwrap();
    tiny_quantized()
        .write(&root.join("tiny-quantized.gguf"))
        .unwrap();
    aligned_64().write(&root.join("aligned-64.gguf")).unwrap();
    let split = root.join("split");
    fs::create_dir_all(&split).unwrap();
    write_split(&split, "tiny", &split_parts()).unwrap();
}

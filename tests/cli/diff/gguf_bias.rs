//! `diff` between a Llama in safetensors and its GGUF conversion, beyond `gguf.rs`: llama.cpp's
//! `convert_hf_to_gguf.py` permutes `q_proj.bias` and `k_proj.bias` as it permutes the weights' rows (each bias
//! element is the row's), and the safetensors side may lack the `model.` prefix the name mapping gives.

use crate::common::diff_values_json;
use paramscope::format::synth::gguf::GgufWriter;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use paramscope::model::metadata::MetaValue;

const HEADS: u64 = 2;
const KV_HEADS: u64 = 1;
const HEAD_DIM: u64 = 4;
const HIDDEN: u64 = HEADS * HEAD_DIM;

fn le(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// llama.cpp's permute over rows of `cols` elements: GGUF row `h·d + 2i + j` holds HF row `h·d + j·(d/2) + i`.
fn permute(hf: &[f32], heads: u64, cols: u64) -> Vec<f32> {
    let d = hf.len() as u64 / cols / heads;
    let mut gguf = vec![0.0; hf.len()];
    for h in 0..heads {
        for i in 0..d / 2 {
            for j in 0..2 {
                let g = ((h * d + 2 * i + j) * cols) as usize;
                let r = ((h * d + j * (d / 2) + i) * cols) as usize;
                gguf[g..g + cols as usize].copy_from_slice(&hf[r..r + cols as usize]);
            }
        }
    }
    gguf
}

/// A llama GGUF holding layer 0's q and k projections permuted as llama.cpp's converter writes them.
fn llama_gguf(qw: &[f32], kw: &[f32]) -> GgufWriter {
    GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv("llama.attention.head_count", MetaValue::U32(HEADS as u32))
        .kv(
            "llama.attention.head_count_kv",
            MetaValue::U32(KV_HEADS as u32),
        )
        .tensor_with_data(
            "blk.0.attn_q.weight",
            DType::F32,
            &[HIDDEN, HIDDEN],
            le(&permute(qw, HEADS, HIDDEN)),
        )
        .tensor_with_data(
            "blk.0.attn_k.weight",
            DType::F32,
            &[KV_HEADS * HEAD_DIM, HIDDEN],
            le(&permute(kw, KV_HEADS, HIDDEN)),
        )
}

#[test]
fn permuted_q_and_k_biases_compare_equal_to_their_originals() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gg) = (
        dir.path().join("model.safetensors"),
        dir.path().join("model.gguf"),
    );
    // Distinct values, so any element paired with the wrong one differs.
    let values = |n: u64, from: f32| (0..n).map(|i| from + i as f32).collect::<Vec<f32>>();
    let (qw, kw) = (
        values(HIDDEN * HIDDEN, 0.0),
        values(KV_HEADS * HEAD_DIM * HIDDEN, 100.0),
    );
    let (qb, kb) = (values(HIDDEN, 1000.0), values(KV_HEADS * HEAD_DIM, 2000.0));
    let kv = KV_HEADS * HEAD_DIM;
    SafetensorsWriter::new()
        .tensor_with_data(
            "model.layers.0.self_attn.q_proj.weight",
            DType::F32,
            &[HIDDEN, HIDDEN],
            le(&qw),
        )
        .tensor_with_data(
            "model.layers.0.self_attn.q_proj.bias",
            DType::F32,
            &[HIDDEN],
            le(&qb),
        )
        .tensor_with_data(
            "model.layers.0.self_attn.k_proj.weight",
            DType::F32,
            &[kv, HIDDEN],
            le(&kw),
        )
        .tensor_with_data(
            "model.layers.0.self_attn.k_proj.bias",
            DType::F32,
            &[kv],
            le(&kb),
        )
        .write(&st)
        .unwrap();
    llama_gguf(&qw, &kw)
        .tensor_with_data(
            "blk.0.attn_q.bias",
            DType::F32,
            &[HIDDEN],
            le(&permute(&qb, HEADS, 1)),
        )
        .tensor_with_data(
            "blk.0.attn_k.bias",
            DType::F32,
            &[kv],
            le(&permute(&kb, KV_HEADS, 1)),
        )
        .write(&gg)
        .unwrap();
    for (a, b) in [(&st, &gg), (&gg, &st)] {
        let (code, r) = diff_values_json(a, b, &[]);
        assert_eq!(
            r["name_mapping"]["rope_permuted"].as_array().unwrap().len(),
            4,
            "{r}"
        );
        assert_eq!(r["values"]["compared_tensors"], 4);
        assert_eq!(r["values"]["max_abs_diff"], 0.0, "{}", r["values"]);
        assert_eq!(code, 0);
    }
}

/// The safetensors side saved without `model.` (as some exporters write it): the diff pairs names through the
/// prefix change, and the permuted projections must still be found by their GGUF (mapped) name, whichever side
/// the GGUF is on.
#[test]
fn permuted_projections_are_undone_through_a_prefix_change() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gg) = (
        dir.path().join("model.safetensors"),
        dir.path().join("model.gguf"),
    );
    let values = |n: u64, from: f32| (0..n).map(|i| from + i as f32).collect::<Vec<f32>>();
    let kv = KV_HEADS * HEAD_DIM;
    let (qw, kw) = (values(HIDDEN * HIDDEN, 0.0), values(kv * HIDDEN, 100.0));
    let norm = values(HIDDEN, 7.0);
    SafetensorsWriter::new()
        .tensor_with_data(
            "layers.0.self_attn.q_proj.weight",
            DType::F32,
            &[HIDDEN, HIDDEN],
            le(&qw),
        )
        .tensor_with_data(
            "layers.0.self_attn.k_proj.weight",
            DType::F32,
            &[kv, HIDDEN],
            le(&kw),
        )
        .tensor_with_data(
            "layers.0.input_layernorm.weight",
            DType::F32,
            &[HIDDEN],
            le(&norm),
        )
        .write(&st)
        .unwrap();
    llama_gguf(&qw, &kw)
        .tensor_with_data("blk.0.attn_norm.weight", DType::F32, &[HIDDEN], le(&norm))
        .write(&gg)
        .unwrap();
    for (a, b) in [(&st, &gg), (&gg, &st)] {
        let (_, r) = diff_values_json(a, b, &[]);
        assert_eq!(r["prefix_changes"][0]["tensors"], 3, "{r}");
        assert_eq!(r["name_mapping"]["rope_not_undone"], serde_json::json!([]));
        assert_eq!(r["values"]["compared_tensors"], 3);
        assert_eq!(r["values"]["max_abs_diff"], 0.0, "{}", r["values"]);
    }
}

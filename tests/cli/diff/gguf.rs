//! `paramscope diff` between a tiny Llama in safetensors and a GGUF written from the same values, as
//! llama.cpp's conversion writes it: GGUF names, q/k rows permuted for the rotary embedding, some tensors
//! quantised (the safetensors side then holds exactly the dequantised values, so a faithful comparison finds no
//! difference).

use crate::common::ggml_blocks::{q4_0, q4_k, q8_0};
use crate::common::{diff_values_json, paramscope, Lcg};
use paramscope::format::synth::gguf::GgufWriter;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::{DType, GgmlQuant};
use paramscope::model::metadata::MetaValue;
use serde_json::{json, Value};
use std::path::Path;

const LAYERS: usize = 2;
const HIDDEN: u64 = 256;
const FF: u64 = 512;
const HEADS: u64 = 4;
const KV_HEADS: u64 = 2;
const HEAD_DIM: u64 = HIDDEN / HEADS;
const VOCAB: u64 = 32;

fn le(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// llama.cpp's `permute(w, n_head, n_head_kv)`: `w.reshape(heads, 2, d/2, cols).swapaxes(1, 2)`, i.e. GGUF row
/// `h·d + 2i + j` holds HF row `h·d + j·(d/2) + i`. Returns the HF rows given the GGUF ones.
fn unpermute(gguf: &[f32], heads: u64, cols: u64) -> Vec<f32> {
    let rows = gguf.len() as u64 / cols;
    let d = rows / heads;
    let mut hf = vec![0.0; gguf.len()];
    for h in 0..heads {
        for i in 0..d / 2 {
            for j in 0..2 {
                let g = (h * d + 2 * i + j) * cols;
                let r = (h * d + j * (d / 2) + i) * cols;
                hf[r as usize..(r + cols) as usize]
                    .copy_from_slice(&gguf[g as usize..(g + cols) as usize]);
            }
        }
    }
    hf
}

/// Values exact in F16 (and so in F32): a 11-bit mantissa.
fn f16_exact(rng: &mut Lcg, n: u64) -> Vec<f32> {
    (0..n)
        .map(|_| half::f16::from_f32(rng.next_f32(1.0)).to_f32())
        .collect()
}

fn f16_le(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes())
        .collect()
}

/// A tensor stored as F16 in GGUF and F32 in safetensors, with the same (F16-exact) values.
fn f16_pair(
    rng: &mut Lcg,
    s: SafetensorsWriter,
    g: GgufWriter,
    hf: &str,
    gg: &str,
    shape: &[u64],
) -> (SafetensorsWriter, GgufWriter) {
    let v = f16_exact(rng, shape.iter().product());
    (
        s.tensor_with_data(hf, DType::F32, shape, le(&v)),
        g.tensor_with_data(gg, DType::F16, shape, f16_le(&v)),
    )
}

/// Writes both files; returns the number of tensors (each side).
fn write_pair(st: &Path, gguf: &Path, bump_down_proj: bool, head_counts: bool) -> usize {
    let mut rng = Lcg(11);
    let mut s = SafetensorsWriter::new();
    let mut g = GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv("llama.block_count", MetaValue::U32(LAYERS as u32))
        .kv("llama.embedding_length", MetaValue::U32(HIDDEN as u32));
    if head_counts {
        g = g
            .kv("llama.attention.head_count", MetaValue::U32(HEADS as u32))
            .kv(
                "llama.attention.head_count_kv",
                MetaValue::U32(KV_HEADS as u32),
            );
    }
    (s, g) = f16_pair(
        &mut rng,
        s,
        g,
        "model.embed_tokens.weight",
        "token_embd.weight",
        &[VOCAB, HIDDEN],
    );
    (s, g) = f16_pair(
        &mut rng,
        s,
        g,
        "model.norm.weight",
        "output_norm.weight",
        &[HIDDEN],
    );
    for l in 0..LAYERS {
        let hf = |p: &str| format!("model.layers.{l}.{p}.weight");
        let gg = |p: &str| format!("blk.{l}.{p}.weight");
        (s, g) = f16_pair(
            &mut rng,
            s,
            g,
            &hf("input_layernorm"),
            &gg("attn_norm"),
            &[HIDDEN],
        );
        (s, g) = f16_pair(
            &mut rng,
            s,
            g,
            &hf("post_attention_layernorm"),
            &gg("ffn_norm"),
            &[HIDDEN],
        );
        (s, g) = f16_pair(
            &mut rng,
            s,
            g,
            &hf("self_attn.v_proj"),
            &gg("attn_v"),
            &[KV_HEADS * HEAD_DIM, HIDDEN],
        );
        (s, g) = f16_pair(
            &mut rng,
            s,
            g,
            &hf("self_attn.o_proj"),
            &gg("attn_output"),
            &[HIDDEN, HIDDEN],
        );
        (s, g) = f16_pair(
            &mut rng,
            s,
            g,
            &hf("mlp.up_proj"),
            &gg("ffn_up"),
            &[FF, HIDDEN],
        );
        // Quantised in GGUF; the safetensors side holds the dequantised values.
        let (qb, qv) = q8_0(&mut rng, (HIDDEN * HIDDEN / 32) as usize);
        let q_shape = [HIDDEN, HIDDEN];
        s = s.tensor_with_data(
            &hf("self_attn.q_proj"),
            DType::F32,
            &q_shape,
            le(&unpermute(&qv, HEADS, HIDDEN)),
        );
        g = g.tensor_with_data(&gg("attn_q"), DType::Ggml(GgmlQuant::Q8_0), &q_shape, qb);
        let k_shape = [KV_HEADS * HEAD_DIM, HIDDEN];
        let (kb, kv) = q4_0(&mut rng, (k_shape[0] * HIDDEN / 32) as usize);
        s = s.tensor_with_data(
            &hf("self_attn.k_proj"),
            DType::F32,
            &k_shape,
            le(&unpermute(&kv, KV_HEADS, HIDDEN)),
        );
        g = g.tensor_with_data(&gg("attn_k"), DType::Ggml(GgmlQuant::Q4_0), &k_shape, kb);
        let (gb, gv) = q4_k(&mut rng, (FF * HIDDEN / 256) as usize);
        s = s.tensor_with_data(&hf("mlp.gate_proj"), DType::F32, &[FF, HIDDEN], le(&gv));
        g = g.tensor_with_data(
            &gg("ffn_gate"),
            DType::Ggml(GgmlQuant::Q4_K),
            &[FF, HIDDEN],
            gb,
        );
        let mut down = f16_exact(&mut rng, HIDDEN * FF);
        g = g.tensor_with_data(&gg("ffn_down"), DType::F32, &[HIDDEN, FF], le(&down));
        if bump_down_proj && l == 1 {
            down[1000] += 0.5;
        }
        s = s.tensor_with_data(&hf("mlp.down_proj"), DType::F32, &[HIDDEN, FF], le(&down));
    }
    let (ob, ov) = q8_0(&mut rng, (VOCAB * HIDDEN / 32) as usize);
    s = s.tensor_with_data("lm_head.weight", DType::F32, &[VOCAB, HIDDEN], le(&ov));
    g = g.tensor_with_data(
        "output.weight",
        DType::Ggml(GgmlQuant::Q8_0),
        &[VOCAB, HIDDEN],
        ob,
    );
    s.write(st).unwrap();
    g.write(gguf).unwrap();
    3 + 9 * LAYERS
}

#[test]
fn a_gguf_conversion_pairs_with_its_safetensors_original_and_values_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gguf) = (
        dir.path().join("model.safetensors"),
        dir.path().join("model.gguf"),
    );
    let tensors = write_pair(&st, &gguf, false, true);
    for (a, b, side) in [(&st, &gguf, "b"), (&gguf, &st, "a")] {
        let (code, r) = diff_values_json(a, b, &[]);
        assert_eq!(r["only_in_a"], json!([]), "{side}");
        assert_eq!(r["only_in_b"], json!([]), "{side}");
        assert_eq!(r["name_mapping"]["gguf_side"], side);
        assert_eq!(r["name_mapping"]["mapped"], tensors);
        let permuted = r["name_mapping"]["rope_permuted"].as_array().unwrap();
        assert_eq!(permuted.len(), 2 * LAYERS);
        assert!(permuted.contains(&json!("model.layers.1.self_attn.k_proj.weight")));
        let v = &r["values"];
        assert_eq!(v["skipped"], json!([]));
        assert_eq!(v["compared_tensors"], tensors);
        assert_eq!(v["max_abs_diff"], 0.0, "{side}: {v}");
        assert_eq!(v["differing_tensors"], 0);
        assert_eq!(code, 0, "{side}");
    }
}

#[test]
fn a_changed_element_is_found_through_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gguf) = (
        dir.path().join("model.safetensors"),
        dir.path().join("model.gguf"),
    );
    write_pair(&st, &gguf, true, true);
    let (code, r) = diff_values_json(&st, &gguf, &[]);
    assert_eq!(code, 1);
    let v = &r["values"];
    assert_eq!(v["differing_tensors"], 1);
    assert_eq!(v["max_abs_diff"], 0.5);
    let t = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["differing_elements"] != 0)
        .unwrap();
    assert_eq!(t["name"], "model.layers.1.mlp.down_proj.weight");
    assert_eq!(t["differing_elements"], 1);
}

#[test]
fn without_head_counts_the_permuted_projections_are_named_and_differ() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gguf) = (
        dir.path().join("model.safetensors"),
        dir.path().join("model.gguf"),
    );
    write_pair(&st, &gguf, false, false);
    let (code, r) = diff_values_json(&st, &gguf, &[]);
    assert_eq!(code, 1);
    let m = &r["name_mapping"];
    assert_eq!(m["rope_permuted"], json!([]));
    assert_eq!(m["rope_not_undone"].as_array().unwrap().len(), 2 * LAYERS);
    let v = &r["values"];
    assert_eq!(v["differing_tensors"], 2 * LAYERS);
    for t in v["tensors"].as_array().unwrap() {
        let permuted = t["name"].as_str().unwrap().ends_with("q_proj.weight")
            || t["name"].as_str().unwrap().ends_with("k_proj.weight");
        assert_eq!(t["differing_elements"] != 0, permuted, "{}", t["name"]);
    }
    let text = paramscope()
        .arg("diff")
        .arg(&st)
        .arg(&gguf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("cannot be undone here"), "{text}");
    assert!(
        text.contains("model.layers.0.self_attn.q_proj.weight"),
        "{text}"
    );
}

#[test]
fn identical_says_why_permuted_rows_cannot_match_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (st, gguf) = (dir.path().join("q.safetensors"), dir.path().join("q.gguf"));
    // One head of 8 rows × 4 columns; GGUF stores HF rows 0, 4, 1, 5, 2, 6, 3, 7.
    let hf: Vec<f32> = (0..32).map(|i| i as f32).collect();
    let order = [0usize, 4, 1, 5, 2, 6, 3, 7];
    let stored: Vec<f32> = order
        .iter()
        .flat_map(|&r| hf[r * 4..r * 4 + 4].to_vec())
        .collect();
    assert_eq!(unpermute(&stored, 1, 4), hf);
    SafetensorsWriter::new()
        .tensor_with_data(
            "model.layers.0.self_attn.q_proj.weight",
            DType::F32,
            &[8, 4],
            le(&hf),
        )
        .write(&st)
        .unwrap();
    GgufWriter::new()
        .kv_str("general.architecture", "llama")
        .kv("llama.attention.head_count", MetaValue::U32(1))
        .tensor_with_data("blk.0.attn_q.weight", DType::F32, &[8, 4], le(&stored))
        .write(&gguf)
        .unwrap();
    let (code, r) = diff_values_json(&st, &gguf, &[]);
    assert_eq!(code, 0);
    assert_eq!(r["values"]["max_abs_diff"], 0.0);
    let out = paramscope()
        .args(["diff", "--identical", "--format", "json"])
        .arg(&st)
        .arg(&gguf)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &r["identical"]["first_difference"];
    // Element 4 is the first to differ (HF row 1 starts with 4.0; GGUF's second row is HF row 4, starting with
    // 16.0). 4.0 = 0x40800000 and 16.0 = 0x41800000 differ only in their top byte: byte 4·4 + 3 = 19.
    assert_eq!(first["byte"], 19);
    assert!(first["reason"].as_str().unwrap().contains("rope order"));
}

/// A type `--values` does not decode (Q6_K, in every Q4_K_M file) is still known equal when both sides hold the
/// same bytes: a GGUF against an identical copy is no difference; one changed byte is (and says why).
#[test]
fn undecoded_types_with_equal_bytes_compare_equal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
    let q6k = DType::Ggml(GgmlQuant::Q6_K);
    let blocks: Vec<u8> = (0..2 * 210).map(|i| (i * 7 % 251) as u8).collect();
    let write = |path: &Path, q6k_bytes: Vec<u8>| {
        GgufWriter::new()
            .tensor_with_data("blk.0.ffn_down.weight", q6k, &[2, 256], q6k_bytes)
            .tensor_with_data(
                "blk.0.attn_norm.weight",
                DType::F32,
                &[4],
                le(&[1.0, 2.0, 3.0, 4.0]),
            )
            .write(path)
            .unwrap();
    };
    write(&a, blocks.clone());
    write(&b, blocks.clone());
    let (code, r) = diff_values_json(&a, &b, &[]);
    assert_eq!(code, 0, "{r}");
    let v = &r["values"];
    assert_eq!(v["skipped"], json!([]));
    assert_eq!(v["compared_tensors"], 2);
    assert_eq!(v["compared_elements"], 512 + 4);
    let q6 = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "blk.0.ffn_down.weight")
        .unwrap();
    assert_eq!(q6["differing_elements"], 0);
    assert_eq!(q6["max_abs_diff"], 0.0);

    let mut changed = blocks;
    changed[300] ^= 1;
    write(&b, changed);
    let (code, r) = diff_values_json(&a, &b, &[]);
    assert_eq!(code, 1, "{r}");
    let skipped = r["values"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r}");
    assert_eq!(skipped[0]["name"], "blk.0.ffn_down.weight");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("Q6_K"));
}

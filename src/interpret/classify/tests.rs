//! One test per rule, on real checkpoint names and shapes.

use super::*;
use crate::interpret::hf_config;
use std::path::Path;

fn t(name: &str, dtype: DType, shape: &[u64]) -> Tensor {
    Tensor {
        name: name.into(),
        dtype,
        shape: shape.to_vec(),
        file: 0,
        data_offsets: [0, 0],
        view: None,
    }
}

fn rules(tensors: &[Tensor], config: Option<&ModelConfig>) -> Vec<(&'static str, u64)> {
    classify(tensors, config)
        .iter()
        .map(|c| (c.rule.id, c.logical_elements))
        .collect()
}

fn cfg(json: &str) -> ModelConfig {
    hf_config::parse(Path::new("config.json"), json.as_bytes()).unwrap()
}

#[test]
fn gpt2_mask_is_a_buffer_but_the_qkv_bias_is_not() {
    let got = rules(
        &[
            t("h.0.attn.bias", DType::F32, &[1, 1, 1024, 1024]),
            t("h.0.attn.c_attn.bias", DType::F32, &[2304]),
            t("h.0.attn.masked_bias", DType::F32, &[]),
        ],
        None,
    );
    assert_eq!(
        got,
        [
            ("buffer.attention_mask", 0),
            ("weight.default", 2304),
            ("buffer.attention_mask", 0)
        ]
    );
}

#[test]
fn buffers_by_component() {
    let got = rules(
        &[
            t("embeddings.position_ids", DType::I64, &[1, 512]),
            t(
                "model.layers.0.self_attn.rotary_emb.inv_freq",
                DType::F32,
                &[64],
            ),
            t("rope_freqs.weight", DType::F32, &[64]),
            t("bn.num_batches_tracked", DType::I64, &[]),
            t("bn.running_var", DType::F32, &[8]),
            // `inv_freq_proj` is not `inv_freq`: components, not substrings.
            t("x.inv_freq_proj.weight", DType::F32, &[4, 4]),
        ],
        None,
    );
    let ids: Vec<_> = got.iter().map(|g| g.0).collect();
    assert_eq!(
        ids,
        [
            "buffer.position_ids",
            "buffer.rotary",
            "buffer.rotary",
            "buffer.norm_statistics",
            "buffer.norm_statistics",
            "weight.default"
        ]
    );
}

#[test]
fn gptq_qweight_bits_from_config_else_from_shapes() {
    // GPTQ 4-bit, in 4096, out 1024, group 128: qweight [512, 1024], qzeros [32, 128], scales [32, 1024], g_idx [4096].
    let gptq = [
        t("l.qweight", DType::I32, &[512, 1024]),
        t("l.qzeros", DType::I32, &[32, 128]),
        t("l.scales", DType::F16, &[32, 1024]),
        t("l.g_idx", DType::I32, &[4096]),
        t("l.bias", DType::F16, &[1024]),
    ];
    let with_config = cfg(r#"{"quantization_config": {"quant_method": "gptq", "bits": 4}}"#);
    assert_eq!(
        rules(&gptq, Some(&with_config)),
        [
            ("quant_packed.qweight_config_bits", 4096 * 1024),
            ("quant_aux.name", 0),
            ("quant_aux.name", 0),
            ("quant_aux.name", 0),
            ("weight.default", 1024)
        ]
    );
    assert_eq!(
        rules(&gptq, None)[0],
        ("quant_packed.qweight_inferred_bits", 4096 * 1024)
    );
    // Without qzeros the GPTQ g_idx [in] against qweight [in/8, out] still gives the packing.
    assert_eq!(
        rules(&[gptq[0].clone(), gptq[3].clone()], None)[0],
        ("quant_packed.qweight_inferred_bits", 4096 * 1024)
    );
    // 8-bit: the config says so, and the count follows.
    let eight = cfg(r#"{"quantization_config": {"bits": 8}}"#);
    assert_eq!(
        rules(&gptq[..1], Some(&eight))[0],
        ("quant_packed.qweight_config_bits", 512 * 1024 * 4)
    );
    assert_eq!(
        rules(&gptq[..1], None)[0],
        ("quant_packed.qweight_unknown_bits", 512 * 1024)
    );
    assert_eq!(
        rules(&[t("l.qweight", DType::I8, &[16, 16])], None)[0],
        ("quant_packed.qweight_8bit", 256)
    );
}

#[test]
fn bitsandbytes_mxfp4_compressed_tensors_fp8() {
    let bnb = [
        t("l.weight", DType::U8, &[8192, 1]),
        t("l.weight.absmax", DType::F32, &[256]),
        t("l.weight.quant_map", DType::F32, &[16]),
        t("l.weight.nested_absmax", DType::F32, &[1]),
        t("l.weight.quant_state.bitsandbytes__nf4", DType::U8, &[80]),
    ];
    let got = rules(&bnb, None);
    assert_eq!(got[0], ("quant_packed.bnb_4bit", 16384));
    assert!(
        got[1..].iter().all(|g| *g == ("quant_aux.name", 0)),
        "{got:?}"
    );
    // A U8 weight with no bitsandbytes state is an ordinary weight.
    assert_eq!(rules(&bnb[..1], None)[0], ("weight.default", 8192));

    let oss = rules(
        &[
            t("e.gate_up_proj_blocks", DType::U8, &[32, 5760, 90, 16]),
            t("e.gate_up_proj_scales", DType::U8, &[32, 5760, 90]),
            t("e.gate_up_proj_bias", DType::BF16, &[32, 5760]),
            t("x.e8m0", DType::F8_E8M0, &[4]),
        ],
        None,
    );
    assert_eq!(
        oss,
        [
            ("quant_packed.mxfp4_blocks", 32 * 5760 * 90 * 16 * 2),
            ("quant_aux.name", 0),
            ("weight.default", 32 * 5760),
            ("quant_aux.e8m0_dtype", 0)
        ]
    );

    let ct = cfg(
        r#"{"quantization_config": {"quant_method": "compressed-tensors",
            "config_groups": {"group_0": {"weights": {"num_bits": 4}}}}}"#,
    );
    let packed = [
        t("l.weight_packed", DType::I32, &[1024, 512]),
        t("l.weight_scale", DType::BF16, &[1024, 32]),
        t("l.weight_zero_point", DType::I32, &[128, 32]),
        t("l.weight_shape", DType::I64, &[2]),
    ];
    assert_eq!(
        rules(&packed, Some(&ct)),
        [
            ("quant_packed.compressed_tensors", 1024 * 4096),
            ("quant_aux.name", 0),
            ("quant_aux.name", 0),
            ("quant_aux.name", 0)
        ]
    );
    assert_eq!(
        rules(&packed[..1], None)[0],
        ("quant_packed.compressed_tensors_unknown_bits", 1024 * 512)
    );

    let fp8 = rules(
        &[
            t("l.weight", DType::F8_E4M3, &[256, 256]),
            t("l.weight_scale_inv", DType::F32, &[2, 2]),
            t("l.scale", DType::F32, &[256]),
            t("norm.scale", DType::F32, &[256]),
        ],
        None,
    );
    assert_eq!(
        fp8,
        [
            ("weight.default", 65536),
            ("quant_aux.name", 0),
            ("quant_aux.sibling_scale", 0),
            // A norm's `scale` with no quantized weight beside it is a parameter.
            ("weight.default", 256)
        ]
    );
}

#[test]
fn tied_head_counts_once_only_when_config_ties() {
    let tensors = [
        t("model.embed_tokens.weight", DType::BF16, &[100, 8]),
        t("lm_head.weight", DType::BF16, &[100, 8]),
    ];
    let tied = cfg(r#"{"tie_word_embeddings": true}"#);
    assert_eq!(
        rules(&tensors, Some(&tied)),
        [("weight.default", 800), ("weight.tied_duplicate", 0)]
    );
    let untied = cfg(r#"{"tie_word_embeddings": false}"#);
    assert_eq!(rules(&tensors, Some(&untied))[1], ("weight.default", 800));
    assert_eq!(rules(&tensors, None)[1], ("weight.default", 800));
}

#[test]
fn every_rule_id_is_unique_and_prefixed_by_its_class() {
    let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
    for r in RULES {
        assert!(r.id.starts_with(r.class.name()), "{}", r.id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
}

#[test]
fn a_pattern_shared_by_layers_keeps_each_layers_own_siblings_dtype_and_shape() {
    // Pairs of one name pattern; what tells each pair apart is a sibling, the dtype or the dimensions.
    let tensors = [
        t("h.0.attn.bias", DType::F32, &[1, 1, 8, 8]),
        t("h.1.attn.bias", DType::F32, &[8]),
        t("m.0.proj.weight", DType::U8, &[64, 32]),
        t("m.0.proj.weight.absmax", DType::F32, &[2]),
        t("m.1.proj.weight", DType::U8, &[64, 32]),
        t("s.0.scale", DType::F32, &[64]),
        t("s.0.weight", DType::F8_E4M3, &[64, 64]),
        t("s.1.scale", DType::F32, &[64]),
        t("s.1.weight", DType::BF16, &[64, 64]),
        t("q.0.qweight", DType::I32, &[8, 64]),
        t("q.0.scales", DType::F16, &[1, 64]),
        t("q.0.qzeros", DType::I32, &[1, 8]),
        t("q.1.qweight", DType::I32, &[8, 64]),
        t("e.0.w.weight", DType::BF16, &[4, 4]),
        t("e.1.w.weight", DType::F8_E8M0, &[4, 4]),
    ];
    let got = rules(&tensors, None);
    let ids: Vec<&str> = got.iter().map(|r| r.0).collect();
    assert_eq!(
        ids,
        [
            "buffer.attention_mask",
            "weight.default",
            "quant_packed.bnb_4bit",
            "quant_aux.name",
            "weight.default",
            "quant_aux.sibling_scale",
            "weight.default",
            "weight.default",
            "weight.default",
            "quant_packed.qweight_inferred_bits",
            "quant_aux.name",
            "quant_aux.name",
            "quant_packed.qweight_unknown_bits",
            "weight.default",
            "quant_aux.e8m0_dtype",
        ]
    );
    // The same on every core, where each task keeps patterns of its own.
    let copies = 3 * crate::each::PARALLEL_FROM / tensors.len();
    let many: Vec<Tensor> = (0..copies).flat_map(|_| tensors.clone()).collect();
    let differing = rules(&many, None)
        .chunks(tensors.len())
        .filter(|c| *c != got)
        .count();
    assert_eq!(differing, 0);
}

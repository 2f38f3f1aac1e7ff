//! Quantization-aware counts on checkpoints laid out like GPTQ, AWQ, bitsandbytes NF4 and gpt-oss MXFP4 ones,
//! with real names. Where the Hub publishes a quantization-aware count (docs/FORMATS.md §5) the test reaches it.

use crate::common;
use crate::common::inspect_json;
use crate::common::shapes::write_config;
use paramscope::format::synth::models::{self as shapes, Linear};
use paramscope::format::synth::LlamaShape;
use serde_json::{json, Value};

const LLAMA3_8B_PARAMETERS: u64 = 8_030_261_248;

/// (out, in) of the 7 linear layers of one Llama-3-8B block.
fn linears() -> [(u64, u64); 7] {
    let (h, i, kv) = (4096, 14336, 1024);
    [(h, i), (i, h), (i, h), (kv, h), (h, h), (h, h), (kv, h)]
}

/// Elements stored outside the linear layers: embeddings, head, 2 norms per layer, final norm.
fn dense_rest() -> u64 {
    2 * 128256 * 4096 + 32 * 2 * 4096 + 4096
}

fn write(
    writer: paramscope::format::synth::SafetensorsWriter,
    config: Option<Value>,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    writer.write(&dir.path().join("model.safetensors")).unwrap();
    if let Some(c) = config {
        write_config(dir.path(), c);
    }
    dir
}

fn class(r: &Value, class: &str, field: &str) -> u64 {
    r["classes"][class][field].as_u64().unwrap()
}

#[test]
fn gptq_counts_the_dense_model_with_and_without_config() {
    let writer = shapes::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Gptq { group: 128 });
    let packed: u64 = 32 * linears().iter().map(|(o, i)| i / 8 * o).sum::<u64>();
    let aux: u64 = 32
        * linears()
            .iter()
            .map(|(o, i)| i / 128 * o / 8 + i / 128 * o + i)
            .sum::<u64>();
    let config = json!({"model_type": "llama", "tie_word_embeddings": false,
        "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": false}});
    for (config, rule) in [
        (Some(config), "quant_packed.qweight_config_bits"),
        (None, "quant_packed.qweight_inferred_bits"),
    ] {
        let dir = write(writer.clone(), config);
        let r = inspect_json(&[dir.path().to_str().unwrap(), "--explain"]);
        assert_eq!(r["parameters"], dense_rest() + packed + aux);
        assert_eq!(r["logical_parameters"], LLAMA3_8B_PARAMETERS);
        assert_eq!(class(&r, "quant_packed", "elements"), packed);
        assert_eq!(class(&r, "quant_packed", "tensors"), 32 * 7);
        assert_eq!(class(&r, "quant_aux", "elements"), aux);
        assert_eq!(class(&r, "quant_aux", "tensors"), 32 * 7 * 3);
        assert_eq!(r["embedding_parameters"], 2 * 128256 * 4096u64);
        let rules: Vec<_> = r["classification"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["quant_aux.name", rule, "weight.default"]);
    }
}

#[test]
fn awq_counts_the_dense_model() {
    let writer = shapes::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Awq { group: 128 });
    let dir = write(
        writer,
        Some(json!({"model_type": "llama", "quantization_config":
            {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": true}})),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "layer"]);
    let packed: u64 = 32 * linears().iter().map(|(o, i)| i * o / 8).sum::<u64>();
    // Without config.json, `scales` [in/128, out] against `qzeros` [in/128, out/8] gives the packing.
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    let bare = inspect_json(&[
        dir.path().to_str().unwrap(),
        "--tensors",
        "--filter",
        "*.qweight",
    ]);
    assert_eq!(bare["logical_parameters"], packed * 8);
    assert_eq!(
        bare["tensors"][0]["rule"],
        "quant_packed.qweight_inferred_bits"
    );
    let aux: u64 = 32
        * linears()
            .iter()
            .map(|(o, i)| i / 128 * o / 8 + i / 128 * o)
            .sum::<u64>();
    assert_eq!(r["parameters"], dense_rest() + packed + aux);
    assert_eq!(r["logical_parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(r["model"]["quantization"]["bits"], 4);
    assert_eq!(r["model"]["quantization"]["group_size"], 128);
    // The layer row counts its packed weights unpacked and its auxiliaries not at all.
    let layers = &r["groups"]["rows"][1];
    assert_eq!(layers["name"], "model.layers.{0..31}");
    assert_eq!(
        layers["logical_parameters"],
        32 * (linears().iter().map(|(o, i)| o * i).sum::<u64>() + 2 * 4096)
    );
}

#[test]
fn bitsandbytes_nf4_reaches_the_hub_count() {
    // unsloth/Meta-Llama-3.1-8B-bnb-4bit: the Hub's quantization-aware count is 8,030,261,248.
    let dir = write(
        shapes::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Bnb4),
        Some(
            json!({"model_type": "llama", "quantization_config": {"quant_method": "bitsandbytes",
            "load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true,
            "llm_int8_skip_modules": ["lm_head"]}}),
        ),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(r["logical_parameters"], LLAMA3_8B_PARAMETERS);
    let dense_linear: u64 = 32 * linears().iter().map(|(o, i)| o * i).sum::<u64>();
    assert_eq!(class(&r, "quant_packed", "elements"), dense_linear / 2);
    assert_eq!(class(&r, "quant_aux", "tensors"), 32 * 7 * 5);
    assert_eq!(class(&r, "weight", "elements"), dense_rest());
    assert_eq!(r["model"]["quantization"]["bits"], 4);
    assert_eq!(
        r["model"]["quantization"]["modules_to_not_convert"],
        json!(["lm_head"])
    );
}

#[test]
fn gpt_oss_20b_reaches_the_hub_count() {
    let dir = write(
        shapes::gpt_oss_20b(),
        Some(
            json!({"model_type": "gpt_oss", "tie_word_embeddings": false,
            "quantization_config": {"quant_method": "mxfp4",
                "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}}),
        ),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--group-by", "module"]);
    assert_eq!(r["logical_parameters"], 20_914_757_184u64);
    // Blocks: 24 layers × 32 experts × (5760 + 2880) rows × 90 blocks × 16 bytes, two weights per byte.
    let blocks = 24 * 32 * (5760 + 2880) * 90 * 16u64;
    let scales = 24 * 32 * (5760 + 2880) * 90u64;
    assert_eq!(class(&r, "quant_packed", "elements"), blocks);
    assert_eq!(class(&r, "quant_aux", "elements"), scales);
    assert_eq!(r["parameters"], 20_914_757_184u64 - blocks + scales);
    let experts = r["groups"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "experts")
        .unwrap();
    // Expert biases plus the unpacked blocks.
    assert_eq!(
        experts["logical_parameters"],
        2 * blocks + 24 * 32 * (5760 + 2880)
    );
}

#[test]
fn diff_of_a_dense_model_and_its_gptq_quantization_keeps_the_logical_count() {
    let dense = tempfile::tempdir().unwrap();
    let mut w = paramscope::format::synth::SafetensorsWriter::new();
    for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
        w = w.tensor(&name, paramscope::model::dtype::DType::BF16, &shape);
    }
    w.write(&dense.path().join("model.safetensors")).unwrap();
    let config = json!({"model_type": "llama", "tie_word_embeddings": false,
        "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}});
    let quant = write(
        shapes::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Gptq { group: 128 }),
        Some(config),
    );
    let out = common::paramscope()
        .args(["diff", "--group-by", "module", "--format", "json"])
        .arg(dense.path())
        .arg(quant.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packed: u64 = 32 * linears().iter().map(|(o, i)| i / 8 * o).sum::<u64>();
    let aux: u64 = 32
        * linears()
            .iter()
            .map(|(o, i)| i / 128 * o / 8 + i / 128 * o + i)
            .sum::<u64>();
    assert_eq!(r["a"]["parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(r["a"]["logical_parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(r["b"]["parameters"], dense_rest() + packed + aux);
    assert_eq!(r["b"]["logical_parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(r["logical_parameters_delta"], 0);
    let linear_elements: u64 = 32 * linears().iter().map(|(o, i)| o * i).sum::<u64>();
    assert_eq!(
        r["parameters_delta"],
        json!(packed as i64 + aux as i64 - linear_elements as i64)
    );
    for g in r["groups"].as_array().unwrap() {
        assert_eq!(g["a_logical_parameters"], g["b_logical_parameters"], "{g}");
    }
    let mlp = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "mlp")
        .unwrap();
    assert_eq!(mlp["a_parameters"], 32 * 3 * 4096 * 14336u64);
}

#[test]
fn bitsandbytes_int8_format_tags_are_not_parameters() {
    // bitsandbytes LLM.int8() saves each quantized linear as `weight` I8 [out, in], `SCB` F32 [out] (row scales)
    // and `weight_format` U8 [] (a layout tag, 0 = row-major): the tag is no parameter of the model.
    let mut w = paramscope::format::synth::SafetensorsWriter::new();
    for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
        w = match name.strip_suffix(".weight") {
            Some(module) if module.ends_with("_proj") => w
                .tensor(&name, paramscope::model::dtype::DType::I8, &shape)
                .tensor(
                    &format!("{module}.SCB"),
                    paramscope::model::dtype::DType::F32,
                    &shape[..1],
                )
                .tensor(
                    &format!("{module}.weight_format"),
                    paramscope::model::dtype::DType::U8,
                    &[],
                ),
            _ => w.tensor(&name, paramscope::model::dtype::DType::F16, &shape),
        };
    }
    let dir = write(
        w,
        Some(json!({"model_type": "llama", "tie_word_embeddings": false,
            "quantization_config": {"quant_method": "bitsandbytes", "load_in_8bit": true}})),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap()]);
    let rows: u64 = 32 * linears().iter().map(|(o, _)| o).sum::<u64>();
    assert_eq!(r["logical_parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(class(&r, "quant_aux", "tensors"), 32 * 7 * 2);
    assert_eq!(class(&r, "quant_aux", "elements"), rows + 32 * 7);
    assert_eq!(r["parameters"], LLAMA3_8B_PARAMETERS + rows + 32 * 7);
}

#[test]
fn modelopt_nvfp4_counts_two_weights_per_byte() {
    // nvidia/*-FP4 (ModelOpt NVFP4): `weight` U8 [out, in/2] holding two E2M1 codes per byte, `weight_scale`
    // F8_E4M3 [out, in/16], per-tensor `weight_scale_2` and `input_scale` F32 scalars.
    use paramscope::model::dtype::DType;
    let mut w = paramscope::format::synth::SafetensorsWriter::new();
    for (name, shape) in LlamaShape::LLAMA3_8B.tensors() {
        w = match name.strip_suffix(".weight") {
            Some(module) if module.ends_with("_proj") => {
                let (out, inp) = (shape[0], shape[1]);
                w.tensor(&name, DType::U8, &[out, inp / 2])
                    .tensor(
                        &format!("{module}.weight_scale"),
                        DType::F8_E4M3,
                        &[out, inp / 16],
                    )
                    .tensor(&format!("{module}.weight_scale_2"), DType::F32, &[])
                    .tensor(&format!("{module}.input_scale"), DType::F32, &[])
            }
            _ => w.tensor(&name, DType::BF16, &shape),
        };
    }
    let dir = write(
        w,
        Some(json!({"model_type": "llama", "tie_word_embeddings": false,
            "quantization_config": {"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16}})),
    );
    let r = inspect_json(&[dir.path().to_str().unwrap(), "--explain"]);
    let dense_linear: u64 = 32 * linears().iter().map(|(o, i)| o * i).sum::<u64>();
    assert_eq!(r["logical_parameters"], LLAMA3_8B_PARAMETERS);
    assert_eq!(class(&r, "quant_packed", "elements"), dense_linear / 2);
    assert_eq!(class(&r, "quant_aux", "tensors"), 32 * 7 * 3);
    assert_eq!(
        class(&r, "quant_aux", "elements"),
        dense_linear / 16 + 32 * 7 * 2
    );
    assert_eq!(class(&r, "weight", "elements"), dense_rest());
}

#[test]
fn bitsandbytes_flattened_weights_get_per_row_not_per_pair_int8_scales() {
    // bitsandbytes stores each 4-bit weight as [out·in/2, 1]: its rows are not in the header.
    let dir = write(
        shapes::quantized_llama(&LlamaShape::LLAMA3_8B, Linear::Bnb4),
        Some(
            json!({"model_type": "llama", "quantization_config": {"quant_method": "bitsandbytes",
            "load_in_4bit": true, "llm_int8_skip_modules": ["lm_head"]}}),
        ),
    );
    let r = common::footprint_json(dir.path(), &[]);
    let int8 = r["precisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "INT8")
        .unwrap();
    // The dense model at INT8, by hand: a 2-D [out, in] weight takes out·in bytes and out F16 row scales; a 1-D
    // norm stays 16-bit.
    let dense: u64 = LlamaShape::LLAMA3_8B
        .tensors()
        .iter()
        .map(|(_, shape)| match shape.as_slice() {
            [out, inp] => out * inp + 2 * out,
            [n] => 2 * n,
            other => panic!("{other:?}"),
        })
        .sum();
    let got = int8["bytes"].as_u64().unwrap();
    // The rows of the flattened weights are estimated: within 0.01% of the dense figure (it was 1.9× before:
    // one scale per stored byte).
    assert!(
        got.abs_diff(dense) * 10_000 < dense,
        "INT8 {got} vs dense {dense}"
    );
}

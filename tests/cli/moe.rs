//! Mixture-of-experts: the active parameters per token `inspect` reports, checked against counts derived here
//! from each model's published dimensions and against the figures the model makers publish (cited per test);
//! `check --max-active-params`; experts apart in `--group-by module`.

use crate::common::shapes::write_config;
use crate::common::{check, inspect_json, paramscope};
use paramscope::format::synth::gguf::GgufWriter;
use paramscope::format::synth::models;
use paramscope::format::synth::moe;
use paramscope::model::dtype::DType;
use paramscope::model::metadata::MetaValue;
use serde_json::{json, Value};
use std::path::Path;

fn write(dir: &Path, (w, config): (paramscope::format::synth::SafetensorsWriter, Value)) -> String {
    w.write(&dir.join("model.safetensors")).unwrap();
    write_config(dir, config);
    dir.to_str().unwrap().to_string()
}

fn mixtral(dir: &Path) -> String {
    write(dir, (models::mixtral_8x7b(), moe::mixtral_8x7b_config()))
}

/// `n` agrees with a published figure of `decimals` decimals in billions, rounded (Mixtral's 12.88B → 12.9B) or
/// cut (DeepSeek-V3's 37.55B → 37B, Qwen3's 3.35B → 3.3B) as the model makers write them.
fn rounds_to(n: u64, published: f64, decimals: i32) {
    let scaled = n as f64 / 1e9 * 10f64.powi(decimals);
    let figure = (published * 10f64.powi(decimals)).round();
    assert!(
        scaled.round() == figure || scaled.floor() == figure,
        "{n} vs {published}B"
    );
}

#[test]
fn mixtral_8x7b_uses_two_of_eight_experts_12_9b_active() {
    let dir = tempfile::tempdir().unwrap();
    let path = mixtral(dir.path());
    let r = inspect_json(&[&path]);
    // By hand from the config: each expert is w1, w3 [14336, 4096] and w2 [4096, 14336]; 6 of the 8 experts of
    // each of the 32 layers sit idle for a token.
    let expert = 3 * 14336 * 4096u64;
    let total = 46_702_792_704u64;
    assert_eq!(r["logical_parameters"], total);
    assert_eq!(total - 32 * 6 * expert, 12_879_925_248);
    assert_eq!(r["active_parameters"], 12_879_925_248u64);
    // Mistral AI: "Mixtral has 46.7B total parameters but only uses 12.9B parameters per token"
    // (mistral.ai/news/mixtral-of-experts).
    rounds_to(total, 46.7, 1);
    rounds_to(12_879_925_248, 12.9, 1);
    let m = &r["moe"];
    assert_eq!(
        (m["experts"].as_u64(), m["experts_used"].as_u64()),
        (Some(8), Some(2))
    );
    assert_eq!(m["moe_layers"], 32);
    assert_eq!(m["routed_expert_parameters"], 32 * 8 * expert);
    assert_eq!(m["active_routed_expert_parameters"], 32 * 2 * expert);
    assert_eq!(m["per_layer"].as_array().unwrap().len(), 32);
    assert_eq!(
        m["per_layer"][31],
        json!({"layer": 31, "experts_used": 2, "experts": 8, "routed_parameters": 8 * expert,
               "active_routed_parameters": 2 * expert})
    );
    assert_eq!(
        m["fields_used"],
        json!(["num_experts_per_tok", "num_local_experts"])
    );
    assert!(r["mtp"].is_null() && r["active_parameters_unknown"].is_null());

    let out = paramscope().args(["inspect", &path]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("active parameters")
            && text.contains("12.88B (12,879,925,248) per token of 46.70B: 2 of 8 routed experts in 32 of 32 layers"),
        "{text}"
    );
}

#[test]
fn deepseek_v3_37b_active_of_671b_and_the_mtp_layer_apart() {
    let dir = tempfile::tempdir().unwrap();
    let s = moe::DEEPSEEK_V3;
    let path = write(dir.path(), moe::deepseek_v3(&s, 8, 1));
    let r = inspect_json(&[&path]);
    // By hand from deepseek-ai/DeepSeek-V3's config.json. MLA attention per layer: q_a 7168→1536, q_b
    // 1536→128·(128+64), kv_a 7168→512+64, kv_b 512→128·(128+128), o 128·128→7168, plus its two norms.
    let h = 7168u64;
    let attention =
        h * 1536 + 1536 * 128 * 192 + h * 576 + 512 * 128 * 256 + 128 * 128 * h + 1536 + 512;
    let norms = 2 * h;
    let dense_mlp = 3 * 18432 * h;
    let expert = 3 * 2048 * h;
    // A router [256, 7168] and its F32 e_score_correction_bias [256]; 256 routed experts and 1 shared.
    let router = 256 * h + 256;
    let embed = 129280 * h;
    let main = 2 * embed
        + h
        + 3 * (attention + norms + dense_mlp)
        + 58 * (attention + norms + router + 257 * expert);
    assert_eq!(main, 671_026_419_200);
    // DeepSeek-V3's model card: "671B total parameters with 37B activated for each token"; a token uses 8 of the
    // 256 routed experts in the 58 MoE layers.
    let active = main - 58 * 248 * expert;
    assert_eq!(active, 37_552_297_472);
    assert_eq!(r["active_parameters"], active);
    rounds_to(main, 671.0, 0);
    rounds_to(active, 37.0, 0);
    let m = &r["moe"];
    assert_eq!(m["total_parameters"], main);
    assert_eq!(
        (m["moe_layers"].as_u64(), m["layers"].as_u64()),
        (Some(58), Some(61))
    );
    assert_eq!(m["per_layer"][0]["layer"], 3);
    assert_eq!(m["shared_experts"], 1);
    assert_eq!(
        m["notes"],
        json!([]),
        "first_k_dense_replace agrees with the tensors"
    );
    // Layer 61, multi-token prediction: a MoE decoder layer plus enorm, hnorm, eh_proj [7168, 14336] and its own
    // embeddings, final norm and head. The model card: "685B … 671B of the Main Model weights and 14B of the
    // Multi-Token Prediction (MTP) Module weights" (14B counts the FP8 block scales too).
    let mtp = attention + norms + router + 257 * expert + 2 * h + 2 * h * h + 2 * embed + h;
    let mtp_json = &r["mtp"];
    assert_eq!(mtp_json["layers"], json!([61]));
    assert_eq!(mtp_json["parameters"], mtp);
    assert_eq!(mtp_json["active_parameters"], mtp - 248 * expert);
    assert_eq!(r["logical_parameters"], main + mtp);
    // The model card's 685B counts every stored element, block scales too: the Hub's count.
    rounds_to(r["parameters"].as_u64().unwrap(), 685.0, 0);
}

#[test]
fn qwen3_30b_a3b_3_3b_active() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), moe::qwen3_30b_a3b());
    let r = inspect_json(&[&path]);
    // By hand from Qwen/Qwen3-30B-A3B's config.json: attention q,o [4096↔2048], k,v [512, 2048], q/k norms [128];
    // 128 experts of 3 × 768 × 2048, 8 used; router [128, 2048]; two norms per layer; 48 layers.
    let attention = 2 * 4096 * 2048 + 2 * 512 * 2048 + 2 * 128u64;
    let expert = 3 * 768 * 2048u64;
    let layer = attention + 128 * expert + 128 * 2048 + 2 * 2048;
    let embed = 151936 * 2048u64;
    let total = 48 * layer + 2 * embed + 2048;
    let active = total - 48 * 120 * expert;
    assert_eq!(r["logical_parameters"], total);
    assert_eq!(r["active_parameters"], active);
    assert_eq!(active, 3_353_032_704);
    // The model card: "Number of Parameters: 30.5B in total and 3.3B activated".
    rounds_to(total, 30.5, 1);
    rounds_to(active, 3.3, 1);
    assert_eq!(
        r["moe"]["fields_used"],
        json!([
            "num_experts_per_tok",
            "num_experts",
            "decoder_sparse_step",
            "mlp_only_layers"
        ])
    );
}

#[test]
fn gpt_oss_packed_mxfp4_experts_3_6b_and_5_1b_active() {
    // OpenAI's gpt-oss announcement and model card: gpt-oss-120b "116.8B total parameters (5.1B active)",
    // gpt-oss-20b "20.9B total parameters (3.6B active)". Their active figures leave out one of the two
    // [201088, 2880] embedding matrices (input embedding and unembedding are the same size, so the figures match
    // either way): one token's active parameters here minus embed_tokens.
    for (big, layers, experts, total_b, active_b) in [
        (false, 24u64, 32u64, 20.9, 3.6),
        (true, 36, 128, 116.8, 5.1),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), moe::gpt_oss(big));
        let r = inspect_json(&[&path]);
        // Per expert: gate_up [5760, 2880] and down [2880, 2880] (MXFP4: two weights per stored byte, 32 per
        // block) with BF16 biases [5760] and [2880].
        let expert = 5760 * 2880 + 2880 * 2880 + 5760 + 2880u64;
        // Attention: q [4096, 2880], k and v [512, 2880], o [2880, 4096] with biases, 64 sinks; router [E, 2880]
        // with bias; two norms.
        let attention = 4096 * 2880 * 2 + 2 * 512 * 2880 + 4096 + 2 * 512 + 2880 + 64;
        let layer = attention + experts * expert + experts * 2880 + experts + 2 * 2880;
        let embed = 201088 * 2880u64;
        let total = layers * layer + 2 * embed + 2880;
        let active = total - layers * (experts - 4) * expert;
        assert_eq!(r["logical_parameters"], total, "big: {big}");
        assert_eq!(r["active_parameters"], active);
        rounds_to(total, total_b, 1);
        rounds_to(active - embed, active_b, 1);
        assert_eq!(r["moe"]["experts"], experts);
        assert_eq!(r["moe"]["experts_used"], 4);
    }
}

#[test]
fn missing_routing_fields_are_named_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let path = mixtral(dir.path());
    let mut config = moe::mixtral_8x7b_config();
    config
        .as_object_mut()
        .unwrap()
        .remove("num_experts_per_tok");
    write_config(dir.path(), config.clone());
    let r = inspect_json(&[&path]);
    assert!(r["active_parameters"].is_null());
    assert!(r["moe"].is_null());
    let why = r["active_parameters_unknown"].as_str().unwrap();
    assert!(
        why.contains("config.json has no num_experts_per_tok"),
        "{why}"
    );
    let text = String::from_utf8(
        paramscope()
            .args(["inspect", &path])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("unknown: config.json has no num_experts_per_tok"),
        "{text}"
    );

    // Without the experts count, the tensors show 8 per layer: counted, and said so.
    config["num_experts_per_tok"] = json!(2);
    config.as_object_mut().unwrap().remove("num_local_experts");
    write_config(dir.path(), config);
    let r = inspect_json(&[&path]);
    assert_eq!(r["active_parameters"], 12_879_925_248u64);
    assert!(r["moe"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("counted from the tensors"));

    // No config.json at all.
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    let r = inspect_json(&[&path]);
    let why = r["active_parameters_unknown"].as_str().unwrap();
    assert!(
        why.contains("no usable config.json") && why.contains("num_experts_per_tok"),
        "{why}"
    );

    // A config that says 7 experts where the tensors hold 8.
    let mut wrong = moe::mixtral_8x7b_config();
    wrong["num_local_experts"] = json!(7);
    write_config(dir.path(), wrong);
    let r = inspect_json(&[&path]);
    let why = r["active_parameters_unknown"].as_str().unwrap();
    assert!(
        why.contains("num_local_experts = 7, but layer 0 stores 8"),
        "{why}"
    );
}

#[test]
fn a_dense_model_is_all_active() {
    let r = inspect_json(&["fixtures/tiny/model.safetensors"]);
    assert_eq!(r["active_parameters"], r["logical_parameters"]);
    assert!(r["moe"].is_null() && r["mtp"].is_null());
}

#[test]
fn gguf_expert_count_and_expert_used_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moe.gguf");
    let (h, ff, e) = (64u64, 128u64, 4u64);
    let mut w = GgufWriter::new()
        .kv_str("general.architecture", "qwen3moe")
        .kv("qwen3moe.block_count", MetaValue::U32(2))
        .kv("qwen3moe.expert_count", MetaValue::U32(e as u32))
        .kv("qwen3moe.expert_used_count", MetaValue::U32(2))
        .tensor("token_embd.weight", DType::F16, &[100, h]);
    for l in 0..2 {
        w = w
            .tensor(&format!("blk.{l}.attn_q.weight"), DType::F16, &[h, h])
            .tensor(&format!("blk.{l}.ffn_gate_inp.weight"), DType::F32, &[e, h])
            .tensor(
                &format!("blk.{l}.ffn_gate_exps.weight"),
                DType::F16,
                &[e, ff, h],
            )
            .tensor(
                &format!("blk.{l}.ffn_up_exps.weight"),
                DType::F16,
                &[e, ff, h],
            )
            .tensor(
                &format!("blk.{l}.ffn_down_exps.weight"),
                DType::F16,
                &[e, h, ff],
            );
    }
    w.write(&path).unwrap();
    let r = inspect_json(&[path.to_str().unwrap()]);
    let total = 100 * h + 2 * (h * h + e * h + 3 * e * ff * h);
    assert_eq!(r["logical_parameters"], total);
    // Two of the four experts idle in each of the 2 layers.
    assert_eq!(r["active_parameters"], total - 2 * 2 * 3 * ff * h);
    assert_eq!(
        r["moe"]["fields_used"],
        json!(["qwen3moe.expert_used_count", "qwen3moe.expert_count"])
    );
}

#[test]
fn check_max_active_params_flag_and_rules_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = mixtral(dir.path());
    // 12,879,925,248 active: at most 13B passes, at most 12.8B fails; the total (46.7B) is not what is measured.
    let (code, out, _) = check(&[&path, "--max-active-params", "13B"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("max-active-params"), "{out}");
    let (code, out, _) = check(&[&path, "--max-active-params", "12.8B", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let rule = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "max-active-params")
        .unwrap()
        .clone();
    assert_eq!(rule["status"], "fail");
    assert_eq!(rule["measured"], 12_879_925_248u64);
    assert_eq!(rule["limit"], 12_800_000_000u64);
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "max-active-params = \"12.8B\"\n").unwrap();
    let (code, _, _) = check(&[&path, "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Unknown routing: the rule cannot be measured and fails, saying why.
    let mut config = moe::mixtral_8x7b_config();
    config
        .as_object_mut()
        .unwrap()
        .remove("num_experts_per_tok");
    write_config(dir.path(), config);
    let (code, out, _) = check(&[&path, "--max-active-params", "100B"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("num_experts_per_tok"), "{out}");
}

#[test]
fn group_by_module_shows_routed_and_shared_experts_apart() {
    let dir = tempfile::tempdir().unwrap();
    let s = models::DeepSeekShape {
        layers: 3,
        ..paramscope::format::synth::moe::DEEPSEEK_TINY
    };
    let path = write(dir.path(), moe::deepseek_v3(&s, 1, 0));
    let r = inspect_json(&[&path, "--group-by", "module"]);
    let rows: Vec<(String, u64)> = r["groups"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["logical_parameters"].as_u64().unwrap(),
            )
        })
        .collect();
    let expert = 3 * 128 * 256u64;
    let routed = rows.iter().find(|(n, _)| n == "experts").unwrap().1;
    let shared = rows.iter().find(|(n, _)| n == "shared_experts").unwrap().1;
    // Two MoE layers of 4 routed experts and 1 shared.
    assert_eq!((routed, shared), (2 * 4 * expert, 2 * expert));
    // One routed expert of four per token: three idle in each MoE layer; the shared expert always runs.
    assert_eq!(
        r["active_parameters"].as_u64().unwrap(),
        r["logical_parameters"].as_u64().unwrap() - 2 * 3 * expert
    );
}

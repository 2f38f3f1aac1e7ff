//! `stats` on GGUF block-quantised tensors: values dequantised as ggml does, checked against statistics of
//! values computed here from the block fields (tests/common/ggml_blocks.rs).

use crate::common::ggml_blocks::{q4_0, q4_k, q8_0};
use crate::common::stats_expect::{assert_stats, expected, stats_json, tensor};
use crate::common::Lcg;
use paramscope::format::synth::gguf::GgufWriter;
use paramscope::model::dtype::{DType, GgmlQuant};

#[test]
fn q8_0_q4_0_and_q4_k_statistics_match_the_reference_dequantisation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quant.gguf");
    let mut rng = Lcg(7);
    let (q8, q8_values) = q8_0(&mut rng, 16);
    let (q4, q4_values) = q4_0(&mut rng, 9);
    let (qk, qk_values) = q4_k(&mut rng, 4);
    let f32_values: Vec<f32> = (0..64).map(|_| rng.next_f32(2.0)).collect();
    GgufWriter::new()
        .tensor_with_data("q8", DType::Ggml(GgmlQuant::Q8_0), &[8, 64], q8)
        .tensor_with_data("q4", DType::Ggml(GgmlQuant::Q4_0), &[3, 96], q4)
        .tensor_with_data("qk", DType::Ggml(GgmlQuant::Q4_K), &[4, 256], qk)
        .tensor_with_data(
            "f",
            DType::F32,
            &[64],
            f32_values.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
        .tensor("q6", DType::Ggml(GgmlQuant::Q6_K), &[256])
        .write(&path)
        .unwrap();

    let wide = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    // A chunk size that is not a multiple of any block size: chunks must still hold whole blocks.
    for chunk in ["100", "8388608"] {
        let report = stats_json(&path, &["--chunk-bytes", chunk]);
        for (name, values) in [("q8", &q8_values), ("q4", &q4_values), ("qk", &qk_values)] {
            let got = tensor(&report, name);
            assert_eq!(got["decoded"], true, "{name}");
            assert_stats(got, &expected(&wide(values), None));
        }
        let q6 = tensor(&report, "q6");
        assert_eq!(q6["decoded"], false);
        assert_eq!(
            q6["unit"],
            "not decoded yet: ggml Q6_K block-quantised type"
        );
        assert_eq!(report["flagged"]["not_decoded"], serde_json::json!(["q6"]));
        // The total covers every decoded value, quantised and plain.
        let all: Vec<f64> = [&q8_values, &q4_values, &qk_values, &f32_values]
            .iter()
            .flat_map(|v| wide(v))
            .collect();
        assert_eq!(report["total"]["values"], 512 + 288 + 1024 + 64);
        assert_stats(&report["total"], &expected(&all, Some(0)));
    }
}

//! Memory of `stats --hist` on a checkpoint of many small tensors (a mixture-of-experts model has ~100,000).
//! One test in this file: the children's peak RSS seen by this process is that run's.
#![cfg(target_os = "linux")]

use crate::common;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;

fn peak_rss_of_children_bytes() -> u64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn histograms_cost_their_occupied_bins_not_every_power_of_two() {
    const TENSORS: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moe.safetensors");
    let mut w = SafetensorsWriter::new();
    for i in 0..TENSORS {
        let values = [0.5f32, -3.0, 0.0, 1e-3 * (i + 1) as f32];
        let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        w = w.tensor_with_data(&format!("expert.{i}.w"), DType::F32, &[4], data);
    }
    w.write(&path).unwrap();
    let out = common::paramscope()
        .args([
            "stats",
            path.to_str().unwrap(),
            "--hist",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = &report["tensors"][TENSORS - 1]["hist"];
    // 0.5, 3 and 20 = 1e-3·20,000: bins 2^-1, 2^1 and 2^4 (zeros are not binned).
    assert_eq!(last["log2_edges"][0], -1);
    assert_eq!(last["counts"], serde_json::json!([1, 0, 1, 0, 0, 1]));
    // Every power of two an f64 can hold is 2,098 bins, 16.8 KB a histogram: 340 MB for these tensors
    // (twice that with the per-chunk copies). What they occupy is a few bins each.
    let peak = peak_rss_of_children_bytes();
    assert!(peak < 150 << 20, "peak RSS {} MB", peak >> 20);
}

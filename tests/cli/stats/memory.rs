//! Memory of `stats --hist` on a checkpoint of many small tensors (a mixture-of-experts model has ~100,000).
//! A child's peak RSS starts from its parent's high-water mark (Linux carries it over when the child execs in place
//! of, or from a copy of, the parent's memory), and this process holds every concurrent test's memory: the test
//! runs alone in a fresh copy of this test binary, whose children's peak RSS is then that one run's.
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

/// Set in the copy of this test binary that runs the test alone.
const ALONE: &str = "PARAMSCOPE_TEST_ALONE";

/// Runs the test named `name` (its path in this test binary) alone in a fresh copy of this test binary, asserting
/// that it ran and passed.
fn run_alone(name: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads", "1"])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn histograms_cost_their_occupied_bins_not_every_power_of_two() {
    if std::env::var_os(ALONE).is_none() {
        return run_alone(
            "stats::memory::histograms_cost_their_occupied_bins_not_every_power_of_two",
        );
    }
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

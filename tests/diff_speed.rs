//! `diff` on checkpoints whose size would expose work that grows faster than the data: every test here would take
//! many times its time limit if the work were quadratic or repeated.
mod common;

use common::paramscope;
use paramscope::dtype::DType;
use paramscope::synth::SafetensorsWriter;
use serde_json::Value;
use std::time::{Duration, Instant};

/// 512 U8 tensors of 16 KiB each, tensor `i` filled with bytes of `i` (so all differ), renamed with their order
/// reversed in B: each of A's tensors has 512 candidates of its dtype and shape. Pairing them must read each tensor
/// once (16 MiB in all), not every candidate for every tensor (4 GiB, seconds even in an optimised build).
#[test]
fn renames_read_each_candidate_once() {
    const N: usize = 512;
    const LEN: u64 = 16 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let bytes_of = |i: usize| {
        let mut v = vec![(i % 256) as u8; LEN as usize];
        v[0] = (i / 256) as u8;
        v
    };
    let mut wa = SafetensorsWriter::new();
    let mut wb = SafetensorsWriter::new();
    for i in 0..N {
        wa = wa.tensor_with_data(&format!("a.{i:04}.w"), DType::U8, &[LEN], bytes_of(i));
        // B lists the renamed tensors in reverse order of A's.
        let j = N - 1 - i;
        wb = wb.tensor_with_data(&format!("b.{i:04}.v"), DType::U8, &[LEN], bytes_of(j));
    }
    wa.write(&a).unwrap();
    wb.write(&b).unwrap();
    let start = Instant::now();
    let out = paramscope()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--renames", "--format", "json"])
        .output()
        .unwrap();
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "renames are a difference");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let renames = r["renames"].as_array().unwrap();
    assert_eq!(renames.len(), N);
    for (i, rename) in renames.iter().enumerate() {
        assert_eq!(rename["from"], format!("a.{i:04}.w"));
        assert_eq!(rename["to"], format!("b.{:04}.v", N - 1 - i));
    }
    assert!(took < Duration::from_secs(3), "--renames took {took:?}");
}

//! `diff` on checkpoints whose size exposes needless work: reading candidates again for every tensor, reading
//! data that both sides hold in the same file.

use crate::common::{self, diff_json_in_own_session};
use paramscope::format::synth::{write_sharded, SafetensorsWriter};
use paramscope::model::dtype::DType;
use serde_json::{json, Value};
use std::path::Path;
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
    let (code, r) = diff_json_in_own_session(&a, &b, &["--renames"]);
    let took = start.elapsed();
    assert_eq!(code, 1, "renames are a difference");
    let renames = r["renames"].as_array().unwrap();
    assert_eq!(renames.len(), N);
    for (i, rename) in renames.iter().enumerate() {
        assert_eq!(rename["from"], format!("a.{i:04}.w"));
        assert_eq!(rename["to"], format!("b.{:04}.v", N - 1 - i));
    }
    // 0.17 s here; hashing each candidate once per tensor of A took 9.5 s.
    assert!(took < Duration::from_secs(5), "--renames took {took:?}");
}

/// `diff A B ARGS --format json` with the binary's address space capped at 1 GiB (no buffer sized by a tensor)
/// and a deadline: the big tensor is a terabyte of holes, which takes minutes to read, so what the diff reads
/// shows in whether it finishes.
fn diff_in_small_address_space(a: &Path, b: &Path, args: &[&str]) -> (i32, Value) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_paramscope"));
    cmd.arg("diff")
        .arg(a)
        .arg(b)
        .args(args)
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    common::cap_address_space(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("diff {args:?} still running after 30 s: it reads the terabyte tensor");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap();
    assert!(code < 2, "{}", String::from_utf8_lossy(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// A 1 TiB tensor (a hole) and a small one written out.
fn big_and_small(small: [f32; 4]) -> SafetensorsWriter {
    SafetensorsWriter::new()
        .tensor("big", DType::F32, &[1 << 38])
        .tensor_with_data(
            "small",
            DType::F32,
            &[4],
            small.iter().flat_map(|x| x.to_le_bytes()).collect(),
        )
}

/// A checkpoint diffed with itself, by the same path or through a hard link, holds the same bytes in the same
/// file: `--identical` and `--values` know it without reading the data (a terabyte here).
#[test]
fn a_checkpoint_diffed_with_itself_reads_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.safetensors");
    big_and_small([1.0, 2.0, 3.0, 4.0]).write(&a).unwrap();
    let link = dir.path().join("link.safetensors");
    std::fs::hard_link(&a, &link).unwrap();
    for b in [&a, &link] {
        let (code, r) = diff_in_small_address_space(&a, b, &["--identical"]);
        assert_eq!(code, 0);
        assert_eq!(
            r["identical"],
            json!({"identical": true, "first_difference": null})
        );
        let (code, r) = diff_in_small_address_space(&a, b, &["--values"]);
        assert_eq!(code, 0);
        let v = &r["values"];
        assert_eq!(v["compared_tensors"], 2);
        assert_eq!(v["compared_elements"], (1u64 << 38) + 4);
        assert_eq!(v["differing_tensors"], 0);
        assert_eq!(v["max_abs_diff"], 0.0);
        for t in v["tensors"].as_array().unwrap() {
            assert_eq!(
                (&t["max_abs_diff"], &t["cosine"]),
                (&json!(0.0), &json!(1.0))
            );
        }
    }
}

/// Two snapshots of a sharded model whose first shard is one file (as the Hugging Face cache links unchanged
/// blobs): only the second shard is read, and its one changed value is found (4 → 5: |a − b| = 1).
#[test]
fn a_shard_both_sides_share_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (side, last) in [(&a, 4.0), (&b, 5.0)] {
        std::fs::create_dir(side).unwrap();
        let all = big_and_small([1.0, 2.0, 3.0, last]).tensors;
        let shards = [all[..1].to_vec(), all[1..].to_vec()].map(|tensors| SafetensorsWriter {
            tensors,
            metadata: vec![],
        });
        write_sharded(side, "model", &shards, serde_json::Map::new()).unwrap();
    }
    let first = "model-00001-of-00002.safetensors";
    std::fs::remove_file(b.join(first)).unwrap();
    std::fs::hard_link(a.join(first), b.join(first)).unwrap();
    let (code, r) = diff_in_small_address_space(&a, &b, &["--values"]);
    assert_eq!(code, 1);
    let v = &r["values"];
    assert_eq!(v["compared_tensors"], 2);
    assert_eq!(v["differing_tensors"], 1);
    assert_eq!(v["max_abs_diff"], 1.0);
    let (code, r) = diff_in_small_address_space(&a, &b, &["--identical"]);
    assert_eq!(code, 1);
    // "small" element 3 is bytes 12..16: 4.0 is 0x40800000 and 5.0 0x40a00000, little-endian 00 00 80 40 and
    // 00 00 a0 40, which differ first at byte 14.
    assert_eq!(r["identical"]["first_difference"]["name"], "small");
    assert_eq!(r["identical"]["first_difference"]["byte"], 14);
}

/// 60,000 tensors renamed (`aN` → `bN`, no common prefix pattern; all zeros, so each equals every candidate):
/// moving the renamed ones
/// out of the only-in-A and only-in-B lists must look each up, not scan every rename for every tensor.
#[test]
fn many_renames_are_applied_in_linear_time() {
    const N: usize = 60_000;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let mut wa = SafetensorsWriter::new();
    let mut wb = SafetensorsWriter::new();
    for i in 0..N {
        wa = wa.tensor(&format!("a{i:05}"), DType::U8, &[4]);
        wb = wb.tensor(&format!("b{i:05}"), DType::U8, &[4]);
    }
    wa.write(&a).unwrap();
    wb.write(&b).unwrap();
    let start = Instant::now();
    let (_, r) = diff_json_in_own_session(&a, &b, &["--renames"]);
    let took = start.elapsed();
    let renames = r["renames"].as_array().unwrap();
    assert_eq!(renames.len(), N);
    // Equal bytes everywhere: each tensor of A takes the first of B's not yet taken, in file order.
    assert_eq!(renames[N - 1], json!({"from": "a59999", "to": "b59999"}));
    assert_eq!(r["only_in_a"], json!([]));
    assert_eq!(r["only_in_b"], json!([]));
    // Linear: about 1 s in a debug build here; the quadratic lookup took over 4 s for half as many renames.
    assert!(took < Duration::from_secs(8), "--renames took {took:?}");
}

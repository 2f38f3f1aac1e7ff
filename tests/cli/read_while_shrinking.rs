//! A file shrinking while `stats`, `check --no-nan`, `diff --values` and `verify` read it (another process
//! truncating it, a download restarted over it): exit 2 naming the file, never a signal. With files mapped into
//! memory, `stats` died of SIGBUS in 1 of 3 runs and `diff --values` in 3 of 3.
//!
//! Each command runs on a fresh copy that a thread cuts from the end towards the middle while the command reads
//! from the start, after several delays; a run either finishes first (exit 0), meets the cut mid-read ("changed
//! while being read"), or starts after it (a header or length error, or for verify a mismatch). Every run must
//! end with an exit code, and at least one run of each command must have met the cut mid-read.
#![cfg(unix)]

use crate::common::Lcg;
use paramscope::format::synth::SafetensorsWriter;
use paramscope::model::dtype::DType;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A BF16 checkpoint of `bytes` bytes (a multiple of 1 MiB) of pseudo-random finite weights: one MiB of them,
/// repeated.
fn weights(path: &Path, bytes: usize) {
    let mut rng = Lcg(3);
    let block: Vec<u8> = (0..1 << 19)
        .flat_map(|_| half::bf16::from_f32(rng.next_f32(0.05)).to_le_bytes())
        .collect();
    let data = block.repeat(bytes >> 20);
    SafetensorsWriter::new()
        .tensor_with_data("w", DType::BF16, &[(bytes / 2) as u64], data)
        .write(path)
        .unwrap();
}

/// Runs `args` (with the copy's path where `{}` is) on copies of `original` cut while it runs, after each delay
/// as a fraction of one uncut run's time; returns how many runs met the cut mid-read.
fn shrink_while_running(original: &Path, args: &[&str]) -> usize {
    let dir = original.parent().unwrap();
    let copy = dir.join("copy.safetensors");
    let command = |copy: &Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_paramscope"));
        cmd.args(args.iter().map(|a| {
            if *a == "{}" {
                copy.to_str().unwrap()
            } else {
                a
            }
        }))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        cmd
    };
    std::fs::copy(original, &copy).unwrap();
    let started = Instant::now();
    let whole = command(&copy).output().unwrap();
    let took = started.elapsed();
    assert_eq!(
        whole.status.code(),
        Some(0),
        "{args:?} on the whole file: {whole:?}"
    );

    let len = std::fs::metadata(original).unwrap().len();
    let mut mid_read = 0;
    for fraction in [0.1, 0.3, 0.5] {
        std::fs::copy(original, &copy).unwrap();
        let child = command(&copy).spawn().unwrap();
        std::thread::sleep(took.mul_f64(fraction));
        // Cut from the end to the middle in 16 steps over a fifth of a run, as a slow truncation would.
        let file = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
        for step in 1..=16u64 {
            file.set_len(len - len / 2 * step / 16).unwrap();
            std::thread::sleep(took.mul_f64(0.2 / 16.0));
        }
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(
            out.status.signal(),
            None,
            "{args:?} was killed by a signal: {stderr}"
        );
        let code = out.status.code().unwrap();
        let said = format!("{stdout}{stderr}");
        match code {
            0 => {}
            2 => {
                assert!(
                    said.contains(copy.to_str().unwrap()),
                    "{args:?}: exit 2 without the file: {said}"
                );
                if said.contains("changed while being read (expected") {
                    mid_read += 1;
                }
            }
            // verify of a copy cut before it was opened: its bytes are not the reference's.
            1 if args[0] == "verify" => assert!(said.contains("MISMATCH"), "{said}"),
            _ => panic!("{args:?}: exit {code}: {said}"),
        }
    }
    mid_read
}

/// 2 MiB of weights in a fresh folder: half a second of `stats` or `diff` in a debug build, read in two
/// pieces (format::data::READ_BYTES) with the statistics of the first computed in between.
fn small() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    weights(&path, 2 << 20);
    (dir, path)
}

fn assert_met_mid_read(original: &Path, args: &[&str]) {
    let mid_read = shrink_while_running(original, args);
    assert!(mid_read > 0, "{args:?}: no run met the cut mid-read");
}

#[test]
fn stats() {
    let (_dir, path) = small();
    assert_met_mid_read(&path, &["stats", "{}", "--quiet"]);
}

#[test]
fn check_value_rules() {
    let (_dir, path) = small();
    assert_met_mid_read(&path, &["check", "{}", "--no-nan"]);
}

#[test]
fn diff_values() {
    let (dir, path) = small();
    let a = dir.path().join("a.safetensors");
    std::fs::copy(&path, &a).unwrap();
    assert_met_mid_read(&path, &["diff", a.to_str().unwrap(), "{}", "--values"]);
}

#[test]
fn verify() {
    // Hashing is fast even in a debug build (sha2 is optimised): 64 MiB is a tenth of a second of it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    weights(&path, 64 << 20);
    // The reference is the digest of the whole file as verify computes it (which digest matters not here).
    let out = Command::new(env!("CARGO_BIN_EXE_paramscope"))
        .args(["verify", path.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sha = report["files"][0]["sha256"].as_str().unwrap().to_string();
    assert_met_mid_read(&path, &["verify", "{}", "--sha256", &sha, "--quiet"]);
}

//! Hashing speed on one core, in process: `sha2`'s SHA-256 over bytes already in memory (the ceiling, to set
//! beside `openssl speed -evp sha256`), then over a file in the page cache read with positioned reads of several
//! sizes (what `verify` does; the size it uses, `verify::hash::HASH_READ_BYTES`, is chosen from these rows).
//!
//! `cargo run --release --example hash_bench -- FILE [--tsv]`: FILE should be in the page cache (bench/run's
//! verify rows write and read it first). GB/s are 10^9 bytes per second, median of `BENCH_RUNS` runs (default 5),
//! per wall-clock second and per second this thread spent on a CPU (what `openssl speed` reports: on a shared
//! machine the wall clock also counts the time other processes had the core). With `--tsv`, one line per row
//! (`label, bytes, wall s, CPU s`) for bench/verify_rows.py. Also says whether the CPU
//! has the SHA extensions sha2 uses when present (x86 SHA-NI: `sha` and `sse4.1`; detected at run time).

use paramscope::format::data::{pieces, DataFile};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let tsv = args.iter().any(|a| a == "--tsv");
    args.retain(|a| a != "--tsv");
    let path = PathBuf::from(args.first().expect("FILE"));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    #[cfg(target_arch = "x86_64")]
    eprintln!(
        "SHA-NI: {}",
        std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1")
    );
    let report = |label: &str, bytes: u64, (wall, cpu): (f64, f64)| {
        if tsv {
            println!("{label}\t{bytes}\t{wall}\t{cpu}");
        } else {
            println!(
                "{label:<40} {:>6.2} GB/s ({wall:.3} s), {:>6.2} GB per CPU-second",
                bytes as f64 / wall / 1e9,
                bytes as f64 / cpu / 1e9
            );
        }
    };

    let bytes = std::fs::read(&path).unwrap();
    let len = bytes.len() as u64;
    let memory = median(runs, || Sha256::digest(&bytes)[0]);
    report("sha2 over memory, one core", len, memory);
    drop(bytes);
    for read in [256 << 10, 1 << 20, 4 << 20, 8 << 20] {
        let timing = median(runs, || {
            let data = DataFile::open_whole(&path).unwrap();
            let mut buf = Vec::new();
            let mut h = Sha256::new();
            for r in pieces(0..data.len(), read) {
                h.update(data.read(r, &mut buf).unwrap());
            }
            h.finalize()[0]
        });
        report(
            &format!("pread {} KiB + sha2, one core", read >> 10),
            len,
            timing,
        );
    }
}

/// The (wall-clock, on-CPU) seconds of the run of median wall-clock time among `n` runs.
fn median<R>(n: usize, mut f: impl FnMut() -> R) -> (f64, f64) {
    let mut runs: Vec<(f64, f64)> = (0..n.max(1))
        .map(|_| {
            let (t, c) = (Instant::now(), thread_cpu_seconds());
            std::hint::black_box(f());
            (t.elapsed().as_secs_f64(), thread_cpu_seconds() - c)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[runs.len() / 2]
}

/// Seconds this thread has spent on a CPU, from the scheduler's own account (nanoseconds, the first field of
/// /proc/thread-self/schedstat).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: f64 = stat
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or(0.0);
    ns / 1e9
}

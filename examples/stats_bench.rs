//! Throughput of `stats` against the machine's memory-read bandwidth, on a BF16 checkpoint in the page cache.
//!
//! `cargo run --release --example stats_bench -- [FILE] [GIB]` (or `bench/stats_bench.sh`, which also times the
//! CLI). Writes FILE (default /tmp/paramscope-bench/bf16.safetensors, 2 GiB) once with pseudo-random
//! normal-ish BF16 weights (std ≈ 0.02, no zeros to speak of), reads it into the page cache, then reports in GB/s
//! (10^9 bytes per second), median of `BENCH_RUNS` runs (default 5):
//! - memory read: a sum of u64 words over the same mapped file on every core (the ceiling for any scan), and on
//!   one core; and on every core through a fresh mapping per run (what mapping the file costs);
//! - stats: `paramscope::values::scan` on the same file, every core and one core; and the same statistics kernel
//!   run over the data region of the already-mapped file (no mapping to build: the same footing as the memory
//!   read), which separates the statistics' own cost from the operating system's cost of mapping the file.
//!
//! With `--tsv` it prints one line per row instead (`label, bytes, wall s, CPU s`, tab-separated) for
//! `bench/stats_rows.py`, which puts them beside the CLI and the Python way in BENCHMARKS.md.

use paramscope::format::synth::SafetensorsWriter;
use paramscope::format::{self, LoadOptions};
use paramscope::model::checkpoint::Checkpoint;
use paramscope::model::dtype::DType;
use paramscope::model::filter::TensorFilter;
use paramscope::stats::{self, ScanOptions};
use rayon::prelude::*;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// 64 Mi elements (128 MiB) per tensor, like a large projection matrix.
const TENSOR_ELEMENTS: u64 = 64 << 20;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let tsv = args.iter().any(|a| a == "--tsv");
    args.retain(|a| a != "--tsv");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let report = |what: &str, bytes: u64, t: Timing| report(tsv, what, bytes, t);
    let path = PathBuf::from(
        args.first()
            .cloned()
            .unwrap_or_else(|| "/tmp/paramscope-bench/bf16.safetensors".into()),
    );
    let gib: u64 = args.get(1).map(|s| s.parse().expect("GIB")).unwrap_or(2);
    let tensors = (gib << 30) / (TENSOR_ELEMENTS * 2);
    let writer = (0..tensors).fold(SafetensorsWriter::new(), |w, i| {
        w.tensor(
            &format!("model.layers.{i}.mlp.up_proj.weight"),
            DType::BF16,
            &[TENSOR_ELEMENTS / 4096, 4096],
        )
    });
    ensure_file(&path, &writer);
    let checkpoint = load(&path);
    let data_bytes = checkpoint.tensor_bytes();
    eprintln!(
        "file: {} ({:.2} GB of BF16 data, {} tensors), {} threads",
        path.display(),
        data_bytes as f64 / 1e9,
        checkpoint.tensors.len(),
        rayon::current_num_threads()
    );

    let map = unsafe { memmap2::Mmap::map(&File::open(&path).unwrap()).unwrap() };
    sum_words(&map, true); // into the page cache
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let all = median_of(runs, || sum_words(&map, true));
    let single = median_of(runs, || sum_words(&map, false));
    // The same sum on a fresh mapping each run: what mapping 2 GB of page cache costs (page tables built by
    // faults, torn down at unmap), which every scan of a newly opened file pays.
    let fresh = median_of(runs, || {
        let m = unsafe { memmap2::Mmap::map(&File::open(&path).unwrap()).unwrap() };
        sum_words(&m, true)
    });
    // The other way to get page-cache bytes: read(2) into a small buffer per thread (no page tables to build,
    // a copy instead). Either way a fresh process pays the kernel for every page.
    let pread = median_of(runs, || read_words(&path, map.len()));
    report("memory read, all cores", map.len() as u64, all);
    report("memory read, one core", map.len() as u64, single);
    report("fresh map + read, all cores", map.len() as u64, fresh);
    report("read(2) + sum, all cores", map.len() as u64, pread);

    let options = ScanOptions::default();
    let scan = || {
        let r = stats::scan(&checkpoint, &TensorFilter::all(), &options).unwrap();
        assert!(r.total.finite > 0 && r.total.zeros < r.total.values / 100);
    };
    let stats_all = median_of(runs, scan);
    let stats_one = median_of(runs, || one.install(scan));
    let data = &map[checkpoint.files[0].header_bytes as usize..];
    let kernel = median_of(runs, || kernel_on_mapped(data));
    report("stats, all cores", data_bytes, stats_all);
    report("stats, one core", data_bytes, stats_one);
    report(
        "stats kernel on mapped pages, all cores",
        data_bytes,
        kernel,
    );
    eprintln!(
        "stats reaches {:.0}% of the all-core memory-read bandwidth (wall clock)",
        100.0 * (data_bytes as f64 / stats_all.wall) / (map.len() as f64 / all.wall)
    );
}

fn load(path: &Path) -> Checkpoint {
    let source = format::discover(path).unwrap().remove(0);
    format::load(&source, LoadOptions::default()).unwrap()
}

/// Writes the header and fills every tensor with weights, unless a file of the right size is already there.
fn ensure_file(path: &Path, writer: &SafetensorsWriter) {
    let header = writer.header();
    let size = 8 + header.len() as u64 + writer.data_bytes();
    if std::fs::metadata(path).is_ok_and(|m| m.len() == size) {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    writer.write(path).unwrap();
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(8 + header.len() as u64)).unwrap();
    let per_tensor = (TENSOR_ELEMENTS * 2) as usize;
    for i in 0..writer.tensors.len() {
        let mut buf = vec![0u8; per_tensor];
        buf.par_chunks_mut(1 << 20)
            .enumerate()
            .for_each(|(j, c)| fill_bf16(c, (i as u64) << 32 | j as u64));
        f.write_all(&buf).unwrap();
    }
    f.sync_all().unwrap();
}

/// Roughly normal weights (a sum of four uniforms), std ≈ 0.02, from a 64-bit LCG seeded per megabyte.
fn fill_bf16(out: &mut [u8], seed: u64) {
    let mut state = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    for pair in out.chunks_exact_mut(2) {
        let x = (uniform() + uniform() + uniform() + uniform()) * 0.0346;
        pair.copy_from_slice(&half::bf16::from_f32(x).to_le_bytes());
    }
}

/// Sums the mapped file as u64 words: every byte read once, the least work a scan can do.
fn sum_words(map: &[u8], parallel: bool) -> u64 {
    let sum_chunk = |c: &[u8]| -> u64 {
        c.chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
            .fold(0u64, u64::wrapping_add)
    };
    if parallel {
        map.par_chunks(8 << 20)
            .map(sum_chunk)
            .reduce(|| 0, u64::wrapping_add)
    } else {
        map.chunks(8 << 20)
            .map(sum_chunk)
            .fold(0, u64::wrapping_add)
    }
}

/// The statistics of the BF16 data region in 8 MiB chunks on every core, as `scan` does, but over pages this
/// process has already mapped.
fn kernel_on_mapped(data: &[u8]) -> u64 {
    data.par_chunks(8 << 20)
        .map(|c| paramscope::values::scan::summarise(c, DType::BF16, false).unwrap())
        .reduce_with(|mut a, b| {
            a.merge(&b);
            a
        })
        .map_or(0, |a| a.finite)
}

/// Sums the file as u64 words read with `pread` into a 1 MiB buffer per thread, 8 MiB per unit of work.
fn read_words(path: &Path, len: usize) -> u64 {
    use std::os::unix::fs::FileExt;
    let file = File::open(path).unwrap();
    let step = 8 << 20;
    (0..len.div_ceil(step))
        .into_par_iter()
        .map_init(
            || vec![0u8; 1 << 20],
            |buf, i| {
                let (mut at, end, mut sum) = (i * step, len.min((i + 1) * step), 0u64);
                while at < end {
                    let n = buf.len().min(end - at);
                    file.read_exact_at(&mut buf[..n], at as u64).unwrap();
                    sum = sum.wrapping_add(sum_words(&buf[..n], false));
                    at += n;
                }
                sum
            },
        )
        .reduce(|| 0, u64::wrapping_add)
}

/// Wall-clock and CPU seconds (all threads) of one run.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

/// The run of median wall-clock time among `n` runs.
fn median_of<R>(n: usize, mut f: impl FnMut() -> R) -> Timing {
    let mut runs: Vec<Timing> = (0..n.max(1))
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_seconds());
            std::hint::black_box(f());
            Timing {
                wall: t.elapsed().as_secs_f64(),
                cpu: cpu_seconds() - c,
            }
        })
        .collect();
    runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    runs[runs.len() / 2]
}

/// User + system CPU time of this process so far, from /proc (clock ticks of 10 ms): on a shared machine,
/// bytes per CPU-second says what the code does per core when other processes take turns on it.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    fields
        .get(11)
        .zip(fields.get(12))
        .map(|(u, s)| (u + s) / 100.0)
        .unwrap_or(0.0)
}

fn report(tsv: bool, what: &str, bytes: u64, t: Timing) {
    if tsv {
        println!("{what}\t{bytes}\t{}\t{}", t.wall, t.cpu);
        return;
    }
    println!(
        "{what:<28} {:>7.2} GB/s wall ({:.3} s)   {:>7.2} GB per CPU-second ({:.2} CPU-s)",
        bytes as f64 / t.wall / 1e9,
        t.wall,
        bytes as f64 / t.cpu / 1e9,
        t.cpu
    );
}

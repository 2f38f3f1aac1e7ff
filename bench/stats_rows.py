#!/usr/bin/env python3
"""The `stats` rows of BENCHMARKS.md, side by side in one run; prints Markdown. Called by bench/stats_bench.sh.

    stats_rows.py FILE     (env: BENCH_PYTHON, the venv's python with safetensors + numpy; BENCH_RUNS)

Rows: memory-read bandwidth and `stats::scan` in process (examples/stats_bench --tsv), the CLI end to end, and
bench/py_stats.py (safetensors + numpy) in process and as a process. First checks that the Python way and
paramscope agree on every tensor's statistics."""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "paramscope")
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "stats_bench")
PY = os.environ["BENCH_PYTHON"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PY_STATS = os.path.join(ROOT, "bench", "py_stats.py")


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def wall_median(cmd, runs):
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def agree(path):
    """Largest relative difference of the moments; counts, min, max and absmax must be equal."""
    ours = json.loads(run([BIN, "stats", path, "--quiet", "--format", "json"]))["tensors"]
    theirs = json.loads(run([PY, PY_STATS, path]))["tensors"]
    assert [t["name"] for t in ours] == [t["name"] for t in theirs]
    worst = 0.0
    for a, b in zip(ours, theirs):
        for key, value in b.items():
            if key in ("name", "dtype"):
                continue
            if key in ("mean", "std", "mean_abs"):
                worst = max(worst, abs(a[key] - value) / max(abs(value), 1e-300))
            else:
                assert a[key] == value, (a["name"], key, a[key], value)
    return len(ours), worst


def main():
    path = sys.argv[1]
    # The example writes the file when it is missing, so it runs before the comparison that reads it.
    measured = run([EXAMPLE, path, "--tsv"])
    tensors, worst = agree(path)
    rows = {}
    for line in measured.splitlines():
        label, nbytes, wall, cpu = line.split("\t")
        rows[label] = (int(nbytes), float(wall), float(cpu))
    data_bytes = rows["stats, all cores"][0]
    run([BIN, "stats", path, "--quiet", "--format", "json"])  # warm-up
    cli = wall_median([BIN, "stats", path, "--quiet", "--format", "json"], RUNS)
    py_runs = max(3, RUNS // 2)
    py_inner = json.loads(run([PY, PY_STATS, path, "--time", str(py_runs)]))["median_s"]
    py_proc = wall_median([PY, PY_STATS, path], py_runs)

    gbs = lambda b, s: b / s / 1e9
    bandwidth = gbs(*rows["memory read, all cores"][:2])
    ours = gbs(*rows["stats, all cores"][:2])
    kernel = gbs(*rows["stats kernel on mapped pages, all cores"][:2])
    fresh = gbs(*rows["fresh map + read, all cores"][:2])
    pread = gbs(*rows["read(2) + sum, all cores"][:2])
    numpy_version = run([PY, "-c", "import numpy; print(numpy.__version__)"]).strip()
    out = ["## stats vs memory bandwidth and the Python way\n",
           f"One {data_bytes / 1e9:.2f} GB BF16 file of real (pseudo-random, std ≈ 0.02) weights, {tensors} tensors, "
           "in the page cache (`examples/stats_bench`, written once to /tmp). GB/s are 10^9 bytes of tensor data "
           f"per wall-clock second, medians of {RUNS} runs ({py_runs} for Python). The Python way is "
           f"`bench/py_stats.py`: `safetensors` + numpy {numpy_version}, BF16 viewed as uint16 and shifted into "
           "float32 (numpy has no bfloat16), moments in float64; it agrees with paramscope on every tensor "
           f"(counts, min, max, absmax equal; mean/std/mean |x| within {worst:.0e} relative). GB per CPU-second "
           "is throughput per core actually granted, which holds up better than wall time when the shared "
           "machine is busy.\n",
           "| what | time | GB/s | GB per CPU-s | vs memory read (all cores) | paramscope stats (CLI) is |",
           "|---|---|---|---|---|---|"]
    cli_gbs = gbs(data_bytes, cli)

    def row(label, nbytes, wall, cpu=None):
        rate = gbs(nbytes, wall)
        per_cpu = f"{gbs(nbytes, cpu):.2f}" if cpu else "n/a"
        out.append(f"| {label} | {wall * 1000:.0f} ms | {rate:.2f} | {per_cpu} | {100 * rate / bandwidth:.0f}% | "
                   f"{cli_gbs / rate:.2f}× as fast |")

    row("memory read: u64 sum over the mapped file, all cores", *rows["memory read, all cores"])
    row("memory read, one core", *rows["memory read, one core"])
    row("memory read on a fresh mapping each run, all cores", *rows["fresh map + read, all cores"])
    row("read(2) into a 1 MiB buffer per thread + sum, all cores", *rows["read(2) + sum, all cores"])
    row("`stats::scan` in process, all cores", *rows["stats, all cores"])
    row("`stats::scan` in process, one core", *rows["stats, one core"])
    row("stats kernel over the already-mapped file, all cores", *rows["stats kernel on mapped pages, all cores"])
    row("`paramscope stats FILE --quiet --format json` (process)", data_bytes, cli)
    row("Python: safetensors + numpy, in process", data_bytes, py_inner)
    row("Python: safetensors + numpy (process)", data_bytes, py_proc)
    out.append(f"\nparamscope's scan reaches **{100 * ours / bandwidth:.0f}%** of the all-core memory-read bandwidth "
               f"measured in the same run (target 70%: not met). Two costs, each measured alone above, keep it "
               f"there: the statistics kernel over pages already mapped (the memory-read row's footing) reaches "
               f"{100 * kernel / bandwidth:.0f}%, and merely reading the file as the scan does, read(2) into a 1 MiB "
               f"buffer per thread, with no statistics, reaches {100 * pread / bandwidth:.0f}% (a fresh mapping "
               f"{100 * fresh / bandwidth:.0f}%, but a mapped file shrinking under the reader raises SIGBUS); a "
               "fresh process pays both. The CLI is "
               f"**{py_proc / cli:.1f}×** as fast as the Python process and **{py_inner / cli:.1f}×** as fast as "
               "the Python loop alone.")
    print("\n".join(out))


if __name__ == "__main__":
    main()

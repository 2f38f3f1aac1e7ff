#!/usr/bin/env python3
"""The `verify` rows of BENCHMARKS.md, side by side in one run; prints Markdown. Called by bench/run.

    verify_rows.py        (env: BENCH_DATA, BENCH_PYTHON = the venv's python with huggingface_hub; BENCH_RUNS)

Four 256 MiB shards of pseudo-random bytes (written once under BENCH_DATA/verify, then read into the page cache)
hashed by `paramscope verify` against a SHA256SUMS that huggingface_hub's own `sha_fileobj` wrote (so the two
agree, or the run stops), on all cores and on one; beside huggingface_hub's way (hashlib, one file after the
other), coreutils' sha256sum, `openssl speed -evp sha256` (one core, bytes in memory: the per-core ceiling) and
examples/hash_bench (sha2 in memory, and positioned reads of several sizes, one core)."""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "paramscope")
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "hash_bench")
PY = os.environ["BENCH_PYTHON"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PY_SHA = os.path.join(ROOT, "bench", "py_sha256.py")
SHARD_BYTES = 256 << 20
NAMES = [f"model-{i:05d}-of-00004.safetensors" for i in range(1, 5)]


def run(cmd, env=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, runs, env=None):
    """(wall, CPU) seconds of the run of median wall time: CPU is user + system time of the process, all its
    threads (per CPU-second figures hold up when other processes share the cores)."""
    results = []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), children_cpu()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        results.append((time.perf_counter() - t0, children_cpu() - c0))
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
    results.sort()
    return results[len(results) // 2]


def shards(folder):
    """The shards (bytes only: verify reads no header), written once; 1 MiB of randomness per MiB written."""
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, n) for n in NAMES]
    for p in paths:
        if not (os.path.exists(p) and os.path.getsize(p) == SHARD_BYTES):
            with open(p, "wb") as f:
                for _ in range(SHARD_BYTES >> 20):
                    f.write(os.urandom(1 << 20))
    return paths


def openssl_gbs():
    """`openssl speed -evp sha256` on 1 MiB blocks, one core, in GB/s (OpenSSL prints 1000s of bytes per s)."""
    out = run(["openssl", "speed", "-seconds", "3", "-bytes", str(1 << 20), "-evp", "sha256"])
    line = [l for l in out.splitlines() if l.startswith("sha256")][-1]
    return float(re.findall(r"([\d.]+)k", line)[-1]) * 1000 / 1e9, \
        run(["openssl", "version"]).strip()


def main():
    folder = os.path.join(os.environ["BENCH_DATA"], "verify")
    paths = shards(folder)
    manifest = os.path.join(folder, "SHA256SUMS")
    with open(manifest, "w") as f:
        f.write(run([PY, PY_SHA] + paths))
    # Both agree on every file (exit 0: all verified), and the files are now in the page cache.
    ours = json.loads(run([BIN, "verify", folder, "--sha256", manifest, "--quiet", "--format", "json"]))
    assert ours["verdict"] == "verified" and ours["summary"]["ok"] == 4, ours["summary"]
    total = 4 * SHARD_BYTES
    cmd = [BIN, "verify", folder, "--sha256", manifest, "--quiet"]
    one = dict(os.environ, RAYON_NUM_THREADS="1")
    load = os.getloadavg()[0]
    rows = {}
    rows["verify_all"] = timed(cmd, RUNS)
    rows["verify_one"] = timed(cmd, RUNS, env=one)
    rows["py_proc"] = timed([PY, PY_SHA] + paths, RUNS)
    rows["sha256sum"] = timed(["sha256sum"] + paths, max(3, RUNS // 2))
    ssl, ssl_version = openssl_gbs()
    in_process = []
    for line in run([EXAMPLE, paths[0], "--tsv"]).splitlines():
        label, nbytes, wall, cpu = line.split("\t")
        in_process.append((label, int(nbytes), float(wall), float(cpu)))

    gbs = lambda b, s: b / s / 1e9
    py_wall, py_cpu = rows["py_proc"]
    cores = os.cpu_count()
    out = ["## verify vs the Python way\n",
           f"Four 256 MiB shards of random bytes in the page cache, hashed by `paramscope verify DIR --sha256 "
           f"SHA256SUMS --quiet` against the manifest huggingface_hub's own `sha_fileobj` wrote (both agree on "
           f"every file), medians of {RUNS} runs; load average {load:.1f} on {cores} cores when the rows began. The "
           "Python way is `bench/py_sha256.py`: huggingface_hub's `sha_fileobj` (hashlib, OpenSSL's SHA-256, "
           "1 MiB reads) over the files one after the other, as huggingface_hub checks a download. "
           f"{ssl_version}: `openssl speed -evp sha256` on 1 MiB blocks, one core, bytes already in memory, per "
           "CPU-second (the per-core ceiling). GB/s are 10^9 bytes per wall-clock second; GB per CPU-second "
           "divides by the CPU time the process was granted (user + system, all threads), which is what a core "
           "does when other processes share the machine.\n",
           "| what | time | GB/s | GB per CPU-s | vs Python (wall) |",
           "|---|---|---|---|---|"]

    def row(label, timing, nbytes=total):
        wall, cpu = timing
        out.append(f"| {label} | {wall * 1000:.0f} ms | {gbs(nbytes, wall):.2f} | {gbs(nbytes, cpu):.2f} | "
                   f"{py_wall / wall:.2f}× |")

    row(f"`paramscope verify`, all cores ({cores})", rows["verify_all"])
    row("`paramscope verify`, one core (`RAYON_NUM_THREADS=1`)", rows["verify_one"])
    row("Python: huggingface_hub `sha_fileobj` (process)", rows["py_proc"])
    row("coreutils `sha256sum` (process)", rows["sha256sum"])
    out.append(f"| `openssl speed -evp sha256`, one core, in memory | | | {ssl:.2f} | |")
    for label, nbytes, wall, cpu in in_process:
        out.append(f"| examples/hash_bench: {label} (256 MiB) | {wall * 1000:.0f} ms | {gbs(nbytes, wall):.2f} | "
                   f"{gbs(nbytes, cpu):.2f} | |")
    ratio = py_wall / rows["verify_all"][0]
    per_core = gbs(total, rows["verify_one"][1])
    sha2_memory = next(gbs(b, c) for label, b, w, c in in_process if label.startswith("sha2 over memory"))
    out.append(f"\n`paramscope verify` is **{ratio:.2f}×** as fast as huggingface_hub's way on {cores} cores, wall "
               f"clock (target ≥1.5×: {'met' if ratio >= 1.5 else 'not met'}). Per core: sha2's SHA-256 hashes "
               f"{sha2_memory:.2f} GB per CPU-second over bytes in memory, **{100 * sha2_memory / ssl:.0f}%** of "
               f"OpenSSL's {ssl:.2f} (target: within 10%: {'met' if sha2_memory >= 0.9 * ssl else 'not met'}); "
               f"`verify` end to end on one core, reading the page cache as well, {per_core:.2f} GB per CPU-second "
               f"({100 * per_core / ssl:.0f}%), against {gbs(total, py_cpu):.2f} for the Python process, which "
               "pays the same copy out of the page cache. SHA-256 is serial within a file, so one file never "
               "goes faster than one core; verify hashes a file per core.")
    print("\n".join(out))


if __name__ == "__main__":
    main()

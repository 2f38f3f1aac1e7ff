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


def wall_median(cmd, runs, env=None):
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
    return statistics.median(walls)


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
    rows = {}
    rows["verify_all"] = wall_median(cmd, RUNS)
    rows["verify_one"] = wall_median(cmd, RUNS, env=one)
    rows["py_proc"] = wall_median([PY, PY_SHA] + paths, RUNS)
    rows["py_inner"] = json.loads(run([PY, PY_SHA] + paths + ["--time", str(RUNS)]))["median_s"]
    rows["sha256sum"] = wall_median(["sha256sum"] + paths, max(3, RUNS // 2))
    ssl, ssl_version = openssl_gbs()
    in_process = []
    for line in run([EXAMPLE, paths[0], "--tsv"]).splitlines():
        label, nbytes, wall = line.split("\t")
        in_process.append((label, int(nbytes), float(wall)))

    gbs = lambda b, s: b / s / 1e9
    py = rows["py_proc"]
    cores = os.cpu_count()
    out = ["## verify vs the Python way\n",
           f"Four 256 MiB shards of random bytes in the page cache, hashed by `paramscope verify DIR --sha256 "
           f"SHA256SUMS --quiet` against the manifest huggingface_hub's own `sha_fileobj` wrote (both agree on "
           f"every file), medians of {RUNS} runs. The Python way is `bench/py_sha256.py`: huggingface_hub's "
           "`sha_fileobj` (hashlib, OpenSSL's SHA-256, 1 MiB reads) over the files one after the other, as "
           f"huggingface_hub checks a download. {ssl_version}: `openssl speed -evp sha256` on 1 MiB blocks, one "
           "core, bytes already in memory (the per-core ceiling). GB/s are 10^9 bytes per second.\n",
           "| what | time | GB/s | vs Python (process) |",
           "|---|---|---|---|"]

    def row(label, seconds, nbytes=total):
        out.append(f"| {label} | {seconds * 1000:.0f} ms | {gbs(nbytes, seconds):.2f} | {py / seconds:.2f}× |")

    row(f"`paramscope verify`, all cores ({cores})", rows["verify_all"])
    row("`paramscope verify`, one core (`RAYON_NUM_THREADS=1`)", rows["verify_one"])
    row("Python: huggingface_hub `sha_fileobj` (process)", rows["py_proc"])
    row("Python: huggingface_hub `sha_fileobj`, in process", rows["py_inner"])
    row("coreutils `sha256sum` (process)", rows["sha256sum"])
    out.append(f"| `openssl speed -evp sha256`, one core, in memory | | {ssl:.2f} | |")
    for label, nbytes, wall in in_process:
        out.append(f"| examples/hash_bench: {label} (256 MiB) | {wall * 1000:.0f} ms | {gbs(nbytes, wall):.2f} | |")
    ratio = py / rows["verify_all"]
    per_core = gbs(total, rows["verify_one"])
    out.append(f"\n`paramscope verify` is **{ratio:.2f}×** as fast as huggingface_hub's way on {cores} cores "
               f"(target ≥1.5×: {'met' if ratio >= 1.5 else 'not met'}); on one core it hashes "
               f"**{per_core:.2f} GB/s**, {100 * per_core / ssl:.0f}% of OpenSSL's {ssl:.2f} GB/s (target: within "
               f"10%: {'met' if per_core >= 0.9 * ssl else 'not met'}), and the process figure includes reading "
               "the page cache, which `openssl speed` does not. SHA-256 is serial within a file, so one file "
               "never goes faster than one core; verify hashes a file per core.")
    print("\n".join(out))


if __name__ == "__main__":
    main()

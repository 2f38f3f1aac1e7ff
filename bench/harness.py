#!/usr/bin/env python3
"""Runs the benchmark rows side by side and writes BENCHMARKS.md. Called by bench/run, which prepares the binary,
the sparse checkpoints and the throwaway venv; see bench/run for the knobs."""
import json
import os
import platform
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "paramscope")
DATA = os.environ["BENCH_DATA"]
PY = os.environ["BENCH_PYTHON"]


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure(cmd, runs=RUNS, warmup=2):
    """Median wall seconds and median peak RSS (KiB) of a command run `runs` times after `warmup` runs.

    Peak RSS comes from GNU time when present: `wait4` on a child forked from this Python process would count the
    interpreter's own pages, copied into the child before exec, as the child's peak."""
    walls, rss = [], []
    rss_file = os.path.join(DATA, ".rss")
    for i in range(warmup + runs):
        # Timed runs go without the GNU time wrapper (its fork and exec would add to every figure)...
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=os.path.join(ROOT, "bench"))
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{p.stderr.decode()}")
        if i >= warmup:
            walls.append(wall)
    # ...and peak memory is read from a few separate wrapped runs.
    for _ in range(3):
        if GNU_TIME:
            subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_file] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=os.path.join(ROOT, "bench"), check=True)
            rss.append(int(open(rss_file).read().split()[-1]))
        else:
            rss.append(float("nan"))
    return statistics.median(walls), statistics.median(rss)


def output_of(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=os.path.join(ROOT, "bench")).stdout


def ms(s):
    return f"{s * 1000:.1f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def inspect_rows():
    rows = []
    for name, path in [
        ("Llama-3-8B shapes, 1 file", "llama3-8b/model.safetensors"),
        ("Llama-3-70B shapes, 5 GB shards", "llama3-70b/model.safetensors.index.json"),
        ("Llama-3.1-405B shapes, 5 GB shards", "llama31-405b/model.safetensors.index.json"),
        ("DeepSeek-V3 shapes, 163 FP8 shards", "deepseek-v3/model.safetensors.index.json"),
    ]:
        full = os.path.join(DATA, path)
        ours = json.loads(output_of([BIN, "inspect", full, "--format", "json"]))
        theirs = json.loads(output_of([PY, "py_inspect.py", full]))
        assert ours["parameters"] == theirs["parameters"], (ours["parameters"], theirs["parameters"])
        ps_wall, ps_rss = measure([BIN, "inspect", full, "--format", "json"])
        py_wall, py_rss = measure([PY, "py_inspect.py", full])
        py_inner = json.loads(output_of([PY, "py_inspect.py", full, "--time", str(RUNS)]))["median_s"]
        try:
            hub_wall, hub_rss = measure([PY, "py_hub_inspect.py", full])
        except SystemExit:
            hub_wall = hub_rss = None
        rows.append((name, ours["tensor_count"], ours["shards"], ours["parameters"], ps_wall, ps_rss,
                     py_wall, py_rss, py_inner, hub_wall, hub_rss))
    return rows


def scaling_rows():
    rows = []
    for n in ["1000", "10000", "100000"]:
        full = os.path.join(DATA, f"tensors-{n}", "model.safetensors")
        header = int.from_bytes(open(full, "rb").read(8), "little")
        wall, rss = measure([BIN, "inspect", full, "--format", "json"])
        py_inner = json.loads(output_of([PY, "py_inspect.py", full, "--time", "5"]))["median_s"]
        rows.append((int(n), header, wall, rss, py_inner))
    return rows


def big_header_rows():
    """One file of N one-byte tensors (`synth bytes N`): the largest headers there are (1.4M tensors: 97 MB, under
    the 100 MB limit), paramscope's and Python's processes side by side, with peak RSS against the header's size."""
    rows = []
    for n in ["100000", "1400000"]:
        full = os.path.join(DATA, f"bytes-{n}", "model.safetensors")
        header = int.from_bytes(open(full, "rb").read(8), "little")
        runs = RUNS if n == "100000" else max(3, RUNS // 3)
        wall, rss = measure([BIN, "inspect", full, "--format", "json"], runs=runs, warmup=1)
        py_wall, py_rss = measure([PY, "py_inspect.py", full], runs=runs, warmup=1)
        rows.append((int(n), header, wall, rss, py_wall, py_rss))
    return rows


def grouping_rows():
    """Grouped views of DeepSeek-V3 against plain inspect (the issue's bound: at most 1.5x)."""
    full = os.path.join(DATA, "deepseek-v3", "model.safetensors.index.json")
    rows = []
    for label, extra in [("inspect", []), ("inspect --group-by layer", ["--group-by", "layer"]),
                         ("inspect --group-by module", ["--group-by", "module"]), ("inspect --tree", ["--tree"])]:
        wall, rss = measure([BIN, "inspect", full] + extra)
        rows.append((label, wall, rss))
    return rows


def main():
    extras = sys.argv[1:]
    insp = inspect_rows()
    scal = scaling_rows()
    big = big_header_rows()
    groups = grouping_rows()
    out = []
    out.append("# Benchmarks\n")
    out.append("Generated by `bench/run` (do not edit by hand; rerun it). Medians of "
               f"{RUNS} runs after 2 warm-up runs, each a fresh process; peak RSS from GNU time in separate runs.\n")
    out.append(f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    out.append(f"- Machine: {machine()} (shared and noisy: compare ratios within one run, not across runs)")
    out.append(f"- paramscope: release build; Python peers: `safetensors` "
               f"{output_of([PY, '-c', 'import safetensors; print(safetensors.__version__)']).strip()}, "
               f"`huggingface_hub` {output_of([PY, '-c', 'import huggingface_hub; print(huggingface_hub.__version__)']).strip()} "
               "in a throwaway venv")
    out.append("- Checkpoints: sparse files of real shapes from `cargo run --release --example synth` "
               "(BF16, data regions are holes: header work is the same as on a real download)\n")
    out.append("## inspect vs the Python way\n")
    out.append("`paramscope inspect --format json` vs `bench/py_inspect.py` (`safe_open` over every shard, "
               "summing `numel` per dtype, as people do today) and `bench/py_hub_inspect.py` (huggingface_hub's "
               "own header parser, run offline). Process columns include interpreter start-up, which users pay; "
               "the in-process column is Python's counting loop alone.\n")
    out.append("| checkpoint | tensors | files | parameters (both agree) | paramscope | RSS | Python safe_open (process) | RSS | ratio | Python in-process | ratio | huggingface_hub parser (process) | ratio |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, tensors, files, params, ps, ps_rss, py, py_rss, inner, hub, hub_rss) in insp:
        hub_cells = f"{ms(hub)} | {hub / ps:.0f}× |" if hub else "n/a | |"
        out.append(f"| {name} | {tensors:,} | {files} | {params:,} | {ms(ps)} | {mib(ps_rss)} | {ms(py)} | "
                   f"{mib(py_rss)} | {py / ps:.0f}× | {ms(inner)} | {inner / ps:.1f}× | {hub_cells}")
    out.append("\n## inspect time as the header grows\n")
    out.append("One file with N small F32 tensors (`synth tensors N`). Time should grow with the header, "
               "not the file.\n")
    out.append("| tensors | header bytes | paramscope | RSS | Python safe_open in-process |")
    out.append("|---|---|---|---|---|")
    for (n, header, wall, rss, inner) in scal:
        out.append(f"| {n:,} | {header:,} | {ms(wall)} | {mib(rss)} | {ms(inner)} |")
    out.append("\n## The largest headers\n")
    out.append("One file of N one-byte U8 tensors with short names (`synth bytes N`); 1,400,000 make a 97 MB "
               "header, near the 100 MB limit. Both tools run as processes; RSS is peak resident memory.\n")
    out.append("| tensors | header bytes | paramscope | RSS | RSS / header | Python safe_open (process) | RSS | ratio |")
    out.append("|---|---|---|---|---|---|---|---|")
    for (n, header, wall, rss, py, py_rss) in big:
        out.append(f"| {n:,} | {header:,} | {ms(wall)} | {mib(rss)} | {rss * 1024 / header:.1f}× | {ms(py)} | "
                   f"{mib(py_rss)} | {py / wall:.1f}× |")
    if len(big) == 2:
        (n0, _, w0, _, _, _), (n1, _, w1, _, _, _) = big
        out.append(f"\n{n1 // n0}× the tensors cost {w1 / w0:.1f}× the time.")
    out.append("\n## Grouped views of DeepSeek-V3 (163 shards, 91,991 tensors)\n")
    out.append("| command | time | vs inspect | RSS |")
    out.append("|---|---|---|---|")
    base = groups[0][1]
    for (label, wall, rss) in groups:
        out.append(f"| `{label}` | {ms(wall)} | {wall / base:.2f}× | {mib(rss)} |")
    for extra in extras:
        if os.path.exists(extra):
            out.append("")
            out.append(open(extra).read().rstrip())
    out.append("")
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()

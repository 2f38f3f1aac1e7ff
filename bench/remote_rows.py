#!/usr/bin/env python3
"""The remote rows of BENCHMARKS.md: `paramscope inspect hf://…` vs huggingface_hub's `get_safetensors_metadata`
on Llama-3.1-405B's 191 shards (synth llama31-405b) behind the loopback Hub stand-in (bench/hub_server.py) with
20 ms added to every request, side by side in one run. Prints Markdown. Called by bench/run.

    remote_rows.py   (env: BENCH_DATA, BENCH_PYTHON = a python with huggingface_hub; BENCH_RUNS; PARAMSCOPE)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("BENCH_DATA", os.path.join(ROOT, "target", "bench-data"))
PY = os.environ.get("BENCH_PYTHON", sys.executable)
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
BIN = os.environ.get("PARAMSCOPE", os.path.join(ROOT, "target", "release", "paramscope"))
REPO = "meta-llama/Llama-3.1-405B"
PORT = 18792
DELAY_MS = 20
HUB_PY = (
    "import sys; from huggingface_hub import get_safetensors_metadata as g; "
    "m = g(sys.argv[1]); print(sum(sum(f.parameter_count.values()) for f in m.files_metadata.values()))"
)


def stats(url):
    return json.load(urllib.request.urlopen(url + "/stats"))


def measure(cmd, env, url, parse):
    times, counted = [], None
    for _ in range(RUNS):
        urllib.request.urlopen(url + "/reset").read()
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - start)
        counted = (parse(out), stats(url))
    return statistics.median(times), counted


def main():
    folder = os.path.join(DATA, "llama31-405b")
    url = f"http://127.0.0.1:{PORT}"
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "hub_server.py"), folder, REPO,
                               str(PORT), str(DELAY_MS)])
    try:
        for _ in range(50):
            try:
                stats(url)
                break
            except OSError:
                time.sleep(0.1)
        home = tempfile.mkdtemp()
        env = dict(os.environ, HF_ENDPOINT=url, HF_HOME=home, HF_HUB_DISABLE_TELEMETRY="1")
        env.pop("HF_TOKEN", None)
        ours = measure([BIN, "inspect", f"hf://{REPO}", "--format", "json"], env, url,
                       lambda o: json.loads(o)["parameters"])
        theirs = measure([PY, "-c", HUB_PY, REPO], env, url, lambda o: int(o.strip()))
    finally:
        server.kill()
    if ours[1][0] != theirs[1][0]:
        sys.exit(f"the parameter counts differ: {ours[1][0]} vs {theirs[1][0]}")
    print(f"### Remote: Llama-3.1-405B (191 shards) behind a loopback Hub with {DELAY_MS} ms per request\n")
    print(f"Median of {RUNS} runs each, one tool after the other in one run; {ours[1][0]:,} parameters both. "
          "Requests and body bytes counted by the server.\n")
    print("| tool | wall time | requests | body bytes | vs huggingface_hub |")
    print("|---|---:|---:|---:|---:|")
    for name, (t, (_, s)) in [("`paramscope inspect hf://…`", ours),
                              ("huggingface_hub `get_safetensors_metadata`", theirs)]:
        print(f"| {name} | {t:.2f} s | {s['requests']} | {s['body_bytes']:,} | {theirs[0] / t:.1f}× |")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The `stats` rows of BENCHMARKS.md (Markdown on stdout; bench/run appends them): `paramscope stats` on a ~2 GB
# BF16 file in the page cache, beside the machine's memory-read bandwidth and the Python way, in one run.
#
#   BENCH_PYTHON=venv/bin/python bench/stats_bench.sh [FILE] [GIB]
#       (defaults: /tmp/paramscope-bench/bf16.safetensors, 2; BENCH_RUNS repetitions, default 5)
#
# `examples/stats_bench` writes FILE once (16 BF16 tensors of 64 Mi elements, pseudo-random weights with
# std ≈ 0.02), reads it into the page cache and measures the in-process rows; bench/stats_rows.py adds the CLI
# end to end and bench/py_stats.py (safetensors + numpy), after checking both agree. Needs ~2 GB of disk and as
# much free memory for the page cache. Takes a few minutes (the Python way is the slow part).
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-/tmp/paramscope-bench/bf16.safetensors}
gib=${2:-2}
: "${BENCH_PYTHON:?set BENCH_PYTHON to a python with safetensors and numpy (bench/run does)}"

cargo build --release --quiet --bin paramscope --example stats_bench
echo "load before the stats rows: $(uptime | sed 's/.*load average/load average/')" >&2
python3 bench/stats_rows.py "$file"

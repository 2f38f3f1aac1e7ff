#!/usr/bin/env bash
# Throughput of `paramscope stats` on a ~2 GB BF16 checkpoint held in the page cache, beside the machine's
# memory-read bandwidth measured in the same run.
#
#   bench/stats_bench.sh [FILE] [GIB]      (defaults: /tmp/paramscope-bench/bf16.safetensors, 2)
#
# 1. `cargo run --release --example stats_bench` writes FILE once (16 BF16 tensors of 64 Mi elements,
#    pseudo-random weights with std ≈ 0.02), reads it into the page cache, and prints, best of 3 each:
#    a u64 sum over the mapped file (all cores, one core) and `paramscope::stats::scan` (all cores, one core),
#    in GB/s (10^9 bytes/s) of wall-clock time and in GB per CPU-second (robust when other work shares the
#    machine; see `uptime`, printed first).
# 2. Times the CLI end to end (`paramscope stats FILE --quiet --format json`, 3 runs): wall, user, sys.
# Needs ~2 GB of disk and as much free memory for the page cache. Takes about a minute after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-/tmp/paramscope-bench/bf16.safetensors}
gib=${2:-2}

cargo build --release --quiet --bin paramscope --example stats_bench
echo "load: $(uptime)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
./target/release/examples/stats_bench "$file" "$gib"

data_bytes=$(./target/release/paramscope inspect "$file" --format json | grep -m1 '"tensor_bytes"' | tr -dc '0-9')
echo "CLI, end to end (header, mapping, scan, JSON), ${data_bytes} data bytes:"
for run in 1 2 3; do
  start=$(date +%s.%N)
  times=$( { /usr/bin/time -f "%U %S" ./target/release/paramscope stats "$file" --quiet --format json >/dev/null; } 2>&1 )
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v b="$data_bytes" -v t="$times" 'BEGIN {
    split(t, u, " "); w = e - s;
    printf "  run: %.3f s wall, %.2f GB/s; user %.2f s, sys %.2f s\n", w, b / w / 1e9, u[1], u[2] }'
done

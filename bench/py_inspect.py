#!/usr/bin/env python3
"""The way people count parameters today: safetensors.safe_open over every shard, summing numel per dtype.

Usage: py_inspect.py PATH [--time N]   (a .safetensors file, an *.index.json, or a folder)
With --time N, counts N times in this one process and prints the median seconds of one count (no interpreter
start-up or import), for the benchmark's in-process column.
Prints one JSON object: {"parameters", "tensor_bytes", "tensor_count", "dtypes": {DTYPE: [tensors, parameters]}}.
Used by bench/run (timing) and to cross-check paramscope's figures by hand.
"""
import json
import math
import os
import sys

from safetensors import safe_open


def shard_paths(path):
    if os.path.isdir(path):
        idx = [f for f in os.listdir(path) if f.endswith(".safetensors.index.json")]
        if idx:
            path = os.path.join(path, idx[0])
        else:
            return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".safetensors"))
    if path.endswith(".json"):
        with open(path) as f:
            index = json.load(f)
        folder = os.path.dirname(path)
        return [os.path.join(folder, s) for s in sorted(set(index["weight_map"].values()))]
    return [path]


def count(path):
    dtypes = {}
    total = n_tensors = 0
    for shard in shard_paths(sys.argv[1]):
        # framework="numpy" needs no torch; get_slice reads the header only.
        with safe_open(shard, framework="numpy") as f:
            for name in f.keys():
                s = f.get_slice(name)
                n = math.prod(s.get_shape())
                d = s.get_dtype()
                row = dtypes.setdefault(d, [0, 0])
                row[0] += 1
                row[1] += n
                total += n
                n_tensors += 1
    return {"parameters": total, "tensor_count": n_tensors, "dtypes": dtypes}


def main():
    if len(sys.argv) > 3 and sys.argv[2] == "--time":
        import statistics
        import time

        times = []
        for _ in range(int(sys.argv[3])):
            t0 = time.perf_counter()
            count(sys.argv[1])
            times.append(time.perf_counter() - t0)
        print(json.dumps({"median_s": statistics.median(times)}))
    else:
        print(json.dumps(count(sys.argv[1]), sort_keys=True))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The usual Python way to get `paramscope stats`' figures: safetensors' header, numpy over each tensor.

    py_stats.py FILE                 per-tensor statistics as JSON (to compare with paramscope's)
    py_stats.py FILE --time N        median seconds of N in-process passes over every tensor, as JSON

numpy has no bfloat16 and `safe_open(framework="np")` refuses BF16, so BF16 is read as people do without torch:
the tensor's bytes viewed as uint16 and shifted into the high half of a float32 (exact). Moments are taken in
float64 like paramscope's; min/max/mean/std over finite values, with NaN and ±Inf counted apart."""
import json
import statistics
import sys
import time

import numpy as np
from safetensors import safe_open

NUMPY = {"F64": np.float64, "F32": np.float32, "F16": np.float16}


def tensors(path):
    """(name, float array) per tensor, in file order, without copying more than one tensor at a time."""
    with safe_open(path, framework="np") as f:
        names = list(f.keys())
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
    header.pop("__metadata__", None)
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    for name in sorted(names, key=lambda k: header[k]["data_offsets"][0]):
        info = header[name]
        start, end = info["data_offsets"]
        data = raw[start:end]
        if info["dtype"] == "BF16":
            x = (data.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            x = data.view(NUMPY[info["dtype"]])
        yield name, info["dtype"], x


def summary(x):
    nan = int(np.count_nonzero(np.isnan(x)))
    pos_inf = int(np.count_nonzero(np.isposinf(x)))
    neg_inf = int(np.count_nonzero(np.isneginf(x)))
    finite = x if nan + pos_inf + neg_inf == 0 else x[np.isfinite(x)]
    a = np.abs(finite)
    return {
        "values": int(x.size),
        "finite": int(finite.size),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "mean": float(finite.mean(dtype=np.float64)),
        "std": float(finite.std(dtype=np.float64)),
        "mean_abs": float(a.mean(dtype=np.float64)),
        "absmax": float(a.max()),
        "zeros": int(x.size - np.count_nonzero(x)),
        "nan": nan,
        "pos_inf": pos_inf,
        "neg_inf": neg_inf,
    }


def main():
    path = sys.argv[1]
    if len(sys.argv) > 3 and sys.argv[2] == "--time":
        walls = []
        for _ in range(int(sys.argv[3])):
            t0 = time.perf_counter()
            for _name, _dtype, x in tensors(path):
                summary(x)
            walls.append(time.perf_counter() - t0)
        print(json.dumps({"median_s": statistics.median(walls)}))
        return
    out = [dict(name=name, dtype=dtype, **summary(x)) for name, dtype, x in tensors(path)]
    print(json.dumps({"tensors": out}))


if __name__ == "__main__":
    main()

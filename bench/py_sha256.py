#!/usr/bin/env python3
"""The Python way to check a download: huggingface_hub's own `sha_fileobj` (hashlib's SHA-256, OpenSSL's code,
1 MiB reads) over each file in turn, as `huggingface_hub` verifies files. Prints `HEX  NAME` lines (a SHA256SUMS
manifest, names relative to the files' folder).

    py_sha256.py FILE...              the manifest on stdout
    py_sha256.py FILE... --time N     {"median_s": …} of N in-process runs over all the files
"""
import json
import os
import statistics
import sys
import time

from huggingface_hub.utils.sha import sha_fileobj


def digests(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append((sha_fileobj(f).hex(), os.path.basename(p)))
    return out


def main():
    args = sys.argv[1:]
    if "--time" in args:
        i = args.index("--time")
        runs = int(args[i + 1])
        paths = args[:i] + args[i + 2:]
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            digests(paths)
            walls.append(time.perf_counter() - t0)
        print(json.dumps({"median_s": statistics.median(walls)}))
        return
    for hexdigest, name in digests(args):
        print(f"{hexdigest}  {name}")


if __name__ == "__main__":
    main()

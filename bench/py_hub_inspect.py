#!/usr/bin/env python3
"""huggingface_hub's own safetensors header parser (the one behind `get_safetensors_metadata` and the Hub's
parameter counts), run offline on local files: read 8 + N header bytes of each shard, parse with the library's
private helpers, sum `parameter_count` per dtype. Private helpers may move between versions; the bench script
skips this peer when they are missing.

Usage: py_hub_inspect.py PATH   (a .safetensors file, an *.index.json, or a folder)
"""
import json
import struct
import sys

from huggingface_hub.hf_api import _get_safetensors_metadata_size, _parse_safetensors_header

from py_inspect import shard_paths


def main():
    per_dtype = {}
    count = 0
    for shard in shard_paths(sys.argv[1]):
        with open(shard, "rb") as f:
            first = f.read(8)
            size = _get_safetensors_metadata_size(first, shard, "local")
            meta = _parse_safetensors_header(f.read(size), shard, "local")
        count += len(meta.tensors)
        for dtype, n in meta.parameter_count.items():
            per_dtype[dtype] = per_dtype.get(dtype, 0) + n
    print(json.dumps({"parameters": sum(per_dtype.values()), "tensor_count": count, "dtypes": per_dtype}, sort_keys=True))


if __name__ == "__main__":
    main()

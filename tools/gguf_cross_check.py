#!/usr/bin/env python3
"""Cross-checks paramscope's GGUF reader and writer against gguf-py (the reference Python implementation).

1. gguf-py writes a GGUF (every metadata type, several quantised types, alignment 64); paramscope must report the
   same tensors, shapes (PyTorch order), element counts, byte sizes, offsets and metadata.
2. gguf-py reads the committed fixtures written by paramscope's GgufWriter; its view must match paramscope's.

Run by hand (needs the `gguf` pip package and a built binary):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gguf
    cargo build && /tmp/venv/bin/python tools/gguf_cross_check.py [path/to/paramscope]
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType as Q
from gguf.constants import GGML_QUANT_SIZES

ROOT = Path(__file__).resolve().parent.parent
BINARY = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "paramscope")


def inspect(path):
    out = subprocess.run([BINARY, "inspect", str(path), "--tensors", "--format", "json", "--metadata", "full"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def flatten(values):
    """gguf-py's Field.contents() flattens nested arrays, and gives strings inside them as their bytes."""
    out = []
    for v in values:
        if isinstance(v, dict):
            out.extend(flatten(v["values"]))
        elif isinstance(v, str):
            out.extend(v.encode())
        else:
            out.append(v)
    return out


def compare(path):
    """gguf-py's view of `path` against paramscope's; returns the number of disagreements."""
    reader = GGUFReader(path)
    report = inspect(path)
    rows = {t["name"]: t for t in report["tensors"]}
    problems = 0
    data_start = reader.data_offset
    for t in reader.tensors:
        row = rows.get(t.name)
        shape = [int(d) for d in reversed(t.shape.tolist())]
        want = {"dtype": t.tensor_type.name, "shape": shape, "parameters": int(t.n_elements),
                "bytes": int(t.n_bytes), "data_offsets": [int(t.data_offset) - data_start,
                                                          int(t.data_offset) - data_start + int(t.n_bytes)]}
        have = {k: row[k] for k in want} if row else None
        if have != want:
            print(f"  {t.name}: gguf-py {want}, paramscope {have}")
            problems += 1
    if len(reader.tensors) != report["tensor_count"]:
        print(f"  tensor count: gguf-py {len(reader.tensors)}, paramscope {report['tensor_count']}")
        problems += 1
    if report["files"][0]["header_bytes"] != data_start:
        print(f"  data start: gguf-py {data_start}, paramscope {report['files'][0]['header_bytes']}")
        problems += 1
    for field in reader.fields.values():
        if field.name.startswith("GGUF."):
            continue  # gguf-py's pseudo-fields for the header
        ours = report["metadata"].get(field.name)
        theirs = field.contents()
        if isinstance(ours, dict) and ours.get("type") == "array":
            ours = flatten(ours["values"]) if ours["element"] == "array" else ours["values"]
        if isinstance(theirs, float) or (isinstance(theirs, list) and theirs and isinstance(theirs[0], float)):
            same = np.allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float))
        else:
            same = ours == theirs
        if not same:
            print(f"  metadata {field.name}: gguf-py {theirs!r}, paramscope {ours!r}")
            problems += 1
    print(f"{path}: {len(reader.tensors)} tensors, {len(reader.fields)} fields, {problems} disagreement(s)")
    return problems


def write_with_gguf_py(path):
    w = GGUFWriter(str(path), "llama")
    w.data_alignment = 64
    w.add_custom_alignment(64)
    w.add_name("written by gguf-py")
    w.add_uint8("t.u8", 7)
    w.add_int8("t.i8", -7)
    w.add_uint16("t.u16", 700)
    w.add_int16("t.i16", -700)
    w.add_uint32("t.u32", 70000)
    w.add_int32("t.i32", -70000)
    w.add_float32("t.f32", 0.25)
    w.add_bool("t.bool", True)
    w.add_uint64("t.u64", 1 << 40)
    w.add_int64("t.i64", -(1 << 40))
    w.add_float64("t.f64", 0.125)
    w.add_array("t.strings", ["a", "bc", "def"])
    w.add_array("t.ints", [1, 2, 3])
    w.add_array("t.nested", [[1, 2], [3]])
    w.add_context_length(4096)
    w.add_tensor("f32", np.arange(15, dtype=np.float32).reshape(3, 5))
    w.add_tensor("f16", np.ones((2, 7), dtype=np.float16))
    for i, qt in enumerate([Q.Q4_0, Q.Q8_0, Q.Q4_K, Q.Q6_K, Q.IQ2_XXS, Q.TQ1_0, Q.MXFP4, Q.BF16]):
        block, size = GGML_QUANT_SIZES[qt]
        rows, cols = 3, 256  # 256 elements per row: a whole number of blocks for every type here
        raw = np.zeros((rows, cols // block * size), dtype=np.uint8)
        w.add_tensor(f"q{i}.{qt.name}", raw, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    problems = 0
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "by-gguf-py.gguf"
        write_with_gguf_py(path)
        problems += compare(path)
    for fixture in sorted((ROOT / "fixtures" / "gguf").rglob("*.gguf")):
        if "split" in fixture.parts:
            continue  # a part's report covers all parts; offsets and header would need matching per file
        problems += compare(fixture)
    print(f"{problems} disagreement(s) in total")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

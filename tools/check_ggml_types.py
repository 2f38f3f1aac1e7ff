#!/usr/bin/env python3
"""Compares paramscope's ggml type table (src/model/dtype/ggml.rs) with gguf-py's GGML_QUANT_SIZES.

Run by hand, not by the tests (it needs the `gguf` pip package):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gguf
    /tmp/venv/bin/python tools/check_ggml_types.py

Prints one line per type id and exits 1 if the tables disagree anywhere other than the known, documented
difference (Q8_1: ggml's block_q8_1 is 36 bytes; gguf-py still lists 40).
"""
import re
import sys
from pathlib import Path

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

SOURCE = Path(__file__).resolve().parent.parent / "src" / "dtype" / "ggml.rs"
# Bytes per element of the plain dtypes, from their widths in bits (src/dtype.rs).
PLAIN_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "F64": 8}
KNOWN_DIFFERENCES = {"Q8_1": ((32, 36), (32, 40))}


def ours():
    text = SOURCE.read_text()
    table = {}
    for m in re.finditer(r"\((\d+), GgmlQuant::(\w+), (\d+), (\d+)\)", text):
        table[int(m[1])] = (m[2], (int(m[3]), int(m[4])))
    for m in re.finditer(r"\((\d+), DType::(\w+)\)", text):
        table[int(m[1])] = (m[2], (1, PLAIN_BYTES[m[2]]))
    retired = {int(m[1]): m[2] for m in re.finditer(r'\((\d+), "(\w+)"\)', text)}
    return table, retired


def main():
    table, retired = ours()
    theirs = {t.value: (t.name, GGML_QUANT_SIZES[t]) for t in GGMLQuantizationType}
    problems = 0
    for type_id in sorted(set(table) | set(theirs) | set(retired)):
        mine, ref = table.get(type_id), theirs.get(type_id)
        if type_id in retired:
            status = "retired here" + (f", but gguf-py lists {ref}" if ref else ", absent from gguf-py: ok")
            problems += ref is not None
        elif mine is None:
            status = f"MISSING here: gguf-py has {ref}"
            problems += 1
        elif ref is None:
            status = f"not in this gguf-py: {mine}"
        elif mine == ref:
            status = f"ok {mine[0]} {mine[1]}"
        elif KNOWN_DIFFERENCES.get(mine[0]) == (mine[1], ref[1]) and mine[0] == ref[0]:
            status = f"known difference {mine[0]}: ours {mine[1]} (ggml), gguf-py {ref[1]}"
        else:
            status = f"DIFFERENT: ours {mine}, gguf-py {ref}"
            problems += 1
        print(f"{type_id:3} {status}")
    print(f"{problems} unexpected difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

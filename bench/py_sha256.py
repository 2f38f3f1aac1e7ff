#!/usr/bin/env python3
"""The Python way to check a download: huggingface_hub's own `sha_fileobj` (hashlib's SHA-256, OpenSSL's code,
1 MiB reads) over each file in turn, as huggingface_hub verifies files. Prints `HEX  NAME` lines: a SHA256SUMS
manifest, names relative to the files' folder.

    py_sha256.py FILE...
"""
import os
import sys

from huggingface_hub.utils.sha import sha_fileobj


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            print(f"{sha_fileobj(f).hex()}  {os.path.basename(path)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Seeds the fuzz corpora from the committed fixtures (corpora are not committed; see .gitignore).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/safetensors_header corpus/index_json corpus/gguf_header corpus/units
i=0
for f in $(find ../fixtures -name '*.safetensors' | sort); do cp "$f" "corpus/safetensors_header/seed-$i"; i=$((i+1)); done
i=0
for f in $(find ../fixtures -name '*.index.json' | sort); do cp "$f" "corpus/index_json/seed-$i"; i=$((i+1)); done
i=0
for f in $(find ../fixtures -name '*.gguf' | sort); do cp "$f" "corpus/gguf_header/seed-$i"; i=$((i+1)); done
# The units parser starts from the figures people write in rules.
for u in 8.1B 16GiB 5GB 512MiB 8,030,261,248 8_030_261_248 1e9 2.5e10 1.5M 405b; do printf '%s' "$u" > "corpus/units/seed-$u"; done

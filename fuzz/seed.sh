#!/usr/bin/env bash
# Seeds the fuzz corpora from the committed fixtures (corpora are not committed; see .gitignore).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/safetensors_header corpus/index_json corpus/gguf_header
i=0
for f in $(find ../fixtures -name '*.safetensors' | sort); do cp "$f" "corpus/safetensors_header/seed-$i"; i=$((i+1)); done
i=0
for f in $(find ../fixtures -name '*.index.json' | sort); do cp "$f" "corpus/index_json/seed-$i"; i=$((i+1)); done
i=0
for f in $(find ../fixtures -name '*.gguf' | sort); do cp "$f" "corpus/gguf_header/seed-$i"; i=$((i+1)); done

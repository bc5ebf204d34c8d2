#!/usr/bin/env bash
# Regenerates the committed test fixtures (tiny random-weight models of both contracts + golden data) bit-for-bit:
# fixed seeds, CPU, float32, one thread. Needs python3 with torch, numpy, onnx, safetensors (onnxruntime for the
# optional check). Usage: tools/export/make_fixtures.sh [OUT_DIR]   (default: tests/fixtures of this repository)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/tests/fixtures}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here"
python3 -m f5tts_export fixtures --out "$out"
(cd "$out" && find models golden checkpoints -type f | LC_ALL=C sort | xargs sha256sum) > "$out/SHA256SUMS"
echo "fixtures written to $out" >&2

#!/usr/bin/env bash
# Full-size F5TTS_v1_Base-dimension random-weight models for benchmarks (not committed: ~1.3 GB fp32 Transformer).
# Writes the random checkpoints in the official key layout and f5tts-batched/1 exports in fp32 and fp16.
# Usage: benchmarks/tools/make_benchmark_models.sh OUT_DIR [SEED]     (run where torch + onnx are installed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools/export" && pwd)"  # the exporter package
out="${1:?usage: make_benchmark_models.sh OUT_DIR [SEED]}"
seed="${2:-0}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here"
common=(--contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz --random-init --seed "$seed"
        --model-name "F5TTS_v1_Base-random-seed$seed" --max-frames 4096)
python3 -m f5tts_export export "${common[@]}" --save-checkpoint "$out/checkpoints" --precision fp32 \
  --out "$out/F5TTS_v1_Base-random-fp32"
python3 -m f5tts_export export "${common[@]}" --precision fp16 --out "$out/F5TTS_v1_Base-random-fp16"
du -sh "$out"/* >&2

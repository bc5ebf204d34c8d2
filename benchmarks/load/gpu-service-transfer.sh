#!/usr/bin/env bash
# Carries the real service to the GPU machine and runs benchmarks/load/gpu-service.sh there (docs/benchmarks.md "The
# service on the GPU"). A device call carries the repository (~35 MB) plus at most ~64 MiB in all, and the service
# bundle (self-contained publish of src/Api + ONNX Runtime's CUDA provider, ~90 MB) does not fit in two calls, so
# this splits it into numbered chunks sent one per call, back to back (the machine keeps files ~30 s between calls).
#   gpu-service-transfer.sh pack BUNDLE DEST [CHUNK_MB]   here: BUNDLE = the .gpu folder gpu-bundle.sh wrote for the
#                                                        src/Api publish; writes DEST/c0, DEST/c1, ... (CHUNK_MB 26)
#   gpu-service-transfer.sh stage DEST I                  GPU machine, call I, carrying DEST/cI (all but the last)
#   gpu-service-transfer.sh run DEST                      GPU machine, last call, carrying the last DEST/cI: assembles
#                                                        /opt/f5/app (+ libf5tts_ops.so built with CUDA) and
#                                                        /opt/f5/export, then runs gpu-service.sh (MODEL_ATTENTION).
set -euo pipefail
mode=${1:?usage: gpu-service-transfer.sh pack|stage|run ...}
repo=$(cd "$(dirname "$0")/../.." && pwd)
blob=/opt/f5/blob
case $mode in
pack)
  bundle=${2:?bundle}; dest=${3:?dest}; mb=${4:-26}
  rm -rf "$dest"; mkdir -p "$dest/work/ort-include"
  inc=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/microsoft.ml.onnxruntime.gpu.linux/*/buildTransitive/native/include | sort -V | tail -n 1)
  cp -r "$inc/." "$dest/work/ort-include/"
  (cd "$repo/tools" && tar --exclude=__pycache__ -cf - export) | tar -x -C "$dest/work"
  cp -r "$bundle" "$dest/work/gpu"
  tar -C "$dest/work" -cf "$dest/blob.tar" gpu export ort-include
  sha256sum "$dest/blob.tar" | cut -d' ' -f1 > "$dest/blob.sha256"
  split -b "${mb}M" -d -a 1 "$dest/blob.tar" "$dest/part."
  n=0
  for f in "$dest"/part.*; do mkdir -p "$dest/c$n"; mv "$f" "$dest/c$n/"; n=$((n + 1)); done
  cp "$dest/blob.sha256" "$dest/c$((n - 1))/"
  rm -rf "$dest/work" "$dest/blob.tar" "$dest/blob.sha256"
  du -sm "$dest"/c*
  echo "send c0 .. c$((n - 2)) with 'stage DEST I', then c$((n - 1)) with 'run DEST'"
  ;;
stage)
  dest=${2:?dest}; i=${3:?index}
  mkdir -p $blob && cp "$dest/c$i"/part.* $blob/
  echo "chunk $i staged ($(ls $blob | wc -l) parts on the machine)"
  ;;
run)
  dest=${2:?dest}
  last=$(ls -d "$dest"/c* | sort -V | tail -n 1)
  mkdir -p $blob && cp "$last"/part.* $blob/
  cat $(ls $blob/part.* | sort -V) > /opt/f5/blob.tar
  echo "$(cat "$last/blob.sha256")  /opt/f5/blob.tar" | sha256sum -c --quiet || { echo "chunks missing or stale: the machine went cold, start again at c0" >&2; exit 3; }
  rm -rf /opt/f5/x && mkdir -p /opt/f5/x /opt/f5/app && tar -C /opt/f5/x -xf /opt/f5/blob.tar
  (cd /opt/f5/x && sed "s#\.gpu/#gpu/#g" gpu/part1/unpack.sh | bash | sed "s/^/  /" && sed 's#\.gpu/#gpu/#g' gpu/part2/unpack.sh | bash | sed 's/^/  /')
  rm -rf /opt/f5/export && cp -r /opt/f5/x/export /opt/f5/export
  F5TTS_OPS_CUDA=1 F5TTS_OPS_ARCHS=90 bash "$repo/src/Native/F5Tts.Ops/build.sh" /opt/f5/app /opt/f5/x/ort-include | tail -n 1
  bash "$repo/benchmarks/load/gpu-service.sh"
  ;;
*)
  echo "unknown mode $mode" >&2; exit 2 ;;
esac

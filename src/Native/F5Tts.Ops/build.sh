#!/usr/bin/env bash
# Builds libf5tts_ops.so (the "f5tts.ops" custom-op domain, docs/custom-ops.md) into OUT_DIR.
#   build.sh OUT_DIR [ORT_INCLUDE_DIR]
# CPU kernels always; CUDA kernels too when nvcc is found (CUDA_HOME/bin or PATH) unless F5TTS_OPS_CUDA=0.
# ORT_INCLUDE_DIR defaults to the restored Microsoft.ML.OnnxRuntime.Gpu.Linux package's headers (only headers are
# needed: the library resolves ONNX Runtime's API at run time through the OrtApiBase it is handed).
# CUDA architectures: F5TTS_OPS_ARCHS (default "80;86;89;90", plus PTX of the last for newer cards).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR [ORT_INCLUDE_DIR]}
inc=${2:-}
if [[ -z $inc ]]; then
  inc=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/microsoft.ml.onnxruntime.gpu.linux/*/buildTransitive/native/include 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -f $inc/onnxruntime_cxx_api.h ]] || { echo "build.sh: ONNX Runtime headers not found (pass ORT_INCLUDE_DIR; restore the solution first)" >&2; exit 2; }
mkdir -p "$out"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
cxx=${CXX:-g++}
flags=(-std=c++17 -O3 -fPIC -fvisibility=hidden -Wall -Wextra -I "$inc")

nvcc=""
if [[ ${F5TTS_OPS_CUDA:-auto} != 0 ]]; then
  for c in "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" "$(command -v nvcc || true)"; do
    if [[ -n $c && -x $c ]]; then nvcc=$c; break; fi
  done
  if [[ ${F5TTS_OPS_CUDA:-auto} == 1 && -z $nvcc ]]; then echo "build.sh: F5TTS_OPS_CUDA=1 but nvcc not found" >&2; exit 2; fi
fi

if [[ -n $nvcc ]]; then
  archs=${F5TTS_OPS_ARCHS:-80;86;89;90}
  gencode=()
  for a in ${archs//;/ }; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
  last=${archs##*;}
  gencode+=(-gencode "arch=compute_$last,code=compute_$last")
  pids=()
  for cu in cuda blas; do  # the two CUDA files in parallel: nvcc is the slow part
    "$nvcc" -std=c++17 -O3 -Xcompiler -fPIC,-fvisibility=hidden "${gencode[@]}" -c "$here/f5tts_ops_$cu.cu" -o "$obj/$cu.o" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$cxx" "${flags[@]}" -DF5TTS_OPS_CUDA -c "$here/f5tts_ops.cc" -o "$obj/ops.o"
  cudalib=$(dirname "$(dirname "$nvcc")")/lib64
  "$cxx" -shared -o "$out/libf5tts_ops.so.tmp" "$obj/ops.o" "$obj/cuda.o" "$obj/blas.o" -L "$cudalib" -lcublasLt -lcublas -lcudart -Wl,-rpath,'$ORIGIN' -Wl,--as-needed
  echo "build.sh: built $out/libf5tts_ops.so (CPU + CUDA, sm ${archs})"
else
  "$cxx" "${flags[@]}" -c "$here/f5tts_ops.cc" -o "$obj/ops.o"
  "$cxx" -shared -o "$out/libf5tts_ops.so.tmp" "$obj/ops.o"
  echo "build.sh: built $out/libf5tts_ops.so (CPU only: no nvcc)"
fi
mv -f "$out/libf5tts_ops.so.tmp" "$out/libf5tts_ops.so"   # atomic: a running process never sees half a library

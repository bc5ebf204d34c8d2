# FP8 (E4M3) against fp16 for the four GEMMs of one DiT block: time per call and error against fp32, in one process
# Sourced by benchmarks/run.sh; needs nvcc and cuBLASLt (CUDA 12.9 or newer for per-row/per-channel scale vectors).
# benchmarks/tools/fp8_gemm_bench.cu explains the method. ROWS (default "1408 22528": 2 x batch x frames at B = 1
# and 16, N = 704). Writes fp8-gemm.md.
set +e
gpu_setup
nvcc=${CUDA_HOME:-/usr/local/cuda}/bin/nvcc
t=$SECONDS
"$nvcc" -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a "$repo/benchmarks/tools/fp8_gemm_bench.cu" -lcublasLt \
  -o "$out/fp8_gemm_bench" > "$out/fp8-build.log" 2>&1 || { echo "fp8 bench did not build"; tail -n 30 "$out/fp8-build.log"; }
echo "built in $((SECONDS - t)) s"
# shellcheck disable=SC2086  # ROWS splits on spaces
[ -x "$out/fp8_gemm_bench" ] && { echo "# FP8 GEMMs, $(date -u +%F), code $(git -C "$repo" log -1 --format=%h 2>/dev/null)";
  timeout 300 "$out/fp8_gemm_bench" ${ROWS:-1408 22528}; } > "$out/fp8-gemm.md" 2>&1
cat "$out/fp8-gemm.md"
rm -f "$out/fp8_gemm_bench"

# The closing GPU sitting of session 5 (docs/benchmarks.md "Results: time modulation table, constant tables, cohort
# waits"), sourced by `PLAN=tools/export/gpu_sitting_s5.sh run_gpu_bench.sh run` with libf5tts_ops.so built with CUDA
# beside the app, the exporter before this session in $dest/c3/export-old (`git archive bd51d8c tools/export`) and
# tools/engine-smoke staged in $root/smoke. About 7 minutes:
#   1. exports (random F5TTS_v1_Base, seed 0): f5ops fp16 now (+ the checkpoint for PyTorch) and before; fused and
#      f5ops fp32;
#   2. golden parity of the committed batched fixtures on CUDA and full-size fused vs f5ops fp32 (tools/engine-smoke);
#   3. F5Tts.GpuBench with CUDA graphs, before and now twice each, interleaved (E2E_ITERS 20); the PyTorch baseline;
#   4. the kernel profile of the step now.
set +e +o pipefail
t0=$SECONDS
standard_exports
run_smoke smoke tiny-v1-batched,tiny-v1-batched-fused,tiny-v1-batched-f5ops "$models/fused-fp32,$models/f5ops-fp32"
common+=(--e2e-iters "${E2E_ITERS:-20}")  # after run_gpu_bench.sh built common: the last value wins
bench_before_now "$models/f5ops0-fp16" "$models/f5ops-fp16"
pytorch_baseline
for f in csharp-f5ops-before-fp16-graphs csharp-f5ops-fp16-graphs; do grep -A5 "^## per stage" "$out/$f.log" | tail -3; done
profile_kernels "$models/f5ops-fp16"
grep -E "###" "$out/kernels.md"
finish_sitting
echo "sitting $((SECONDS - t0)) s"

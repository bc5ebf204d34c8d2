# The closing GPU sitting of the f5tts.ops work (docs/benchmarks.md), sourced by
# `PLAN=tools/export/gpu_sitting_final.sh run_gpu_bench.sh run` with libf5tts_ops.so built with CUDA beside the app,
# the previous exporter (f5ops without ConvPositionEmbedding / GemmBiasGelu) in $dest/c3/export-old and
# tools/engine-smoke staged in $root/smoke. About 9 minutes:
#   1. exports (random F5TTS_v1_Base, seed 0): f5ops fp16 now (+ the checkpoint for PyTorch) and before; fused and
#      f5ops fp32;
#   2. golden parity of tiny-v1-batched-f5ops on CUDA, full-size fused vs f5ops fp32 (tools/engine-smoke);
#   3. F5Tts.GpuBench with CUDA graphs: f5ops before; now with ONNX Runtime's attention choice and with
#      sdpa_kernel = 1 (its flash attention) and 2 (memory-efficient); the PyTorch baseline (bench_pytorch.py);
#   4. the kernel profile of the step now at batch 1 and 16.
set +e +o pipefail
t0=$SECONDS
standard_exports
run_smoke smoke-fp32 tiny-v1-batched-f5ops "$models/fused-fp32,$models/f5ops-fp32"
bench csharp-f5ops-before-fp16-graphs "$models/f5ops0-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs-sdpa1 "$models/f5ops-fp16" --cuda-graphs --sdpa-kernel 1
bench csharp-f5ops-fp16-graphs-sdpa2 "$models/f5ops-fp16" --cuda-graphs --sdpa-kernel 2
pytorch_baseline
profile_kernels "$models/f5ops-fp16"
grep -E "###|f5tts|ptrBatch|sdpa|gelubias" "$out/kernels.md" | head -24
finish_sitting
echo "sitting $((SECONDS - t0)) s"

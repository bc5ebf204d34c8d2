# The documented GPU sitting of issue #11 (docs/benchmarks.md), sourced by `run_gpu_bench.sh run` on the GPU machine
# with $out, $dest, $models, $card, bench() and export_model() defined and the app unpacked (about 6 minutes on an
# H100). Everything runs on the same models (random F5TTS_v1_Base weights, seed 0) and the same inputs:
#   1. exports: fp16 --attention fused (the default; also writes the random checkpoints the PyTorch baseline loads)
#      and fp16 --attention plain, side by side;
#   2. C# (F5Tts.GpuBench): fused with CUDA graphs (the service default on CUDA), fused without graphs, plain;
#   3. the PyTorch baseline (bench_pytorch.py: the exporter's own fp16 module eager, and an SDPA variant);
#   4. a kernel profile of the fused Transformer step at batch 1 and 16 (Nsight Compute, summarize_ncu.py);
#   5. results-final.jsonl (one JSON object per run), a comparison table, and logs.tar.xz.
set +e +o pipefail
t0=$SECONDS
export_model fused-fp16 fp16 fused --save-checkpoint "$models/checkpoints" & e1=$!
export_model plain-fp16 fp16 plain & e2=$!
wait $e1; r1=$?; wait $e2; r2=$?
echo "exports (fused rc $r1, plain rc $r2) in $((SECONDS - t0)) s"
bench csharp-fused-fp16-graphs "$models/fused-fp16" --cuda-graphs
bench csharp-fused-fp16 "$models/fused-fp16"
bench csharp-plain-fp16 "$models/plain-fp16"
pytorch_baseline
profile_kernels "$models/fused-fp16"
finish_sitting
echo "sitting $((SECONDS - t0)) s"

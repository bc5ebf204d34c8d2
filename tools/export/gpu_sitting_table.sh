# The time-table sitting (docs/benchmarks.md "Results: the time modulation table"), sourced by
# `PLAN=tools/export/gpu_sitting_table.sh run_gpu_bench.sh run` with libf5tts_ops.so built with CUDA beside the app,
# the exporter before the table in $dest/c3/export-old (`git archive bd51d8c tools/export`) and tools/engine-smoke
# staged in $root/smoke. About 8 minutes:
#   1. exports (random F5TTS_v1_Base, seed 0): f5ops fp16 now (+ the checkpoint for PyTorch) and before; fused and
#      f5ops fp32; the tiny f5ops fixture (fixtures.tar, into the working tree) and the exporter's f5ops tests on the
#      library's CPU kernels;
#   2. golden parity of the new tiny f5ops fixture on CUDA, full-size fused vs f5ops fp32 (tools/engine-smoke);
#   3. F5Tts.GpuBench with CUDA graphs: f5ops before (t input) and now (time table); the PyTorch baseline;
#   4. the kernel profile of the step now, when the sitting has time left.
set +e +o pipefail
lib=$root/app/libf5tts_ops.so
t0=$SECONDS
f5ops_fixture > "$out/fixture.log" 2>&1 & e5=$!
(cd "$dest/c3/export/tests" && F5TTS_OPS_LIB=$lib timeout 400 python3 -m unittest -v test_onnx_fused.F5OpsTests) \
  > "$out/pytests.log" 2>&1 & e6=$!
standard_exports
wait $e5; echo "fixture rc $?"
ls "$models/f5ops-fp16"
run_smoke smoke-fp32 tiny-v1-batched-f5ops "$models/fused-fp32,$models/f5ops-fp32"
bench csharp-f5ops-before-fp16-graphs "$models/f5ops0-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
pytorch_baseline
wait $e6
echo "pytests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' ')"
grep METRIC "$out/pytests.log"
if [ $((SECONDS - t0)) -lt 450 ]; then
  profile_kernels "$models/f5ops-fp16"
  grep -E "###|f5tts|badd|ptrBatch" "$out/kernels.md" | head -16
fi
finish_sitting
echo "sitting $((SECONDS - t0)) s"

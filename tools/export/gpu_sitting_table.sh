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
old="$(cd "$dest/c3/export-old" && pwd)"
repo=${REPO_ROOT:-$PWD}
lib=$root/app/libf5tts_ops.so
t0=$SECONDS
export_model f5ops-fp16 fp16 f5ops --save-checkpoint "$models/checkpoints" & e1=$!
(cd "$old" && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz \
  --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 --precision fp16 --attention f5ops \
  --out "$models/f5ops0-fp16") > "$out/export-f5ops0-fp16.log" 2>&1 & e2=$!
export_model fused-fp32 fp32 fused & e3=$!
export_model f5ops-fp32 fp32 f5ops & e4=$!
f5ops_fixture > "$out/fixture.log" 2>&1 & e5=$!
(cd "$dest/c3/export/tests" && F5TTS_OPS_LIB=$lib timeout 400 python3 -m unittest -v test_onnx_fused.F5OpsTests) \
  > "$out/pytests.log" 2>&1 & e6=$!
wait $e1; r1=$?; wait $e2; r2=$?; wait $e3; r3=$?; wait $e4; r4=$?; wait $e5; r5=$?
echo "exports (fp16 f5ops rc $r1, before rc $r2; fp32 fused rc $r3, f5ops rc $r4; fixture rc $r5) in $((SECONDS - t0)) s"
ls "$models/f5ops-fp16"
smoke=$root/app/F5Tts.EngineSmoke
if [ -x $root/smoke/F5Tts.EngineSmoke ]; then smoke=$root/smoke/F5Tts.EngineSmoke; cp "$lib" $root/smoke/; fi
t=$SECONDS
timeout 240 $smoke "$repo/tests/fixtures" "$models/fused-fp32,$models/f5ops-fp32" CUDA,CPU tiny-v1-batched-f5ops \
  > "$out/smoke-fp32.log" 2>&1
echo "smoke rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/smoke-fp32.log") PASS, $(grep -c FAIL "$out/smoke-fp32.log") FAIL"
grep -E "FAIL|compare|SMOKE|Unhandled|time table|Time modulation" "$out/smoke-fp32.log" | head -20
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

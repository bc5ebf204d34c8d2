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
wait $e1; r1=$?; wait $e2; r2=$?; wait $e3; r3=$?; wait $e4; r4=$?
echo "exports (fp16 f5ops rc $r1, before rc $r2; fp32 fused rc $r3, f5ops rc $r4) in $((SECONDS - t0)) s"
smoke=$root/app/F5Tts.EngineSmoke
if [ -x $root/smoke/F5Tts.EngineSmoke ]; then smoke=$root/smoke/F5Tts.EngineSmoke; cp "$lib" $root/smoke/; fi
t=$SECONDS
timeout 240 $smoke "$repo/tests/fixtures" "$models/fused-fp32,$models/f5ops-fp32" CUDA,CPU \
  tiny-v1-batched,tiny-v1-batched-fused,tiny-v1-batched-f5ops > "$out/smoke.log" 2>&1
echo "smoke rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/smoke.log") PASS"
grep -E "FAIL |compare|SMOKE|Unhandled" "$out/smoke.log" | head -20
common+=(--e2e-iters "${E2E_ITERS:-20}")  # after run_gpu_bench.sh built common: the last value wins
bench csharp-f5ops-before-fp16-graphs "$models/f5ops0-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-before-fp16-graphs-2 "$models/f5ops0-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs-2 "$models/f5ops-fp16" --cuda-graphs
pytorch_baseline
for f in csharp-f5ops-before-fp16-graphs csharp-f5ops-fp16-graphs; do grep -A5 "^## per stage" "$out/$f.log" | tail -3; done
profile_kernels "$models/f5ops-fp16"
grep -E "###" "$out/kernels.md"
finish_sitting
echo "sitting $((SECONDS - t0)) s"

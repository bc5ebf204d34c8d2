# GPU sitting for the f5tts.ops custom-op library (issue #11, docs/benchmarks.md "f5tts.ops"), sourced by
# `PLAN=tools/export/gpu_sitting_f5ops.sh run_gpu_bench.sh run` with the app unpacked and libf5tts_ops.so built with
# CUDA beside it. About 8 minutes on an H100:
#   1. exporter tests of --attention f5ops on the library's CPU kernels, and the tiny f5ops fixture (fixtures.tar);
#   2. full-size exports (random F5TTS_v1_Base, seed 0): fp16 fused and fp16 f5ops;
#   3. golden parity of tiny-v1-batched-fused and tiny-v1-batched-f5ops on CUDA, exact shapes and CUDA graphs, and the
#      full-size fused vs f5ops comparison (tools/engine-smoke);
#   4. F5Tts.GpuBench: fused + CUDA graphs (the previous default) and f5ops with and without CUDA graphs;
#   5. a kernel profile of the f5ops step at batch 1 and 16 (Nsight Compute);
#   6. results-final.jsonl, summary.md, kernels.md, logs.tar.xz.
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
repo=${REPO_ROOT:-$PWD}
lib=$root/app/libf5tts_ops.so
t0=$SECONDS
# CHECKS=0: timings only (the fp16 exports, GpuBench, the kernel profile), for a rerun after the checks passed.
if [ "${CHECKS:-1}" = 0 ]; then
  export_model fused-fp16 fp16 fused --save-checkpoint "$models/checkpoints" & e1=$!
  export_model f5ops-fp16 fp16 f5ops & e2=$!
  wait $e1; wait $e2
  echo "exports in $((SECONDS - t0)) s"
else
export_model fused-fp16 fp16 fused & e1=$!
export_model f5ops-fp16 fp16 f5ops & e2=$!
export_model fused-fp32 fp32 fused & e5=$!
export_model f5ops-fp32 fp32 f5ops & e6=$!
f5ops_fixture > "$out/fixture.log" 2>&1 & e3=$!
(cd "$ex/tests" && F5TTS_OPS_LIB=$lib timeout 400 python3 -m unittest -v test_onnx_fused) > "$out/pytests.log" 2>&1 & e4=$!
wait $e1; r1=$?; wait $e2; r2=$?; wait $e3; r3=$?; wait $e5; r5=$?; wait $e6; r6=$?
echo "exports (fp16 fused rc $r1, f5ops rc $r2; fp32 fused rc $r5, f5ops rc $r6; fixture rc $r3) in $((SECONDS - t0)) s"
t=$SECONDS
# tools/engine-smoke: beside the app, or (trimmed, its own folder) in $root/smoke, staged by an extra call that carries
# its tar (`mkdir -p /opt/f5/smoke && tar -xJf DIR/smoke.tar.xz -C /opt/f5/smoke`); it needs the CUDA build of the ops.
smoke=$root/app/F5Tts.EngineSmoke
if [ -x $root/smoke/F5Tts.EngineSmoke ]; then smoke=$root/smoke/F5Tts.EngineSmoke; cp "$lib" $root/smoke/; fi
timeout 240 $smoke "$repo/tests/fixtures" "$models/fused-fp16,$models/f5ops-fp16" CUDA,CPU \
  tiny-v1-batched-fused,tiny-v1-batched-f5ops > "$out/smoke.log" 2>&1
echo "smoke rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/smoke.log") PASS, $(grep -c FAIL "$out/smoke.log") FAIL"
grep -E "FAIL|compare|SMOKE|Unhandled" "$out/smoke.log" | head -20
t=$SECONDS
timeout 200 $smoke "$repo/tests/fixtures" "$models/fused-fp32,$models/f5ops-fp32" CUDA,CPU \
  tiny-v1-batched-f5ops > "$out/smoke-fp32.log" 2>&1
echo "smoke fp32 rc $? in $((SECONDS - t)) s"
grep -E "FAIL|compare|SMOKE|Unhandled" "$out/smoke-fp32.log" | head -20
fi
bench csharp-fused-fp16-graphs "$models/fused-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
bench csharp-f5ops-fp16 "$models/f5ops-fp16"
[ "${CHECKS:-1}" = 0 ] && pytorch_baseline  # the PyTorch baseline on the same card
[ "${CHECKS:-1}" = 0 ] || { wait $e4
echo "pytests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' ')"
grep METRIC "$out/pytests.log"; }
profile_kernels "$models/f5ops-fp16"
finish_sitting
echo "sitting $((SECONDS - t0)) s"

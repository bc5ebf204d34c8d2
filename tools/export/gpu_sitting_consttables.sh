# The constant-tables sitting (docs/benchmarks.md "Results: the time modulation table and constant tables"), sourced by
# `PLAN=tools/export/gpu_sitting_consttables.sh run_gpu_bench.sh run` with libf5tts_ops.so built with CUDA beside the
# app, the exporter before this session's work in $dest/c3/export-old (`git archive bd51d8c tools/export`) and
# tools/engine-smoke staged in $root/smoke. About 7 minutes:
#   1. all fixtures regenerated with this exporter (the batched Preprocess and Decode graphs change; the golden data and
#      checkpoints must come out byte-identical: fixture-sha.txt) into the working tree and fixtures.tar; the
#      exporter's test suite on the library's CPU kernels;
#   2. exports (random F5TTS_v1_Base, seed 0): f5ops fp16 now (+ the checkpoint for PyTorch) and before;
#   3. golden parity of the regenerated batched fixtures on CUDA (tools/engine-smoke);
#   4. F5Tts.GpuBench with CUDA graphs, before and now twice each, interleaved (E2E_ITERS 20); the PyTorch baseline.
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
repo=${REPO_ROOT:-$PWD}
lib=$root/app/libf5tts_ops.so
t0=$SECONDS
fx=$(mktemp -d)
(cd "$ex" && python3 -m f5tts_export fixtures --out "$fx") > "$out/fixtures.log" 2>&1 & e1=$!
export_model f5ops-fp16 fp16 f5ops --save-checkpoint "$models/checkpoints" & e2=$!
export_previous f5ops0-fp16 & e3=$!
(cd "$ex/tests" && F5TTS_OPS_LIB=$lib timeout 420 python3 -m unittest test_onnx_batched test_onnx_fused test_onnx_dakeqq \
  test_frontend test_sampler test_checkpoint test_model test_cli) > "$out/pytests.log" 2>&1 & e4=$!
wait $e1; r1=$?
(cd "$fx" && find models golden checkpoints -type f | LC_ALL=C sort | xargs sha256sum) > "$out/fixture-sha.txt"
(cd "$fx" && tar -cf "$out/fixtures.tar" models/tiny-v1-batched*) && tar -C "$repo/tests/fixtures" -xf "$out/fixtures.tar"
(cd "$ex/tests" && F5_FIXTURES="$repo/tests/fixtures" timeout 300 python3 -m unittest test_fixtures) > "$out/pytests-fixtures.log" 2>&1 & e5=$!
wait $e2; r2=$?; wait $e3; r3=$?
echo "fixtures rc $r1, exports (now rc $r2, before rc $r3) in $((SECONDS - t0)) s"
run_smoke smoke tiny-v1-batched,tiny-v1-batched-fused,tiny-v1-batched-f5ops
common+=(--e2e-iters "${E2E_ITERS:-20}")  # after run_gpu_bench.sh built common: the last value wins
bench_before_now "$models/f5ops0-fp16" "$models/f5ops-fp16"
pytorch_baseline
wait $e4; wait $e5
echo "pytests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' '); fixtures: $(tail -n 3 "$out/pytests-fixtures.log" | tr '\n' ' ')"
grep -E "FAIL|ERROR" "$out/pytests.log" "$out/pytests-fixtures.log" | head -10
grep -h "METRIC.*\(nodes_after_load\|preprocess\|fixture_batched\)" "$out/pytests.log" "$out/pytests-fixtures.log" | head -20
for f in csharp-f5ops-before-fp16-graphs csharp-f5ops-fp16-graphs; do grep -A4 "^## per stage" "$out/$f.log" | tail -3; done
finish_sitting
echo "sitting $((SECONDS - t0)) s"

# GPU sitting for the cuBLAS-based f5tts.ops kernels (ConvPositionEmbedding, GemmBiasGelu; docs/benchmarks.md), sourced
# by `PLAN=tools/export/gpu_sitting_blas.sh run_gpu_bench.sh run` with libf5tts_ops.so built with CUDA beside the app.
# Needs the previous exporter (the f5ops export without these two ops) in $dest/c3/export-old for the same-sitting
# baseline, and tools/engine-smoke staged in $root/smoke. About 8 minutes on an H200:
#   1. exports (random F5TTS_v1_Base, seed 0): f5ops fp16 now and before; fused and f5ops fp32;
#      the tiny f5ops fixture regenerated (fixtures.tar); the exporter's f5ops tests on the library's CPU kernels;
#   2. golden parity of tiny-v1-batched-f5ops on CUDA (exact shapes and CUDA graphs), full-size comparisons:
#      fused vs f5ops fp32 (the new kernels against ONNX Runtime's Conv/MatMul/FastGelu), f5ops before vs now fp16;
#   3. F5Tts.GpuBench with CUDA graphs: f5ops before and now; the kernel profile of the step now at batch 1 and 16.
set +e +o pipefail
ex="$(cd "$dest/c3/export" && pwd)"
old="$(cd "$dest/c3/export-old" && pwd)"
repo=${REPO_ROOT:-$PWD}
lib=$root/app/libf5tts_ops.so
t0=$SECONDS
export_model f5ops-fp16 fp16 f5ops & e1=$!
(cd "$old" && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz \
  --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 --precision fp16 --attention f5ops \
  --out "$models/f5ops0-fp16") > "$out/export-f5ops0-fp16.log" 2>&1 & e2=$!
export_model fused-fp32 fp32 fused & e3=$!
export_model f5ops-fp32 fp32 f5ops & e4=$!
(
  fx=$(mktemp -d)
  cd "$ex" && python3 - "$fx" <<'PY'
import sys
from pathlib import Path
from f5tts_export import fixtures
root = Path(sys.argv[1])
dit, vocos = fixtures.build_models(root)
fixtures.make_f5ops(dit, vocos, root / "models")
PY
  tar -C "$fx/models" -cf "$out/fixtures.tar" tiny-v1-batched-f5ops && mkdir -p "$repo/tests/fixtures/models" \
    && tar -C "$repo/tests/fixtures/models" -xf "$out/fixtures.tar"
) > "$out/fixture.log" 2>&1 & e5=$!
(cd "$ex/tests" && F5TTS_OPS_LIB=$lib timeout 400 python3 -m unittest -v test_onnx_fused) > "$out/pytests.log" 2>&1 & e6=$!
wait $e1; r1=$?; wait $e2; r2=$?; wait $e3; r3=$?; wait $e4; r4=$?; wait $e5; r5=$?
echo "exports (fp16 f5ops rc $r1, before rc $r2; fp32 fused rc $r3, f5ops rc $r4; fixture rc $r5) in $((SECONDS - t0)) s"
smoke=$root/app/F5Tts.EngineSmoke
if [ -x $root/smoke/F5Tts.EngineSmoke ]; then smoke=$root/smoke/F5Tts.EngineSmoke; cp "$lib" $root/smoke/; fi
t=$SECONDS
timeout 240 $smoke "$repo/tests/fixtures" "$models/fused-fp32,$models/f5ops-fp32" CUDA,CPU tiny-v1-batched-f5ops \
  > "$out/smoke-fp32.log" 2>&1
echo "smoke fp32 rc $? in $((SECONDS - t)) s: $(grep -c PASS "$out/smoke-fp32.log") PASS, $(grep -c FAIL "$out/smoke-fp32.log") FAIL"
grep -E "FAIL|compare|SMOKE|Unhandled|rror" "$out/smoke-fp32.log" | head -20
t=$SECONDS
timeout 200 $smoke "$repo/tests/fixtures" "$models/f5ops0-fp16,$models/f5ops-fp16" CUDA,CPU tiny-v1-batched-f5ops \
  > "$out/smoke-fp16.log" 2>&1
echo "smoke fp16 rc $? in $((SECONDS - t)) s"
grep -E "FAIL|compare|Unhandled|rror" "$out/smoke-fp16.log" | head -20
bench csharp-f5ops-before-fp16-graphs "$models/f5ops0-fp16" --cuda-graphs
bench csharp-f5ops-fp16-graphs "$models/f5ops-fp16" --cuda-graphs
wait $e6
echo "pytests: $(tail -n 3 "$out/pytests.log" | tr '\n' ' ')"
grep METRIC "$out/pytests.log"
if [ -x /usr/local/cuda/bin/ncu ]; then
  for b in 1 16; do
    timeout 100 /usr/local/cuda/bin/ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --page raw \
      $root/app/F5Tts.GpuBench --model "$models/f5ops-fp16" --providers CUDA,CPU --frames 680 --profile-batch $b \
      > "$out/ncu-b$b.csv" 2>/dev/null
  done
  python3 "$ex/summarize_ncu.py" "$out" > "$out/kernels.md" 2>&1
  head -30 "$out/kernels.md"
fi
cd "$out" || exit 1
sed -n 's/^GPUBENCH_JSON //p' csharp-*.log > results-final.jsonl
python3 "$ex/compare_runs.py" results-final.jsonl | tee summary.md
tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.csv 2>/dev/null)
echo "sitting $((SECONDS - t0)) s"

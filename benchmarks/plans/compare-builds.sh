# Two .NET builds on one export and one card, in one call: 32-step end-to-end latency and service throughput, ratios
# Sourced by benchmarks/run.sh. Needs the apps `api-before` and `api` (the two builds of src/Api), and for the engine
# harness too `gpubench-before` and `gpubench` (optional: the harness part is skipped without them); each app runs with
# libf5tts_ops.so built from its own commit's sources (bundle.sh app --ops). The exact procedure that carries them is
# in benchmarks/README.md, "compare-builds". Per round, before then after (rounds interleave, so drift of the card or
# host shows as spread, not as a difference):
#   * GpuBench with CUDA graphs, the test sentence with a 3 s reference, N = 680: 32 and 16 steps end to end
#     (E2E_ITERS timed runs) and the step at B = 1;
#   * the real service (shipped configuration): SINGLE single requests at 32 and at 16 steps, then CLIENTS closed-loop
#     clients at 16 steps for LOAD_SECONDS.
# Then compare.md (benchmarks/tools/compare_builds.py): medians, after / before, and PASS when no judged measure is
# more than TOLERANCE % worse. Knobs: ROUNDS (2), SINGLE (20), CLIENTS (16), LOAD_SECONDS (20), E2E_ITERS (20),
# MODEL_ATTENTION (f5ops), TOLERANCE (3), TIME_BUDGET (480 s: no new round starts after it).
set +e
gpu_setup
t0=$SECONDS
export_model model-fp16 fp16 "${MODEL_ATTENTION:-f5ops}"
echo "export rc $? in $((SECONDS - t0)) s"
[ -f "$models/model-fp16/F5_Transformer.onnx" ] || { echo "export failed"; tail -n 20 "$out/export-model-fp16.log"; exit 1; }
engine=0
[ -x "$root/apps/gpubench/F5Tts.GpuBench" ] && [ -x "$root/apps/gpubench-before/F5Tts.GpuBench" ] && engine=1
for r in $(seq 1 "${ROUNDS:-2}"); do
  if [ $r -gt 1 ] && [ $((SECONDS - t0)) -gt "${TIME_BUDGET:-480}" ]; then echo "time budget spent: round $r skipped"; break; fi
  for b in before after; do
    suffix=$([ $b = before ] && echo -before)
    if [ $engine = 1 ]; then
      GPUBENCH=gpubench$suffix bench csharp-$b-r$r "$models/model-fp16" --cuda-graphs --batches 1,16 --batch-iters 2
      grep -A4 "^## end to end" "$out/csharp-$b-r$r.log" | sed "s/^/$b r$r: /"
    fi
    start_service api$suffix "$models/model-fp16" "$out/service-$b-r$r.log" || continue
    service_load "$out/service-$b-r$r.json" --steps 32,16 --single "${SINGLE:-20}" --clients "${CLIENTS:-16}" \
      --seconds "${LOAD_SECONDS:-20}" | sed "s/^/$b r$r: /"
    stop_service "$out/service-$b-r$r.log"
  done
done
python3 "$repo/benchmarks/tools/compare_builds.py" "$out" --tolerance "${TOLERANCE:-3}" | tee "$out/compare.md"
(cd "$out" && python3 -c 'import glob, json, sys; json.dump({f[:-5]: json.load(open(f)) for f in sorted(glob.glob("service-*.json"))}, sys.stdout, indent=1)' > services.json; sed -n 's/^GPUBENCH_JSON //p' csharp-*.log > results-final.jsonl 2>/dev/null
  tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err ./*.metrics.txt ./service-*.json 2>/dev/null) 2>/dev/null)

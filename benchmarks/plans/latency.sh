# Engine latency and batch throughput: GpuBench on the f5ops fp16 export, with and without CUDA graphs
# Sourced by benchmarks/run.sh; needs the app `gpubench`. The test sentence with a 3 s reference, N = 680: per stage,
# 32 and 16 steps end to end (E2E_ITERS, default 20), batch throughput at BATCHES; ROUNDS (default 2) repeats of the
# CUDA-graph configuration, interleaved with the others. VARIANTS="LABEL:ARGS;..." adds GpuBench configurations of
# the same export (e.g. "sdpa1:--cuda-graphs --sdpa-kernel 1"); MODEL_ATTENTION picks the export (f5ops, fused, plain).
# Writes results-final.jsonl, summary.md (benchmarks/tools/compare_runs.py) and logs.tar.xz.
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
for r in $(seq 1 "${ROUNDS:-2}"); do
  sfx=$([ $r = 1 ] || echo "-$r")
  bench csharp-$att-fp16-graphs$sfx "$models/$att-fp16" --cuda-graphs
  [ $r = 1 ] && bench csharp-$att-fp16 "$models/$att-fp16"
done
IFS=';' read -r -a variants <<< "${VARIANTS:-}"
for v in "${variants[@]}"; do
  [ -n "$v" ] || continue
  # shellcheck disable=SC2086  # the variant's arguments split on spaces
  bench "csharp-$att-fp16-${v%%:*}" "$models/$att-fp16" ${v#*:}
done
finish

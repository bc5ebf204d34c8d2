# The streamed-load hang's engine calls without the service: GpuBench --lanes-repro per configuration
# Sourced by benchmarks/run.sh; needs the app `gpubench`. For each "LABEL:ARGS" of REPRO_VARIANTS (default
# "graphs:--cuda-graphs;prep4:--cuda-graphs --repro-prepare-threads 4": the pattern, and the same with each new batch
# prepared four calls at once as the service prepares a cohort; `--repro-precapture` is the control with every graph
# captured first, which on ONNX Runtime 1.31 hung too) one GpuBench process runs the two-lane call pattern
# (benchmarks/F5Tts.GpuBench/LanesRepro.cs) for REPRO_SECONDS (120) on the f5ops fp16 export, and reports either
# "LANES_REPRO done" or "LANES_REPRO hang: <the call>" (exit 6). CUDNN=torch (any plan, lib/gpu.sh) puts the cuDNN
# inside PyTorch's wheels first on the library path instead of the system's (another cuDNN 9 release).
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
IFS=';' read -r -a variants <<< "${REPRO_VARIANTS:-graphs:--cuda-graphs;prep4:--cuda-graphs --repro-prepare-threads 4}"
for v in "${variants[@]}"; do
  [ -n "$v" ] || continue
  # shellcheck disable=SC2086  # the variant's arguments split on spaces
  BENCH_TIMEOUT=$(( ${REPRO_SECONDS:-120} + 120 )) BATCHES=16 bench "repro-${v%%:*}" "$models/$att-fp16" ${v#*:} \
    --lanes-repro "${REPRO_SECONDS:-120}" --repro-stall "${REPRO_STALL:-20}"
  grep -h "LANES_REPRO" "$out/repro-${v%%:*}.log"
done
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.err 2>/dev/null) 2>/dev/null)

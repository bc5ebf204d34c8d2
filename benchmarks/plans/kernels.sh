# Kernel profile of one Transformer step at batch 1 and 16 (Nsight Compute): time per kernel name, kernels.md
# Sourced by benchmarks/run.sh; needs the app `gpubench` and ncu on the machine. MODEL_ATTENTION picks the export
# (default f5ops); GPUBENCH_ARGS adds GpuBench options to the profiled run (e.g. "--sdpa-kernel 1").
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
# shellcheck disable=SC2086
profile_kernels "$models/$att-fp16" ${GPUBENCH_ARGS:-}
grep -E "^###|total" "$out/kernels.md" | head -20
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.csv 2>/dev/null) 2>/dev/null)

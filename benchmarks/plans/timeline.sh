# One lone request end to end under Nsight Systems: how long the GPU is busy against the host's time, and where it idles
# Sourced by benchmarks/run.sh; needs the app `gpubench` and nsys on the machine. GpuBench --profile-request STEPS
# (default 16) on the fp16 export (MODEL_ATTENTION, default f5ops) with CUDA graphs at FRAMES frames (default 600:
# the realtime paragraph's first chunk with the 3 s voice), under nsys with the cudaProfilerApi capture range and CUDA
# graphs traced per node; then tools/summarize_nsys.py writes timeline.md (busy and idle time, the gaps grouped by
# the kernels around them, the copies). GPUBENCH_ARGS adds GpuBench options.
set +e
gpu_setup
nsys=$(command -v nsys || ls /usr/local/cuda*/bin/nsys /opt/nvidia/nsight-systems*/bin/nsys /opt/nvidia/nsight-systems*/*/bin/nsys 2>/dev/null | head -n 1)
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
exe=$(app "${GPUBENCH:-gpubench}" F5Tts.GpuBench) || exit 4
if [ -z "$nsys" ] || [ ! -x "$nsys" ]; then # no Nsight Systems: each call's host time only (GpuBench's laps)
  echo "no nsys on this machine: host times only" >&2
  # shellcheck disable=SC2086
  in_app "${GPUBENCH:-gpubench}" timeout 300 "$exe" --model "$models/$att-fp16" --providers CUDA,CPU --require-gpu --cuda-graphs \
    --frames "${FRAMES:-600}" --profile-request "${STEPS:-16}" ${GPUBENCH_ARGS:-} > "$out/request.log" 2>&1
  echo "gpubench rc $?"; grep -E "one request|PROFILE_REQUEST" "$out/request.log"
  exit 0
fi
# shellcheck disable=SC2086  # GPUBENCH_ARGS splits on spaces
in_app "${GPUBENCH:-gpubench}" timeout 300 "$nsys" profile --capture-range=cudaProfilerApi --capture-range-end=stop \
  --trace=cuda --cuda-graph-trace=node --sample=none --cpuctxsw=none --force-overwrite=true -o "$out/request" \
  "$exe" --model "$models/$att-fp16" --providers CUDA,CPU --require-gpu --cuda-graphs --frames "${FRAMES:-600}" \
  --profile-request "${STEPS:-16}" ${GPUBENCH_ARGS:-} > "$out/request.log" 2>&1
echo "nsys rc $?"
"$nsys" export --type sqlite --force-overwrite true -o "$out/request.sqlite" "$out/request.nsys-rep" > "$out/export.log" 2>&1
python3 "$repo/benchmarks/tools/summarize_nsys.py" "$out/request.sqlite" "$out/request.log" > "$out/timeline.md" 2>&1
head -n 40 "$out/timeline.md"
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.nsys-rep ./*.sqlite 2>/dev/null) 2>/dev/null)

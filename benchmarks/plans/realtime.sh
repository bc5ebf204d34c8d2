# Time to first audio of streamed speech (HTTP streaming and the WebSocket route) for 1 and CLIENTS streams, and their throughput against the non-streaming plateau
# Sourced by benchmarks/run.sh; needs the app `api`. F5Tts.Api with its shipped configuration on the fp16 export
# (MODEL_ATTENTION, default f5ops), the 3 s voice `ref3s`, a ≈ 20 s mixed Chinese/English paragraph, 16 steps, pcm,
# loopback (benchmarks/tools/realtime_load.py). Goals: one client p50 ≤ 40 ms on both routes;
# 16 streams p95 ≤ 150 ms with throughput within 10 % of the whole-response plateau. Knobs:
#   CLIENTS (default 16), LOAD_SECONDS (30), SINGLE (20), STEPS (16), TOKEN_MS (0: the paragraph in one message;
#   N: the WebSocket client sends it word by word N ms apart), STAGGER (1: each streamed load also with the clients'
#   first streams spread over one stream's time instead of started together; realtime_load.py --stagger), APP (default api: another bundled build, e.g. api-before),
#   HARNESS_TIMEOUT (360 s, inside one device call's 600 s limit; past it the service's thread stacks go to hang-LABEL.dmp.crashreport.json, the GPU's
#   utilisation to hang-LABEL.gpu.txt and cuda-gdb's kernels to hang-LABEL.cuda-gdb.txt), OVERRIDES and
#   LABEL (below).
# Writes realtime-LABEL.json, the service log and /metrics excerpts in logs.tar.xz.
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
# One service run; OVERRIDES="KEY=VALUE,..." configures it (e.g. F5Tts__Batching__CohortHoldFraction=0).
IFS=',' read -r -a overrides <<< "${OVERRIDES:-}"
label=${LABEL:-default}
echo "== realtime run $label (app ${APP:-api}) ${overrides[*]}"
if start_service "${APP:-api}" "$models/$att-fp16" "$out/realtime-$label.log" "${overrides[@]}"; then
  timeout "${HARNESS_TIMEOUT:-360}" python3 "$repo/benchmarks/tools/realtime_load.py" --url "$svc_url" --out "$out/realtime-$label.json" \
    --steps "${STEPS:-16}" --single "${SINGLE:-20}" --clients "${CLIENTS:-16}" --seconds "${LOAD_SECONDS:-30}" \
    --token-ms "${TOKEN_MS:-0}" $([ "${STAGGER:-0}" = 1 ] && echo --stagger)
  if [ $? = 124 ]; then # the service stopped answering: what the GPU does, every thread's managed stack
    # (createdump's crash report) and the kernels resident on the device (cuda-gdb), then the process is killed (a
    # worker stuck in a synchronise would hold a graceful stop)
    for i in 1 2 3; do nvidia-smi --query-gpu=utilization.gpu,memory.used,power.draw --format=csv,noheader; sleep 1; done \
      > "$out/hang-$label.gpu.txt" 2>&1
    "$root/apps/${APP:-api}/createdump" --crashreportonly -f "$out/hang-$label.dmp" "$svc_pid"
    gdb=$(command -v cuda-gdb || ls /usr/local/cuda*/bin/cuda-gdb 2>/dev/null | head -n 1)
    [ -n "$gdb" ] && timeout "${GDB_TIMEOUT:-150}" "$gdb" -batch -p "$svc_pid" -ex "info cuda kernels" -ex "info cuda blocks" \
      -ex "thread apply all bt 12" > "$out/hang-$label.cuda-gdb.txt" 2>&1
    kill -KILL "$svc_pid"
  fi
  curl -s "$svc_url/metrics" | grep -E '^f5tts_time_to_first_audio_seconds_(sum|count)|^f5tts_realtime' > "$out/realtime-$label.ttfa.metrics.txt"
  stop_service "$out/realtime-$label.log"
fi
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.metrics.txt 2>/dev/null) 2>/dev/null)

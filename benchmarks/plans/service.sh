# The real service on the GPU: one request at 32 and 16 steps, then closed-loop concurrent clients at 16 steps
# Sourced by benchmarks/run.sh; needs the app `api`. F5Tts.Api with its shipped configuration on the fp16 export
# (MODEL_ATTENTION, default f5ops), the 3 s voice `ref3s` (the first 3.0 s of the built-in reference, with the words
# spoken in them), the test sentence, `format: pcm`, loopback HTTP (benchmarks/tools/service_load.py). Knobs:
#   CLIENTS="16,32,64"   concurrent client counts (default 16), LOAD_SECONDS (25), SINGLE (10 timed requests);
#   SERVICE_RUNS="LABEL[:KEY=VALUE,...] ..."  one service run per label with those configuration overrides, e.g.
#                        "default wait10:F5Tts__Batching__MaxWaitMilliseconds=10" (default: "default").
# Writes service-LABEL.json (one per run), their logs and /metrics excerpts in logs.tar.xz.
set +e
gpu_setup
att=${MODEL_ATTENTION:-f5ops}
t=$SECONDS; export_model $att-fp16 fp16 $att; echo "export rc $? in $((SECONDS - t)) s"
for spec in ${SERVICE_RUNS:-default}; do
  label=${spec%%:*}; overrides=()
  if [[ $spec == *:* ]]; then IFS=',' read -r -a overrides <<< "${spec#*:}"; fi
  echo "== service run $label ${overrides[*]}"
  start_service api "$models/$att-fp16" "$out/service-$label.log" "${overrides[@]}" || continue
  curl -s "$svc_url/v1/models" | head -c 600; echo
  service_load "$out/service-$label.json" --steps 32,16 --single "${SINGLE:-10}" --clients "${CLIENTS:-16}" \
    --seconds "${LOAD_SECONDS:-25}"
  stop_service "$out/service-$label.log"
done
(cd "$out" && tar -cJf logs.tar.xz --remove-files $(ls ./*.log ./*.metrics.txt 2>/dev/null) 2>/dev/null)

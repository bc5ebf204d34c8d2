# Helpers of the service plans, sourced by benchmarks/run.sh: the real F5Tts.Api process (an app unpacked by
# benchmarks/transfer/bundle.sh) with its shipped configuration, on loopback, and the 3 s reference voice.

svc_url=http://127.0.0.1:${SERVICE_PORT:-8080}

make_ref3s() { # f5-ref3s.wav in $TMPDIR: the first 3.0 s of the built-in reference voice (its words are the transcript below)
  python3 - "$repo/voices/default/reference.wav" "${TMPDIR:-/tmp}/f5-ref3s.wav" <<'PY'
import sys, wave
src = wave.open(sys.argv[1])
dst = wave.open(sys.argv[2], "wb")
dst.setparams(src.getparams())
dst.writeframes(src.readframes(int(3.0 * src.getframerate())))
dst.close()
PY
}

start_service() { # APP MODEL_DIR LOG [KEY=VALUE...]: starts F5Tts.Api, waits for /health/ready, uploads voice ref3s
  local name=$1 model=$2 log=$3 exe i t=$SECONDS; shift 3
  exe=$(app "$name" F5Tts.Api) || exit 4
  svc_voices=$(mktemp -d)
  # a plain command (no function, no subshell) so that $! is the service itself and SIGTERM reaches it
  env LD_LIBRARY_PATH="$root/apps/$name:$ld_base" F5Tts__Model__Directory="$model" F5Tts__Voices__Directory="$svc_voices" \
    Urls="$svc_url" "$@" "$exe" --contentRoot "$root/apps/$name" > "$log" 2>&1 &
  svc_pid=$!
  for i in $(seq 1 240); do curl -sf "$svc_url/health/ready" > /dev/null && break; kill -0 $svc_pid 2>/dev/null || break; sleep 0.5; done
  curl -sf "$svc_url/health/ready" > /dev/null || { echo "service $name did not become ready"; tail -n 20 "$log"; return 1; }
  [ -f "${TMPDIR:-/tmp}/f5-ref3s.wav" ] || make_ref3s
  curl -s -o /dev/null -w "service $name ready after $((SECONDS - t)) s; voice ref3s: HTTP %{http_code}\n" "$svc_url/v1/voices" \
    -F id=ref3s -F name=ref3s -F "transcript=The quick brown fox jumps over the lazy dog," -F audio=@"${TMPDIR:-/tmp}/f5-ref3s.wav"
}

stop_service() { # LOG: stops it (SIGTERM drains), keeps the batch-size and stage metrics, lists warnings
  local log=$1
  curl -s "$svc_url/metrics" | grep -E '^f5tts_batch_size_(sum|count)|^f5tts_stage_duration_seconds_(sum|count)|^f5tts_requests_total' \
    > "${log%.log}.metrics.txt"
  kill -TERM "$svc_pid"; wait "$svc_pid"; echo "service exit $?"
  rm -rf "$svc_voices"
  grep -iE 'warn|error|fail' "$log" | grep -v cudnn_frontend | cut -c1-250 | head -10
}

service_load() { # JSON [service_load.py args]: the HTTP load client against the running service
  local json=$1; shift
  timeout 300 python3 "$repo/benchmarks/tools/service_load.py" --url "$svc_url" --out "$json" "$@"
}

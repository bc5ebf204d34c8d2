#!/usr/bin/env bash
# Resident memory of the service before and after a burst of long streaming requests (CPU, tiny fixture model).
# Usage: benchmarks/reliability/rss-burst.sh [streams=30] [arena=false] [sentences=12] [nfe_steps=16]
# Prints steady-state RSS (after warm-up), peak RSS during the burst and RSS after it, in MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
streams=${1:-30}
arena=${2:-false}
sentences=${3:-12}
steps=${4:-16}
dll=src/Api/bin/${CONFIGURATION:-Debug}/net10.0/F5Tts.Api.dll
[[ -f $dll ]] || { echo "build first: dotnet build src/Api" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))
voices=$(mktemp -d)
F5Tts__Engine__Cpu__MemoryArena=$arena F5Tts__Batching__RequestTimeoutSeconds=3600 F5Tts__Voices__Directory=$voices Serilog__MinimumLevel__Default=Warning \
  dotnet "$dll" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$voices"' EXIT
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$pid/status"; }
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
text=$(printf 'This long text keeps a stream busy for many sentences in a row. %.0s' $(seq "$sentences"))
speak() { curl -s -o /dev/null -w "%{http_code}\n" "http://127.0.0.1:$port/v1/audio/speech" -H 'Content-Type: application/json' \
  -d "{\"input\":\"$text\",\"response_format\":\"pcm\",\"nfe_steps\":$steps}"; }
settle() { sleep 2; }                  # the engine trims the native heap once its worker is idle, just after a response
for _ in 1 2 3; do speak >&2; done     # warm-up: steady state is after a few requests, not after start
settle
steady=$(rss)
peak=$steady
burst=()
for _ in $(seq "$streams"); do speak & burst+=($!); done
running() { for p in "${burst[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while running; do r=$(rss); ((r > peak)) && peak=$r; sleep 0.5; done
for _ in 1 2 3; do speak >&2; done     # after the burst, ordinary traffic again
settle
after=$(rss)
echo "arena=$arena streams=$streams sentences=$sentences nfe_steps=$steps steady_mib=$steady peak_mib=$peak after_mib=$after ratio=$(awk -v a="$after" -v s="$steady" 'BEGIN{printf "%.2f", a/s}')"

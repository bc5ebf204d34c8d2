#!/usr/bin/env bash
# Time to first audio of HTTP streaming and the WebSocket route, for 1 and CLIENTS streams, with throughput against
# the whole-response plateau (benchmarks/tools/realtime_load.py), on loopback against the Release build and the
# configured model (the tiny demo model unless F5Tts__Model__Directory says otherwise: on a CPU the numbers only show
# that the harness works). The GPU measurement is the `realtime` plan: benchmarks/run.sh realtime.
# usage: benchmarks/load/realtime.sh [STEPS=16] [SINGLE=5] [CLIENTS=4] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-16}
single=${2:-5}
clients=${3:-4}
seconds=${4:-10}
port=${PORT:-18082}
out=${OUT:-/tmp/f5tts-realtime.json}
dotnet build -c Release src/Api -v q -nologo >/dev/null
voices=$(mktemp -d)
F5Tts__Voices__Directory=$voices Serilog__MinimumLevel__Default=Warning \
  dotnet src/Api/bin/Release/net10.0/F5Tts.Api.dll --urls "http://127.0.0.1:$port" >/tmp/f5tts-realtime-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$voices"' EXIT
for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
python3 benchmarks/tools/realtime_load.py --url "http://127.0.0.1:$port" --voice default --out "$out" \
  --steps "$steps" --single "$single" --clients "$clients" --seconds "$seconds"

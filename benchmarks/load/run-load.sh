#!/usr/bin/env bash
# Loopback load benchmark of POST /v1/tts (issue #7): requests/s, p50/p99 latency and error rate at 1, 4 and 16
# concurrent clients, then 10,000 requests at 16 clients while the server's resident memory is sampled.
# Bounded in count and time; talks to 127.0.0.1 only. Uses autocannon from tests/node (npm ci there first).
# usage: benchmarks/load/run-load.sh [REQUESTS_PER_LEVEL=100] [SOAK_REQUESTS=10000] [NFE=8] [SOAK_NFE=1]
# The soak uses 1 step by default: it looks for leaks (memory per request), not speed, so it may as well be quick.
set -euo pipefail
cd "$(dirname "$0")/../.."
per_level=${1:-100}
soak=${2:-10000}
nfe=${3:-8}
soak_nfe=${4:-1}
port=${PORT:-18080}
autocannon=tests/node/node_modules/.bin/autocannon
[ -x "$autocannon" ] || { echo "run npm ci in tests/node first" >&2; exit 2; }

dotnet build -c Release src/Api -v q -nologo >/dev/null
voices=$(mktemp -d)
F5Tts__Voices__Directory=$voices Serilog__MinimumLevel__Default=Warning \
  dotnet src/Api/bin/Release/net10.0/F5Tts.Api.dll --urls "http://127.0.0.1:$port" >/tmp/f5tts-load-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$voices"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "server not ready" >&2; exit 1; }

body=$(printf '{"text":"Hello there, this is a load test of the speech service.","nfe_steps":%d,"format":"pcm","seed":1}' "$nfe")
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo "model: $(curl -fs "http://127.0.0.1:$port/v1/models" | head -c 300)"
echo "nfe_steps=$nfe; each level: $per_level requests"
printf '%-8s %10s %10s %10s %10s %8s\n' clients req/s p50_ms p99_ms errors non2xx
for c in 1 4 16; do
  out=$("$autocannon" -j -c "$c" -a "$per_level" -t 120 -m POST -H content-type=application/json -b "$body" \
    "http://127.0.0.1:$port/v1/tts" 2>/dev/null)
  node -e '
    const r = JSON.parse(process.argv[1]);
    const p = (x) => x.toFixed(1);
    console.log(`${String(process.argv[2]).padEnd(8)} ${p(r.requests.average).padStart(10)} ${p(r.latency.p50).padStart(10)} ${p(r.latency.p99).padStart(10)} ${String(r.errors).padStart(10)} ${String(r.non2xx).padStart(8)}`);
  ' "$out" "$c"
done

echo "soak: $soak requests at 16 clients, nfe_steps=$soak_nfe; server RSS (MiB) sampled every 5 s"
soak_body=$(printf '{"text":"Hello there, this is a load test of the speech service.","nfe_steps":%d,"format":"pcm","seed":1}' "$soak_nfe")
before=$(rss)
"$autocannon" -j -c 16 -a "$soak" -t 1800 -m POST -H content-type=application/json -b "$soak_body" \
  "http://127.0.0.1:$port/v1/tts" >/tmp/f5tts-soak.json 2>/dev/null &
load=$!
samples=()
while kill -0 $load 2>/dev/null; do samples+=("$(( $(rss) / 1024 ))"); sleep 5; done
wait $load
after=$(rss)
node -e '
  const r = JSON.parse(require("fs").readFileSync("/tmp/f5tts-soak.json", "utf8"));
  console.log(`soak: ${r.requests.total} requests, ${r.requests.average.toFixed(1)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
'
echo "RSS MiB: before $(( before / 1024 )), samples ${samples[*]}, after $(( after / 1024 ))"

#!/usr/bin/env bash
# Time to first audio vs total time for a five-sentence text (issue #9), streamed and whole, on loopback.
# usage: benchmarks/load/ttfa.sh [NFE=16] [RUNS=5]   (starts the Release build on the configured model)
set -euo pipefail
cd "$(dirname "$0")/../.."
nfe=${1:-16}
runs=${2:-5}
port=${PORT:-18081}
dotnet build -c Release src/Api -v q -nologo >/dev/null
voices=$(mktemp -d)
F5Tts__Voices__Directory=$voices Serilog__MinimumLevel__Default=Warning \
  dotnet src/Api/bin/Release/net10.0/F5Tts.Api.dll --urls "http://127.0.0.1:$port" >/tmp/f5tts-ttfa-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$voices"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done

text="The first sentence is short. The second one is a little longer than the first one was. Here comes the third sentence, which keeps going for a while so that the text needs several chunks. The fourth sentence talks about nothing in particular, but it adds more words to the request. Finally, the fifth sentence ends the paragraph and the test."
echo "model: $(curl -fs "http://127.0.0.1:$port/v1/models" | grep -o '"name":"[^"]*","contract":"[^"]*"') nfe=$nfe"
printf '%-8s %-4s %12s %12s %12s\n' mode run first_byte_s total_s audio_s
for mode in stream whole; do
  stream=$([ $mode = stream ] && echo true || echo false)
  for run in $(seq 1 "$runs"); do
    body=$(printf '{"text":"%s","nfe_steps":%d,"seed":%d,"format":"pcm","stream":%s}' "$text" "$nfe" "$run" "$stream")
    read -r first total size < <(curl -s -o /tmp/f5tts-ttfa.pcm -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
      -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/v1/tts")
    printf '%-8s %-4s %12s %12s %12.2f\n' "$mode" "$run" "$first" "$total" "$(echo "$size / 48000" | bc -l)"
  done
done

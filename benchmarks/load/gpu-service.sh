#!/usr/bin/env bash
# Service-level GPU check (docs/benchmarks.md "The service on the GPU"): the real F5Tts.Api process with its default
# configuration (CUDA graphs on) on the fp16 full-size random-weight export (MODEL_ATTENTION: f5ops by default, with
# libf5tts_ops.so beside the app; fused; plain), a ~3 s reference voice (SERVICE_VOICE), the test
# sentence. Single requests (32 steps, 16 steps EPSS) and 16 concurrent clients (16 steps), then /metrics and logs.
# Runs on the GPU machine with the self-contained linux-x64 publish of src/Api in /opt/f5/app (ONNX Runtime's GPU
# libraries beside it, as gpu-bundle.sh packs them) and tools/export in /opt/f5/export; results to $OUT/service.json.
# SERVICE_VOICE=3s (default) uploads the first 3.0 s of voices/default/reference.wav with the words spoken in them as
# voice "ref3s" and uses it (the issue's workload: the test sentence with a ~3 s reference); SERVICE_VOICE=default
# uses the built-in 5.2 s voice (the runs of 2026-11-25).
# SERVICE_RUNS="LABEL[:KEY=VALUE,...] ..." runs the service once per label with those environment overrides (e.g.
# "wait3 wait40:F5Tts__Batching__CohortWaitMilliseconds=40"), results to $OUT/service-LABEL.json and service-LABEL.log.
set +e
out=${OUT:-/tmp/out}; app=/opt/f5/app; models=/tmp/f5bench
export LD_LIBRARY_PATH=$app:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
cudnn=$(find /usr/local /usr/lib /opt -name 'libcudnn.so.9*' 2>/dev/null | head -1); [ -n "$cudnn" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$cudnn")"
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1); echo "card: $card"
t=$SECONDS
(cd /opt/f5/export && python3 -m f5tts_export export --contract f5tts-batched/1 --model F5TTS_v1_Base --vocoder vocos-mel-24khz \
  --random-init --seed 0 --model-name F5TTS_v1_Base-random-seed0 --max-frames 4096 --precision fp16 \
  --attention "${MODEL_ATTENTION:-f5ops}" --out $models/model-fp16) > /tmp/export.log 2>&1
echo "export rc $? in $((SECONDS - t)) s"
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p /tmp/svc && cd /tmp/svc
python3 - "$repo/voices/default/reference.wav" /tmp/svc/ref3s.wav <<'PY'
import sys, wave
src = wave.open(sys.argv[1])
dst = wave.open(sys.argv[2], "wb")
dst.setparams(src.getparams())
dst.writeframes(src.readframes(int(3.0 * src.getframerate())))
dst.close()
PY
for spec in ${SERVICE_RUNS:-default}; do
label=${spec%%:*}; overrides=(); suffix=""
[ "$label" = default ] || suffix="-$label"
if [[ $spec == *:* ]]; then IFS=',' read -r -a overrides <<< "${spec#*:}"; fi
echo "== service run $label ${overrides[*]}"
t=$SECONDS
F5Tts__Model__Directory=$models/model-fp16 F5Tts__Voices__Directory=/tmp/svc/voices Urls=http://127.0.0.1:8080 \
  env "${overrides[@]}" $app/F5Tts.Api --contentRoot $app > "$out/service$suffix.log" 2>&1 & pid=$!
for i in $(seq 1 120); do curl -sf http://127.0.0.1:8080/health/ready > /dev/null && break; sleep 0.5; done
echo "ready after $((SECONDS - t)) s"; curl -s http://127.0.0.1:8080/v1/models | head -c 1500; echo
voice=default
if [ "${SERVICE_VOICE:-3s}" = 3s ]; then
  voice=ref3s
  curl -s -o /dev/null -w "voice ref3s upload: HTTP %{http_code}\n" http://127.0.0.1:8080/v1/voices -F id=ref3s -F name=ref3s \
    -F "transcript=The quick brown fox jumps over the lazy dog," -F audio=@/tmp/svc/ref3s.wav
fi
python3 - "$out" "$suffix" "$voice" <<'PY'
import json, sys, threading, time, urllib.request
out, suffix, VOICE = sys.argv[1], sys.argv[2], sys.argv[3]
URL = "http://127.0.0.1:8080/v1/tts"
TEXT = "这点请您放心，估计是我的号码被标记了，请问您是沈沈吗？"
def call(steps, seed):
    body = json.dumps({"text": TEXT, "voice": VOICE, "format": "pcm", "nfe_steps": steps, "seed": seed}).encode()
    req = urllib.request.Request(URL, data=body, headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        data = r.read(); status = r.status
    return time.perf_counter() - t, len(data) / 2 / 24000, status
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
res = {}
for steps in (32, 16):
    for i in range(3): call(steps, i)   # first uses of the bucket: graph capture
    lat = []; audio = 0
    for i in range(10):
        dt, a, s = call(steps, 100 + i); lat.append(dt); audio = a
    res[f"single_{steps}"] = {"p50_ms": 1000 * pct(lat, 50), "p95_ms": 1000 * pct(lat, 95), "audio_s": audio}
    print(f"single request, {steps} steps: p50 {1000 * pct(lat, 50):.1f} ms, p95 {1000 * pct(lat, 95):.1f} ms, audio {audio:.2f} s")
for clients, seconds in ((16, 25),):
    lats, audio, errors = [], [0.0], [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    def worker(k):
        n = 0
        while time.perf_counter() < stop:
            try:
                dt, a, s = call(16, 1000 * k + n)
                with lock: lats.append(dt); audio[0] += a
            except Exception as e:
                with lock: errors[0] += 1
            n += 1
    # warm the larger batch buckets first (captures), untimed
    ws = [threading.Thread(target=lambda k=k: call(16, 9000 + k)) for k in range(clients)]
    [w.start() for w in ws]; [w.join() for w in ws]
    t0 = time.perf_counter()
    ws = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    [w.start() for w in ws]; [w.join() for w in ws]
    wall = time.perf_counter() - t0
    r = {"clients": clients, "requests": len(lats), "errors": errors[0], "wall_s": wall, "audio_s_per_s": audio[0] / wall,
         "p50_ms": 1000 * pct(lats, 50), "p95_ms": 1000 * pct(lats, 95)}
    res[f"concurrent_{clients}"] = r
    print(f"{clients} concurrent clients, 16 steps, {wall:.1f} s: {len(lats)} requests, {errors[0]} errors, "
          f"{audio[0] / wall:.1f} s of audio per second, latency p50 {r['p50_ms']:.0f} ms p95 {r['p95_ms']:.0f} ms "
          f"(p95 / single p50 = {r['p95_ms'] / res['single_16']['p50_ms']:.1f})")
json.dump(res, open(f"{out}/service{suffix}.json", "w"), indent=1)
PY
curl -s http://127.0.0.1:8080/metrics | grep -E '^f5tts_batch_size_(sum|count)|^f5tts_stage_duration_seconds_(sum|count)|^f5tts_requests_total' | head -20
kill -TERM $pid; wait $pid; echo "service exit $?"
rm -rf /tmp/svc/voices
grep -iE 'warn|error|fail|graph' "$out/service$suffix.log" | grep -v cudnn_frontend | cut -c1-250 | head -20
grep -c cudnn_frontend "$out/service$suffix.log"
done

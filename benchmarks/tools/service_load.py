"""HTTP load client of the GPU service plans (benchmarks/plans/service.sh, compare-builds.sh): single requests at
each step count, then closed-loop concurrent clients, against a running F5Tts.Api on loopback. Standard library only
(the GPU machine has no extra packages). Prints one line per measurement and writes them as JSON.

Usage: python3 service_load.py --out FILE [--url http://127.0.0.1:8080] [--voice ref3s] [--steps 32,16]
                               [--single 10] [--clients 16] [--load-steps 16] [--seconds 25]
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request

TEXT = "这点请您放心，估计是我的号码被标记了，请问您是沈沈吗？"  # the test sentence of docs/benchmarks.md


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--voice", default="ref3s")
    ap.add_argument("--steps", default="32,16", help="single-request step counts")
    ap.add_argument("--single", type=int, default=10, help="timed single requests per step count (after 3 warm-ups)")
    ap.add_argument("--clients", default="16", help="concurrent client counts, e.g. 16,32,64 (empty: none)")
    ap.add_argument("--load-steps", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=25.0, help="length of each concurrent phase")
    a = ap.parse_args()

    def call(steps, seed):
        body = json.dumps({"text": TEXT, "voice": a.voice, "format": "pcm", "nfe_steps": steps, "seed": seed}).encode()
        req = urllib.request.Request(a.url + "/v1/tts", data=body, headers={"Content-Type": "application/json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as r:
            data = r.read()
        return time.perf_counter() - t, len(data) / 2 / 24000

    res = {}
    for steps in [int(s) for s in a.steps.split(",") if s]:
        for i in range(3):  # first uses of the bucket: CUDA graph capture
            call(steps, i)
        lat, audio = [], 0.0
        for i in range(a.single):
            dt, audio = call(steps, 100 + i)
            lat.append(dt)
        r = {"p50_ms": 1000 * pct(lat, 50), "p95_ms": 1000 * pct(lat, 95), "mean_ms": 1000 * sum(lat) / len(lat),
             "n": len(lat), "audio_s": audio}
        res[f"single_{steps}"] = r
        print(f"single request, {steps} steps: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
              f"mean {r['mean_ms']:.1f} ms, audio {audio:.2f} s", flush=True)
    for clients in [int(c) for c in a.clients.split(",") if c]:
        lats, audio, errors = [], [0.0], [0]
        lock = threading.Lock()
        warm = [threading.Thread(target=call, args=(a.load_steps, 9000 + k)) for k in range(clients)]
        [w.start() for w in warm]
        [w.join() for w in warm]  # the larger batch buckets captured, untimed
        stop = time.perf_counter() + a.seconds

        def worker(k):
            n = 0
            while time.perf_counter() < stop:
                try:
                    dt, s = call(a.load_steps, 1000 * k + n)
                    with lock:
                        lats.append(dt)
                        audio[0] += s
                except Exception:  # counted, not fatal: the run reports its errors
                    with lock:
                        errors[0] += 1
                n += 1

        t0 = time.perf_counter()
        ws = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
        [w.start() for w in ws]
        [w.join() for w in ws]
        wall = time.perf_counter() - t0
        r = {"clients": clients, "steps": a.load_steps, "requests": len(lats), "errors": errors[0], "wall_s": wall,
             "audio_s_per_s": audio[0] / wall, "p50_ms": 1000 * pct(lats, 50), "p95_ms": 1000 * pct(lats, 95)}
        res[f"concurrent_{clients}"] = r
        print(f"{clients} concurrent clients, {a.load_steps} steps, {wall:.1f} s: {len(lats)} requests, {errors[0]} errors, "
              f"{r['audio_s_per_s']:.1f} s of audio per second, latency p50 {r['p50_ms']:.0f} ms p95 {r['p95_ms']:.0f} ms",
              flush=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()

"""Time to first audio of streamed speech, HTTP streaming and the WebSocket route (docs/realtime.md), against a running
F5Tts.Api on loopback; used by benchmarks/plans/realtime.sh and benchmarks/realtime/run.sh. Standard library only (the
GPU machine has no extra packages), so it carries its own minimal WebSocket client (RFC 6455: masked client frames,
text/binary/close, fragments, ping).

For each mode — `http` (POST /v1/tts with "stream": true, first audio = first body byte) and `ws` (GET /v1/tts/ws:
start, the whole paragraph as one text message, end; first audio = first binary message, timed from sending the
text) — it measures SINGLE sequential requests (one client), then CLIENTS closed-loop clients for SECONDS, and reports
time to first audio p50/p95 and throughput (seconds of audio per second); then SINGLE streamed requests of the first
sentence alone (mode `first`, one chunk: its server stage means are a first chunk's). Then the non-streaming plateau: the same
clients with whole responses (POST /v1/tts), and each streaming throughput as a ratio of it.

Usage: python3 realtime_load.py --out FILE [--url http://127.0.0.1:8080] [--voice ref3s] [--steps 16] [--single 20]
                                [--clients 16] [--seconds 30] [--modes http,ws] [--token-ms 0] [--stagger]
  --token-ms N  the WebSocket client sends the paragraph word by word, N ms apart (a language model's pace; TTFA is
                then timed from the first word) instead of in one message.
  --stagger     also runs each streamed mode with the clients' first streams started evenly over one stream's time
                at the plateau (clients × audio per stream / plateau s/s), not all at once: closed-loop clients of one
                paragraph that start together stay in lockstep, so all their first chunks always arrive together;
                staggered, their streams overlap as independent listeners' do (reported as MODE_CLIENTS_staggered).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import struct
import threading
import time
import urllib.parse
import urllib.request

# ≈ 20 s of speech with the 3 s voice: mixed Chinese and English, several sentences and clauses. FIRST, its first
# sentence, is spoken alone as one chunk after the one-client runs: its server stage means are then those of a
# first chunk only (the paragraph's runs average the first chunk with the rest), to tell where one client's first
# audio goes.
TEXT = ("今天我们来聊一聊语音合成的最新进展。The model listens to a short reference clip, and speaks new text in the "
        "same voice. 它的速度很快，一块显卡可以同时服务很多用户。When a language model writes its answer token by "
        "token, the speech can begin before the sentence is finished.")
FIRST = TEXT.split("。")[0] + "。"


def stage_totals(url):
    """Per-stage (sum, count) of f5tts_stage_duration_seconds and of the server's time to first audio per route, from
    /metrics: the difference of two scrapes gives the server-side mean of each between them."""
    totals = {}
    with urllib.request.urlopen(url + "/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            for family, label in (("f5tts_stage_duration_seconds", "stage"), ("f5tts_time_to_first_audio_seconds", "route")):
                for part, index in (("_sum{", 0), ("_count{", 1)):
                    if line.startswith(family + part):
                        key = line.split(label + '="', 1)[1].split('"', 1)[0] if label + '="' in line else "?"
                        entry = totals.setdefault(f"{label} {key}", [0.0, 0.0])
                        entry[index] += float(line.rsplit(" ", 1)[1])
    return totals


def stage_means(before, after):
    """Mean milliseconds per call of each stage (and route) between two stage_totals scrapes."""
    means = {}
    for key, (total, count) in after.items():
        t0, c0 = before.get(key, (0.0, 0.0))
        if count > c0:
            means[key] = {"mean_ms": 1000 * (total - t0) / (count - c0), "calls": int(count - c0)}
    return means


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


class WebSocket:
    """A minimal RFC 6455 client over one TCP socket (enough for the real-time route)."""

    def __init__(self, url: str, timeout: float = 300.0):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"upgrade refused: {head[:200]!r}")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, opcode: int, payload: bytes):
        n = len(payload)
        head = bytes([0x80 | opcode])
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_json(self, message):
        self.send(0x1, json.dumps(message).encode())

    def recv(self):
        """The next message as (opcode, payload): 1 text, 2 binary, 8 close."""
        data, first = b"", None
        while True:
            b0, b1 = self._take(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            if opcode == 0x9:  # ping
                self.send(0xA, payload)
                continue
            if opcode == 0x8:
                return 8, payload
            first = opcode if first is None and opcode != 0 else first
            data += payload
            if b0 & 0x80:
                return first, data

    def close(self):
        try:
            self.send(0x8, struct.pack(">H", 1000))
            while self.recv()[0] != 8:
                pass
        except (OSError, ConnectionError):
            pass
        self.sock.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--voice", default="ref3s")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--single", type=int, default=20)
    ap.add_argument("--clients", default="16")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--modes", default="http,ws")
    ap.add_argument("--token-ms", type=float, default=0.0)
    ap.add_argument("--stagger", action="store_true")
    a = ap.parse_args()
    ws_url = a.url.replace("http", "ws", 1) + "/v1/tts/ws"

    def http(seed, stream=True, text=TEXT):
        body = json.dumps({"text": text, "voice": a.voice, "format": "pcm", "nfe_steps": a.steps, "seed": seed,
                           "stream": stream}).encode()
        req = urllib.request.Request(a.url + "/v1/tts", data=body, headers={"Content-Type": "application/json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=300) as r:
            first = r.read1(65536) if stream else b""
            ttfa = time.perf_counter() - t
            size = len(first) + len(r.read())
        return ttfa, time.perf_counter() - t, size / 2 / 24000

    def ws(seed):
        w = WebSocket(ws_url)
        try:
            w.send_json({"type": "start", "voice": a.voice, "format": "pcm", "nfe_steps": a.steps, "seed": seed})
            assert json.loads(w.recv()[1])["type"] == "started"
            t = time.perf_counter()
            if a.token_ms > 0:
                sender = threading.Thread(target=send_tokens, args=(w,))
                sender.start()
            else:
                w.send_json({"type": "text", "text": TEXT})
                w.send_json({"type": "end"})
            ttfa, audio = None, 0
            while True:
                opcode, payload = w.recv()
                if opcode == 2:
                    ttfa = ttfa if ttfa is not None else time.perf_counter() - t
                    audio += len(payload)
                elif opcode == 1:
                    m = json.loads(payload)
                    if m["type"] == "error":
                        raise RuntimeError(m)
                    if m["type"] == "done":
                        break
                else:
                    raise RuntimeError("closed before done")
            if a.token_ms > 0:
                sender.join()
            return ttfa, time.perf_counter() - t, audio / 2 / 24000
        finally:
            w.close()

    def send_tokens(w):
        for i, word in enumerate(TEXT.split(" ")):
            w.send_json({"type": "text", "text": word if i == 0 else " " + word})
            time.sleep(a.token_ms / 1000)
        w.send_json({"type": "end"})

    calls = {"http": http, "ws": ws, "whole": lambda seed: http(seed, stream=False),
             "first": lambda seed: http(seed, text=FIRST)}
    res = {"steps": a.steps, "voice": a.voice, "text_chars": len(TEXT), "token_ms": a.token_ms}

    def closed_loop(mode, clients, spread_s=0.0):
        call = calls[mode]
        warm = [threading.Thread(target=call, args=(9000 + k,)) for k in range(clients)]
        [w.start() for w in warm]
        [w.join() for w in warm]  # larger batch buckets captured, untimed
        streams, errors, lock = [], [0], threading.Lock()  # (start, ttfa, audio s, end) per stream
        t0 = time.perf_counter()
        # Staggered: client k starts k/clients of spread_s late. Measured from the moment the last one started (the
        # window): first audio of the streams started in it, throughput of the streams ended in it over its length
        # (each client's stream that straddles the window's start is counted whole and the one that straddles its end
        # not at all, which balances out), so the ramp neither lowers the throughput nor adds lone first chunks.
        window = t0 + spread_s * (clients - 1) / clients
        stop = window + a.seconds

        def worker(k):
            n = 0
            time.sleep(k * spread_s / clients)
            while time.perf_counter() < stop:
                try:
                    start = time.perf_counter()
                    ttfa, _, s = call(1000 * k + n)
                    with lock:
                        streams.append((start, ttfa, s, time.perf_counter()))
                except Exception as e:  # counted, not fatal
                    with lock:
                        errors[0] += 1
                    print(f"  {mode} error: {e}", flush=True)
                n += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        ttfas = [x[1] for x in streams if x[0] >= window]
        if spread_s > 0:
            wall, audio = stop - window, sum(x[2] for x in streams if window <= x[3] <= stop)
        else:  # all started together: every stream counts, until the last one ended
            wall, audio = max((x[3] for x in streams), default=t0) - t0, sum(x[2] for x in streams)
        return {"clients": clients, "n": len(ttfas), "errors": errors[0], "ttfa_p50_ms": 1000 * pct(ttfas, 50),
                "ttfa_p95_ms": 1000 * pct(ttfas, 95), "audio_per_s": audio / wall if wall > 0 else 0.0,
                "wall_s": wall, "spread_s": spread_s}

    modes = [m for m in a.modes.split(",") if m]
    for mode in modes + ["first"]:
        for i in range(3):
            calls[mode](i)  # warm-up: CUDA graph capture of the first buckets
        ttfas, audio = [], 0.0
        before = stage_totals(a.url)
        for i in range(a.single):
            ttfa, _, audio = calls[mode](100 + i)
            ttfas.append(ttfa)
        r = {"ttfa_p50_ms": 1000 * pct(ttfas, 50), "ttfa_p95_ms": 1000 * pct(ttfas, 95), "n": len(ttfas), "audio_s": audio,
             "server_means": stage_means(before, stage_totals(a.url))}
        res[f"{mode}_single"] = r
        label = "first sentence alone (one chunk, http)" if mode == "first" else mode
        print(f"{label}, one client: first audio p50 {r['ttfa_p50_ms']:.1f} ms, p95 {r['ttfa_p95_ms']:.1f} ms "
              f"({r['n']} runs, {audio:.1f} s of audio each); server means: "
              + ", ".join(f"{k} {v['mean_ms']:.2f} ms x{v['calls']}" for k, v in sorted(r["server_means"].items())), flush=True)
    for clients in [int(c) for c in a.clients.split(",") if c]:
        plateau = closed_loop("whole", clients)
        res[f"whole_{clients}"] = plateau
        print(f"whole responses, {clients} clients: {plateau['audio_per_s']:.1f} s/s (the non-streaming plateau), "
              f"{plateau['n']} requests, {plateau['errors']} errors", flush=True)
        # One stream's time with every client streaming at the plateau: the spread of the staggered starts.
        stream_s = clients * res[f"{modes[0]}_single"]["audio_s"] / plateau["audio_per_s"] if plateau["audio_per_s"] and modes else 0.0
        if a.stagger and stream_s <= 0:
            print("--stagger needs the one-client runs (--single > 0) to know a stream's length: staggered runs skipped", flush=True)
        runs = [(mode, 0.0, "") for mode in modes] + ([(mode, stream_s, "_staggered") for mode in modes] if a.stagger and stream_s > 0 else [])
        for mode, spread, suffix in runs:
            r = closed_loop(mode, clients, spread)
            r["vs_plateau"] = r["audio_per_s"] / plateau["audio_per_s"] if plateau["audio_per_s"] else float("nan")
            res[f"{mode}_{clients}{suffix}"] = r
            how = f" (starts spread over {spread:.2f} s)" if spread else ""
            print(f"{mode}, {clients} clients{how}: first audio p50 {r['ttfa_p50_ms']:.1f} ms, p95 {r['ttfa_p95_ms']:.1f} ms; "
                  f"{r['audio_per_s']:.1f} s/s = {100 * r['vs_plateau']:.1f} % of the plateau; {r['n']} streams, "
                  f"{r['errors']} errors", flush=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
    print("REALTIME_JSON " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()

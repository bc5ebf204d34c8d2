#!/usr/bin/env python3
"""Discrete-event simulation of F5Tts.Server on G GPUs, for capacity planning (docs/capacity.md).

Python 3 standard library only. Fed by the measured per-batch engine times of an engine-harness result file
(benchmarks/results/*.jsonl: Preprocess, one Transformer step and Decode at batch 1, 2, 4, 8, 16) and the measured
single-request service latency; it models what the service does with them: one batch worker per GPU with step-level
continuous batching (CUDA-graph batch buckets, the cohort hold, parallel Preprocess) and a router that sends each
request to the GPU with the least queued work. Clients are closed-loop users: send a request, wait for the whole
response, think, send the next.

  simulate.py validate            compare with the measured 16/32/64-client service runs (prints the error)
  simulate.py plan --users 200 --p95-ms 1000 [--think-s 5]
                                  the fewest GPUs that keep p95 latency within the target
  simulate.py run --gpus 2 --users 64
                                  one simulation
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
ENGINE_FILE = RESULTS / "2026-11-26-h200-session4.jsonl"
ENGINE_LABEL = "csharp-f5ops-fp16-graphs"
SERVICE_FILE = RESULTS / "2026-12-02-h200-compare-builds-final-services.json"
# The 16/32/64-client runs of docs/benchmarks.md ("Latest results: H200"): clients, audio-s/s, p95 ms.
MEASURED_LOAD = [(16, 174.0, 480.0), (32, 174.0, 959.0), (64, 174.0, 1944.0)]
SAMPLE_RATE, HOP = 24_000, 256


@dataclass
class Engine:
    """Per-batch engine times (ms) at the measured frame count, by CUDA-graph batch bucket."""
    frames: int
    steps_measured: int
    prepare: dict[int, float]
    step: dict[int, float]
    decode: dict[int, float]

    @staticmethod
    def load(path: Path = ENGINE_FILE, label: str = ENGINE_LABEL) -> "Engine":
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            if d["label"] == label:
                b = {row["batch"]: row for row in d["batch"]}
                one = b[1]
                steps = round((one["wall_ms"]["p50"] - one["prepare_ms"] - one["decode_ms"]) / one["step_mean_ms"])
                return Engine(d["frames"], steps, {k: v["prepare_ms"] for k, v in b.items()},
                              {k: v["step_mean_ms"] for k, v in b.items()}, {k: v["decode_ms"] for k, v in b.items()})
        raise SystemExit(f"{label} not in {path}")

    def bucket(self, n: int) -> int:
        return min(k for k in self.step if k >= n) if n <= max(self.step) else max(self.step)

    def step_ms(self, batch: int, frames: int) -> float:
        # Static shapes pad to the bucket; the step is linear in frames at these sizes.
        return self.step[self.bucket(batch)] * frames / self.frames

    def prepare_ms(self, count: int, parallelism: int) -> float:
        # Preprocess calls are host-bound launch work; PrepareParallelism of them overlap.
        return self.prepare[self.bucket(count)] * count / self.bucket(count) / min(count, parallelism)

    def decode_ms(self, count: int, frames: int) -> float:
        return self.decode[self.bucket(count)] * count / self.bucket(count) * frames / self.frames


@dataclass
class Workload:
    steps: int = 16  # NFE steps per request
    audio_s: float = 5.10  # generated audio per request (the service benchmark's sentence)
    reference_s: float = 3.0  # reference clip
    think_s: float = 0.0  # user think time between a response and the next request (exponential mean; 0 = none)

    @property
    def frames(self) -> int:
        return round((self.audio_s + self.reference_s) * SAMPLE_RATE / HOP)


@dataclass
class Policy:
    max_batch: int = 16
    hold_fraction: float = 0.5  # F5Tts:Batching:CohortHoldFraction
    prepare_parallelism: int = 4  # F5Tts:Batching:PrepareParallelism
    overhead_ms: float = 0.0  # per request outside the engine (HTTP, text front-end, encoding)


@dataclass(order=True)
class Request:
    arrived: float
    client: int = field(compare=False)
    steps_left: int = field(compare=False, default=0)


class Gpu:
    def __init__(self, sim: "Simulation") -> None:
        self.sim = sim
        self.waiting: list[Request] = []
        self.active: list[Request] = []
        self.busy = False

    def queued_work(self) -> int:
        return sum(r.steps_left for r in self.waiting + self.active)

    def submit(self, req: Request) -> None:
        self.waiting.append(req)
        if not self.busy:
            self.busy = True
            self.sim.at(self.sim.now, self.boundary)

    def boundary(self) -> None:
        """A step boundary: admit under the cohort hold, prepare, run one step, decode what finished."""
        sim, pol, eng, wl = self.sim, self.sim.policy, self.sim.engine, self.sim.workload
        t = 0.0
        if self.waiting and len(self.active) < pol.max_batch:
            done = max((wl.steps - r.steps_left) / wl.steps for r in self.active) if self.active else 0.0
            if not self.active or done < pol.hold_fraction:
                take = self.waiting[:pol.max_batch - len(self.active)]
                del self.waiting[:len(take)]
                t += eng.prepare_ms(len(take), pol.prepare_parallelism) / 1000
                self.active += take
        if not self.active:
            self.busy = False
            return
        t += eng.step_ms(len(self.active), wl.frames) / 1000
        for r in self.active:
            r.steps_left -= 1
        finished = [r for r in self.active if r.steps_left == 0]
        if finished:
            self.active = [r for r in self.active if r.steps_left > 0]
            t += eng.decode_ms(len(finished), wl.frames) / 1000
            end = sim.now + t
            for r in finished:
                sim.at(end + pol.overhead_ms / 1000, lambda r=r: sim.complete(r))
        sim.at(sim.now + t, self.boundary)


class Simulation:
    def __init__(self, engine: Engine, workload: Workload, policy: Policy, gpus: int, users: int, seed: int = 1) -> None:
        self.engine, self.workload, self.policy = engine, workload, policy
        self.gpus = [Gpu(self) for _ in range(gpus)]
        self.users = users
        self.rng = random.Random(seed)
        self.now = 0.0
        self.events: list[tuple[float, int, object]] = []
        self.seq = 0
        self.latencies: list[tuple[float, float]] = []  # (completed at, latency)

    def at(self, time: float, action) -> None:
        self.seq += 1
        heapq.heappush(self.events, (time, self.seq, action))

    def send(self, client: int) -> None:
        req = Request(self.now, client, self.workload.steps)
        # The router: the GPU with the least queued work; ties to the lower one.
        min(self.gpus, key=lambda g: g.queued_work()).submit(req)

    def complete(self, req: Request) -> None:
        self.latencies.append((self.now, self.now - req.arrived))
        think = self.rng.expovariate(1 / self.workload.think_s) if self.workload.think_s > 0 else 0.0
        self.at(self.now + think, lambda: self.send(req.client))

    def run(self, warmup_s: float, measure_s: float) -> dict:
        for c in range(self.users):
            # Users start spread over one think time (all at once without one, as the load benchmark does).
            start = self.rng.uniform(0, self.workload.think_s) if self.workload.think_s > 0 else 0.0
            self.at(start, lambda c=c: self.send(c))
        end = warmup_s + measure_s
        while self.events and self.events[0][0] <= end:
            self.now, _, action = heapq.heappop(self.events)
            action()
        window = sorted(lat for t, lat in self.latencies if t >= warmup_s)
        if not window:
            return {"requests": 0}

        def pct(p: float) -> float:
            return window[min(len(window) - 1, int(p * len(window)))]
        return {"gpus": len(self.gpus), "users": self.users, "requests": len(window),
                "audio_s_per_s": len(window) * self.workload.audio_s / measure_s,
                "p50_ms": pct(0.50) * 1000, "p95_ms": pct(0.95) * 1000}


def calibrated_policy(engine: Engine, workload: Workload) -> Policy:
    """Per-request overhead = the measured one-request service p50 (16 steps) minus the engine model at batch 1."""
    services = json.loads(SERVICE_FILE.read_text(encoding="utf-8"))
    single = sorted(run["single_16"]["p50_ms"] for run in services.values())[len(services) // 2]
    policy = Policy()
    alone = engine.prepare_ms(1, 1) + 16 * engine.step_ms(1, workload.frames) + engine.decode_ms(1, workload.frames)
    policy.overhead_ms = max(0.0, single - alone)
    return policy


def simulate(gpus: int, users: int, think_s: float = 0.0, seconds: float = 60.0) -> dict:
    engine = Engine.load()
    workload = Workload(think_s=think_s)
    return Simulation(engine, workload, calibrated_policy(engine, workload), gpus, users).run(
        warmup_s=max(5.0, 2 * think_s), measure_s=seconds)


def validate() -> list[dict]:
    rows = []
    for clients, audio, p95 in MEASURED_LOAD:
        r = simulate(1, clients)
        rows.append({"clients": clients, "measured_audio_s_per_s": audio, "simulated_audio_s_per_s": round(r["audio_s_per_s"], 1),
                     "throughput_error": round(r["audio_s_per_s"] / audio - 1, 4), "measured_p95_ms": p95,
                     "simulated_p95_ms": round(r["p95_ms"], 1), "p95_error": round(r["p95_ms"] / p95 - 1, 4)})
    return rows


def plan(users: int, p95_ms: float, think_s: float, max_gpus: int) -> dict:
    table = []
    for g in range(1, max_gpus + 1):
        r = simulate(g, users, think_s)
        table.append({k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()})
        if r["p95_ms"] <= p95_ms:
            return {"users": users, "p95_target_ms": p95_ms, "think_s": think_s, "gpus": g, "table": table}
    return {"users": users, "p95_target_ms": p95_ms, "think_s": think_s, "gpus": None, "table": table}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("validate")
    p = sub.add_parser("plan")
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--p95-ms", type=float, required=True)
    p.add_argument("--think-s", type=float, default=0.0)
    p.add_argument("--max-gpus", type=int, default=64)
    r = sub.add_parser("run")
    r.add_argument("--gpus", type=int, default=1)
    r.add_argument("--users", type=int, required=True)
    r.add_argument("--think-s", type=float, default=0.0)
    args = ap.parse_args(argv)
    if args.cmd == "validate":
        out = validate()
    elif args.cmd == "plan":
        out = plan(args.users, args.p95_ms, args.think_s, args.max_gpus)
    else:
        out = simulate(args.gpus, args.users, args.think_s)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Before/after table of the compare-builds plan (benchmarks/plans/compare-builds.sh): reads OUT/service-B-rN.json
(service_load.py) and the GPUBENCH_JSON lines of OUT/csharp-B-rN.log for B in before, after; prints, per measure, the
median over rounds of each build, after / before, and whether it is within the tolerance (default 3 %).
Usage: python3 compare_builds.py OUT_DIR [--tolerance 3]"""
from __future__ import annotations

import argparse
import sys
import glob
import json
import os
import statistics

# (label, how to read it from one run, True when larger is better)
SERVICE = [
    ("service: one request, 32 steps, p50 (ms)", lambda r: r["single_32"]["p50_ms"], False),
    ("service: one request, 16 steps, p50 (ms)", lambda r: r["single_16"]["p50_ms"], False),
    ("service: 16 concurrent, 16 steps, audio s/s", lambda r: r["concurrent_16"]["audio_s_per_s"], True),
    ("service: 16 concurrent, p95 (ms)", lambda r: r["concurrent_16"]["p95_ms"], False),
]
ENGINE = [
    ("GpuBench: 32 steps end to end, p50 (ms)", lambda r: r["e2e_ms"]["32"]["p50"], False),
    ("GpuBench: 16 steps end to end, p50 (ms)", lambda r: r["e2e_ms"]["16"]["p50"], False),
    ("GpuBench: step at B = 1, p50 (ms)", lambda r: r["step_ms"]["p50"], False),
]


def runs(out, build):
    svc = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, f"service-{build}-r*.json")))]
    eng = []
    for f in sorted(glob.glob(os.path.join(out, f"csharp-{build}-r*.log"))):
        eng += [json.loads(line[len("GPUBENCH_JSON "):]) for line in open(f) if line.startswith("GPUBENCH_JSON ")]
    return svc, eng


def value(items, read):
    vals = []
    for r in items:
        try:
            vals.append(read(r))
        except (KeyError, TypeError):
            pass
    return statistics.median(vals) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tolerance", type=float, default=3.0, help="percent")
    a = ap.parse_args()
    before, after = runs(a.out, "before"), runs(a.out, "after")
    print(f"| measure (median of rounds) | before | after | after / before | within {a.tolerance:g} % |")
    print("|---|---:|---:|---:|---|")
    worst = 0.0
    judged = 0
    for group, (b_items, a_items) in ((SERVICE, (before[0], after[0])), (ENGINE, (before[1], after[1]))):
        for label, read, larger_better in group:
            b, x = value(b_items, read), value(a_items, read)
            if b is None or x is None:
                continue
            ratio = x / b
            change = (ratio - 1) * 100 if larger_better else (1 - ratio) * 100  # > 0: after is better
            ok = change >= -a.tolerance
            if not label.endswith("p95 (ms)"):  # p95 under load is reported, not judged
                worst = min(worst, change)
                judged += 1
            print(f"| {label} | {b:.1f} | {x:.1f} | {ratio:.3f} | {'yes' if ok else 'NO'} |")
    # No measure on both sides (a build that did not start, say) is a failure, never a pass.
    verdict = "FAIL (nothing measured on both sides)" if judged == 0 else ("PASS" if worst >= -a.tolerance else "FAIL")
    print(f"\nrounds: before {len(before[0])} service / {len(before[1])} GpuBench, after {len(after[0])} / {len(after[1])}; "
          f"worst change of a judged measure: {worst:+.1f} % ({verdict})")
    if verdict != "PASS":
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Comparison table of one GPU run (benchmarks/run.sh): reads results-final.jsonl (GPUBENCH_JSON / PYBENCH_JSON
objects) and prints a Markdown table, the fastest C# configuration present (f5ops + CUDA graphs, else fused + CUDA
graphs) against each other run. Usage: compare_runs.py FILE"""
import json
import sys

ORDER = ["csharp-f5ops-fp16-graphs-nc1d", "csharp-f5ops-fp16-graphs-nhwc", "csharp-f5ops-fp16-graphs", "csharp-f5ops-fp16", "csharp-fused-fp16-graphs", "csharp-fused-fp16",
         "csharp-plain-fp16", "pytorch-export-fp16", "pytorch-sdpa-fp16"]


def get(r, *path):
    for p in path:
        r = r.get(p) if isinstance(r, dict) else None
    return r


def batch(r, b, key):
    for x in r.get("batch", []):
        if x["batch"] == b:
            v = x.get(key)
            return v.get("p50") if isinstance(v, dict) else v
    return None


def main(path):
    rows = {r["label"]: r for r in (json.loads(l) for l in open(path) if l.strip())}
    labels = [l for l in ORDER if l in rows] + sorted(l for l in rows if l not in ORDER)
    MAIN = labels[0] if labels else None
    metrics = [
        ("Transformer step B=1 p50 ms", lambda r: get(r, "step_ms", "p50")),
        ("end to end 32 steps p50 ms", lambda r: get(r, "e2e_ms", "32", "p50")),
        ("end to end 16 steps (EPSS) p50 ms", lambda r: get(r, "e2e_ms", "16", "p50")),
    ] + [(f"B={b} audio s/s (16 steps)", (lambda b: lambda r: batch(r, b, "audio_s_per_s"))(b)) for b in (1, 2, 4, 8, 16)] + [
        ("B=16 step mean ms", lambda r: batch(r, 16, "step_mean_ms")),
    ]
    card = next((r.get("device") for r in rows.values() if r.get("device")), "?")
    print(f"\n## {card}, N = {next(iter(rows.values())).get('frames', '?') if rows else '?'}\n")
    print("| metric | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for name, f in metrics:
        vals = [f(rows[l]) for l in labels]
        print(f"| {name} | " + " | ".join("-" if v is None else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}" for v in vals) + " |")
    if MAIN in rows:
        print(f"\nratios, {MAIN} against each run (latency: their time / ours; throughput: ours / theirs):\n")
        print("| against | step B=1 | 32 steps | 16 steps | B=16 s/s |")
        print("|---|---:|---:|---:|---:|")
        m = rows[MAIN]
        for l in labels:
            if l == MAIN:
                continue
            o = rows[l]
            def ratio(a, b):
                return "-" if not a or not b else f"{a / b:.2f}x"
            print(f"| {l} | {ratio(get(o, 'step_ms', 'p50'), get(m, 'step_ms', 'p50'))} | "
                  f"{ratio(get(o, 'e2e_ms', '32', 'p50'), get(m, 'e2e_ms', '32', 'p50'))} | "
                  f"{ratio(get(o, 'e2e_ms', '16', 'p50'), get(m, 'e2e_ms', '16', 'p50'))} | "
                  f"{ratio(batch(m, 16, 'audio_s_per_s'), batch(o, 16, 'audio_s_per_s'))} |")


if __name__ == "__main__":
    main(sys.argv[1])

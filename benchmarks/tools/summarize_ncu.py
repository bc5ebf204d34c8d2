"""Summarises Nsight Compute CSVs of `F5Tts.GpuBench --profile-batch B` (the `kernels` plan, benchmarks/README.md):
GPU time per Transformer step by kernel name. Usage: python3 summarize_ncu.py DIR  (reads DIR/ncu-b1.csv,
DIR/ncu-b16.csv written by `ncu --profile-from-start off --metrics gpu__time_duration.sum --csv --page raw`).
`summarize_ncu.py DIR NAME.csv` summarises one other capture of one run (e.g. `--profile-preprocess`)."""
import collections
import csv
import io
import re
import sys

STEPS = 2  # CudaProfiler.Run profiles two steps


def main(folder: str, single: str = "") -> None:
    global STEPS
    captures = [(single, single)] if single else [(f"B={b}", f"ncu-b{b}.csv") for b in (1, 16)]
    if single:
        STEPS = 1
    for b, name in captures:
        try:
            text = open(f"{folder}/{name}", errors="replace").read()
        except OSError:
            continue
        start = text.find('"ID"')
        if start < 0:
            print(f"{b}: no ncu table ({text[:300]!r})")
            continue
        rows = [r for r in csv.DictReader(io.StringIO(text[start:]))
                if r.get("gpu__time_duration.sum", "").replace(".", "", 1).replace(",", "").isdigit()]
        agg = collections.defaultdict(lambda: [0, 0.0])
        total = 0.0
        for r in rows:
            # the anonymous namespace ("(anonymous namespace)::" or "<unnamed>::") would otherwise cut the f5tts.ops names
            name = r.get("Kernel Name", "?").replace("(anonymous namespace)::", "").replace("<unnamed>::", "")
            short = re.sub(r"<.*", "", re.sub(r"\(.*", "", name))[:90]
            ns = float(r["gpu__time_duration.sum"].replace(",", ""))
            agg[short][0] += 1
            agg[short][1] += ns
            total += ns
        print(f"\n### {b}: {len(rows) // STEPS} kernels per step, GPU time {total / 1e6 / STEPS:.2f} ms per step "
              "(kernels serialised by the profiler)\n")
        print("| kernel | launches/step | ms/step | share |")
        print("|---|---:|---:|---:|")
        for name, (n, ns) in sorted(agg.items(), key=lambda kv: -kv[1][1])[:20]:
            print(f"| `{name}` | {n / STEPS:.0f} | {ns / 1e6 / STEPS:.3f} | {100 * ns / total:.1f} % |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")

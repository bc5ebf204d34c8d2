"""Summarises an Nsight Systems capture of `F5Tts.GpuBench --profile-request STEPS` (the `timeline` plan,
benchmarks/README.md): how long the GPU was busy during one request and where it idled. Usage:
python3 summarize_nsys.py FILE.sqlite [HOST_LOG]  (the capture exported with `nsys export --type sqlite`; HOST_LOG is
GpuBench's output with its PROFILE_REQUEST lines, the host time of each call).

Busy time is the union of kernel, memcpy and memset intervals on the device; a gap is an interval between two of them
where nothing ran. Gaps are grouped by the activity before and after them (kernel names shortened), so that the
step-to-step, Preprocess-to-step and step-to-Decode gaps show as lines of their own. Standard library only."""
import collections
import re
import sqlite3
import sys

GAP_US = 5.0  # gaps shorter than this are launch jitter, not host work


def tables(db):
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def activities(db):
    names = dict(db.execute("SELECT id, value FROM StringIds")) if "StringIds" in tables(db) else {}
    have = tables(db)
    acts = []
    if "CUPTI_ACTIVITY_KIND_KERNEL" in have:
        cols = {r[1] for r in db.execute("PRAGMA table_info(CUPTI_ACTIVITY_KIND_KERNEL)")}
        name_col = "shortName" if "shortName" in cols else "demangledName"
        for start, end, nid in db.execute(f"SELECT start, end, {name_col} FROM CUPTI_ACTIVITY_KIND_KERNEL"):
            acts.append((start, end, "kernel", names.get(nid, str(nid))))
    kinds = {1: "HtoD", 2: "DtoH", 8: "DtoD", 10: "PtoP"}
    if "CUPTI_ACTIVITY_KIND_MEMCPY" in have:
        for start, end, kind, size in db.execute("SELECT start, end, copyKind, bytes FROM CUPTI_ACTIVITY_KIND_MEMCPY"):
            acts.append((start, end, "memcpy", f"memcpy {kinds.get(kind, kind)} {size} B"))
    if "CUPTI_ACTIVITY_KIND_MEMSET" in have:
        for start, end in db.execute("SELECT start, end FROM CUPTI_ACTIVITY_KIND_MEMSET"):
            acts.append((start, end, "memset", "memset"))
    return sorted(acts)


def short(name: str) -> str:
    name = re.sub(r"<.*", "", name)
    name = re.sub(r"\(.*", "", name)
    name = re.sub(r"^(void )?", "", name)
    if name.startswith("memcpy"):
        return re.sub(r" \d+ B$", "", name)
    return name[:60]


def main(path: str, host_log: str = "") -> None:
    db = sqlite3.connect(path)
    acts = activities(db)
    if not acts:
        print(f"no device activity in {path} (tables: {sorted(tables(db))})")
        return
    span_start, span_end = acts[0][0], max(a[1] for a in acts)
    busy, gaps, cur_end, last = 0, [], acts[0][0], None  # last: the activity that ended last so far
    for start, end, kind, name in acts:
        if last is not None and start > cur_end:
            gaps.append((start - cur_end, last, name))
        if end > cur_end:
            busy += end - max(start, cur_end)
            cur_end = end
            last = name
    span = span_end - span_start
    counts = collections.Counter(k for _, _, k, _ in acts)
    print("## One request under Nsight Systems\n")
    print(f"device span {span / 1e6:.3f} ms, busy {busy / 1e6:.3f} ms ({100 * busy / span:.1f} %), "
          f"idle {(span - busy) / 1e6:.3f} ms; {counts['kernel']} kernels, {counts['memcpy']} copies, {counts['memset']} memsets")
    if host_log:
        laps = re.findall(r"PROFILE_REQUEST (.+?): ([\d.]+) ms", open(host_log, errors="replace").read())
        if laps:
            total = sum(float(ms) for _, ms in laps)
            steps = [float(ms) for call, ms in laps if call.startswith("step")]
            other = ", ".join(f"{call} {float(ms):.2f} ms" for call, ms in laps if not call.startswith("step"))
            print(f"host: {total:.3f} ms in all; {other}; {len(steps)} steps, mean {sum(steps) / max(1, len(steps)):.3f} ms")
    big = [g for g in gaps if g[0] / 1e3 >= GAP_US]
    print(f"\n{len(big)} gaps of ≥ {GAP_US:.0f} µs, {sum(g[0] for g in big) / 1e6:.3f} ms in all; by what they lie between:\n")
    print("| before | after | gaps | total ms | largest µs |")
    print("|---|---|---:|---:|---:|")
    groups = collections.defaultdict(list)
    for length, before, after in big:
        groups[(short(before or "start"), short(after))].append(length)
    for (before, after), lengths in sorted(groups.items(), key=lambda kv: -sum(kv[1]))[:20]:
        print(f"| `{before}` | `{after}` | {len(lengths)} | {sum(lengths) / 1e6:.3f} | {max(lengths) / 1e3:.1f} |")
    copies = collections.defaultdict(lambda: [0, 0.0])
    for start, end, kind, name in acts:
        if kind == "memcpy":
            key = short(name)
            copies[key][0] += 1
            copies[key][1] += (end - start) / 1e6
    if copies:
        print("\n| copy | count | device ms |\n|---|---:|---:|")
        for key, (n, ms) in sorted(copies.items(), key=lambda kv: -kv[1][1]):
            print(f"| {key} | {n} | {ms:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")

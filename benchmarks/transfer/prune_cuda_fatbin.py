#!/usr/bin/env python3
"""Zero the GPU code of every architecture but one in an ELF's .nv_fatbin section.

ONNX Runtime's CUDA provider library carries cubins for sm_75..sm_120 (~280 MB). A GPU machine of one
architecture uses one of them; zeroing the others keeps every offset valid and lets the file compress to ~50 MB
(benchmarks/transfer/bundle.sh). The result runs ONLY on GPUs of the kept architecture (90: H100, H200).
usage: prune_cuda_fatbin.py IN.so OUT.so [--arch 90]
"""
import argparse
import struct
import subprocess

FATBIN_MAGIC = 0xBA55ED50


def fatbin_section(path):
    for line in subprocess.check_output(["readelf", "-S", "-W", path], text=True).splitlines():
        if ".nv_fatbin" in line:
            parts = line.split()
            i = parts.index(".nv_fatbin")
            return int(parts[i + 3], 16), int(parts[i + 4], 16)
    raise SystemExit(f"{path}: no .nv_fatbin section")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--arch", type=int, default=90)
    a = ap.parse_args()
    data = bytearray(open(a.src, "rb").read())
    off, size = fatbin_section(a.src)
    p, end, zeroed = off, off + size, 0
    while p < end - 16:
        magic, _ver, hsz, fsz = struct.unpack_from("<IHHQ", data, p)
        if magic != FATBIN_MAGIC:
            p += 8
            continue
        q, qend, entries = p + hsz, p + hsz + fsz, []
        while q < qend:
            _kind, _unk, ehsz, psz = struct.unpack_from("<HHIQ", data, q)
            arch = struct.unpack_from("<I", data, q + 28)[0]
            entries.append((q + ehsz, psz, arch))
            q += ehsz + psz
        if any(arch == a.arch for _, _, arch in entries):
            for start, psz, arch in entries:
                if arch != a.arch:
                    data[start:start + psz] = bytes(psz)
                    zeroed += psz
        p = qend
    open(a.dst, "wb").write(data)
    print(f"zeroed {zeroed / 1e6:.1f} MB of non-sm_{a.arch} code")


if __name__ == "__main__":
    main()

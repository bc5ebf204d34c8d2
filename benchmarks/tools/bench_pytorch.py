"""PyTorch baseline of the GPU benchmark (docs/benchmarks.md).

Runs the exporter's own PyTorch modules (f5tts_export.graphs: BatchedPreprocess, BatchedTransformer, BatchedDecode)
with the SAME random weights that make_benchmark_models.sh wrote (OUT_DIR/checkpoints), eager, on CUDA:

* variant `export-fp16`: BatchedTransformer in fp16 exactly as exported (QK^T, softmax and norms in fp32, explicit
  attention) -- the same arithmetic as F5_Transformer.onnx (fp16);
* variant `sdpa-fp16`: the same weights with attention through torch's fused scaled_dot_product_attention on fp16
  q/k/v and no key mask (all items have the same length here), i.e. what upstream F5-TTS runs in fp16;
* variant `sdpa-fp16-compiled` (not in the default list): `sdpa-fp16` under torch.compile(mode="reduce-overhead"),
  i.e. with Inductor's fused kernels and CUDA graphs (each new shape compiles first: the warm-up runs absorb it).

Preprocess and Decode run in fp32 (as the exports). Same N, same sampler as the C# harness: Euler, CFG as 2B rows
inside the Transformer, 32 steps on the uniform grid warped by sway -1, 16 steps on the EPSS grid. Timing: CUDA events
after warm-up for single stages; host clock after torch.cuda.synchronize() for end-to-end and batch runs (they end
with the audio on the host, as the service does).

Prints tables and one line per variant `PYBENCH_JSON {...}`.

Usage: python3 bench_pytorch.py OUT_DIR [--frames 680] [--text-tokens 82] [--variants export-fp16,sdpa-fp16]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import types
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "export"))  # the exporter package

from f5tts_export import checkpoint, graphs, sampler  # noqa: E402
from f5tts_export.config import dit_config, vocos_config  # noqa: E402

SR = 24000
HOP = 256


def pct(values, p):
    """numpy-style linear-interpolated percentile (same rule as the C# harness)."""
    s = sorted(values)
    pos = (len(s) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(values):
    return {"p50": pct(values, 50), "p95": pct(values, 95), "mean": sum(values) / len(values), "min": min(values),
            "max": max(values), "n": len(values)}


def dit_flops(cfg, batch, frames):
    """Same analytic count as benchmarks/F5Tts.GpuBench/DitFlops.cs (multiply-add = 2 FLOPs, matmuls/convs only)."""
    r, n, d = 2.0 * batch, float(frames), float(cfg.dim)
    inner = cfg.heads * cfg.dim_head
    tokens = r * n
    input_proj = tokens * (2 * cfg.mel_dim + cfg.text_dim) * d * 2
    conv_pos = 2 * tokens * d * (d / cfg.conv_pos_groups) * cfg.conv_pos_kernel * 2
    time_mlp = batch * (cfg.freq_embed_dim * d + d * d) * 2
    ada = cfg.depth * r * d * 6 * d * 2 + r * d * 2 * d * 2
    proj = tokens * (3 * d * inner + inner * d) * 2
    qk = r * n * n * inner * 2
    ffn = tokens * 2 * d * (cfg.ff_mult * d) * 2
    blocks = cfg.depth * (proj + 2 * qk + ffn)
    final = tokens * d * cfg.mel_dim * 2
    return input_proj + conv_pos + time_mlp + ada + blocks + final


def reference_audio(seconds):
    """The C# harness's synthetic clip (120 Hz harmonic tone, vibrato, envelope); content is irrelevant here."""
    n = int(round(seconds * SR))
    t = torch.arange(n, dtype=torch.float64, device="cpu") / SR
    f0 = 120 + 15 * torch.sin(2 * math.pi * 0.7 * t)
    phase = torch.cumsum(2 * math.pi * f0 / SR, 0)
    env = 0.5 + 0.5 * torch.sin(2 * math.pi * 3 * t)
    v = sum(torch.sin(h * phase) / h for h in range(1, 9))
    g = torch.Generator(device="cpu").manual_seed(12345)
    noise = torch.rand(n, generator=g, dtype=torch.float64, device="cpu") * 2 - 1
    return (0.12 * env * v + 0.005 * noise).float().unsqueeze(0)


def sdpa_attend(self, q, k, v, key_bias, use_sdpa):
    """Upstream-style attention: fp16 q/k/v into torch's fused SDPA (flash when no mask)."""
    mask = None if key_bias is None else key_bias == 0
    return F.scaled_dot_product_attention(q.to(v.dtype), k.to(v.dtype), v, attn_mask=mask)


class SdpaTransformer(torch.nn.Module):
    """BatchedTransformer's update with fused fp16 attention; no key mask (equal lengths in this benchmark)."""

    def __init__(self, export_module):
        super().__init__()
        self.dit = export_module.dit
        for blk in self.dit.transformer_blocks:
            blk.attn.attend = types.MethodType(sdpa_attend, blk.attn)

    def forward(self, x, cond, cond_drop, lengths, t, dt, cfg):
        v_c, v_u = self.dit.velocity(x, cond, cond_drop, t, None, use_sdpa=True)
        v_c, v_u = v_c.float(), v_u.float()
        return x + dt.view(-1, 1, 1) * (v_c + (v_c - v_u) * cfg.view(-1, 1, 1))


def cuda_time(fn, warmup, iters):
    out = []
    for i in range(warmup + iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        if i >= warmup:
            out.append(s.elapsed_time(e))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="make_benchmark_models.sh output directory (holds checkpoints/)")
    ap.add_argument("--frames", type=int, default=680)
    ap.add_argument("--text-tokens", type=int, default=82, help="T_text (the C# front-end's count for the sentence)")
    ap.add_argument("--ref-seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--e2e-iters", type=int, default=5)
    ap.add_argument("--batches", default="1,2,4,8,16")
    ap.add_argument("--batch-iters", type=int, default=3)
    ap.add_argument("--variants", default="export-fp16,sdpa-fp16")
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="H100 SXM dense fp16 tensor peak")
    ap.add_argument("--device-name", default=None)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()

    if not torch.cuda.is_available():
        print("no CUDA device: the PyTorch baseline needs one", file=sys.stderr)
        return 3
    dev = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_grad_enabled(False)

    cfg = dit_config("F5TTS_v1_Base")
    vcfg = vocos_config("vocos-mel-24khz")
    ck = sorted((Path(args.out) / "checkpoints").glob("*.safetensors"))
    if not ck:
        print(f"no checkpoint in {args.out}/checkpoints (run make_benchmark_models.sh first)", file=sys.stderr)
        return 3
    t0 = time.time()
    dit = checkpoint.load_f5(ck[0], cfg).transformer
    vocos = checkpoint.load_vocos(Path(args.out) / "checkpoints" / "vocos" / "pytorch_model.bin", vcfg)
    torch.set_default_device(dev)  # the graph code creates position tensors on the default device
    pre = graphs.BatchedPreprocess(dit).to(dev).eval()
    dec = graphs.BatchedDecode(vocos).to(dev).eval()
    tr_export = graphs.BatchedTransformer(dit, torch.float16).to(dev).eval()
    print(f"# loaded {ck[0].name} + vocos in {time.time() - t0:.1f} s; torch {torch.__version__}, "
          f"{torch.cuda.get_device_name()}", flush=True)

    n = args.frames
    wav_host = reference_audio(args.ref_seconds)
    g = torch.Generator(device="cpu").manual_seed(5)
    ids_host = torch.randint(1, 2545, (1, args.text_tokens), generator=g, dtype=torch.int32, device="cpu")
    total = torch.tensor([n], dtype=torch.int64)
    batches = [int(b) for b in args.batches.split(",") if b]
    grid32 = sampler.official_grid(32, -1.0, True).to(dev)
    grid16 = sampler.official_grid(16, -1.0, True).to(dev)

    def prepare(seed):
        cond, cond_drop, rf = pre(wav_host.to(dev, non_blocking=True), ids_host.to(dev), total)
        gen = torch.Generator(device=dev).manual_seed(seed)
        x = torch.randn(1, n, 100, generator=gen, device=dev)
        return x, cond, cond_drop, int(rf.item())

    def run(tr, items, grid):
        """items: list of (x, cond, cond_drop, ref_frames) of equal N -> list of host waveforms."""
        b = len(items)
        x = torch.cat([it[0] for it in items])
        cond = torch.cat([it[1] for it in items])
        cond_drop = torch.cat([it[2] for it in items])
        lengths = torch.full((b,), n, dtype=torch.int64)
        cfgs = torch.full((b,), 2.0)
        for k in range(grid.shape[0] - 1):
            x = tr(x, cond, cond_drop, lengths, grid[k].repeat(b), (grid[k + 1] - grid[k]).repeat(b), cfgs)
        rf = items[0][3]
        mel = x[:, rf:]
        wav = dec(mel, torch.full((b,), n - rf, dtype=torch.int64))
        return wav.cpu()

    results = []
    for variant in [v for v in args.variants.split(",") if v]:
        tr = tr_export if variant == "export-fp16" else SdpaTransformer(graphs.BatchedTransformer(dit, torch.float16).to(dev).eval())
        if variant == "sdpa-fp16-compiled":  # torch.compile with CUDA graphs: the fastest way to run upstream's model
            tr = torch.compile(tr, mode="reduce-overhead", dynamic=False)
        rep = {"label": f"pytorch-{variant}", "device": args.device_name or torch.cuda.get_device_name(),
               "precision": "fp16", "frames": n, "text_tokens": args.text_tokens, "torch": torch.__version__}
        print(f"\n# PyTorch, variant {variant}, N={n}, T_text={args.text_tokens}", flush=True)

        # per stage (batch 1)
        pre_ms = cuda_time(lambda: pre(wav_host.to(dev), ids_host.to(dev), total), args.warmup, args.iters)
        x0, c0, cd0, rf0 = prepare(1)
        one = (torch.ones(1, dtype=torch.int64) * n, torch.tensor([0.3]), torch.tensor([0.03]), torch.tensor([2.0]))
        step_ms = cuda_time(lambda: tr(x0, c0, cd0, *one), args.warmup, args.iters)
        mel0 = x0[:, rf0:].contiguous()
        len0 = torch.tensor([n - rf0], dtype=torch.int64)
        dec_ms = cuda_time(lambda: dec(mel0, len0), args.warmup, args.iters)
        audio_s = (n - rf0 - 1) * HOP / SR
        print("| stage | p50 ms | p95 ms | mean ms |\n|---|---:|---:|---:|")
        for name, v in (("Preprocess", pre_ms), ("Transformer step (cond+uncond)", step_ms), ("Decode (Vocos + ISTFT)", dec_ms)):
            s = summary(v)
            print(f"| {name} | {s['p50']:.2f} | {s['p95']:.2f} | {s['mean']:.2f} |")
        rep.update(preprocess_ms=summary(pre_ms), step_ms=summary(step_ms), decode_ms=summary(dec_ms),
                   audio_seconds_per_item=audio_s)

        # end to end (batch 1)
        print(f"\n| steps | p50 ms | p95 ms | mean ms | RTF | audio rms | finite |\n|---|---:|---:|---:|---:|---:|---|")
        e2e = {}
        for steps, grid in ((32, grid32), (16, grid16)):
            times = []
            for i in range(args.e2e_iters + 1):
                torch.cuda.synchronize()
                t = time.perf_counter()
                wav = run(tr, [prepare(100 + i)], grid)
                ms = (time.perf_counter() - t) * 1000
                if i > 0:
                    times.append(ms)
            s = summary(times)
            finite = bool(torch.isfinite(wav).all())
            rms = float(wav.float().pow(2).mean().sqrt())
            name = "16 (EPSS)" if steps == 16 else "32 (uniform+sway)"
            print(f"| {name} | {s['p50']:.1f} | {s['p95']:.1f} | {s['mean']:.1f} | {s['p50'] / 1000 / audio_s:.4f} | {rms:.4f} | {finite} |")
            e2e[str(steps)] = s
            e2e[f"{steps}_rms"] = rms
            e2e[f"{steps}_finite"] = finite
        rep["e2e_ms"] = e2e

        # batch throughput, 16 steps EPSS
        print("\n| B | wall p50 ms | step mean ms | audio s/s | TFLOP/s | util % |\n|---:|---:|---:|---:|---:|---:|")
        blist = []
        for b in batches:
            walls = []
            for r in range(args.batch_iters + 1):
                torch.cuda.synchronize()
                t = time.perf_counter()
                wav = run(tr, [prepare(1000 * r + k) for k in range(b)], grid16)
                ms = (time.perf_counter() - t) * 1000
                if r > 0:
                    walls.append(ms)
            xb, cb, cdb = x0.expand(b, -1, -1).contiguous(), c0.expand(b, -1, -1).contiguous(), cd0.expand(b, -1, -1).contiguous()
            ob = (torch.full((b,), n, dtype=torch.int64), torch.full((b,), 0.3), torch.full((b,), 0.03), torch.full((b,), 2.0))
            st = summary(cuda_time(lambda: tr(xb, cb, cdb, *ob), 1, max(3, args.batch_iters * 2)))
            w = summary(walls)
            audio = b * audio_s
            tflops = dit_flops(cfg, b, n) / (st["mean"] / 1000) / 1e12
            print(f"| {b} | {w['p50']:.1f} | {st['mean']:.2f} | {audio / (w['p50'] / 1000):.1f} | {tflops:.1f} | {100 * tflops / args.peak_tflops:.1f} |")
            blist.append({"batch": b, "wall_ms": w, "step_mean_ms": st["mean"], "audio_s": audio,
                          "audio_s_per_s": audio / (w["p50"] / 1000), "step_tflops": tflops,
                          "step_util_pct": 100 * tflops / args.peak_tflops})
        rep["batch"] = blist
        f1 = dit_flops(cfg, 1, n)
        tf1 = f1 / (summary(step_ms)["p50"] / 1000) / 1e12
        rep.update(flops_per_call_b1=f1, step_tflops_b1=tf1, peak_tflops=args.peak_tflops,
                   step_util_pct_b1=100 * tf1 / args.peak_tflops)
        print(f"\nB=1: {f1 / 1e9:.1f} GFLOP per call; step p50 {summary(step_ms)['p50']:.2f} ms -> {tf1:.1f} TFLOP/s = "
              f"{100 * tf1 / args.peak_tflops:.2f} % of {args.peak_tflops:.0f}")
        print("PYBENCH_JSON " + json.dumps(rep), flush=True)
        results.append(rep)
        del tr
        torch.cuda.empty_cache()

    if args.json_out:
        Path(args.json_out).write_text("\n".join(json.dumps(r) for r in results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

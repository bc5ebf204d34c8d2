"""Sanity check of the full-size benchmark exports written by benchmarks/tools/make_benchmark_models.sh.

* ONNX Runtime (CPU): one Transformer step of the fp32 and the fp16 export on the same random input (B=2, N frames,
  the second item padded), max abs difference and finiteness; Preprocess and Decode run once.
* PyTorch (CUDA if present): the fp16 Transformer module at --long-frames (default 4096 = max_frames) is finite.

Usage: python3 check_benchmark_models.py OUT_DIR [--frames 512] [--long-frames 4096]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "export"))  # the exporter package

from f5tts_export import checkpoint, graphs  # noqa: E402
from f5tts_export.config import dit_config  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--frames", type=int, default=512)
    ap.add_argument("--long-frames", type=int, default=4096)
    ap.add_argument("--torch-only", action="store_true", help="skip the ONNX part (random weights if no checkpoint)")
    args = ap.parse_args()
    out = Path(args.out)
    if not args.torch_only:
        check_onnx(out, args.frames)
    check_torch_fp16(out, args.long_frames)
    return 0


def check_onnx(out: Path, n: int) -> None:
    import onnxruntime as ort

    d32, d16 = out / "F5TTS_v1_Base-random-fp32", out / "F5TTS_v1_Base-random-fp16"
    so = ort.SessionOptions()
    so.log_severity_level = 3
    g = np.random.default_rng(0)
    feeds = {"x": g.standard_normal((2, n, 100), dtype=np.float32),
             "cond": g.standard_normal((2, n, 612), dtype=np.float32),
             "cond_drop": g.standard_normal((2, n, 612), dtype=np.float32),
             "lengths": np.array([n, n // 2], np.int64), "t": np.array([0.0, 0.7], np.float32),
             "dt": np.array([0.02, 0.05], np.float32), "cfg": np.array([2.0, 2.0], np.float32)}
    res = {}
    for name, d in (("fp32", d32), ("fp16", d16)):
        t0 = time.time()
        s = ort.InferenceSession(str(d / "F5_Transformer.onnx"), so, providers=["CPUExecutionProvider"])
        t1 = time.time()
        res[name] = s.run(None, feeds)[0]
        print(f"ORT CPU {name}: load {t1 - t0:.1f} s, one step B=2 N={n}: {time.time() - t1:.1f} s, "
              f"finite={bool(np.all(np.isfinite(res[name])))}")
    print(f"fp16 vs fp32 one-step state max abs diff (N={n}): {float(np.max(np.abs(res['fp16'] - res['fp32']))):.3e}")
    pre = ort.InferenceSession(str(d32 / "F5_Preprocess.onnx"), so, providers=["CPUExecutionProvider"])
    c, cd, rf = pre.run(None, {"audio": (0.1 * g.standard_normal((1, 48000))).astype(np.float32),
                               # padded Preprocess (exporter version 2): ids padded by -1 to the frame count
                               "text_ids": np.pad(g.integers(0, 2545, (1, 60)).astype(np.int32), ((0, 0), (0, 340)),
                                                  constant_values=-1),
                               "total_frames": np.array([400], np.int64)})
    dec = ort.InferenceSession(str(d32 / "F5_Decode.onnx"), so, providers=["CPUExecutionProvider"])
    wav = dec.run(None, {"mel": g.standard_normal((2, 200, 100), dtype=np.float32) - 4,
                         "lengths": np.array([200, 120], np.int64)})[0]
    print(f"Preprocess cond {c.shape} ref_frames {rf.tolist()}; Decode audio {wav.shape} finite "
          f"{bool(np.all(np.isfinite(wav)))}")



def check_torch_fp16(out: Path, ln: int) -> None:
    cfg = dit_config("F5TTS_v1_Base")
    cks = sorted((out / "checkpoints").glob("*.safetensors"))
    if cks:
        dit = checkpoint.load_f5(cks[0], cfg).transformer
    else:
        from f5tts_export.dit import CFMContainer
        m = CFMContainer(cfg)
        m.load_state_dict(checkpoint.normalise_f5_keys(checkpoint.random_f5_state_dict(cfg, 0)), strict=True)
        dit = m.transformer.eval()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_default_device(dev)  # the graph code creates its position tensors on the default device
    m16 = graphs.BatchedTransformer(dit, torch.float16).to(dev).eval()
    m32 = graphs.BatchedTransformer(dit, torch.float32).to(dev).eval()
    gen = torch.Generator(device="cpu").manual_seed(1)
    x = torch.randn(2, ln, 100, generator=gen, device="cpu").to(dev)
    c = (3 * torch.randn(2, ln, 612, generator=gen, device="cpu")).to(dev)
    cd = (3 * torch.randn(2, ln, 612, generator=gen, device="cpu")).to(dev)
    for t in (0.0, 0.5, 0.97):
        feeds = (x, c, cd, torch.tensor([ln, ln * 3 // 4], device=dev), torch.tensor([t, t], device=dev),
                 torch.tensor([0.03, 0.03], device=dev), torch.tensor([2.0, 2.0], device=dev))
        with torch.no_grad():
            y16 = m16(*feeds)
            y32 = m32(*feeds)
            v16, v32 = (y16 - x) / 0.03, (y32 - x) / 0.03
        print(f"torch {dev} fp16 module B=2 N={ln} t={t}: finite={bool(torch.isfinite(y16).all())}, "
              f"state max abs diff vs fp32 {float((y16 - y32).abs().max()):.3e}, "
              f"velocity max abs diff {float((v16 - v32).abs().max()):.3e} (velocity max abs {float(v32.abs().max()):.2f})")


if __name__ == "__main__":
    sys.exit(main())

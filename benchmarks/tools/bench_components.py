"""Times the pieces of one F5TTS_v1_Base DiT step in PyTorch fp16 on CUDA (CUDA events), to bound what an ONNX
Runtime step can reach: GEMMs, fused attention with a key mask, LayerNorm+modulation, the grouped position
convolutions (cuDNN autotuned or not). Prints one line per piece: batch rows, ms per step (all 22 blocks)."""
import sys

import torch
import torch.nn.functional as F

D, H, FF, DEPTH = 1024, 16, 2048, 22


def timed(fn, iters=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(iters):
        fn()
    b.record()
    torch.cuda.synchronize()
    return a.elapsed_time(b) / iters


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 680
    dev = "cuda"
    for batch in (1, 16):
        rows = 2 * batch
        x = torch.randn(rows, n, D, device=dev, dtype=torch.float16)
        w_qkv = torch.randn(3 * D, D, device=dev, dtype=torch.float16) * 0.02
        w_o = torch.randn(D, D, device=dev, dtype=torch.float16) * 0.02
        w1 = torch.randn(FF, D, device=dev, dtype=torch.float16) * 0.02
        w2 = torch.randn(D, FF, device=dev, dtype=torch.float16) * 0.02
        q = torch.randn(rows, H, n, 64, device=dev, dtype=torch.float16)
        mask = torch.ones(rows, 1, 1, n, device=dev, dtype=torch.bool)
        scale = torch.randn(rows, 1, D, device=dev, dtype=torch.float16)
        conv = torch.nn.Conv1d(D, D, 31, groups=16, padding=15).to(dev).half()
        xc = torch.randn(batch, D, n, device=dev, dtype=torch.float16)
        res = {
            "gemm qkv+out+ff": lambda: (F.linear(x, w_qkv), F.linear(x, w_o), F.linear(F.linear(x, w1).relu(), w2)),
            "sdpa (mask)": lambda: F.scaled_dot_product_attention(q, q, q, attn_mask=mask),
            "sdpa (no mask, flash)": lambda: F.scaled_dot_product_attention(q, q, q),
            "layernorm+modulate x2": lambda: [F.layer_norm(x, (D,)) * (1 + scale) + scale for _ in range(2)],
            "elementwise gate+residual x2": lambda: [x + scale * x for _ in range(2)],
        }
        for name, fn in res.items():
            print(f"B={batch} rows={rows} N={n} {name}: {timed(fn) * DEPTH:.2f} ms per step (22 blocks)")
        for bench in (False, True):
            torch.backends.cudnn.benchmark = bench
            ms = timed(lambda: conv(F.mish(conv(xc))), 10)
            print(f"B={batch} conv-pos (2 grouped convs, one branch) cudnn.benchmark={bench}: {ms * 2:.2f} ms per step (both branches)")
        torch.backends.cudnn.benchmark = False


if __name__ == "__main__":
    with torch.no_grad():
        main()

"""CLI: python -m f5tts_export {random-init,export,fixtures} ... (run from tools/export or with it on PYTHONPATH)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch


def _models(args):
    from . import checkpoint
    from .config import dit_config, vocos_config

    cfg = dit_config(args.model)
    vcfg = vocos_config(args.vocoder)
    if args.random_init:
        sd = checkpoint.random_f5_state_dict(cfg, args.seed)
        vsd = checkpoint.random_vocos_state_dict(vcfg, args.seed + 1)
        if args.save_checkpoint:
            d = Path(args.save_checkpoint)
            checkpoint.save_state_dict(sd, d / f"{cfg.name}_random_seed{args.seed}.safetensors")
            checkpoint.save_state_dict(vsd, d / "vocos" / "pytorch_model.bin")
        from .dit import CFMContainer
        from .vocos import Vocos
        m = CFMContainer(cfg)
        m.load_state_dict(checkpoint.normalise_f5_keys(sd), strict=True)
        v = Vocos(vcfg)
        v.load_state_dict({k: t for k, t in vsd.items() if not k.startswith("feature_extractor.")
                           and k != "head.istft.window"}, strict=True)
        return m.transformer.eval(), v.eval()
    if not args.ckpt or not args.vocos_ckpt:
        raise SystemExit("give --ckpt and --vocos-ckpt, or --random-init --seed N")
    return checkpoint.load_f5(args.ckpt, cfg).transformer, checkpoint.load_vocos(args.vocos_ckpt, vcfg)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m f5tts_export", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    ri = sub.add_parser("random-init", help="write a random checkpoint in the official key layout")
    ri.add_argument("--model", default="F5TTS_v1_Base")
    ri.add_argument("--vocoder", default="vocos-mel-24khz")
    ri.add_argument("--seed", type=int, required=True)
    ri.add_argument("--out", required=True, help="F5 checkpoint path (.safetensors or .pt)")
    ri.add_argument("--vocos-out", help="Vocos checkpoint path (pytorch_model.bin or .safetensors)")

    ex = sub.add_parser("export", help="export ONNX graphs of one contract")
    ex.add_argument("--contract", choices=["f5tts-batched/1", "dakeqq"], default="f5tts-batched/1")
    ex.add_argument("--model", default="F5TTS_v1_Base", help="config: F5TTS_v1_Base, F5TTS_Base, *_Small, tiny-v1, tiny-v0")
    ex.add_argument("--vocoder", default="vocos-mel-24khz", help="vocos-mel-24khz or tiny")
    ex.add_argument("--ckpt", help="F5-TTS checkpoint (.safetensors or .pt)")
    ex.add_argument("--vocos-ckpt", help="Vocos pytorch_model.bin (or .safetensors)")
    ex.add_argument("--random-init", action="store_true", help="random weights in the official layout")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--save-checkpoint", help="with --random-init: also write the random checkpoints here")
    ex.add_argument("--out", required=True, help="output directory")
    ex.add_argument("--precision", choices=["fp32", "fp16"], default="fp32")
    ex.add_argument("--max-frames", type=int, default=4096)
    ex.add_argument("--attention", choices=["fused", "f5ops", "plain"], default="fused",
                    help="f5tts-batched/1 Transformer attention: fused (com.microsoft RotaryEmbedding + "
                         "MultiHeadAttention; ONNX Runtime CUDA/CPU), f5ops (fused + the project's f5tts.ops kernels; "
                         "needs libf5tts_ops, docs/custom-ops.md) or plain (standard ONNX ops; TensorRT)")
    ex.add_argument("--vocab", help="vocab.txt to copy beside the graphs (default: the bundled official one)")
    ex.add_argument("--model-name", help="value of f5tts.model (default: --model)")
    ex.add_argument("--nfe-step", type=int, default=32, help="dakeqq: grid points (32 -> 31 Transformer calls)")
    ex.add_argument("--cfg", type=float, default=2.0, help="dakeqq: baked CFG strength")
    ex.add_argument("--sway", type=float, default=-1.0, help="dakeqq: baked sway coefficient")

    fx = sub.add_parser("fixtures", help="regenerate the tiny test models and golden data")
    fx.add_argument("--out", required=True)

    args = p.parse_args(argv)
    if args.cmd == "random-init":
        from . import checkpoint
        from .config import dit_config, vocos_config
        checkpoint.save_state_dict(checkpoint.random_f5_state_dict(dit_config(args.model), args.seed), args.out)
        if args.vocos_out:
            checkpoint.save_state_dict(checkpoint.random_vocos_state_dict(vocos_config(args.vocoder), args.seed + 1),
                                       args.vocos_out)
        return 0
    if args.cmd == "fixtures":
        from .fixtures import make_all
        make_all(args.out)
        return 0

    from . import export
    t0 = time.time()
    with torch.no_grad():
        dit, vocos = _models(args)
    name = args.model_name or args.model
    if args.contract == "dakeqq":
        if args.precision != "fp32":
            raise SystemExit("the dakeqq contract is exported in fp32 only (fp16 is offered by f5tts-batched/1)")
        export.export_dakeqq(dit, vocos, args.out, name, args.nfe_step, args.cfg, args.sway, args.vocab)
    else:
        export.export_batched(dit, vocos, args.out, name, args.precision, args.max_frames, args.vocab,
                              args.attention)
    print(f"exported {args.contract} {args.precision} to {args.out} in {time.time() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

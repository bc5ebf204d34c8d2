"""Checkpoint loading (official layouts) and random initialisation in exactly the official key layout.

F5-TTS (upstream utils_infer.load_checkpoint): `.safetensors` with or without the `ema_model.` prefix, or `.pt`
with `ema_model_state_dict` (EMA weights); keys `initted`, `step` and legacy `mel_spec.*` are dropped; everything else
must match the model exactly (names and shapes). Vocos: `pytorch_model.bin` (or .safetensors) of
charactr/vocos-mel-24khz; the feature extractor's buffers and the ISTFT window are dropped (they are recomputed).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Dict, List, Tuple

import torch

from . import audio
from .config import DiTConfig, VocosConfig
from .dit import CFMContainer
from .vocos import Vocos

DATA_DIR = Path(__file__).resolve().parent / "data"
EMA_PREFIX = "ema_model."


# --------------------------------------------------------------------------------------------- key layouts
def read_key_tsv(path: os.PathLike) -> List[Tuple[str, Tuple[int, ...], str]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, shape, dtype = line.split("\t")
        rows.append((name, tuple(int(s) for s in shape.split("x")), dtype))
    return rows


def f5_layout(cfg: DiTConfig) -> Dict[str, Tuple[int, ...]]:
    """Names (with the `ema_model.` prefix) and shapes of an official checkpoint for cfg (built on the meta device)."""
    with torch.device("meta"):
        model = CFMContainer(cfg)
    return {EMA_PREFIX + k: tuple(v.shape) for k, v in model.state_dict().items()}


def vocos_layout(cfg: VocosConfig) -> Dict[str, Tuple[int, ...]]:
    with torch.device("meta"):
        model = Vocos(cfg)
    layout = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    n_freq = cfg.n_fft // 2 + 1
    layout["feature_extractor.mel_spec.mel_scale.fb"] = (n_freq, cfg.input_channels)
    layout["feature_extractor.mel_spec.spectrogram.window"] = (cfg.n_fft,)
    layout["head.istft.window"] = (cfg.n_fft,)
    return layout


# --------------------------------------------------------------------------------------------- random init
def _init_tensor(name: str, shape: Tuple[int, ...], g: torch.Generator, vocos_layers: int = 0) -> torch.Tensor:
    """Deterministic, non-degenerate random values (no zero-initialised gates, so every path is exercised)."""
    leaf = name.rsplit(".", 1)[-1]
    if name.endswith("rotary_embed.inv_freq"):
        dim = shape[0] * 2
        return 1.0 / (10000.0 ** (torch.arange(0, dim, 2).float() / dim))
    if name.endswith("mel_scale.fb"):
        return audio.melscale_fbanks()
    if name.endswith("window"):
        return audio.hann_window(shape[0])
    r = torch.randn(shape, generator=g, dtype=torch.float32)
    if name.endswith("text_embed.text_embed.weight"):
        return r  # nn.Embedding default N(0, 1)
    if "grn." in name:
        return 0.1 * r
    if name.startswith("backbone.convnext.") and leaf == "gamma":  # Vocos layer scale
        return (1.0 / max(vocos_layers, 1)) * (1.0 + 0.1 * r)
    if name.endswith(".norm.weight") or name.endswith("final_layer_norm.weight"):  # affine LayerNorms
        return 1.0 + 0.1 * r
    if name.startswith("head.out."):
        if leaf == "bias":  # first half: log-magnitudes (audible, mostly inside [-1, 1]); second: phases
            half = shape[0] // 2
            return torch.cat([1.0 + 0.1 * r[:half], r[half:]])
        return 0.5 * r / math.sqrt(shape[1])
    if leaf == "bias":
        return 0.05 * r
    fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
    scale = 0.5 if ("attn_norm" in name or "norm_out" in name) else 1.0
    return scale * r / math.sqrt(fan_in)


def random_f5_state_dict(cfg: DiTConfig, seed: int) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: _init_tensor(k, shape, g).contiguous() for k, shape in sorted(f5_layout(cfg).items())}


def random_vocos_state_dict(cfg: VocosConfig, seed: int) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: _init_tensor(k, shape, g, cfg.num_layers).contiguous() for k, shape in sorted(vocos_layout(cfg).items())}


def save_state_dict(sd: Dict[str, torch.Tensor], path: os.PathLike) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file
        save_file(sd, str(path))
    else:
        torch.save(sd, str(path))


# --------------------------------------------------------------------------------------------- loading
def _read(path: os.PathLike) -> Dict[str, torch.Tensor]:
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        return load_file(str(path), device="cpu")
    obj = torch.load(str(path), map_location="cpu", weights_only=True)
    if isinstance(obj, dict):
        for key in ("ema_model_state_dict", "state_dict"):
            if key in obj and isinstance(obj[key], dict):
                return obj[key]
    return obj


def normalise_f5_keys(raw: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    out = {}
    for k, v in raw.items():
        if k.startswith(EMA_PREFIX):
            k = k[len(EMA_PREFIX):]
        if k in ("initted", "step") or k.startswith("mel_spec."):
            continue
        out[k] = v
    return out


def _strict_load(model: torch.nn.Module, sd: Dict[str, torch.Tensor], what: str) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(sd))
    unexpected = sorted(set(sd) - set(expected))
    bad_shape = sorted(k for k in set(expected) & set(sd) if tuple(expected[k].shape) != tuple(sd[k].shape))
    if missing or unexpected or bad_shape:
        msg = [f"{what}: checkpoint does not match the model"]
        if missing:
            msg.append(f"missing ({len(missing)}): {missing[:8]}")
        if unexpected:
            msg.append(f"unexpected ({len(unexpected)}): {unexpected[:8]}")
        if bad_shape:
            msg.append("shape mismatch: " + ", ".join(f"{k} {tuple(sd[k].shape)} != {tuple(expected[k].shape)}"
                                                      for k in bad_shape[:8]))
        raise ValueError("; ".join(msg))
    model.load_state_dict({k: v.to(torch.float32) for k, v in sd.items()}, strict=True)


def load_f5(path: os.PathLike, cfg: DiTConfig) -> CFMContainer:
    sd = normalise_f5_keys(_read(path))
    model = CFMContainer(cfg)
    inv = "transformer.rotary_embed.inv_freq"
    if inv not in sd:  # a non-learned buffer that some older x-transformers versions did not persist
        sd[inv] = model.state_dict()[inv].clone()
    _strict_load(model, sd, f"F5-TTS {cfg.name} ({path})")
    return model.eval()


def load_vocos(path: os.PathLike, cfg: VocosConfig) -> Vocos:
    raw = _read(path)
    sd = {k: v for k, v in raw.items() if not k.startswith("feature_extractor.") and k != "head.istft.window"}
    model = Vocos(cfg)
    _strict_load(model, sd, f"Vocos {cfg.name} ({path})")
    return model.eval()

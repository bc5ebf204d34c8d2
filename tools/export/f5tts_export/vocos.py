"""Vocos mel-24khz vocoder (gemelo-ai/vocos: VocosBackbone + ISTFTHead, padding "center"), docs/model.md "Vocoder".
Real LayerNorm (not DakeQQ's un-centred RMS approximation). Parameter names = the pytorch_model.bin keys."""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from . import audio
from .config import VocosConfig


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, intermediate_dim: int, layer_scale_init_value: float):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.act = nn.GELU()  # exact (erf)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones(dim))

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B, C, T]; keep [B, 1, T] zeroes padded frames before the depthwise conv."""
        residual = x
        if keep is not None:
            x = x * keep
        x = self.dwconv(x).transpose(1, 2)
        x = self.norm(x)
        x = self.pwconv2(self.act(self.pwconv1(x)))
        x = self.gamma * x
        return residual + x.transpose(1, 2)


class VocosBackbone(nn.Module):
    def __init__(self, cfg: VocosConfig):
        super().__init__()
        self.embed = nn.Conv1d(cfg.input_channels, cfg.dim, kernel_size=7, padding=3)
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        scale = 1.0 / cfg.num_layers
        self.convnext = nn.ModuleList([ConvNeXtBlock(cfg.dim, cfg.intermediate_dim, scale) for _ in range(cfg.num_layers)])
        self.final_layer_norm = nn.LayerNorm(cfg.dim, eps=1e-6)

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B, 100, T] -> [B, T, dim]."""
        if keep is not None:
            x = x * keep
        x = self.embed(x)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.convnext:
            x = block(x, keep)
        return self.final_layer_norm(x.transpose(1, 2))


class ISTFTHead(nn.Module):
    def __init__(self, cfg: VocosConfig):
        super().__init__()
        self.out = nn.Linear(cfg.dim, cfg.n_fft + 2)

    def mag_phase(self, x: torch.Tensor):
        x = self.out(x).transpose(1, 2)
        mag, p = x.chunk(2, dim=1)
        mag = torch.exp(mag).clamp(max=1e2)
        return mag, p


class Vocos(nn.Module):
    def __init__(self, cfg: VocosConfig):
        super().__init__()
        self.cfg = cfg
        self.backbone = VocosBackbone(cfg)
        self.head = ISTFTHead(cfg)
        self.register_buffer("window", audio.hann_window(cfg.n_fft), persistent=False)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Reference path: mel [B, 100, T] (no padding) -> waveform [B, (T-1)*256] via torch.istft."""
        mag, p = self.head.mag_phase(self.backbone(mel))
        return audio.istft_reference(mag, p)

    def decode_masked(self, mel: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Export path: mel [B, T, 100], lengths [B] -> [B, (T-1)*256]; each item equals forward() on its own
        first lengths[b] frames, samples past (lengths[b]-1)*256 are 0."""
        t_idx = torch.arange(torch._shape_as_tensor(mel)[1], dtype=torch.int64)
        keep = (t_idx.unsqueeze(0) < lengths.unsqueeze(1)).to(mel.dtype).unsqueeze(1)  # [B, 1, T]
        mag, p = self.head.mag_phase(self.backbone(mel.transpose(1, 2), keep))
        return audio.istft_conv(mag, p, lengths, self.window)

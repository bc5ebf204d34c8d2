"""Reference (upstream-equivalent, un-exported) pipeline pieces used for golden data and parity tests."""

from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F

from . import audio, sampler
from .dit import DiT
from .vocos import Vocos


@torch.no_grad()
def condition(dit: DiT, wav: torch.Tensor, text_ids: torch.Tensor, n: int):
    """Upstream-style conditioning for one item: wav [1, S] float, text_ids [1, T] (vocab ids), n total frames.
    Returns cond, cond_drop [1, n, 100 + text_dim] and the reference frame count S//256 + 1."""
    mel = audio.log_mel_reference(wav, audio.melscale_fbanks())  # [1, F, 100]
    f = mel.shape[1]
    mel = mel[:, :n]
    mel_full = F.pad(mel, (0, 0, 0, n - mel.shape[1]), value=0.0)
    text = dit.text_embed(text_ids.to(torch.int64), n, drop_text=False)
    text_drop = dit.text_embed(text_ids.to(torch.int64), n, drop_text=True)
    cond = torch.cat([mel_full, text], dim=-1)
    cond_drop = torch.cat([torch.zeros_like(mel_full), text_drop], dim=-1)
    return cond, cond_drop, f


@torch.no_grad()
def sample(dit: DiT, cond, cond_drop, noise, grid, cfg_strength: float = 2.0,
           lengths: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
    return sampler.reference_sample(dit, cond, cond_drop, noise, grid, cfg_strength, lengths, use_sdpa=True)


@torch.no_grad()
def vocode(vocos: Vocos, mel: torch.Tensor) -> torch.Tensor:
    """mel [T, 100] (generated frames only) -> waveform [(T-1)*256] float (torch.istft path)."""
    return vocos(mel.t().unsqueeze(0))[0]


def to_int16(wav: torch.Tensor) -> torch.Tensor:
    """DakeQQ Decode's output conversion: clamp to [-1, 1], × 32767, cast (truncation toward zero)."""
    return (wav.clamp(-1.0, 1.0) * 32767.0).to(torch.int16)

"""nn.Module wrappers that define the three ONNX graphs of each model contract (docs/engine.md "Contracts").

f5tts-batched/1: Preprocess (B=1) / Transformer (dynamic B, N; per-item t, dt, cfg, lengths) / Decode (dynamic B, T).
dakeqq:          the DakeQQ/F5-TTS-ONNX interface (docs/model.md "The dakeqq graphs"), batch 1, grid/CFG baked into the Transformer.
"""

from __future__ import annotations

import copy
from typing import Optional

import torch
from torch import nn

from . import audio
from .dit import DiT, TextEmbedding, text_pos_embed
from .fused import FusedDiT
from .vocos import Vocos


def _shape(x: torch.Tensor, i: int) -> torch.Tensor:
    return torch._shape_as_tensor(x)[i]


class ConditionBuilder(nn.Module):
    """Shared by both Preprocess graphs: log-mel of the reference + text embeddings, padded to N frames.

    forward() is the dakeqq form (N a value, positions and the text position table computed per run); padded() the
    f5tts-batched form, which needs `max_frames`: its frame positions are a stored constant sliced to the padded length
    and its text position table is built for max_frames rows from the anchor (export._fold_anchors makes ONNX Runtime
    compute it once at load): no Range node on the CPU, no per-run sinusoid (docs/export.md "Constant tables")."""

    def __init__(self, text_embed: TextEmbedding, max_frames: Optional[int] = None):
        super().__init__()
        self.text_embed = copy.deepcopy(text_embed).float()
        self.register_buffer("fb", audio.melscale_fbanks(), persistent=False)
        self.register_buffer("window", audio.hann_window(), persistent=False)
        self.max_frames = max_frames
        if max_frames is not None:
            self.register_buffer("positions", torch.arange(max_frames, dtype=torch.int64), persistent=False)

    def forward(self, wav: torch.Tensor, text_ids: torch.Tensor, n: torch.Tensor):
        """wav [1, S] float; text_ids [1, T] int; n 0-d int64 -> (cond, cond_drop [1, N, 612], ref_frames 0-d)."""
        mel = audio.log_mel_conv(wav, self.fb, self.window)  # [1, F, 100]
        f = _shape(mel, 1)
        pos = torch.arange(n, dtype=torch.int64)
        mel_full = mel.index_select(1, torch.minimum(pos, f - 1)) * (pos < f).to(mel.dtype).view(1, -1, 1)
        ids = text_ids.to(torch.int64) + 1
        t_len = _shape(ids, 1)
        tok = ids.index_select(1, torch.minimum(pos, t_len - 1)) * (pos < t_len).to(torch.int64).view(1, -1)
        text, text_drop = self.text_embed.embed_tokens_pair(tok)  # one batch: half the nodes of two passes
        cond = torch.cat([mel_full, text], dim=-1)
        cond_drop = torch.cat([torch.zeros_like(mel_full), text_drop], dim=-1)
        return cond, cond_drop, f

    def padded(self, wav: torch.Tensor, text_ids: torch.Tensor, total_frames: torch.Tensor):
        """The padded form (f5tts-batched Preprocess "padded", docs/export.md "Padded Preprocess"): wav [B, S] (one
        reference length for the whole batch); text_ids [B, P] int, -1 past each item's text, P = the padded frame
        count; total_frames [B] int64, each item's N <= P -> cond, cond_drop [B, P, C] (rows past N are 0; rows before
        N as forward() at N), ref_frames [B].

        No value computed from a shape reaches the GPU: the shapes of the outputs come from text_ids and the reference
        frame count F is counted on the device (a sum of ones over the mel's frames), so ONNX Runtime needs no Memcpy
        node and can capture the graph as a CUDA graph at fixed shapes, each item's N being a value."""
        mel = audio.log_mel_conv(wav, self.fb, self.window)  # [B, F, 100]
        f = torch.ones_like(mel[:, :, 0]).sum(dim=1)  # [B] float, = F (exact: F <= max_frames)
        pos = self.positions[: _shape(text_ids, 1)]
        f0 = f[:1].to(torch.int64)
        mel_full = mel.index_select(1, torch.minimum(pos, f0 - 1)) * (pos < f0).to(mel.dtype).view(1, -1, 1)
        frames = pos.unsqueeze(0) < total_frames.unsqueeze(1)  # [B, P]
        tok = text_ids.to(torch.int64) + 1
        rows = audio.anchor_of(wav) + self.max_frames
        table = text_pos_embed(rows, self.text_embed.text_dim)[: _shape(tok, 1)]
        text, text_drop = self.text_embed.embed_tokens_pair(tok, table, frames)
        own = frames.unsqueeze(-1).to(mel.dtype)
        cond = torch.cat([mel_full, text], dim=-1) * own
        cond_drop = torch.cat([torch.zeros_like(mel_full), text_drop], dim=-1) * own
        return cond, cond_drop, f.to(torch.int64)


# ============================================================================================ f5tts-batched/1
class BatchedPreprocess(nn.Module):
    """Preprocess of the padded form (ConditionBuilder.padded): a batch of items of one reference length, each padded to
    the same frame count, at shapes the caller can bucket."""

    def __init__(self, dit: DiT, max_frames: int = 4096):
        super().__init__()
        self.cond = ConditionBuilder(dit.text_embed, max_frames)

    def forward(self, audio_in: torch.Tensor, text_ids: torch.Tensor, total_frames: torch.Tensor):
        return self.cond.padded(audio_in, text_ids, total_frames)


class BatchedTransformer(nn.Module):
    """attention: "plain" (MatMul/Softmax with an additive key bias, logits in fp32: any provider, TensorRT) or
    "fused" (com.microsoft RotaryEmbedding + MultiHeadAttention, see fused.py: ONNX Runtime CPU/CUDA) or "f5ops"
    ("fused" with the project's f5tts.ops kernels for the memory passes: needs libf5tts_ops, docs/custom-ops.md)."""

    def __init__(self, dit: DiT, dtype: torch.dtype = torch.float32, attention: str = "plain", max_frames: int = 4096):
        super().__init__()
        self.dit = copy.deepcopy(dit).to(dtype)
        self.dit.rotary_embed.inv_freq.data = dit.rotary_embed.inv_freq.data.float().clone()
        if attention not in ("plain", "fused", "f5ops"):
            raise ValueError("attention must be plain, fused or f5ops")
        self.fused = None if attention == "plain" else FusedDiT(self.dit, max_frames, custom_ops=attention == "f5ops")

    def forward(self, x, cond, cond_drop, lengths, t, dt, cfg):
        return self.step(x, cond, cond_drop, lengths, t, dt, cfg)

    def step(self, x, cond, cond_drop, lengths, t, dt, cfg, rows=None):
        if self.fused is not None:
            keep = self.fused.keep_mask(x, lengths)  # [B, N, 1], shared by both uses
            v_c, v_u = self.fused.velocity(x, cond, cond_drop, t, lengths, keep, rows)
            keep = keep.to(torch.float32)
        else:
            v_c, v_u = self.dit.velocity(x, cond, cond_drop, t, lengths)
            pos = torch.arange(_shape(x, 1), dtype=torch.int64)
            keep = (pos.unsqueeze(0) < lengths.unsqueeze(1)).to(torch.float32).unsqueeze(-1)
        v_c = v_c.float()
        v_u = v_u.float()
        f = v_c + (v_c - v_u) * cfg.view(-1, 1, 1)
        x_next = x + dt.view(-1, 1, 1) * f
        return x_next * keep


class BatchedTableTransformer(BatchedTransformer):
    """The Transformer of `--attention f5ops` exports: the items' AdaLN modulation rows are gathered from a time
    table (rows computed once per distinct t by F5_TimeModulation, kept on the device by the engine) instead of being
    computed from t every step (docs/export.md "Time modulation table"). Inputs: time_table [R, M] in the compute
    dtype and time_index int64 [B] (each item's row) in place of t."""

    def __init__(self, dit: DiT, dtype: torch.dtype = torch.float32, max_frames: int = 4096):
        super().__init__(dit, dtype, "f5ops", max_frames)

    def forward(self, x, cond, cond_drop, lengths, time_table, time_index, dt, cfg):
        return self.step(x, cond, cond_drop, lengths, None, dt, cfg, time_table.index_select(0, time_index))


class BatchedTimeModulation(nn.Module):
    """F5_TimeModulation: t [R] float32 -> time_table rows [R, M] in the compute dtype (FusedDiT.modulation_rows)."""

    def __init__(self, transformer: BatchedTransformer):
        super().__init__()
        self.fused = transformer.fused

    def forward(self, t):
        return self.fused.modulation_rows(t)


class BatchedDecode(nn.Module):
    def __init__(self, vocos: Vocos):
        super().__init__()
        self.vocos = copy.deepcopy(vocos).float()

    def forward(self, mel, lengths):
        return self.vocos.decode_masked(mel, lengths)


# ============================================================================================ dakeqq
class DakeqqPreprocess(nn.Module):
    def __init__(self, dit: DiT):
        super().__init__()
        self.cond = ConditionBuilder(dit.text_embed)
        self.rotary = copy.deepcopy(dit.rotary_embed).float()
        heads = dit.cfg.heads
        pn = dit.cfg.pe_attn_head
        rot = torch.tensor([pn is None or h < pn for h in range(heads)])
        # Per-head RoPE selector: v0 (pe_attn_head=1) leaves heads >= 1 unrotated (cos 1, sin 0), which makes a
        # v0 model exportable to this all-heads interface without changing its semantics.
        self.register_buffer("rot_heads", rot.view(1, heads, 1, 1).to(torch.float32), persistent=False)

    def forward(self, audio_i16, text_ids, max_duration):
        wav = audio_i16.to(torch.float32)[:, 0, :] / 32768.0
        n = max_duration[0]
        cond, cond_drop, f = self.cond(wav, text_ids, n)
        noise = torch.randn_like(cond[:, :, :100])
        freqs = self.rotary.freqs(n)  # [N, 64]
        cos = torch.cos(freqs).view(1, 1, -1, freqs.shape[-1])
        sin = torch.sin(freqs).view(1, 1, -1, freqs.shape[-1])
        r = self.rot_heads
        cos_h = cos * r + (1.0 - r)
        sin_h = sin * r
        cos_q = torch.cat([cos_h, cos_h], dim=0)
        sin_q = torch.cat([sin_h, sin_h], dim=0)
        return (noise, cos_q, sin_q, cos_q.transpose(2, 3), sin_q.transpose(2, 3), cond, cond_drop, f)


class DakeqqTransformer(nn.Module):
    def __init__(self, dit: DiT, grid: torch.Tensor, cfg_strength: float = 2.0):
        super().__init__()
        self.dit = copy.deepcopy(dit).float()
        with torch.no_grad():
            self.register_buffer("time_table", self.dit.time_embed(grid[:-1].float()).clone(), persistent=False)
        self.register_buffer("delta_t", (grid[1:] - grid[:-1]).float().clone(), persistent=False)
        self.cfg_strength = float(cfg_strength)

    def forward(self, noise, rope_cos_q, rope_sin_q, rope_cos_k, rope_sin_k, cat_mel_text, cat_mel_text_drop,
                time_step):
        i = time_step.to(torch.int64)
        temb = self.time_table.index_select(0, i)
        dt = self.delta_t.index_select(0, i)
        rope = (rope_cos_q, rope_sin_q, rope_cos_k.transpose(2, 3), rope_sin_k.transpose(2, 3))
        v_c, v_u = self.dit.velocity(noise, cat_mel_text, cat_mel_text_drop, None, None, temb=temb, rope=rope)
        denoised = noise + (v_c + (v_c - v_u) * self.cfg_strength) * dt
        return denoised, time_step + 1


class DakeqqDecode(nn.Module):
    def __init__(self, vocos: Vocos):
        super().__init__()
        self.vocos = copy.deepcopy(vocos).float()

    def forward(self, denoised, ref_signal_len):
        idx = torch.arange(ref_signal_len, _shape(denoised, 1), dtype=torch.int64)
        mel = denoised.to(torch.float32).index_select(1, idx)
        wav = self.vocos.decode_masked(mel, _shape(mel, 1).view(1))
        return (wav.clamp(-1.0, 1.0) * 32767.0).to(torch.int16).unsqueeze(1)

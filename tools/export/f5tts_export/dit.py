"""F5-TTS DiT backbone (SWivid/F5-TTS src/f5_tts/model/backbones/dit.py + modules.py), written from the
reference (docs/model.md "Model configurations"). Parameter names reproduce the upstream state-dict keys exactly (`transformer.` + names below).

Precision: every module works in the dtype of its parameters (fp32 for the reference, fp16 for an fp16 export),
but LayerNorm statistics, the attention logits/softmax, the time sinusoid and the RoPE angles are always computed
in fp32: fp16 attention logits overflow for long sequences (docs/model.md "Numerics").
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .config import DiTConfig

NEG_BIG = -1.0e30  # additive key-padding bias (finite so that no -inf arithmetic reaches any runtime)


def layer_norm_fp32(x: torch.Tensor, dim: int, eps: float = 1e-6) -> torch.Tensor:
    """LayerNorm without affine over the last axis (size `dim`, a Python int so that the exporter sees a constant),
    computed in fp32, result in fp32."""
    return F.layer_norm(x.float(), (dim,), None, None, eps)


# --------------------------------------------------------------------------------------------- time embedding
class SinusPositionEmbedding(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor, scale: float = 1000.0) -> torch.Tensor:
        half_dim = self.dim // 2
        emb = math.log(10000) / (half_dim - 1)
        emb = torch.exp(torch.arange(half_dim).float() * -emb)
        emb = scale * x.float().unsqueeze(1) * emb.unsqueeze(0)
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, dim: int, freq_embed_dim: int = 256):
        super().__init__()
        self.time_embed = SinusPositionEmbedding(freq_embed_dim)
        self.time_mlp = nn.Sequential(nn.Linear(freq_embed_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, timestep: torch.Tensor) -> torch.Tensor:
        """timestep [B] (fp32) -> [B, dim] in the module's dtype."""
        hidden = self.time_embed(timestep).to(self.time_mlp[0].weight.dtype)
        return self.time_mlp(hidden)


# --------------------------------------------------------------------------------------------- text embedding
class GRN(nn.Module):
    """Global response normalisation (ConvNeXt-V2) on [b, n, c]: L2 norm over the time axis n."""

    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x: torch.Tensor, frames: Optional[torch.Tensor] = None) -> torch.Tensor:
        """frames [b, n, 1] (1 at each row's own frames, 0 past them): the norm over time counts only a row's own
        frames, so a row padded past its length gets the same result as alone (the padded Preprocess export)."""
        gx = torch.norm(x if frames is None else x * frames, p=2, dim=1, keepdim=True)
        nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x


class ConvNeXtV2Block(nn.Module):
    def __init__(self, dim: int, intermediate_dim: int, dilation: int = 1):
        super().__init__()
        padding = (dilation * (7 - 1)) // 2
        self.dwconv = nn.Conv1d(dim, dim, kernel_size=7, padding=padding, groups=dim, dilation=dilation)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.act = nn.GELU()  # exact (erf)
        self.grn = GRN(intermediate_dim)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)

    def forward(self, x: torch.Tensor, frames: Optional[torch.Tensor] = None) -> torch.Tensor:
        """frames: see GRN; the caller zeroes x past each row's frames (the conv's zero padding)."""
        residual = x
        x = self.dwconv(x.transpose(1, 2)).transpose(1, 2)
        x = self.norm(x)
        x = self.pwconv1(x)
        x = self.act(x)
        x = self.grn(x, frames)
        x = self.pwconv2(x)
        return residual + x


def text_pos_embed(n_pos: torch.Tensor, dim: int) -> torch.Tensor:
    """Fixed sinusoidal table rows 0..n-1 ([cos ‖ sin], precompute_freqs_cis with theta 10000): [n, dim].
    Computed from positions (identical to upstream's precomputed table for n <= its 8192 rows)."""
    freqs = 1.0 / (10000.0 ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(n_pos, dtype=torch.int64).float()
    f = t.unsqueeze(1) * freqs.unsqueeze(0)  # = torch.outer(t, freqs), written as Mul for the exporter
    return torch.cat([torch.cos(f), torch.sin(f)], dim=-1)


class TextEmbedding(nn.Module):
    def __init__(self, text_num_embeds: int, text_dim: int, mask_padding: bool = True, conv_layers: int = 0,
                 conv_mult: int = 2):
        super().__init__()
        self.text_embed = nn.Embedding(text_num_embeds + 1, text_dim)  # row 0 = filler token
        self.mask_padding = mask_padding
        self.text_dim = text_dim
        self.extra_modeling = conv_layers > 0
        if self.extra_modeling:
            self.text_blocks = nn.Sequential(*[ConvNeXtV2Block(text_dim, text_dim * conv_mult) for _ in range(conv_layers)])

    @staticmethod
    def pad_tokens(text: torch.Tensor, seq_len: int) -> torch.Tensor:
        """Upstream prologue: ids (−1 = batch padding) -> ids+1, truncated / zero-padded to seq_len."""
        text = text + 1
        text = text[:, :seq_len]
        return F.pad(text, (0, seq_len - text.shape[1]), value=0)

    def forward(self, text: torch.Tensor, seq_len: int, drop_text: bool = False) -> torch.Tensor:
        return self.embed_tokens(self.pad_tokens(text, seq_len), drop_text)

    def embed_tokens_pair(self, tokens: torch.Tensor, pos_table: Optional[torch.Tensor] = None,
                          frames: Optional[torch.Tensor] = None):
        """(embed_tokens(tokens), embed_tokens(tokens, drop_text=True)) in one batch of 2B rows: every op is per row
        (GRN's norm runs over each row's own frames), so this is the same mathematics with half the graph nodes — the
        export's Preprocess is bound by host launch cost per node (docs/benchmarks.md "What limits the numbers"). pos_table: the
        text_pos_embed rows for the N frames when the caller has them, else computed here.
        frames: [B, N] bool, True at each row's own frames (the padded Preprocess export: rows padded past their
        length). Past them the blocks' input is zeroed, as the convolution's zero padding is past N, and GRN's norm
        leaves them out, so each row's own frames come out as computed alone at its length."""
        text_mask = tokens == 0
        x = self.text_embed(torch.cat([tokens, torch.zeros_like(tokens)], dim=0))
        if self.extra_modeling:
            if pos_table is None:
                pos_table = text_pos_embed(torch._shape_as_tensor(tokens)[1], self.text_dim)
            x = x + pos_table.to(x.dtype).unsqueeze(0)
            own = None if frames is None else torch.cat([frames, frames], dim=0).unsqueeze(-1).to(x.dtype)
            if self.mask_padding:
                keep = (~text_mask).unsqueeze(-1).to(x.dtype)
                keep = torch.cat([keep, keep], dim=0)
                if own is not None:
                    keep = keep * own
                x = x * keep
                for block in self.text_blocks:
                    x = block(x, own) * keep
            else:
                for block in self.text_blocks:
                    x = block(x if own is None else x * own, own)
        # Two halves by a reshape, not x[:B]: the batch size stays symbolic in the exported graph.
        halves = x.unflatten(0, (2, -1))
        return halves[0], halves[1]

    def embed_tokens(self, tokens: torch.Tensor, drop_text: bool = False) -> torch.Tensor:
        """tokens [B, N] int64 already +1 and zero-padded to N -> [B, N, text_dim]."""
        text_mask = tokens == 0  # computed from the real ids also for the dropped branch
        if drop_text:
            tokens = torch.zeros_like(tokens)
        x = self.text_embed(tokens)
        if self.extra_modeling:
            x = x + text_pos_embed(torch._shape_as_tensor(tokens)[1], self.text_dim).to(x.dtype).unsqueeze(0)
            if self.mask_padding:
                keep = (~text_mask).unsqueeze(-1).to(x.dtype)
                x = x * keep
                for block in self.text_blocks:
                    x = block(x) * keep
            else:
                x = self.text_blocks(x)
        return x


# --------------------------------------------------------------------------------------------- input embedding
def mish(x: torch.Tensor) -> torch.Tensor:
    """nn.Mish written out (x·tanh(softplus(x))) so that the exporter needs no Mish symbolic."""
    return x * torch.tanh(F.softplus(x))


class ConvPositionEmbedding(nn.Module):
    def __init__(self, dim: int, kernel_size: int = 31, groups: int = 16):
        super().__init__()
        self.conv1d = nn.Sequential(
            nn.Conv1d(dim, dim, kernel_size, groups=groups, padding=kernel_size // 2), nn.Mish(),
            nn.Conv1d(dim, dim, kernel_size, groups=groups, padding=kernel_size // 2), nn.Mish(),
        )

    def forward(self, x: torch.Tensor, keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B, N, D]; keep [B, N, 1] (1 = valid frame) or None. Upstream masks before the first conv and on the
        output; we also zero padded frames before the second conv so that an item's valid frames never see
        another item's padding (identical to upstream when nothing is padded)."""
        if keep is not None:
            x = x * keep
        x = x.transpose(1, 2)
        x = mish(self.conv1d[0](x))
        if keep is not None:
            x = x * keep.transpose(1, 2)
        x = mish(self.conv1d[2](x))
        out = x.transpose(1, 2)
        if keep is not None:
            out = out * keep
        return out


class InputEmbedding(nn.Module):
    def __init__(self, mel_dim: int, text_dim: int, out_dim: int, kernel: int = 31, groups: int = 16):
        super().__init__()
        self.proj = nn.Linear(mel_dim * 2 + text_dim, out_dim)
        self.conv_pos_embed = ConvPositionEmbedding(out_dim, kernel, groups)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B, N, mel]; cond [B, N, mel + text] = (ref mel ‖ text embedding), already dropped for the
        unconditional branch."""
        h = self.proj(torch.cat((x, cond), dim=-1))
        return self.conv_pos_embed(h, keep) + h


# --------------------------------------------------------------------------------------------- RoPE
class RotaryEmbedding(nn.Module):
    """x-transformers RotaryEmbedding(dim_head): persistent buffer inv_freq (a checkpoint key)."""

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq)

    def freqs(self, n_pos: torch.Tensor) -> torch.Tensor:
        """Interleaved angles [n, dim]: [θ0, θ0, θ1, θ1, ...], θi = p·inv_freq_i (fp32)."""
        t = torch.arange(n_pos, dtype=torch.int64).to(torch.float32)
        f = t.unsqueeze(1) * self.inv_freq.float().unsqueeze(0)  # outer product as in x-transformers' einsum
        return torch.stack((f, f), dim=-1).flatten(-2)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Pairwise (a, b) -> (−b, a) on the last axis (x-transformers interleaved layout)."""
    x = x.unflatten(-1, (-1, 2))
    x1, x2 = x.unbind(dim=-1)
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def apply_rope(t: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return t * cos + rotate_half(t) * sin


# --------------------------------------------------------------------------------------------- DiT block
class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int, pe_attn_head: Optional[int]):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.dim_head = dim_head
        self.pe_attn_head = pe_attn_head
        self.to_q = nn.Linear(dim, inner)
        self.to_k = nn.Linear(dim, inner)
        self.to_v = nn.Linear(dim, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def split(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, self.dim_head)).transpose(1, 2)  # [B, H, N, Dh]

    def rope_qk(self, q: torch.Tensor, k: torch.Tensor, rope):
        """rope = (cos_q, sin_q, cos_k, sin_k), fp32. Either [N, Dh] tables (then v0, pe_attn_head=1, rotates
        head 0 only) or per-head tables [B, H, N, Dh] that already encode which heads rotate (DakeQQ layout)."""
        cos_q, sin_q, cos_k, sin_k = rope
        if self.pe_attn_head is None or cos_q.dim() == 4:
            return apply_rope(q, cos_q, sin_q), apply_rope(k, cos_k, sin_k)
        pn = self.pe_attn_head
        q = torch.cat([apply_rope(q[:, :pn], cos_q, sin_q), q[:, pn:]], dim=1)
        k = torch.cat([apply_rope(k[:, :pn], cos_k, sin_k), k[:, pn:]], dim=1)
        return q, k

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_bias: Optional[torch.Tensor],
               use_sdpa: bool) -> torch.Tensor:
        """q, k fp32 [B, H, N, Dh]; v in compute dtype; key_bias [B, 1, 1, N] fp32 additive (0 / NEG_BIG)."""
        if use_sdpa:  # reference path (what upstream runs)
            mask = None if key_bias is None else key_bias == 0
            o = F.scaled_dot_product_attention(q, k, v.float(), attn_mask=mask)
            return o.to(v.dtype)
        logits = torch.matmul(q * (1.0 / math.sqrt(self.dim_head)), k.transpose(-1, -2))
        if key_bias is not None:
            logits = logits + key_bias
        probs = torch.softmax(logits, dim=-1)
        return torch.matmul(probs.to(v.dtype), v)

    def merge_out(self, o: torch.Tensor) -> torch.Tensor:
        o = o.transpose(1, 2).flatten(-2)
        return self.to_out[0](o)

    def forward(self, x: torch.Tensor, rope, key_bias: Optional[torch.Tensor], use_sdpa: bool = False) -> torch.Tensor:
        q = self.split(self.to_q(x)).float()
        k = self.split(self.to_k(x)).float()
        v = self.split(self.to_v(x))
        q, k = self.rope_qk(q, k, rope)
        return self.merge_out(self.attend(q, k, v, key_bias, use_sdpa))


class AdaLayerNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.silu = nn.SiLU()
        self.linear = nn.Linear(dim, dim * 6)

    def forward(self, x: torch.Tensor, emb: torch.Tensor):
        emb = self.linear(self.silu(emb))
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = torch.chunk(emb, 6, dim=1)
        h = layer_norm_fp32(x, self.linear.in_features) * (1 + scale_msa.float()[:, None]) + shift_msa.float()[:, None]
        return h.to(x.dtype), gate_msa, shift_mlp, scale_mlp, gate_mlp


class AdaLayerNormFinal(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.silu = nn.SiLU()
        self.linear = nn.Linear(dim, dim * 2)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        emb = self.linear(self.silu(emb))
        scale, shift = torch.chunk(emb, 2, dim=1)  # scale first here
        h = layer_norm_fp32(x, self.linear.in_features) * (1 + scale.float())[:, None, :] + shift.float()[:, None, :]
        return h.to(x.dtype)


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        inner = int(dim * mult)
        self.ff = nn.Sequential(nn.Sequential(nn.Linear(dim, inner), nn.GELU(approximate="tanh")),
                                nn.Dropout(0.0), nn.Linear(inner, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ff(x)


class DiTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int, ff_mult: int, pe_attn_head: Optional[int]):
        super().__init__()
        self.attn_norm = AdaLayerNorm(dim)
        self.attn = Attention(dim, heads, dim_head, pe_attn_head)
        self.ff = FeedForward(dim, ff_mult)

    def forward(self, x, t, rope, key_bias=None, keep=None, use_sdpa=False):
        norm, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.attn_norm(x, t)
        attn_out = self.attn(norm, rope, key_bias, use_sdpa)
        if keep is not None:  # upstream zeroes attention output at padded frames when a mask is given
            attn_out = attn_out * keep
        x = x + gate_msa.unsqueeze(1) * attn_out
        d = self.attn_norm.linear.in_features
        norm = (layer_norm_fp32(x, d) * (1 + scale_mlp.float()[:, None]) + shift_mlp.float()[:, None]).to(x.dtype)
        x = x + gate_mlp.unsqueeze(1) * self.ff(norm)
        return x


class DiT(nn.Module):
    def __init__(self, cfg: DiTConfig):
        super().__init__()
        self.cfg = cfg
        self.time_embed = TimestepEmbedding(cfg.dim, cfg.freq_embed_dim)
        self.text_embed = TextEmbedding(cfg.vocab_size, cfg.text_dim, mask_padding=cfg.text_mask_padding,
                                        conv_layers=cfg.conv_layers)
        self.input_embed = InputEmbedding(cfg.mel_dim, cfg.text_dim, cfg.dim, cfg.conv_pos_kernel, cfg.conv_pos_groups)
        self.rotary_embed = RotaryEmbedding(cfg.dim_head)
        self.transformer_blocks = nn.ModuleList(
            [DiTBlock(cfg.dim, cfg.heads, cfg.dim_head, cfg.ff_mult, cfg.pe_attn_head) for _ in range(cfg.depth)])
        self.norm_out = AdaLayerNormFinal(cfg.dim)
        self.proj_out = nn.Linear(cfg.dim, cfg.mel_dim)

    def rope_tables(self, n: torch.Tensor):
        freqs = self.rotary_embed.freqs(n)
        cos, sin = torch.cos(freqs), torch.sin(freqs)
        return cos, sin, cos, sin

    def velocity(self, x: torch.Tensor, cond: torch.Tensor, cond_drop: torch.Tensor, t: Optional[torch.Tensor],
                 lengths: Optional[torch.Tensor] = None, use_sdpa: bool = False, temb: Optional[torch.Tensor] = None,
                 rope=None):
        """Both CFG branches stacked (2B rows, as upstream cfg_infer=True). x [B,N,100]; cond/cond_drop [B,N,612];
        t [B] fp32 (or temb [B, D] precomputed); lengths [B] int64 or None (no padding); rope tables or None
        (computed from positions). Returns (v_cond, v_uncond) in the compute dtype."""
        dtype = self.proj_out.weight.dtype
        n = torch._shape_as_tensor(x)[1]
        if lengths is not None:
            pos = torch.arange(n, dtype=torch.int64)
            valid = pos.unsqueeze(0) < lengths.unsqueeze(1)  # [B, N]
            keep = valid.unsqueeze(-1).to(dtype)
            bias = torch.where(valid, torch.zeros_like(valid, dtype=torch.float32),
                               torch.full_like(valid, NEG_BIG, dtype=torch.float32))[:, None, None, :]
            keep2 = torch.cat([keep, keep], dim=0)
            bias2 = torch.cat([bias, bias], dim=0)
        else:
            keep = keep2 = bias2 = None
        if temb is None:
            temb = self.time_embed(t)
        xc = self.input_embed(x.to(dtype), cond.to(dtype), keep)
        xu = self.input_embed(x.to(dtype), cond_drop.to(dtype), keep)
        h = torch.cat([xc, xu], dim=0)
        tt = torch.cat([temb, temb], dim=0).to(dtype)
        if rope is None:
            rope = self.rope_tables(n)
        for block in self.transformer_blocks:
            h = block(h, tt, rope, bias2, keep2, use_sdpa)
        v = self.proj_out(self.norm_out(h, tt))
        v = v.unflatten(0, (2, -1))
        return v[0], v[1]


class CFMContainer(nn.Module):
    """Holds the DiT under the attribute name `transformer` so that state-dict keys are `transformer.*`."""

    def __init__(self, cfg: DiTConfig):
        super().__init__()
        self.transformer = DiT(cfg)

"""Fused-attention Transformer for the f5tts-batched/1 export (`--attention fused`, docs/export.md "Attention").

Same weights and the same mathematics as `DiT.velocity`, written for ONNX Runtime's CUDA provider:

* each residual add fused with the LayerNorm after it (`com.microsoft::SkipLayerNormalization`);
* the cond and uncond rows through the input embedding (its grouped position convolutions) in one batch;
* RoPE as `com.microsoft::RotaryEmbedding` (interleaved pairs, x-transformers layout) on [B, N, H*Dh] with a constant
  cos/sin cache of `max_frames` rows — no per-head reshapes, no per-call angle tables;
* attention as `com.microsoft::MultiHeadAttention` on [B, N, H*Dh] with the per-row key lengths as its 1-D
  `key_padding_mask` (right padding), which lets ORT pick its fused (memory-efficient / TensorRT-fused) kernels;
  the N x N logits are never materialised and softmax runs in fp32 inside the kernel;
* LayerNorm in the compute dtype (ORT's LayerNormalization accumulates in fp32, as PyTorch's does upstream);
* the feed-forward's bias + tanh-GELU as one `com.microsoft::FastGelu` (the opset-17 export of GELU is eight
  elementwise nodes, each a full pass over the [2B, N, 2048] activations);
* the AdaLN modulation of all blocks and of the final norm from one GEMM (see `FusedDiT._modulation`).

The attention output at padded frames is not zeroed (upstream zeroes it): padded frames are masked out as keys, so no
valid frame ever reads them, and `x_next` is zeroed there at the end — valid frames are bit-for-bit the same maths.

The PyTorch side of each custom op (used while tracing and by the parity tests) is the plain reference computation;
the ONNX side is emitted by `symbolic`. `finalise_onnx` inserts the empty optional `bias` input of every
MultiHeadAttention node after export (the TorchScript exporter has no spelling for a skipped optional input).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dit import DiT, mish

MS_DOMAIN = "com.microsoft"
# The project's own kernels (src/Native/F5Tts.Ops, docs/custom-ops.md), used by `--attention f5ops`.
OPS_DOMAIN = "f5tts.ops"


def _rope_tables(inv_freq: torch.Tensor, rows: int):
    """cos/sin caches [rows, Dh/2] (fp32): angle p·inv_freq_i for positions 0..rows-1 (RotaryEmbedding layout)."""
    t = torch.arange(rows, dtype=torch.float64)
    f = (t.unsqueeze(1) * inv_freq.double().unsqueeze(0)).float()
    return torch.cos(f), torch.sin(f)


class RotaryOp(torch.autograd.Function):
    """RoPE on x [B, N, H*Dh] with interleaved pairs: (a, b) -> (a cos - b sin, b cos + a sin) per head."""

    @staticmethod
    def forward(ctx, x, cos_cache, sin_cache, heads: int):  # noqa: D102 - reference semantics
        b, n, d = x.shape
        cos = cos_cache[:n].float().repeat_interleave(2, dim=-1).repeat(1, heads)  # [n, d]
        sin = sin_cache[:n].float().repeat_interleave(2, dim=-1).repeat(1, heads)
        xf = x.float()
        pairs = xf.unflatten(-1, (-1, 2))
        rot = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
        return (xf * cos + rot * sin).to(x.dtype)

    @staticmethod
    def symbolic(g, x, cos_cache, sin_cache, heads: int):
        pos = g.op("Constant", value_t=torch.zeros(1, dtype=torch.int64))  # position_ids (1): offset 0
        out = g.op(f"{MS_DOMAIN}::RotaryEmbedding", x, pos, cos_cache, sin_cache, interleaved_i=1, num_heads_i=heads)
        out.setType(x.type())  # custom ops get no type from ONNX shape inference
        return out


class AttentionOp(torch.autograd.Function):
    """Self-attention on q, k, v [B, N, H*Dh] with keys ≥ key_lengths[b] masked (key_lengths int32 [B])."""

    @staticmethod
    def forward(ctx, q, k, v, key_lengths, heads: int):  # noqa: D102 - reference semantics
        b, n, d = q.shape

        def split(t):
            return t.float().unflatten(-1, (heads, d // heads)).transpose(1, 2)

        keep = torch.arange(n)[None, :] < key_lengths.to(torch.int64)[:, None]
        o = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=keep[:, None, None, :])
        return o.transpose(1, 2).flatten(-2).to(q.dtype)

    @staticmethod
    def symbolic(g, q, k, v, key_lengths, heads: int):
        # Inputs 0-2 and the key_padding_mask; finalise_onnx() moves the mask to slot 4 behind an empty bias slot.
        out = g.op(f"{MS_DOMAIN}::MultiHeadAttention", q, k, v, key_lengths, num_heads_i=heads)
        out.setType(q.type())
        return out


class GeluOp(torch.autograd.Function):
    """tanh-approximated GELU of x + bias (bias [F] over the last axis), as com.microsoft FastGelu."""

    @staticmethod
    def forward(ctx, x, bias):  # noqa: D102 - reference semantics
        return F.gelu(x + bias, approximate="tanh")

    @staticmethod
    def symbolic(g, x, bias):
        out = g.op(f"{MS_DOMAIN}::FastGelu", x, bias)
        out.setType(x.type())
        return out


class SkipNormOp(torch.autograd.Function):
    """(LayerNorm(x + skip), x + skip), no affine (gamma 1, beta 0), eps 1e-6, as com.microsoft SkipLayerNormalization."""

    @staticmethod
    def forward(ctx, x, skip, gamma, beta):  # noqa: D102 - reference semantics
        total = x + skip
        return F.layer_norm(total, (total.shape[-1],), gamma, beta, 1e-6), total

    @staticmethod
    def symbolic(g, x, skip, gamma, beta):
        # outputs: normalised, mean, inv_std_var, input+skip; finalise_onnx() drops the two statistics outputs
        out, _, _, total = g.op(f"{MS_DOMAIN}::SkipLayerNormalization", x, skip, gamma, beta, epsilon_f=1e-6, outputs=4)
        out.setType(x.type())
        total.setType(x.type())
        return out, total


def _modulate(h: torch.Tensor, scale1: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """LayerNorm(h) (no affine, eps 1e-6) * scale1[r] + shift[r] in fp32; h [R, N, D] fp32, scale1/shift [R, D]."""
    ln = F.layer_norm(h, (h.shape[-1],), None, None, 1e-6)
    return ln * scale1.float().unsqueeze(1) + shift.float().unsqueeze(1)


class ModulatedNormOp(torch.autograd.Function):
    """f5tts.ops::ModulatedNorm: LayerNorm(x) * scale1 + shift, one pass (fp32 inside)."""

    @staticmethod
    def forward(ctx, x, scale1, shift):  # noqa: D102 - reference semantics
        return _modulate(x.float(), scale1, shift).to(x.dtype)

    @staticmethod
    def symbolic(g, x, scale1, shift):
        out = g.op(f"{OPS_DOMAIN}::ModulatedNorm", x, scale1, shift, epsilon_f=1e-6)
        out.setType(x.type())
        return out


class GatedResidualNormOp(torch.autograd.Function):
    """f5tts.ops::GatedResidualNorm: h = x + gate * (delta + bias); (LayerNorm(h) * scale1 + shift, h), one pass.
    Replaces the projection's bias Add, the gate Mul, SkipLayerNormalization and the modulation Mul/Add."""

    @staticmethod
    def forward(ctx, x, delta, bias, gate, scale1, shift):  # noqa: D102 - reference semantics
        h = x.float() + gate.float().unsqueeze(1) * (delta.float() + bias.float())
        return _modulate(h, scale1, shift).to(x.dtype), h.to(x.dtype)

    @staticmethod
    def symbolic(g, x, delta, bias, gate, scale1, shift):
        y, h = g.op(f"{OPS_DOMAIN}::GatedResidualNorm", x, delta, bias, gate, scale1, shift, epsilon_f=1e-6, outputs=2)
        y.setType(x.type())
        h.setType(x.type())
        return y, h


class QkvRotaryOp(torch.autograd.Function):
    """f5tts.ops::QkvRotary: splits one q|k|v projection [R, N, 3I], adds its bias and applies RoPE (interleaved
    pairs, the first rotary_heads heads) to q and k, one pass. Replaces three bias Adds and two RotaryEmbeddings."""

    @staticmethod
    def forward(ctx, qkv, bias, cos_cache, sin_cache, heads: int, rotary_heads: int):  # noqa: D102
        y = qkv.float() + bias.float()
        q, k, v = torch.chunk(y, 3, dim=-1)
        n = q.shape[1]
        cos = cos_cache[:n].float()[None, :, None, :]  # [1, N, 1, Dh/2]
        sin = sin_cache[:n].float()[None, :, None, :]
        rotates = (torch.arange(heads) < rotary_heads).view(1, 1, heads, 1, 1)

        def rope(t):
            pairs = t.unflatten(-1, (heads, -1, 2))  # [B, N, H, Dh/2, 2]
            a, b = pairs[..., 0], pairs[..., 1]
            turned = torch.stack((a * cos - b * sin, b * cos + a * sin), dim=-1)
            return torch.where(rotates, turned, pairs).flatten(2)

        return rope(q).to(qkv.dtype), rope(k).to(qkv.dtype), v.to(qkv.dtype)

    @staticmethod
    def symbolic(g, qkv, bias, cos_cache, sin_cache, heads: int, rotary_heads: int):
        q, k, v = g.op(f"{OPS_DOMAIN}::QkvRotary", qkv, bias, cos_cache, sin_cache, num_heads_i=heads,
                       rotary_heads_i=rotary_heads, outputs=3)
        # Each output has a third of qkv's last axis: declare that shape, or ONNX shape inference rejects the
        # MatMuls downstream.
        sizes = qkv.type().varyingSizes()
        typ = qkv.type()
        if sizes is not None and sizes[-1] is not None:
            typ = typ.with_sizes(sizes[:-1] + [sizes[-1] // 3])
        for t in (q, k, v):
            t.setType(typ)
        return q, k, v


class ConvPositionOp(torch.autograd.Function):
    """f5tts.ops::ConvPositionEmbedding: x + keep·mish(conv2(keep·mish(conv1(keep·x) + b1)) + b2) on channels-last
    x [R, N, D], the grouped weights re-laid out as w [G, C_out, K, C_in]. Replaces cuDNN's per-group kernels and the
    NCHW<->NHWC transposes around them (128 launches per step at batch 1) with two batched GEMMs
    (docs/custom-ops.md)."""

    @staticmethod
    def forward(ctx, x, w1, b1, w2, b2, keep):  # noqa: D102 - reference semantics
        k = keep.float()

        def conv(t, w, b):
            groups, c_out, taps, c_in = w.shape
            weight = w.permute(0, 1, 3, 2).reshape(groups * c_out, c_in, taps).float()
            return F.conv1d(t.transpose(1, 2), weight, b.float(), padding=taps // 2, groups=groups).transpose(1, 2)

        v = (k * mish(conv(x.float() * k, w1, b1))).to(x.dtype).float()  # stored in the compute dtype, as the kernel
        return (x.float() + k * mish(conv(v, w2, b2))).to(x.dtype)

    @staticmethod
    def symbolic(g, x, w1, b1, w2, b2, keep):
        out = g.op(f"{OPS_DOMAIN}::ConvPositionEmbedding", x, w1, b1, w2, b2, keep)
        out.setType(x.type())
        return out


class GemmGeluOp(torch.autograd.Function):
    """f5tts.ops::GemmBiasGelu: tanh-GELU(x @ w + bias), the GEMM with bias and GELU in its epilogue (cuBLASLt), w
    [I, F] in the MatMul layout. Replaces MatMul + FastGelu: one full pass over [R, N, F] less per block."""

    @staticmethod
    def forward(ctx, x, w, bias):  # noqa: D102 - reference semantics
        return F.gelu(x.float() @ w.float() + bias.float(), approximate="tanh").to(x.dtype)

    @staticmethod
    def symbolic(g, x, w, bias):
        out = g.op(f"{OPS_DOMAIN}::GemmBiasGelu", x, w, bias)
        sizes = x.type().varyingSizes()
        typ = x.type()
        wsizes = w.type().varyingSizes()
        if sizes is not None and wsizes is not None and wsizes[-1] is not None:
            typ = typ.with_sizes(sizes[:-1] + [wsizes[-1]])
        out.setType(typ)
        return out


class FusedDiT(nn.Module):
    """The DiT's velocity with fused attention; holds references to the (already dtype-converted) DiT's modules."""

    def __init__(self, dit: DiT, max_frames: int, custom_ops: bool = False):
        super().__init__()
        self.dit = dit
        self.custom_ops = custom_ops
        cfg = dit.cfg
        self.heads = cfg.heads
        self.dim_head = cfg.dim_head
        self.inner = cfg.heads * cfg.dim_head
        self.dim = cfg.dim
        self.pe_heads = cfg.heads if cfg.pe_attn_head is None else cfg.pe_attn_head
        dtype = dit.proj_out.weight.dtype
        cos, sin = _rope_tables(dit.rotary_embed.inv_freq, max_frames)
        self.register_buffer("rope_cos", cos.to(dtype), persistent=False)
        self.register_buffer("rope_sin", sin.to(dtype), persistent=False)
        # Frame positions as a constant sliced to N: `arange(N)` would be a Range node that ONNX Runtime places on the
        # CPU, and its output crossing to the GPU (a Memcpy node) rules out CUDA graphs for the whole session.
        self.register_buffer("positions", torch.arange(max_frames, dtype=torch.int64), persistent=False)
        # 1 at the "scale" chunks of the concatenated AdaLN biases (see _modulation), 0 elsewhere
        depth, d = cfg.depth, cfg.dim
        one = torch.zeros((6 * depth + 2) * d, dtype=dtype)
        for i in range(depth):  # block chunk order: shift, scale, gate, shift, scale, gate
            one[(6 * i + 1) * d:(6 * i + 2) * d] = 1
            one[(6 * i + 4) * d:(6 * i + 5) * d] = 1
        one[6 * depth * d:(6 * depth + 1) * d] = 1  # final norm: scale first, then shift
        self.register_buffer("scale_one", one, persistent=False)
        self.register_buffer("ln_gamma", torch.ones(d, dtype=dtype), persistent=False)
        self.register_buffer("ln_beta", torch.zeros(d, dtype=dtype), persistent=False)

    def keep_mask(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """[B, N, 1] bool, True at frames < lengths[b]."""
        pos = self.positions[: x.shape[1]]
        return (pos.unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1)

    def _rope(self, x: torch.Tensor) -> torch.Tensor:
        if self.pe_heads == self.heads:
            return RotaryOp.apply(x, self.rope_cos, self.rope_sin, self.heads)
        rotated = self.pe_heads * self.dim_head  # v0: only the first pe_attn_head heads rotate
        head = RotaryOp.apply(x[..., :rotated], self.rope_cos, self.rope_sin, self.pe_heads)
        return torch.cat([head, x[..., rotated:]], dim=-1)

    def modulation_rows(self, t: torch.Tensor) -> torch.Tensor:
        """The AdaLN vectors of every block and of the final norm for times t [R] (fp32), one row [M] per time, M =
        (6·depth + 2)·dim, in the compute dtype. All of them are Linear(SiLU(temb)), so the 23 weight matrices are
        concatenated at export time (one GEMM instead of 23 SiLU + 23 GEMM launches), and the "1 + scale" of each
        scale chunk is folded into the bias. They depend on t alone: with `--attention f5ops` this runs as its own graph
        (F5_TimeModulation) once per distinct t and the Transformer gathers rows of the resulting table — at batch 1
        the GEMM reads all 281 MB of its fp16 weights for one row, ≈ 0.1 ms of every step on an H100
        (docs/export.md "Time modulation table")."""
        dit = self.dit
        temb = dit.time_embed(t).to(dit.proj_out.weight.dtype)
        linears = [blk.attn_norm.linear for blk in dit.transformer_blocks] + [dit.norm_out.linear]
        w = torch.cat([lin.weight for lin in linears], dim=0)
        bias = torch.cat([lin.bias for lin in linears], dim=0)
        return F.linear(F.silu(temb), w, bias + self.scale_one)

    def _modulation(self, emb: torch.Tensor):
        """Splits B modulation rows (`modulation_rows`) and repeats them for the cond/uncond halves. Returns per block
        (shift_msa, scale1_msa, gate_msa, shift_mlp, scale1_mlp, gate_mlp) and (scale1, shift) of the final norm,
        each [2B, D]."""
        dit, d = self.dit, self.dim
        base = 6 * len(dit.transformer_blocks) * d
        emb = torch.cat([emb, emb], dim=0)
        parts = torch.split(emb, d, dim=1)  # one Split node with constant sizes
        blocks = [parts[6 * i:6 * i + 6] for i in range(len(dit.transformer_blocks))]
        return blocks, (parts[base // d], parts[base // d + 1])

    def _attention(self, block, norm, key_lengths):
        attn = block.attn
        if self.custom_ops:
            # One q|k|v GEMM (weights concatenated at export time), then one pass for bias + split + RoPE; the output
            # projection's bias is added by the GatedResidualNorm that follows.
            w = torch.cat([attn.to_q.weight, attn.to_k.weight, attn.to_v.weight], dim=0)
            b = torch.cat([attn.to_q.bias, attn.to_k.bias, attn.to_v.bias], dim=0)
            q, k, v = QkvRotaryOp.apply(F.linear(norm, w), b, self.rope_cos, self.rope_sin, self.heads, self.pe_heads)
            return F.linear(AttentionOp.apply(q, k, v, key_lengths, self.heads), attn.to_out[0].weight)
        # Three projections rather than one concatenated GEMM + Split: the Split is a full copy of q|k|v
        # (3.2 ms of a 57 ms step at batch 16 on the H100 in the kernel profile of 2026-11-25).
        q, k, v = attn.to_q(norm), attn.to_k(norm), attn.to_v(norm)
        return attn.to_out[0](AttentionOp.apply(self._rope(q), self._rope(k), v, key_lengths, self.heads))

    def _transformer_ops(self, h, mods, final, key_lengths):
        """All blocks and the final AdaLN on f5tts.ops kernels: each residual update (bias, gate, add) is fused with the
        LayerNorm and AdaLN modulation that follow it, so a block is 5 GEMMs, attention and 4 memory passes."""
        shift_msa, scale1_msa = mods[0][0], mods[0][1]
        norm = ModulatedNormOp.apply(h, scale1_msa, shift_msa)
        for i, (block, mod) in enumerate(zip(self.dit.transformer_blocks, mods)):
            _, _, gate_msa, shift_mlp, scale1_mlp, gate_mlp = mod
            out = self._attention(block, norm, key_lengths)
            norm, h = GatedResidualNormOp.apply(h, out, block.attn.to_out[0].bias, gate_msa, scale1_mlp, shift_mlp)
            ff_in, ff_out = block.ff.ff[0][0], block.ff.ff[2]
            hidden = GemmGeluOp.apply(norm, ff_in.weight.t(), ff_in.bias)
            delta = F.linear(hidden, ff_out.weight)
            scale1, shift = (mods[i + 1][1], mods[i + 1][0]) if i + 1 < len(mods) else final
            norm, h = GatedResidualNormOp.apply(h, delta, ff_out.bias, gate_mlp, scale1, shift)
        return norm

    def _transformer(self, h, mods, final, key_lengths):
        """All blocks and the final AdaLN. Each residual add is fused with the LayerNorm that follows it
        (SkipLayerNormalization: one kernel returns LN(h + skip) and h + skip)."""
        d = self.dim
        skip = None
        for block, mod in zip(self.dit.transformer_blocks, mods):
            shift_msa, scale1_msa, gate_msa, shift_mlp, scale1_mlp, gate_mlp = (m.unsqueeze(1) for m in mod)
            if skip is None:
                ln = F.layer_norm(h, (d,), None, None, 1e-6)
            else:
                ln, h = SkipNormOp.apply(h, skip, self.ln_gamma, self.ln_beta)
            out = self._attention(block, ln * scale1_msa + shift_msa, key_lengths)
            ln, h = SkipNormOp.apply(h, gate_msa * out, self.ln_gamma, self.ln_beta)
            ff_in, ff_out = block.ff.ff[0][0], block.ff.ff[2]
            hidden = GeluOp.apply(F.linear(ln * scale1_mlp + shift_mlp, ff_in.weight), ff_in.bias)  # one FastGelu
            skip = gate_mlp * ff_out(hidden)
        ln, _ = SkipNormOp.apply(h, skip, self.ln_gamma, self.ln_beta)
        scale1, shift = final
        return ln * scale1.unsqueeze(1) + shift.unsqueeze(1)

    def _input_embed_ops(self, x, cond, keep):
        """InputEmbedding with the position convolutions (and the residual) as one f5tts.ops::ConvPositionEmbedding;
        the masks as in ConvPositionEmbedding.forward (input, middle and output)."""
        ie = self.dit.input_embed
        h = ie.proj(torch.cat((x, cond), dim=-1))
        convs = ie.conv_pos_embed.conv1d

        def relaid(conv):  # [G*C_out, C_in, K] -> [G, C_out, K, C_in]
            out_ch, c_in, taps = conv.weight.shape
            return conv.weight.view(out_ch // c_in, c_in, c_in, taps).permute(0, 1, 3, 2).contiguous()

        return ConvPositionOp.apply(h, relaid(convs[0]), convs[0].bias, relaid(convs[2]), convs[2].bias, keep)

    def velocity(self, x, cond, cond_drop, t, lengths: torch.Tensor, keep: torch.Tensor, rows=None):
        """x [B,N,100] f32; cond/cond_drop [B,N,C] f32; t [B] f32; lengths [B] int64; keep [B,N,1] (1 = valid frame);
        rows: the items' `modulation_rows` [B, M] when they come from the time table (then t is not used).
        Returns (v_cond, v_uncond) in the compute dtype, as DiT.velocity."""
        dit = self.dit
        dtype = dit.proj_out.weight.dtype
        keep2 = torch.cat([keep, keep], dim=0).to(dtype)
        xd = x.to(dtype)
        # cond and uncond rows through the input embedding together: half the (launch-bound at batch 1) grouped
        # position convolutions
        x2, cond2 = torch.cat([xd, xd], dim=0), torch.cat([cond, cond_drop], dim=0).to(dtype)
        h = self._input_embed_ops(x2, cond2, keep2) if self.custom_ops else dit.input_embed(x2, cond2, keep2)
        key_lengths = torch.cat([lengths, lengths], dim=0).to(torch.int32)
        mods, final = self._modulation(self.modulation_rows(t) if rows is None else rows)
        body = self._transformer_ops if self.custom_ops else self._transformer
        v = dit.proj_out(body(h, mods, final, key_lengths))
        v_c, v_u = torch.chunk(v, 2, dim=0)
        return v_c, v_u


def finalise_onnx(model) -> int:
    """Gives every MultiHeadAttention node its empty optional `bias` input (q, k, v, '', key_padding_mask), drops the
    statistics outputs of SkipLayerNormalization and declares the com.microsoft opset. Returns the number of attention nodes."""
    count = 0
    for node in model.graph.node:
        if node.domain == MS_DOMAIN and node.op_type == "SkipLayerNormalization" and len(node.output) == 4:
            node.output[1] = ""  # mean and inv_std_var: not needed for inference
            node.output[2] = ""
        if node.domain == MS_DOMAIN and node.op_type == "MultiHeadAttention" and len(node.input) == 4:
            mask = node.input[3]
            node.input[3] = ""
            node.input.append(mask)
            count += 1
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        op = model.opset_import.add()
        op.domain, op.version = MS_DOMAIN, 1
    return count

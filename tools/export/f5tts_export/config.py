"""Model configurations (SWivid/F5-TTS configs/*.yaml and charactr/vocos-mel-24khz config.yaml)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

# Audio constants shared by every vocos-type F5-TTS model (docs/model.md "Mel spectrogram").
SAMPLE_RATE = 24000
N_FFT = 1024
WIN_LENGTH = 1024
HOP_LENGTH = 256
N_MELS = 100
VOCAB_SIZE = 2545  # tokens in the official vocab.txt; the embedding has VOCAB_SIZE + 1 rows (row 0 = filler)


@dataclass(frozen=True)
class DiTConfig:
    name: str
    dim: int
    depth: int
    heads: int
    dim_head: int = 64
    ff_mult: int = 2
    text_dim: int = 512
    conv_layers: int = 4
    text_mask_padding: bool = True
    pe_attn_head: Optional[int] = None  # None = RoPE on all heads (v1); 1 = head 0 only (v0)
    vocab_size: int = VOCAB_SIZE
    mel_dim: int = N_MELS
    conv_pos_kernel: int = 31
    conv_pos_groups: int = 16
    freq_embed_dim: int = 256

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class VocosConfig:
    name: str
    input_channels: int = N_MELS
    dim: int = 512
    intermediate_dim: int = 1536
    num_layers: int = 8
    n_fft: int = N_FFT
    hop_length: int = HOP_LENGTH

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


DIT_CONFIGS = {
    # F5TTS_Base (v0): RoPE only on the first head, no text padding mask.
    "F5TTS_Base": DiTConfig("F5TTS_Base", dim=1024, depth=22, heads=16, text_dim=512, conv_layers=4,
                            text_mask_padding=False, pe_attn_head=1),
    # F5TTS_v1_Base (v1): RoPE on all heads, text padding mask.
    "F5TTS_v1_Base": DiTConfig("F5TTS_v1_Base", dim=1024, depth=22, heads=16, text_dim=512, conv_layers=4,
                               text_mask_padding=True, pe_attn_head=None),
    "F5TTS_Small": DiTConfig("F5TTS_Small", dim=768, depth=18, heads=12, text_dim=512, conv_layers=4,
                             text_mask_padding=False, pe_attn_head=1),
    "F5TTS_v1_Small": DiTConfig("F5TTS_v1_Small", dim=768, depth=18, heads=12, text_dim=512, conv_layers=4,
                                text_mask_padding=True, pe_attn_head=None),
    # Tiny test models (fixtures): dim == heads * 64 as DakeQQ-style exports require; official vocab.
    "tiny-v1": DiTConfig("tiny-v1", dim=128, depth=2, heads=2, ff_mult=2, text_dim=32, conv_layers=2,
                         text_mask_padding=True, pe_attn_head=None),
    "tiny-v0": DiTConfig("tiny-v0", dim=128, depth=2, heads=2, ff_mult=2, text_dim=32, conv_layers=2,
                         text_mask_padding=False, pe_attn_head=1),
}

VOCOS_CONFIGS = {
    "vocos-mel-24khz": VocosConfig("vocos-mel-24khz"),
    "tiny": VocosConfig("tiny", dim=64, intermediate_dim=192, num_layers=2),
}


def dit_config(name: str) -> DiTConfig:
    try:
        return DIT_CONFIGS[name]
    except KeyError:
        raise SystemExit(f"unknown model config '{name}'; known: {', '.join(DIT_CONFIGS)}") from None


def vocos_config(name: str) -> VocosConfig:
    try:
        return VOCOS_CONFIGS[name]
    except KeyError:
        raise SystemExit(f"unknown vocoder config '{name}'; known: {', '.join(VOCOS_CONFIGS)}") from None

"""Audio front-end (vocos log-mel, docs/model.md "Mel spectrogram") and inverse STFT (Vocos "center" ISTFT head, docs/model.md "Vocoder").

Two forms of each transform live here:
* the reference form (torch.stft / torch.istft, what upstream runs), used for golden data;
* an export form made of Conv1d / ConvTranspose1d over real DFT bases, which the TorchScript ONNX exporter can
  trace. The DFT bases are computed inside the graph from integer (k*n mod N) phases instead of being stored as
  initializers: a 1026x1024 float basis would add 4 MiB to every Preprocess and Decode file.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .config import HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE


def hz_to_mel_htk(f: float) -> float:
    return 2595.0 * math.log10(1.0 + (f / 700.0))


def melscale_fbanks(n_freqs: int = N_FFT // 2 + 1, f_min: float = 0.0, f_max: float = SAMPLE_RATE / 2,
                    n_mels: int = N_MELS, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """HTK mel filterbank [n_freqs, n_mels], norm=None: the same arithmetic as torchaudio.functional.melscale_fbanks."""
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_min = hz_to_mel_htk(f_min)
    m_max = hz_to_mel_htk(f_max)
    m_pts = torch.linspace(m_min, m_max, n_mels + 2)
    f_pts = 700.0 * (10.0 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    zero = torch.zeros(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    return torch.max(zero, torch.min(down_slopes, up_slopes))


def hann_window(n: int = N_FFT) -> torch.Tensor:
    """Periodic Hann window (torch default, as torchaudio and Vocos use)."""
    return torch.hann_window(n, periodic=True, dtype=torch.float32)


def log_mel_reference(audio: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    """Reference vocos log-mel: audio [B, S] float -> [B, S//256 + 1, 100] (torchaudio MelSpectrogram, power 1,
    center, reflect pad, then ln(clamp(., 1e-5)) as F5-TTS get_vocos_mel_spectrogram)."""
    spec = torch.stft(audio, N_FFT, hop_length=HOP_LENGTH, win_length=N_FFT, window=hann_window(N_FFT),
                      center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    mag = spec.abs()  # [B, 513, F]
    mel = torch.matmul(mag.transpose(-1, -2), fb).transpose(-1, -2)  # [B, 100, F]
    return mel.clamp(min=1e-5).log().transpose(1, 2)


def _phase_index(rows: int, cols: int, anchor: torch.Tensor) -> torch.Tensor:
    """(k * n) mod N as float, [rows, cols]. `anchor` is an int64 zero that depends on a graph input, so that the
    exporter cannot fold the basis into a stored constant."""
    k = torch.arange(rows, dtype=torch.int64) + anchor
    n = torch.arange(cols, dtype=torch.int64) + anchor
    return torch.remainder(k.unsqueeze(1) * n.unsqueeze(0), N_FFT).to(torch.float32)


def stft_basis(anchor: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Conv1d weight [2*513, 1, 1024]: rows 0..512 = cos(2πkn/N)·w[n], rows 513.. = −sin(2πkn/N)·w[n]."""
    ang = _phase_index(N_FFT // 2 + 1, N_FFT, anchor) * (2.0 * math.pi / N_FFT)
    w = window.unsqueeze(0)
    basis = torch.cat([torch.cos(ang) * w, -torch.sin(ang) * w], dim=0)
    return basis.unsqueeze(1)


def istft_basis(anchor: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """ConvTranspose1d weight [2*513, 1, 1024] so that basis^T · [Re ‖ Im] = irfft(X)[n] · w[n] (the synthesis
    window of torch.istft). DC and Nyquist count once, the other bins twice; their imaginary parts drop out (sin=0),
    exactly as the c2r transform ignores them."""
    ang = _phase_index(N_FFT // 2 + 1, N_FFT, anchor) * (2.0 * math.pi / N_FFT)
    n_bins = N_FFT // 2 + 1
    scale = torch.tensor([1.0] + [2.0] * (n_bins - 2) + [1.0], dtype=torch.float32).unsqueeze(1) / N_FFT
    w = window.unsqueeze(0)
    basis = torch.cat([torch.cos(ang) * scale * w, -torch.sin(ang) * scale * w], dim=0)
    return basis.unsqueeze(1)


def anchor_of(x: torch.Tensor) -> torch.Tensor:
    """An int64 zero computed from x's last (dynamic) dimension: Shape -> Gather -> Mul in the graph, which no
    constant folding can turn into a stored basis."""
    return torch._shape_as_tensor(x)[-1] * 0


def log_mel_conv(audio: torch.Tensor, fb: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Export form of log_mel_reference: audio [B, S] -> [B, S//256 + 1, 100]."""
    x = F.pad(audio.unsqueeze(1), (N_FFT // 2, N_FFT // 2), mode="reflect")
    spec = F.conv1d(x, stft_basis(anchor_of(audio), window), stride=HOP_LENGTH)  # [B, 1026, F]
    re, im = spec[:, : N_FFT // 2 + 1], spec[:, N_FFT // 2 + 1:]
    mag = torch.sqrt(re * re + im * im)
    mel = torch.matmul(mag.transpose(1, 2), fb)  # [B, F, 100]
    return mel.clamp(min=1e-5).log()


def istft_reference(mag: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """torch.istft(center=True) as Vocos ISTFTHead with padding 'center': [B, 513, T] -> [B, (T-1)*256]."""
    spec = mag * (torch.cos(phase) + 1j * torch.sin(phase))
    return torch.istft(spec, N_FFT, HOP_LENGTH, N_FFT, hann_window(N_FFT), center=True)


def overlap_add(frames: torch.Tensor) -> torch.Tensor:
    """frames [B, T, 1024] (hop 256) -> [B, (T+3)*256]: frame t adds into samples t*256 .. t*256+1023. Each quarter k
    of a frame lands k blocks later, so the sum is four zero-padded shifted copies (Pad + Add, no scatter)."""
    r = N_FFT // HOP_LENGTH
    parts = frames.unflatten(-1, (r, HOP_LENGTH))  # [B, T, r, hop]
    out = None
    for k in range(r):
        shifted = F.pad(parts[:, :, k, :], (0, 0, k, r - 1 - k))  # [B, T+r-1, hop], block t -> t+k
        out = shifted if out is None else out + shifted
    return out.flatten(1)


def istft_conv(mag: torch.Tensor, phase: torch.Tensor, lengths: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Export form of istft_reference with per-item length.

    mag, phase [B, 513, T]; lengths int64 [B] (valid frames per item). Padded frames contribute nothing and the
    window-envelope normalisation uses each item's own frames, so item b equals torch.istft over its first
    lengths[b] frames; samples past (lengths[b]-1)*256 are 0. Output [B, (T-1)*256]."""
    t_idx = torch.arange(mag.shape[2], dtype=torch.int64)
    frame_mask = (t_idx.unsqueeze(0) < lengths.unsqueeze(1)).to(mag.dtype)  # [B, T]
    m = frame_mask.unsqueeze(1)
    spec = torch.cat([mag * torch.cos(phase) * m, mag * torch.sin(phase) * m], dim=1)  # [B, 1026, T]
    # Synthesis as one GEMM plus a 4-way shifted add, not ConvTranspose1d: cuDNN's transposed convolution with 1026
    # input channels and a 1024-tap kernel took ~60x longer at batch 16 than at batch 1 on the H100 (docs/benchmarks.md).
    basis = istft_basis(anchor_of(mag), window)[:, 0, :]  # [1026, 1024]
    ola = overlap_add(torch.matmul(spec.transpose(1, 2), basis))  # [B, (T-1)*256+1024]
    wsq = (window * window).view(1, 1, N_FFT)
    env = overlap_add(frame_mask.unsqueeze(-1) * wsq)
    half = N_FFT // 2
    ola = ola[:, half:-half]
    env = env[:, half:-half]
    s_idx = torch.arange(ola.shape[1], dtype=torch.int64)
    in_item = s_idx.unsqueeze(0) < (lengths.unsqueeze(1) - 1) * HOP_LENGTH  # torch.istft length (T_b - 1) * hop
    valid = (env > 1e-11) & in_item
    return torch.where(valid, ola / torch.where(valid, env, torch.ones_like(env)), torch.zeros_like(ola))

"""Regenerates the committed test fixtures: tiny random-weight models for both contracts plus golden data from the
PyTorch reference (CPU, float32, one thread, fixed seeds -> bit-for-bit reproducible on the same machine/torch)."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from . import checkpoint, export, reference, sampler
from .config import HOP_LENGTH, SAMPLE_RATE, dit_config, vocos_config
from .golden import GoldenWriter

DIT_SEED = 1234
VOCOS_SEED = 5678
NOISE_SEED = 42

# "Some call me nature, others call me mother nature." (docs/model.md "Vocabulary and tokenisation") — 50 ids of the official vocab.
TEXT_A = [50, 827, 704, 325, 0, 143, 62, 615, 615, 0, 704, 325, 0, 765, 62, 1082, 1147, 940, 325, 12, 0, 827, 1082,
          441, 325, 940, 973, 0, 143, 62, 615, 615, 0, 704, 325, 0, 704, 827, 1082, 441, 325, 940, 0, 765, 62, 1082,
          1147, 940, 325, 14]
# "对，这就是我，万人敬仰的太乙真人。" (docs/model.md "Vocabulary and tokenisation") — 31 ids.
TEXT_B = [0, 317, 2541, 0, 1341, 0, 546, 0, 1030, 0, 1178, 2541, 0, 1161, 0, 953, 0, 541, 0, 1248, 0, 272, 0, 1089, 0,
          1261, 0, 1342, 0, 953, 1895]


def synthetic_voice(seconds: float, seed: int) -> torch.Tensor:
    """Deterministic voice-like test signal at 24 kHz: 8 harmonics of a vibrato f0 with a syllable envelope plus
    light noise (keeps every mel band well above the 1e-5 log floor). float32 [S] in (-1, 1)."""
    s = int(round(seconds * SAMPLE_RATE))
    t = torch.arange(s, dtype=torch.float64) / SAMPLE_RATE
    f0 = 140.0 + 20.0 * torch.sin(2 * math.pi * 2.5 * t)
    phase = 2 * math.pi * torch.cumsum(f0, 0) / SAMPLE_RATE
    env = 0.6 + 0.4 * torch.sin(2 * math.pi * 4.0 * t)
    x = sum((0.25 / h) * torch.sin(h * phase) for h in range(1, 9)) * env
    g = torch.Generator().manual_seed(seed)
    x = x + 0.01 * torch.randn(s, generator=g, dtype=torch.float64)
    return x.clamp(-0.95, 0.95).to(torch.float32)


def build_models(root: Path):
    cfg = dit_config("tiny-v1")
    vcfg = vocos_config("tiny")
    ck = root / "checkpoints"
    checkpoint.save_state_dict(checkpoint.random_f5_state_dict(cfg, DIT_SEED), ck / "tiny-v1.safetensors")
    checkpoint.save_state_dict(checkpoint.random_vocos_state_dict(vcfg, VOCOS_SEED), ck / "tiny-vocos.safetensors")
    dit = checkpoint.load_f5(ck / "tiny-v1.safetensors", cfg).transformer
    vocos = checkpoint.load_vocos(ck / "tiny-vocos.safetensors", vcfg)
    return dit, vocos


def _noise(n: int, seed: int) -> torch.Tensor:
    return torch.randn(1, n, 100, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def golden_batched(dit, vocos, out: Path) -> None:
    w = GoldenWriter("f5tts-batched/1 golden for tests/fixtures/models/tiny-v1-batched: PyTorch reference "
                     "(torch.stft mel, SDPA attention, torch.istft), CPU float32. See docs/export.md.")
    items = {
        "a": (synthetic_voice(1.5, 7), TEXT_A, 80, NOISE_SEED),
        "b": (synthetic_voice(1.0, 8), TEXT_B, 60, NOISE_SEED + 1),
    }
    prepared = {}
    for key, (wav, ids, gen_frames, seed) in items.items():
        ref_frames = wav.shape[0] // HOP_LENGTH + 1
        n = ref_frames + gen_frames
        cond, cond_drop, f = reference.condition(dit, wav.unsqueeze(0), torch.tensor([ids]), n)
        assert f == ref_frames
        noise = _noise(n, seed)
        prepared[key] = (cond, cond_drop, noise, n, ref_frames)
        w.tensor(f"{key}.audio", wav)
        w.tensor(f"{key}.text_ids", torch.tensor(ids, dtype=torch.int32))
        w.tensor(f"{key}.total_frames", torch.tensor([n], dtype=torch.int64))
        w.tensor(f"{key}.ref_frames", torch.tensor([ref_frames], dtype=torch.int64))
        w.tensor(f"{key}.cond", cond[0])
        w.tensor(f"{key}.cond_drop", cond_drop[0])
        w.tensor(f"{key}.noise", noise[0])
        w.scalar(f"{key}.total_frames", n)
        w.scalar(f"{key}.ref_frames", ref_frames)

    cfg_strength, sway = 2.0, -1.0
    w.scalar("cfg", cfg_strength)
    w.scalar("sway", sway)
    # Item a alone: NFE 8 (uniform 9-point grid, all steps stored) and NFE 7 (EPSS grid).
    for nfe, keep_steps in ((8, range(1, 9)), (7, (1, 7))):
        grid = sampler.official_grid(nfe, sway, use_epss=True)
        cond, cond_drop, noise, n, ref_frames = prepared["a"]
        xs = reference.sample(dit, cond, cond_drop, noise, grid, cfg_strength)
        p = f"a.nfe{nfe}"
        w.scalar(f"{p}.time_grid", [float(v) for v in grid])
        w.tensor(f"{p}.t", grid[:-1].contiguous())
        w.tensor(f"{p}.dt", (grid[1:] - grid[:-1]).contiguous())
        for k in keep_steps:
            w.tensor(f"{p}.x_step{k}", xs[k - 1][0])
        mel = xs[-1][0, ref_frames:]
        w.tensor(f"{p}.mel_generated", mel)
        w.tensor(f"{p}.audio", reference.vocode(vocos, mel))
    # Item b alone (NFE 8) and the 2-item padded batch (a, b) through the same reference with lengths.
    grid = sampler.official_grid(8, sway, use_epss=True)
    cond, cond_drop, noise, n, ref_frames = prepared["b"]
    xs = reference.sample(dit, cond, cond_drop, noise, grid, cfg_strength)
    w.tensor("b.nfe8.x_step1", xs[0][0])
    w.tensor("b.nfe8.x_step8", xs[-1][0])
    mel = xs[-1][0, ref_frames:]
    w.tensor("b.nfe8.mel_generated", mel)
    w.tensor("b.nfe8.audio", reference.vocode(vocos, mel))
    na, nb = prepared["a"][3], prepared["b"][3]
    nmax = max(na, nb)

    def pad(t):
        return torch.nn.functional.pad(t, (0, 0, 0, nmax - t.shape[1]))

    lengths = torch.tensor([na, nb], dtype=torch.int64)
    bc = torch.cat([pad(prepared["a"][0]), pad(prepared["b"][0])])
    bcd = torch.cat([pad(prepared["a"][1]), pad(prepared["b"][1])])
    bn = torch.cat([pad(prepared["a"][2]), pad(prepared["b"][2])])
    xs = reference.sample(dit, bc, bcd, bn, grid, cfg_strength, lengths=lengths)
    keep = (torch.arange(nmax)[None, :] < lengths[:, None]).float().unsqueeze(-1)
    w.tensor("batch.lengths", lengths)
    w.tensor("batch.x_step8", xs[-1] * keep)
    w.write(out)


@torch.no_grad()
def golden_dakeqq(dit, vocos, out: Path, nfe_step: int = 32) -> None:
    w = GoldenWriter("dakeqq golden for tests/fixtures/models/tiny-v1-dakeqq: PyTorch reference, 32-point grid / "
                     "31 Transformer calls, CFG 2, sway -1; inject `noise` instead of Preprocess's random noise.")
    wav = synthetic_voice(1.5, 7)
    pcm = (wav * 32767.0).round().clamp(-32768, 32767).to(torch.int16)
    ref_frames = pcm.shape[0] // HOP_LENGTH + 1
    n = ref_frames + 80
    cond, cond_drop, f = reference.condition(dit, (pcm.to(torch.float32) / 32768.0).unsqueeze(0),
                                             torch.tensor([TEXT_A]), n)
    noise = _noise(n, NOISE_SEED)
    grid = sampler.dakeqq_grid(nfe_step, -1.0)
    xs = reference.sample(dit, cond, cond_drop, noise, grid, 2.0)
    mel = xs[-1][0, ref_frames:]
    w.scalar("nfe_step", nfe_step)
    w.scalar("model_calls", nfe_step - 1)
    w.scalar("cfg", 2.0)
    w.scalar("sway", -1.0)
    w.scalar("time_grid", [float(v) for v in grid])
    w.scalar("max_duration", n)
    w.scalar("ref_signal_len", ref_frames)
    w.tensor("audio", pcm)
    w.tensor("text_ids", torch.tensor(TEXT_A, dtype=torch.int32))
    w.tensor("max_duration", torch.tensor([n], dtype=torch.int64))
    w.tensor("ref_signal_len", torch.tensor(ref_frames, dtype=torch.int64))
    w.tensor("noise", noise[0])
    w.tensor("cat_mel_text", cond[0])
    w.tensor("cat_mel_text_drop", cond_drop[0])
    for k in (1, 2, nfe_step - 1):
        w.tensor(f"denoised_step{k}", xs[k - 1][0])
    w.tensor("output_audio", reference.to_int16(reference.vocode(vocos, mel)))
    w.write(out)


def make_f5ops(dit, vocos, models: Path) -> None:
    """The --attention f5ops fixture (the graph needs libf5tts_ops; the C# golden tests run it on the library's CPU
    kernels, and on its CUDA kernels on the GPU machine). fp32 only: the fp16 arithmetic of the same kernels is
    covered by the exporter's tests, and every fixture travels with the repository to the GPU machine."""
    export.export_batched(dit, vocos, models / "tiny-v1-batched-f5ops", "tiny-v1", "fp32", max_frames=4096,
                          attention="f5ops")


def make_all(root) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    root = Path(root)
    dit, vocos = build_models(root)
    models = root / "models"
    export.export_batched(dit, vocos, models / "tiny-v1-batched", "tiny-v1", "fp32", max_frames=4096)
    export.export_batched(dit, vocos, models / "tiny-v1-batched-fp16", "tiny-v1", "fp16", max_frames=4096)
    export.export_batched(dit, vocos, models / "tiny-v1-batched-fused", "tiny-v1", "fp32", max_frames=4096,
                          attention="fused")
    export.export_batched(dit, vocos, models / "tiny-v1-batched-fused-fp16", "tiny-v1", "fp16", max_frames=4096,
                          attention="fused")
    make_f5ops(dit, vocos, models)
    export.export_dakeqq(dit, vocos, models / "tiny-v1-dakeqq", "tiny-v1", nfe_step=32)
    golden_batched(dit, vocos, root / "golden" / "tiny-v1-batched")
    golden_dakeqq(dit, vocos, root / "golden" / "tiny-v1-dakeqq")

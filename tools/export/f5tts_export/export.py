"""ONNX export of both model contracts (docs/engine.md "Contracts") with the legacy TorchScript exporter (dynamo=False)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Dict, Optional

import torch

from . import fused, graphs, sampler
from .config import HOP_LENGTH, N_MELS, SAMPLE_RATE, DiTConfig
from .dit import DiT
from .vocos import Vocos

OPSET = 17
CONTRACT_BATCHED = "f5tts-batched/1"
CONTRACT_DAKEQQ = "dakeqq"
VOCAB_PATH = Path(__file__).resolve().parent / "data" / "vocab.txt"
EXPORTER_VERSION = "2"
# Metadata f5tts.preprocess of exports whose Preprocess takes text ids padded to the frame count (graphs.BatchedPreprocess;
# exporter version 2 on). Absent: text ids at their length and the frame count as total_frames' value (version 1).
PREPROCESS_PADDED = "padded"
# f5ops exports only: t -> the AdaLN modulation rows the Transformer's time_table holds (graphs.BatchedTimeModulation).
TIME_MODULATION_FILE = "F5_TimeModulation.onnx"


def _onnx_export(module: torch.nn.Module, args, path: Path, input_names, output_names, dynamic_axes,
                 fold: bool = True, custom_opsets: Optional[Dict[str, int]] = None) -> None:
    module.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=fold,
                          export_params=True, dynamo=False, custom_opsets=custom_opsets)


def _custom_opsets(attention: str) -> Optional[Dict[str, int]]:
    if attention == "plain":
        return None
    if attention == "f5ops":
        return {fused.MS_DOMAIN: 1, fused.OPS_DOMAIN: 1}
    return {fused.MS_DOMAIN: 1}


def _finalise_fused(path: Path, depth: int) -> None:
    import onnx
    model = onnx.load(str(path))
    n = fused.finalise_onnx(model)
    if n != depth:
        raise RuntimeError(f"expected {depth} MultiHeadAttention nodes in {path.name}, found {n}")
    onnx.save(model, str(path))


def _is_zero_scalar(model, name: str) -> bool:
    import onnx
    from onnx import numpy_helper
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output[0] == name:
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            break
    else:
        value = next((t for t in model.graph.initializer if t.name == name), None)
    if value is None or value.data_type != onnx.TensorProto.INT64:
        return False
    a = numpy_helper.to_array(value)
    return a.size == 1 and int(a.reshape(-1)[0]) == 0


def _fold_anchors(path: Path) -> int:
    """Lets ONNX Runtime compute the DFT bases (and other tables built from `audio.anchor_of`) once at session load
    instead of at every run. The anchor — an int64 0 computed as Shape -> Gather -> Mul(0) — only exists so that the
    exporter does not store the 4 MiB bases in the file; here each anchor Mul is replaced by a stored 0, which makes the
    whole table subgraph constant: ONNX Runtime's constant folding evaluates it when the session is created, and the
    ≈ 20 launches per run it cost (several of them shape nodes on the CPU) disappear (docs/export.md "Constant
    tables"). The file keeps the small subgraph. Returns the number of anchors replaced."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    model = onnx.load(str(path))
    graph = model.graph
    anchors = [n for n in graph.node if n.op_type == "Mul" and len(n.input) == 2
               and any(_is_zero_scalar(model, i) for i in n.input)]
    if not anchors:
        return 0
    zero = "f5tts_anchor_zero"
    graph.initializer.append(numpy_helper.from_array(np.array(0, dtype=np.int64), zero))
    replaced = {n.output[0] for n in anchors}
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in replaced:
                node.input[k] = zero
    # Drop what no longer feeds anything (the anchors' Shape/Gather/Mul chains).
    outputs = {o.name for o in graph.output}
    while True:
        used = {i for n in graph.node for i in n.input} | outputs
        dead = [n for n in graph.node if not any(o in used for o in n.output if o)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    onnx.save(model, str(path))
    return len(anchors)


def _set_metadata(path: Path, meta: Dict[str, str]) -> None:
    import onnx
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, str(v)
    onnx.save(model, str(path))


def _copy_vocab(out: Path, vocab: Optional[Path]) -> None:
    shutil.copyfile(str(vocab or VOCAB_PATH), str(out / "vocab.txt"))


def export_batched(dit: DiT, vocos: Vocos, out_dir, model_name: str, precision: str = "fp32",
                   max_frames: int = 4096, vocab: Optional[Path] = None, attention: str = "plain") -> Path:
    """Writes F5_Preprocess.onnx, F5_Transformer.onnx, F5_Decode.onnx, vocab.txt and export.json to out_dir.
    All graph inputs/outputs are float32 in both precisions (but the f5ops time_table: compute dtype); fp16 only changes the Transformer's internal compute
    (weights and activations fp16; LayerNorm statistics, attention logits/softmax, the time sinusoid, RoPE angles and
    the Euler update in fp32). attention="fused" writes the Transformer with com.microsoft RotaryEmbedding and
    MultiHeadAttention (fused.py; ONNX Runtime only, fp16 attention without fp32 logits); attention="f5ops" adds the
    f5tts.ops kernels (one pass per residual update and per q|k|v; the graph needs libf5tts_ops, docs/custom-ops.md)
    and moves the AdaLN modulation into F5_TimeModulation.onnx (t -> time_table rows in the compute dtype; the
    Transformer takes time_table + time_index instead of t; docs/export.md "Time modulation table")."""
    if precision not in ("fp32", "fp16"):
        raise ValueError("precision must be fp32 or fp16")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dit = dit.float().eval()
    vocos = vocos.float().eval()
    cfg: DiTConfig = dit.cfg
    g = torch.Generator().manual_seed(0)

    pre = graphs.BatchedPreprocess(dit, max_frames)
    # Traced at batch 2 with text ids padded by -1 (the padded form: text_ids' length is the frame count).
    ids = torch.full((2, 48), -1, dtype=torch.int32)
    ids[0, :10] = torch.randint(0, cfg.vocab_size, (10,), generator=g, dtype=torch.int64).to(torch.int32)
    ids[1, :7] = torch.randint(0, cfg.vocab_size, (7,), generator=g, dtype=torch.int64).to(torch.int32)
    _onnx_export(pre, (0.1 * torch.randn(2, 5000, generator=g), ids, torch.tensor([40, 33], dtype=torch.int64)),
                 out / "F5_Preprocess.onnx", ["audio", "text_ids", "total_frames"], ["cond", "cond_drop", "ref_frames"],
                 {"audio": {0: "batch", 1: "samples"}, "text_ids": {0: "batch", 1: "frames"},
                  "total_frames": {0: "batch"}, "cond": {0: "batch", 1: "frames"},
                  "cond_drop": {0: "batch", 1: "frames"}, "ref_frames": {0: "batch"}})

    dtype = torch.float16 if precision == "fp16" else torch.float32
    b, n, c = 2, 24, N_MELS + cfg.text_dim
    x0, c0, cd0 = torch.randn(b, n, N_MELS, generator=g), torch.randn(b, n, c, generator=g), torch.randn(b, n, c, generator=g)
    axes = {"x": {0: "batch", 1: "frames"}, "cond": {0: "batch", 1: "frames"}, "cond_drop": {0: "batch", 1: "frames"},
            "lengths": {0: "batch"}, "dt": {0: "batch"}, "cfg": {0: "batch"}, "x_next": {0: "batch", 1: "frames"}}
    graph_names = ["F5_Preprocess.onnx", "F5_Transformer.onnx", "F5_Decode.onnx"]
    if attention == "f5ops":
        # The AdaLN modulation as its own graph and a table input of the Transformer (graphs.BatchedTableTransformer).
        tr = graphs.BatchedTableTransformer(dit, dtype, max_frames)
        t0 = torch.tensor([0.1, 0.5, 0.9])
        _onnx_export(graphs.BatchedTimeModulation(tr), (t0,), out / TIME_MODULATION_FILE, ["t"], ["time_table"],
                     {"t": {0: "rows"}, "time_table": {0: "rows"}})
        with torch.no_grad():
            table = tr.fused.modulation_rows(t0)
        _onnx_export(tr, (x0, c0, cd0, torch.tensor([24, 17]), table, torch.tensor([2, 0]), torch.tensor([0.05, 0.1]),
                          torch.tensor([2.0, 1.5])),
                     out / "F5_Transformer.onnx",
                     ["x", "cond", "cond_drop", "lengths", "time_table", "time_index", "dt", "cfg"], ["x_next"],
                     {**axes, "time_table": {0: "rows"}, "time_index": {0: "batch"}},
                     custom_opsets=_custom_opsets(attention))
        graph_names.append(TIME_MODULATION_FILE)
    else:
        tr = graphs.BatchedTransformer(dit, dtype, attention, max_frames)
        _onnx_export(tr, (x0, c0, cd0, torch.tensor([24, 17]), torch.tensor([0.1, 0.5]), torch.tensor([0.05, 0.1]),
                          torch.tensor([2.0, 1.5])),
                     out / "F5_Transformer.onnx", ["x", "cond", "cond_drop", "lengths", "t", "dt", "cfg"], ["x_next"],
                     {**axes, "t": {0: "batch"}}, custom_opsets=_custom_opsets(attention))
    if attention != "plain":
        _finalise_fused(out / "F5_Transformer.onnx", cfg.depth)

    dec = graphs.BatchedDecode(vocos)
    _onnx_export(dec, (torch.randn(2, 12, N_MELS, generator=g), torch.tensor([12, 7])),
                 out / "F5_Decode.onnx", ["mel", "lengths"], ["audio"],
                 {"mel": {0: "batch", 1: "frames"}, "lengths": {0: "batch"}, "audio": {0: "batch", 1: "samples"}})
    for name in ("F5_Preprocess.onnx", "F5_Decode.onnx"):  # STFT basis + text position table; ISTFT basis
        if _fold_anchors(out / name) == 0:
            raise RuntimeError(f"no table anchor found in {name}")

    meta = {
        "f5tts.contract": CONTRACT_BATCHED,
        "f5tts.model": model_name,
        "f5tts.precision": precision,
        "f5tts.sample_rate": str(SAMPLE_RATE),
        "f5tts.hop_length": str(HOP_LENGTH),
        "f5tts.n_mels": str(N_MELS),
        "f5tts.vocab_size": str(cfg.vocab_size),
        "f5tts.max_frames": str(max_frames),
        "f5tts.text_dim": str(cfg.text_dim),
        "f5tts.exporter_version": EXPORTER_VERSION,
        "f5tts.preprocess": PREPROCESS_PADDED,
    }
    if attention != "plain":
        meta["f5tts.attention"] = attention
    if attention == "f5ops":
        meta["f5tts.custom_ops"] = fused.OPS_DOMAIN
    for name in graph_names:
        _set_metadata(out / name, {**meta, "f5tts.graph": name[3:-5].lower()})
    _copy_vocab(out, vocab)
    (out / "export.json").write_text(json.dumps({
        "contract": CONTRACT_BATCHED, "model": model_name, "precision": precision, "max_frames": max_frames,
        "attention": attention,
        "dit": cfg.to_dict(), "vocos": vocos.cfg.to_dict(), "opset": OPSET,
        "io_dtype": "float32 (all float tensors, both precisions; f5ops time_table: the compute dtype)",
    }, indent=2) + "\n", encoding="utf-8")
    return out


def export_dakeqq(dit: DiT, vocos: Vocos, out_dir, model_name: str, nfe_step: int = 32, cfg_strength: float = 2.0,
                  sway_coef: float = -1.0, vocab: Optional[Path] = None) -> Path:
    """The DakeQQ/F5-TTS-ONNX interface (docs/model.md "The dakeqq graphs"): grid linspace(0, 1, nfe_step) (32 points -> 31 calls),
    CFG and sway baked in; fp32. No metadata_props (as real DakeQQ files); export.json describes the bake."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dit = dit.float().eval()
    vocos = vocos.float().eval()
    cfg: DiTConfig = dit.cfg
    g = torch.Generator().manual_seed(0)
    h, dh = cfg.heads, cfg.dim_head
    n = 40

    pre = graphs.DakeqqPreprocess(dit)
    _onnx_export(pre, ((3000 * torch.randn(1, 1, 5000, generator=g)).to(torch.int16),
                       torch.randint(0, cfg.vocab_size, (1, 10), generator=g, dtype=torch.int64).to(torch.int32),
                       torch.tensor([n], dtype=torch.int64)),
                 out / "F5_Preprocess.onnx", ["audio", "text_ids", "max_duration"],
                 ["noise", "rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k", "cat_mel_text",
                  "cat_mel_text_drop", "ref_signal_len"],
                 {"audio": {2: "audio_len"}, "text_ids": {1: "text_ids_len"}, "noise": {1: "max_duration"},
                  "rope_cos_q": {2: "max_duration"}, "rope_sin_q": {2: "max_duration"},
                  "rope_cos_k": {3: "max_duration"}, "rope_sin_k": {3: "max_duration"},
                  "cat_mel_text": {1: "max_duration"}, "cat_mel_text_drop": {1: "max_duration"}})

    grid = sampler.dakeqq_grid(nfe_step, sway_coef)
    tr = graphs.DakeqqTransformer(dit, grid, cfg_strength)
    c = N_MELS + cfg.text_dim
    _onnx_export(tr, (torch.randn(1, n, N_MELS, generator=g), torch.randn(2, h, n, dh, generator=g),
                      torch.randn(2, h, n, dh, generator=g), torch.randn(2, h, dh, n, generator=g),
                      torch.randn(2, h, dh, n, generator=g), torch.randn(1, n, c, generator=g),
                      torch.randn(1, n, c, generator=g), torch.tensor([0], dtype=torch.int32)),
                 out / "F5_Transformer.onnx",
                 ["noise", "rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k", "cat_mel_text", "cat_mel_text_drop",
                  "time_step.1"],
                 ["denoised", "time_step"],
                 {"noise": {1: "max_duration"}, "rope_cos_q": {2: "max_duration"}, "rope_sin_q": {2: "max_duration"},
                  "rope_cos_k": {3: "max_duration"}, "rope_sin_k": {3: "max_duration"},
                  "cat_mel_text": {1: "max_duration"}, "cat_mel_text_drop": {1: "max_duration"},
                  "denoised": {1: "max_duration"}})

    dec = graphs.DakeqqDecode(vocos)
    _onnx_export(dec, (torch.randn(1, n, N_MELS, generator=g), torch.tensor(20, dtype=torch.int64)),
                 out / "F5_Decode.onnx", ["denoised", "ref_signal_len"], ["output_audio"],
                 {"denoised": {1: "max_duration"}, "output_audio": {2: "generated_len"}})
    _copy_vocab(out, vocab)
    (out / "export.json").write_text(json.dumps({
        "contract": CONTRACT_DAKEQQ, "model": model_name, "precision": "fp32", "nfe_step": nfe_step,
        "model_calls": nfe_step - 1, "cfg_strength": cfg_strength, "sway_coef": sway_coef,
        "time_grid": [float(x) for x in grid], "dit": cfg.to_dict(), "vocos": vocos.cfg.to_dict(), "opset": OPSET,
    }, indent=2) + "\n", encoding="utf-8")
    return out

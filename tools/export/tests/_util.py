"""Shared helpers for the exporter tests (stdlib unittest; run on a machine with torch + onnxruntime)."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

EXPORT_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = EXPORT_ROOT.parents[1]
if str(EXPORT_ROOT) not in sys.path:
    sys.path.insert(0, str(EXPORT_ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from f5tts_export import checkpoint  # noqa: E402
from f5tts_export.config import dit_config, vocos_config  # noqa: E402
from f5tts_export.dit import CFMContainer  # noqa: E402

torch.set_num_threads(min(8, os.cpu_count() or 1))
_TMP = tempfile.TemporaryDirectory(prefix="f5export-tests-")
TMP = Path(_TMP.name)


def metric(name: str, value) -> None:
    """Measured numbers, greppable in the test log (`METRIC name value`)."""
    line = f"METRIC {name} {value:.3e}" if isinstance(value, float) else f"METRIC {name} {value}"
    print(line, flush=True)
    path = os.environ.get("F5_EXPORT_METRICS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


@functools.lru_cache(maxsize=None)
def tiny_dit(name: str = "tiny-v1", seed: int = 1234):
    sd = checkpoint.random_f5_state_dict(dit_config(name), seed)
    m = CFMContainer(dit_config(name))
    m.load_state_dict(checkpoint.normalise_f5_keys(sd), strict=True)
    return m.transformer.eval()


@functools.lru_cache(maxsize=None)
def tiny_vocos(seed: int = 5678):
    from f5tts_export.vocos import Vocos
    cfg = vocos_config("tiny")
    sd = checkpoint.random_vocos_state_dict(cfg, seed)
    v = Vocos(cfg)
    v.load_state_dict({k: t for k, t in sd.items() if not k.startswith("feature_extractor.")
                       and k != "head.istft.window"}, strict=True)
    return v.eval()


@functools.lru_cache(maxsize=None)
def exported(contract: str, name: str = "tiny-v1", precision: str = "fp32", attention: str = "plain") -> Path:
    from f5tts_export import export
    out = TMP / f"{name}-{contract.replace('/', '_')}-{precision}-{attention}"
    if contract == "dakeqq":
        export.export_dakeqq(tiny_dit(name), tiny_vocos(), out, name)
    else:
        export.export_batched(tiny_dit(name), tiny_vocos(), out, name, precision, attention=attention)
    return out


def ops_library() -> str | None:
    """The f5tts.ops custom-op library (src/Native/F5Tts.Ops) for graphs exported with --attention f5ops: the path
    in F5TTS_OPS_LIB, or None (the Python wheel ships no ONNX Runtime headers to build it with here)."""
    path = os.environ.get("F5TTS_OPS_LIB")
    return path if path and Path(path).is_file() else None


@functools.lru_cache(maxsize=None)
def session(path: str):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    lib = ops_library()
    if lib:
        so.register_custom_ops_library(lib)
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run(model_dir: Path, graph: str, feeds: dict):
    s = session(str(model_dir / graph))
    return s.run(None, {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in feeds.items()})


def time_feeds(model_dir: Path, t: np.ndarray) -> dict:
    """The Transformer's time inputs for per-item times t [B]: {"t": t}, or for an f5ops export (F5_TimeModulation.onnx
    beside it) a time table with the rows of t in reverse order plus an unused row, and each item's row index — so a
    test also checks that the graph gathers the right rows."""
    if not (model_dir / "F5_TimeModulation.onnx").is_file():
        return {"t": t}
    rows = np.ascontiguousarray(np.concatenate([t[::-1], np.array([0.77], np.float32)]))
    table = run(model_dir, "F5_TimeModulation.onnx", {"t": rows})[0]
    return {"time_table": table, "time_index": np.arange(len(t) - 1, -1, -1, dtype=np.int64)}


def max_abs(a, b) -> float:
    a = a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


def voice(seconds: float, seed: int) -> torch.Tensor:
    from f5tts_export.fixtures import synthetic_voice
    return synthetic_voice(seconds, seed)


def text_ids(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2545, (1, n), generator=g)


def padded_ids(ids, frames: int) -> np.ndarray:
    """Text ids [B, T] as the padded Preprocess takes them: int32 [B, frames], -1 past the text (cut at frames)."""
    a = ids.numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
    a = a.reshape(a.shape[0] if a.ndim > 1 else 1, -1)[:, :frames]
    out = np.full((a.shape[0], frames), -1, dtype=np.int32)
    out[:, : a.shape[1]] = a
    return out

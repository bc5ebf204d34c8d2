"""Golden data format: golden.json (manifest) + golden.bin (raw little-endian tensors).

golden.json = {
  "format": "f5tts-golden/1",
  "description": "...",
  "scalars": {name: number | string | list},        # inputs such as nfe, cfg, sway, total_frames, time grids
  "tensors": [{"name", "dtype" (float32|int32|int64|int16), "shape": [...], "offset": bytes, "length": bytes}]
}
Each tensor is C-order (row-major) little-endian at `offset` in golden.bin; offsets are 16-byte aligned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

_DTYPES = {torch.float32: "float32", torch.int32: "int32", torch.int64: "int64", torch.int16: "int16"}


class GoldenWriter:
    def __init__(self, description: str):
        self.description = description
        self.scalars: Dict[str, object] = {}
        self.entries: List[dict] = []
        self.blobs: List[bytes] = []
        self.offset = 0

    def scalar(self, name: str, value) -> None:
        self.scalars[name] = value

    def tensor(self, name: str, t: torch.Tensor) -> None:
        t = t.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        if any(e["name"] == name for e in self.entries):
            raise ValueError(f"duplicate tensor {name}")
        arr = t.numpy()
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        pad = (-self.offset) % 16
        if pad:
            self.blobs.append(b"\0" * pad)
            self.offset += pad
        self.entries.append({"name": name, "dtype": _DTYPES[t.dtype], "shape": list(t.shape), "offset": self.offset,
                             "length": len(data)})
        self.blobs.append(data)
        self.offset += len(data)

    def write(self, out_dir) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "golden.bin").write_bytes(b"".join(self.blobs))
        manifest = {"format": "f5tts-golden/1", "description": self.description, "scalars": self.scalars,
                    "tensors": self.entries}
        (out / "golden.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_golden(out_dir) -> Dict[str, object]:
    """Python reader (tests): returns {"scalars": {...}, name: np.ndarray, ...}."""
    out = Path(out_dir)
    manifest = json.loads((out / "golden.json").read_text(encoding="utf-8"))
    blob = (out / "golden.bin").read_bytes()
    result: Dict[str, object] = {"scalars": manifest["scalars"]}
    for e in manifest["tensors"]:
        arr = np.frombuffer(blob, dtype=np.dtype(e["dtype"]).newbyteorder("<"), count=int(np.prod(e["shape"])),
                            offset=e["offset"]).reshape(e["shape"])
        result[e["name"]] = arr
    return result

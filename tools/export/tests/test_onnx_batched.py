"""f5tts-batched/1 graphs under ONNX Runtime (CPU) vs the PyTorch reference."""
import unittest
from collections import Counter
from pathlib import Path

import _util
import numpy as np
import onnx
import torch

from f5tts_export import reference, sampler

GRAPHS = ("F5_Preprocess.onnx", "F5_Transformer.onnx", "F5_Decode.onnx")


def _prep(model_dir, wav, ids, n, padded_to=None):
    """Preprocess of one item at n frames, its text ids padded by -1 to padded_to (default n) frames."""
    return _util.run(model_dir, "F5_Preprocess.onnx", {
        "audio": wav.unsqueeze(0).numpy(), "text_ids": _util.padded_ids(ids, padded_to or n),
        "total_frames": np.array([n], dtype=np.int64)})


def _step(model_dir, x, cond, cond_drop, lengths, t, dt, cfg):
    f32 = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    return _util.run(model_dir, "F5_Transformer.onnx", {
        "x": f32(x), "cond": f32(cond), "cond_drop": f32(cond_drop), "lengths": np.asarray(lengths, dtype=np.int64),
        **_util.time_feeds(model_dir, f32(t)), "dt": f32(dt), "cfg": f32(cfg)})[0]


def batch_vs_alone(model_dir, items, lens):
    """Steps the padded batch of `items` ((x, cond, cond_drop) with lengths `lens`, three items) once and each item
    alone. Returns the largest difference on valid frames and whether every padded output frame is exactly 0."""
    ts, dts, cfgs = [0.1, 0.55, 0.9], [0.02, 0.07, 0.1], [2.0, 1.0, 3.5]
    nmax = max(lens)
    pad = lambda z: torch.nn.functional.pad(z, (0, 0, 0, nmax - z.shape[1]), value=0.7)
    xb, cb, cdb = (torch.cat([pad(i[k]) for i in items]) for k in range(3))
    out = _step(model_dir, xb, cb, cdb, lens, ts, dts, cfgs)
    worst, zeros = 0.0, True
    for b, (x, c, cd) in enumerate(items):
        alone = _step(model_dir, x, c, cd, [lens[b]], [ts[b]], [dts[b]], [cfgs[b]])
        worst = max(worst, _util.max_abs(out[b:b + 1, : lens[b]], alone))
        zeros = zeros and bool(np.all(out[b, lens[b]:] == 0))
    return worst, zeros


class BatchedContractTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = _util.exported("f5tts-batched/1", "tiny-v1", "fp32")
        cls.dit = _util.tiny_dit("tiny-v1")
        cls.vocos = _util.tiny_vocos()

    def test_interface_and_metadata(self):
        expect_io = {
            "F5_Preprocess.onnx": ([("audio", 1), ("text_ids", 6), ("total_frames", 7)],
                                   [("cond", 1), ("cond_drop", 1), ("ref_frames", 7)]),
            "F5_Transformer.onnx": ([("x", 1), ("cond", 1), ("cond_drop", 1), ("lengths", 7), ("t", 1), ("dt", 1),
                                     ("cfg", 1)], [("x_next", 1)]),
            "F5_Decode.onnx": ([("mel", 1), ("lengths", 7)], [("audio", 1)]),
        }
        for g in GRAPHS:
            m = onnx.load(str(self.dir / g))
            self.assertGreaterEqual(max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 17)
            ins = [(i.name, i.type.tensor_type.elem_type) for i in m.graph.input]
            outs = [(o.name, o.type.tensor_type.elem_type) for o in m.graph.output]
            self.assertEqual((ins, outs), expect_io[g], g)
            meta = {p.key: p.value for p in m.metadata_props}
            for k, v in {"f5tts.contract": "f5tts-batched/1", "f5tts.model": "tiny-v1", "f5tts.precision": "fp32",
                         "f5tts.sample_rate": "24000", "f5tts.hop_length": "256", "f5tts.n_mels": "100",
                         "f5tts.vocab_size": "2545", "f5tts.max_frames": "4096", "f5tts.preprocess": "padded",
                         "f5tts.exporter_version": "2"}.items():
                self.assertEqual(meta.get(k), v, f"{g} {k}")
        self.assertEqual((self.dir / "vocab.txt").read_text(encoding="utf-8").count("\n"), 2545)

    def test_tables_are_computed_at_session_load(self):
        # export._fold_anchors: the DFT bases and the text position table are constant subgraphs that ONNX Runtime
        # folds when it creates the session; per run, Preprocess computes no sinusoid and no Range.
        import tempfile
        import onnxruntime as ort
        counts = {}
        for g in ("F5_Preprocess.onnx", "F5_Decode.onnx"):
            with tempfile.TemporaryDirectory() as tmp:
                so = ort.SessionOptions()
                so.log_severity_level = 3
                so.optimized_model_filepath = str(Path(tmp) / g)
                ort.InferenceSession(str(self.dir / g), so, providers=["CPUExecutionProvider"])
                counts[g] = Counter(n.op_type for n in onnx.load(str(Path(tmp) / g)).graph.node)
            _util.metric(f"batched_{g[3:-5].lower()}_nodes_after_load", sum(counts[g].values()))
        pre, dec = counts["F5_Preprocess.onnx"], counts["F5_Decode.onnx"]
        self.assertEqual((pre["Cos"], pre["Sin"], pre["Range"], pre["Mod"]), (0, 0, 0, 0), pre)
        self.assertEqual((dec["Mod"], dec["Cos"], dec["Sin"]), (0, 1, 1), dec)  # left: cos/sin of the phase

    def test_preprocess_matches_reference(self):
        wav = _util.voice(1.3, 11)
        ids = _util.text_ids(37, 5)
        n = 230
        cond, cond_drop, rf = _prep(self.dir, wav, ids, n)
        rc, rcd, f = reference.condition(self.dit, wav.unsqueeze(0), ids, n)
        self.assertEqual(rf.tolist(), [wav.shape[0] // 256 + 1])
        e_mel = _util.max_abs(cond[..., :100], rc[..., :100])
        e_txt = max(_util.max_abs(cond[..., 100:], rc[..., 100:]), _util.max_abs(cond_drop, rcd))
        _util.metric("batched_preprocess_mel_max_abs", e_mel)
        _util.metric("batched_preprocess_text_max_abs", e_txt)
        self.assertLessEqual(e_mel, 1e-3)
        self.assertLessEqual(e_txt, 1e-4)
        # reference longer than N is cut (no crash)
        cond2, _, _ = _prep(self.dir, wav, _util.text_ids(100, 6), 120)
        self.assertEqual(cond2.shape, (1, 120, 132))

    def test_padded_preprocess_equals_items_alone(self):
        # The padded form (docs/export.md "Padded Preprocess"): an item padded past its N frames, and two items of one
        # reference length in one batch at a common padded length, give each item's own rows as computed alone at N
        # (GRN's norm over its own frames only); the rows past N are 0.
        wav = _util.voice(1.1, 12)
        a, b = _util.text_ids(41, 7), _util.text_ids(19, 8)
        na, nb, p = 210, 150, 256
        alone = {k: _prep(self.dir, wav, ids, n) for k, ids, n in (("a", a, na), ("b", b, nb))}
        padded = _prep(self.dir, wav, a, na, padded_to=p)
        worst = max(_util.max_abs(padded[i][:, :na], alone["a"][i]) for i in (0, 1))
        self.assertTrue(np.all(padded[0][:, na:] == 0) and np.all(padded[1][:, na:] == 0))
        batch = _util.run(self.dir, "F5_Preprocess.onnx", {
            "audio": np.stack([wav.numpy(), wav.numpy()]), "text_ids": np.concatenate(
                [_util.padded_ids(a, p), _util.padded_ids(b, p)]), "total_frames": np.array([na, nb], np.int64)})
        self.assertEqual(batch[0].shape, (2, p, 132))
        self.assertEqual(batch[2].tolist(), [wav.shape[0] // 256 + 1] * 2)
        for row, (k, n) in enumerate((("a", na), ("b", nb))):
            worst = max(worst, *(_util.max_abs(batch[i][row:row + 1, :n], alone[k][i]) for i in (0, 1)))
            self.assertTrue(np.all(batch[0][row, n:] == 0) and np.all(batch[1][row, n:] == 0))
        _util.metric("batched_preprocess_padded_vs_alone_max_abs", worst)
        # The padding changes only how ONNX Runtime groups the sums (GRN's norm over more zeros): float rounding.
        self.assertLessEqual(worst, 1e-5)

    def test_transformer_step_matches_reference(self):
        g = torch.Generator().manual_seed(4)
        n = 77
        x = torch.randn(1, n, 100, generator=g)
        c = torch.randn(1, n, 132, generator=g)
        cd = torch.randn(1, n, 132, generator=g)
        out = _step(self.dir, x, c, cd, [n], [0.3], [0.05], [2.0])
        with torch.no_grad():
            vc, vu = self.dit.velocity(x, c, cd, torch.tensor([0.3]), use_sdpa=True)
            ref = x + 0.05 * (vc + (vc - vu) * 2.0)
        err = _util.max_abs(out, ref)
        _util.metric("batched_transformer_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)

    def test_batch_equals_items_alone(self):
        lens = [90, 61, 33]
        g = torch.Generator().manual_seed(9)
        items = [(torch.randn(1, n, 100, generator=g), torch.randn(1, n, 132, generator=g),
                  torch.randn(1, n, 132, generator=g)) for n in lens]
        worst, zeros = batch_vs_alone(self.dir, items, lens)
        _util.metric("batched_transformer_batch_vs_alone_max_abs", worst)
        self.assertTrue(zeros)
        self.assertLessEqual(worst, 1e-5)

    def test_decode_batch_matches_reference_per_item(self):
        g = torch.Generator().manual_seed(12)
        lens = [50, 21]
        mel = torch.randn(2, 50, 100, generator=g) * 2 - 3
        mel[1, 21:] = 5.0  # garbage padding must not leak
        wav = _util.run(self.dir, "F5_Decode.onnx", {"mel": mel.numpy(), "lengths": np.array(lens, dtype=np.int64)})[0]
        self.assertEqual(wav.shape, (2, 49 * 256))
        worst = 0.0
        for b, n in enumerate(lens):
            ref = reference.vocode(self.vocos, mel[b, :n])
            worst = max(worst, _util.max_abs(wav[b, : (n - 1) * 256], ref))
            self.assertTrue(np.all(wav[b, (n - 1) * 256:] == 0))
        _util.metric("batched_decode_vs_reference_max_abs", worst)
        _util.metric("batched_decode_peak_abs", float(np.abs(wav).max()))
        self.assertLessEqual(worst, 1e-4)

    def test_full_pipeline_nfe8_matches_reference(self):
        wav = _util.voice(1.1, 21)
        ids = _util.text_ids(40, 8)
        f = wav.shape[0] // 256 + 1
        n = f + 70
        noise = torch.randn(1, n, 100, generator=torch.Generator().manual_seed(3))
        grid = sampler.official_grid(8, -1.0)
        cond, cond_drop, _ = _prep(self.dir, wav, ids, n)
        x = noise.numpy()
        for k in range(8):
            x = _step(self.dir, x, cond, cond_drop, [n], [float(grid[k])], [float(grid[k + 1] - grid[k])], [2.0])
        out = _util.run(self.dir, "F5_Decode.onnx", {"mel": np.ascontiguousarray(x[:, f:]),
                                                     "lengths": np.array([n - f], dtype=np.int64)})[0]
        rc, rcd, _ = reference.condition(self.dit, wav.unsqueeze(0), ids, n)
        xs = reference.sample(self.dit, rc, rcd, noise, grid, 2.0)
        ref_wav = reference.vocode(self.vocos, xs[-1][0, f:])
        e_mel = _util.max_abs(x, xs[-1])
        e_wav = _util.max_abs(out[0], ref_wav)
        _util.metric("batched_pipeline_nfe8_final_mel_max_abs", e_mel)
        _util.metric("batched_pipeline_nfe8_waveform_max_abs", e_wav)
        self.assertLessEqual(e_mel, 1e-3)
        self.assertLessEqual(e_wav, 1e-3)


class Fp16Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = _util.exported("f5tts-batched/1", "tiny-v1", "fp16")
        cls.dit = _util.tiny_dit("tiny-v1")

    def test_metadata_and_io_float32(self):
        m = onnx.load(str(self.dir / "F5_Transformer.onnx"))
        self.assertEqual({p.key: p.value for p in m.metadata_props}["f5tts.precision"], "fp16")
        self.assertTrue(all(i.type.tensor_type.elem_type in (1, 7) for i in m.graph.input))
        self.assertTrue(any(t.data_type == 10 for t in m.graph.initializer))  # fp16 weights

    def test_step_vs_fp32_torch(self):
        g = torch.Generator().manual_seed(4)
        n = 77
        x = torch.randn(1, n, 100, generator=g)
        c = torch.randn(1, n, 132, generator=g)
        cd = torch.randn(1, n, 132, generator=g)
        out = _step(self.dir, x, c, cd, [n], [0.3], [0.05], [2.0])
        with torch.no_grad():
            vc, vu = self.dit.velocity(x, c, cd, torch.tensor([0.3]), use_sdpa=True)
            ref = x + 0.05 * (vc + (vc - vu) * 2.0)
            v16 = (torch.from_numpy(out) - x) / 0.05
        err = _util.max_abs(out, ref)
        verr = _util.max_abs(v16, vc + (vc - vu) * 2.0)
        _util.metric("batched_transformer_step_fp16_vs_fp32_state_max_abs", err)
        _util.metric("batched_transformer_step_fp16_vs_fp32_velocity_max_abs", verr)
        self.assertLessEqual(err, 2e-2)

    def test_long_sequence_is_finite(self):
        n = 2048
        g = torch.Generator().manual_seed(5)
        x = torch.randn(2, n, 100, generator=g)
        c = torch.randn(2, n, 132, generator=g) * 3
        cd = torch.randn(2, n, 132, generator=g) * 3
        out = _step(self.dir, x, c, cd, [n, 1500], [0.0, 0.9], [0.01, 0.01], [2.0, 2.0])
        self.assertTrue(np.all(np.isfinite(out)))
        with torch.no_grad():
            vc, vu = self.dit.velocity(x[:1], c[:1], cd[:1], torch.tensor([0.0]), use_sdpa=True)
            ref = x[:1] + 0.01 * (vc + (vc - vu) * 2.0)
        err = _util.max_abs(out[:1], ref)
        _util.metric("batched_transformer_fp16_N2048_state_max_abs", err)
        self.assertLessEqual(err, 2e-2)


class V0Tests(unittest.TestCase):
    def test_v0_export_matches_v0_reference_and_differs_from_v1(self):
        d0 = _util.exported("f5tts-batched/1", "tiny-v0", "fp32")
        d1 = _util.exported("f5tts-batched/1", "tiny-v1", "fp32")
        dit0 = _util.tiny_dit("tiny-v0")
        g = torch.Generator().manual_seed(4)
        n = 50
        x = torch.randn(1, n, 100, generator=g)
        c = torch.randn(1, n, 132, generator=g)
        cd = torch.randn(1, n, 132, generator=g)
        o0 = _step(d0, x, c, cd, [n], [0.3], [0.05], [2.0])
        o1 = _step(d1, x, c, cd, [n], [0.3], [0.05], [2.0])
        with torch.no_grad():
            vc, vu = dit0.velocity(x, c, cd, torch.tensor([0.3]), use_sdpa=True)
            ref = x + 0.05 * (vc + (vc - vu) * 2.0)
        err = _util.max_abs(o0, ref)
        _util.metric("batched_v0_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)
        self.assertGreater(_util.max_abs(o0, o1), 1e-4)
        wav = _util.voice(0.6, 2)
        ids = torch.tensor([[3, 4, 5]])
        p0 = _prep(d0, wav, ids, 80)[0]
        rc, _, _ = reference.condition(dit0, wav.unsqueeze(0), ids, 80)
        self.assertLessEqual(_util.max_abs(p0[..., 100:], rc[..., 100:]), 1e-4)
        # v0 has no text padding mask: the padded form must zero its rows past N before every block itself
        p0_padded = _prep(d0, wav, ids, 80, padded_to=144)[0]
        self.assertLessEqual(_util.max_abs(p0_padded[:, :80], p0), 1e-5)
        self.assertGreater(float(np.abs(p0[0, 10:, 100:]).max()), 0.0)  # v0: no text padding mask


if __name__ == "__main__":
    unittest.main()

"""f5tts-batched/1 Transformer with fused attention (com.microsoft RotaryEmbedding + MultiHeadAttention) under
ONNX Runtime (CPU) vs the PyTorch reference and vs the plain export."""
import unittest
from collections import Counter

import _util
import numpy as np
import onnx
import torch

from test_onnx_batched import _step, batch_vs_alone


def _ref_step(dit, x, c, cd, t=0.3, dt=0.05, cfg=2.0):
    with torch.no_grad():
        vc, vu = dit.velocity(x, c, cd, torch.tensor([t]), use_sdpa=True)
        return x + dt * (vc + (vc - vu) * cfg)


def _inputs(n, seed, b=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, n, 100, generator=g), torch.randn(b, n, 132, generator=g),
            torch.randn(b, n, 132, generator=g))


class FusedFp32Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = _util.exported("f5tts-batched/1", "tiny-v1", "fp32", "fused")
        cls.plain = _util.exported("f5tts-batched/1", "tiny-v1", "fp32", "plain")
        cls.dit = _util.tiny_dit("tiny-v1")

    def test_graph_uses_fused_ops_and_says_so(self):
        m = onnx.load(str(self.dir / "F5_Transformer.onnx"))
        ops = Counter(n.op_type for n in m.graph.node)
        depth = self.dit.cfg.depth
        self.assertEqual(ops["MultiHeadAttention"], depth)
        self.assertEqual(ops["RotaryEmbedding"], 2 * depth)
        self.assertEqual(ops["FastGelu"], depth)
        self.assertEqual(ops["SkipLayerNormalization"], 2 * depth)
        self.assertEqual(ops["Softmax"], 0)
        for n in m.graph.node:
            if n.op_type == "MultiHeadAttention":
                self.assertEqual(n.domain, "com.microsoft")
                self.assertEqual(len(n.input), 5)
                self.assertEqual(n.input[3], "")  # no bias: RoPE comes after the projection bias
        self.assertIn("com.microsoft", {o.domain for o in m.opset_import})
        meta = {p.key: p.value for p in m.metadata_props}
        self.assertEqual(meta.get("f5tts.attention"), "fused")
        self.assertEqual(meta.get("f5tts.contract"), "f5tts-batched/1")
        plain = Counter(n.op_type for n in onnx.load(str(self.plain / "F5_Transformer.onnx")).graph.node)
        _util.metric("fused_transformer_nodes", sum(ops.values()))
        _util.metric("plain_transformer_nodes", sum(plain.values()))
        _util.metric("fused_transformer_shape_nodes", ops["Shape"])
        _util.metric("plain_transformer_shape_nodes", plain["Shape"])
        self.assertLess(sum(ops.values()), sum(plain.values()))

    def test_step_matches_reference(self):
        x, c, cd = _inputs(77, 4)
        out = _step(self.dir, x, c, cd, [77], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd))
        _util.metric("fused_transformer_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)
        plain = _step(self.plain, x, c, cd, [77], [0.3], [0.05], [2.0])
        self.assertLessEqual(_util.max_abs(out, plain), 1e-4)

    def test_batch_equals_items_alone(self):
        lens = [90, 61, 33]
        worst, zeros = batch_vs_alone(self.dir, [_inputs(n, 20 + i) for i, n in enumerate(lens)], lens)
        _util.metric("fused_transformer_batch_vs_alone_max_abs", worst)
        self.assertTrue(zeros)
        self.assertLessEqual(worst, 1e-5)

    def test_long_positions_use_the_cache(self):
        # positions beyond the export's 24-frame example must come from the max_frames cache
        x, c, cd = _inputs(700, 6)
        out = _step(self.dir, x, c, cd, [700], [0.5], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd, 0.5))
        _util.metric("fused_transformer_step_fp32_N700_max_abs", err)
        self.assertLessEqual(err, 1e-4)

    def test_v0_rotates_only_the_first_head(self):
        d0 = _util.exported("f5tts-batched/1", "tiny-v0", "fp32", "fused")
        dit0 = _util.tiny_dit("tiny-v0")
        x, c, cd = _inputs(50, 4)
        out = _step(d0, x, c, cd, [50], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(dit0, x, c, cd))
        _util.metric("fused_v0_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)


class FusedFp16Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = _util.exported("f5tts-batched/1", "tiny-v1", "fp16", "fused")
        cls.dit = _util.tiny_dit("tiny-v1")

    def _step_or_skip(self, *args):
        try:
            return _step(self.dir, *args)
        except Exception as e:  # CPU builds without fp16 kernels for the contrib ops
            if "NOT_IMPLEMENTED" in str(e) or "Could not find an implementation" in str(e):
                self.skipTest(f"this onnxruntime has no CPU fp16 kernel for a fused op: {str(e)[:200]}")
            raise

    def test_step_vs_fp32_torch(self):
        x, c, cd = _inputs(77, 4)
        out = self._step_or_skip(x, c, cd, [77], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd))
        _util.metric("fused_transformer_step_fp16_vs_fp32_state_max_abs", err)
        self.assertLessEqual(err, 2e-2)

    def test_long_sequence_is_finite(self):
        n = 2048
        x, c, cd = _inputs(n, 5, b=2)
        out = self._step_or_skip(x, c * 3, cd * 3, [n, 1500], [0.0, 0.9], [0.01, 0.01], [2.0, 2.0])
        self.assertTrue(np.all(np.isfinite(out)))
        err = _util.max_abs(out[:1], _ref_step(self.dit, x[:1], c[:1] * 3, cd[:1] * 3, 0.0, 0.01))
        _util.metric("fused_transformer_fp16_N2048_state_max_abs", err)
        self.assertLessEqual(err, 2e-2)


class F5OpsTests(unittest.TestCase):
    """--attention f5ops: the fused graph with the f5tts.ops kernels (CPU kernels of libf5tts_ops here; the CUDA ones
    are checked against the same golden data by the C# suite on the GPU machine)."""

    @classmethod
    def setUpClass(cls):
        if _util.ops_library() is None:
            raise unittest.SkipTest("set F5TTS_OPS_LIB to a built libf5tts_ops.so (src/Native/F5Tts.Ops/build.sh)")
        cls.dir = _util.exported("f5tts-batched/1", "tiny-v1", "fp32", "f5ops")
        cls.fused = _util.exported("f5tts-batched/1", "tiny-v1", "fp32", "fused")
        cls.dit = _util.tiny_dit("tiny-v1")

    def test_graph_uses_the_ops_and_says_so(self):
        m = onnx.load(str(self.dir / "F5_Transformer.onnx"))
        ops = Counter((n.domain, n.op_type) for n in m.graph.node)
        depth = self.dit.cfg.depth
        self.assertEqual(ops[("f5tts.ops", "QkvRotary")], depth)
        self.assertEqual(ops[("f5tts.ops", "GatedResidualNorm")], 2 * depth)
        self.assertEqual(ops[("f5tts.ops", "ModulatedNorm")], 1)
        self.assertEqual(ops[("f5tts.ops", "ConvPositionEmbedding")], 1)
        self.assertEqual(ops[("", "Conv")], 0)
        self.assertEqual(ops[("f5tts.ops", "GemmBiasGelu")], depth)
        self.assertEqual(ops[("com.microsoft", "FastGelu")], 0)
        self.assertEqual(ops[("com.microsoft", "MultiHeadAttention")], depth)
        self.assertEqual(ops[("com.microsoft", "RotaryEmbedding")], 0)
        self.assertEqual(ops[("com.microsoft", "SkipLayerNormalization")], 0)
        meta = {p.key: p.value for p in m.metadata_props}
        self.assertEqual(meta.get("f5tts.attention"), "f5ops")
        self.assertEqual(meta.get("f5tts.custom_ops"), "f5tts.ops")
        self.assertEqual([i.name for i in m.graph.input],
                         ["x", "cond", "cond_drop", "lengths", "time_table", "time_index", "dt", "cfg"])
        tm = onnx.load(str(self.dir / "F5_TimeModulation.onnx"))
        self.assertEqual(([i.name for i in tm.graph.input], [o.name for o in tm.graph.output]), (["t"], ["time_table"]))
        self.assertEqual({p.key: p.value for p in tm.metadata_props}.get("f5tts.graph"), "timemodulation")
        fused = onnx.load(str(self.fused / "F5_Transformer.onnx"))
        _util.metric("f5ops_transformer_nodes", sum(ops.values()))
        _util.metric("fused_transformer_nodes_again", len(fused.graph.node))
        self.assertLess(sum(ops.values()), len(fused.graph.node))

    def test_step_matches_reference_and_fused(self):
        x, c, cd = _inputs(77, 4)
        out = _step(self.dir, x, c, cd, [77], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd))
        _util.metric("f5ops_transformer_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)
        fused = _step(self.fused, x, c, cd, [77], [0.3], [0.05], [2.0])
        self.assertLessEqual(_util.max_abs(out, fused), 1e-4)

    def test_time_table_rows_are_the_models_modulation(self):
        # The rows F5_TimeModulation writes are the AdaLN vectors of the reference model: per block shift, 1 + scale,
        # gate (msa), shift, 1 + scale, gate (mlp), then the final norm's 1 + scale and shift.
        t = np.array([0.0, 0.37, 0.99], np.float32)
        rows = _util.run(self.dir, "F5_TimeModulation.onnx", {"t": t})[0]
        d = self.dit.cfg.dim
        self.assertEqual(rows.shape, (3, (6 * self.dit.cfg.depth + 2) * d))
        with torch.no_grad():
            silu = torch.nn.functional.silu(self.dit.time_embed(torch.from_numpy(t)))
            want = []
            for blk in self.dit.transformer_blocks:
                shift, scale, gate, shift2, scale2, gate2 = torch.chunk(blk.attn_norm.linear(silu), 6, dim=1)
                want += [shift, 1 + scale, gate, shift2, 1 + scale2, gate2]
            scale, shift = torch.chunk(self.dit.norm_out.linear(silu), 2, dim=1)
            want += [1 + scale, shift]
        err = _util.max_abs(rows, torch.cat(want, dim=1))
        _util.metric("f5ops_time_table_rows_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-5)

    def test_batch_equals_items_alone(self):
        lens = [90, 61, 33]
        worst, zeros = batch_vs_alone(self.dir, [_inputs(n, 20 + i) for i, n in enumerate(lens)], lens)
        _util.metric("f5ops_transformer_batch_vs_alone_max_abs", worst)
        self.assertTrue(zeros)
        self.assertLessEqual(worst, 1e-5)

    def test_long_positions(self):
        x, c, cd = _inputs(700, 6)
        out = _step(self.dir, x, c, cd, [700], [0.5], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd, 0.5))
        _util.metric("f5ops_transformer_step_fp32_N700_max_abs", err)
        self.assertLessEqual(err, 1e-4)

    def test_v0_rotates_only_the_first_head(self):
        d0 = _util.exported("f5tts-batched/1", "tiny-v0", "fp32", "f5ops")
        dit0 = _util.tiny_dit("tiny-v0")
        x, c, cd = _inputs(50, 4)
        out = _step(d0, x, c, cd, [50], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(dit0, x, c, cd))
        _util.metric("f5ops_v0_step_fp32_max_abs", err)
        self.assertLessEqual(err, 1e-4)

    def test_fp16_step(self):
        d16 = _util.exported("f5tts-batched/1", "tiny-v1", "fp16", "f5ops")
        x, c, cd = _inputs(77, 4)
        out = _step(d16, x, c, cd, [77], [0.3], [0.05], [2.0])
        err = _util.max_abs(out, _ref_step(self.dit, x, c, cd))
        _util.metric("f5ops_transformer_step_fp16_vs_fp32_state_max_abs", err)
        self.assertLessEqual(err, 2e-2)


if __name__ == "__main__":
    unittest.main()

"""dakeqq contract graphs (docs/model.md "The dakeqq graphs") under ONNX Runtime (CPU) vs the PyTorch reference sampler."""
import unittest

import _util
import numpy as np
import onnx
import torch

from f5tts_export import reference, sampler

F, I16, I32, I64 = 1, 5, 6, 7


class DakeqqContractTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = _util.exported("dakeqq", "tiny-v1")
        cls.dit = _util.tiny_dit("tiny-v1")
        cls.vocos = _util.tiny_vocos()

    def _io(self, g):
        m = onnx.load(str(self.dir / g))
        dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        return m, [(i.name, i.type.tensor_type.elem_type, len(dims(i))) for i in m.graph.input], \
            [(o.name, o.type.tensor_type.elem_type, len(dims(o))) for o in m.graph.output]

    def test_interface(self):
        m, ins, outs = self._io("F5_Preprocess.onnx")
        self.assertEqual(ins, [("audio", I16, 3), ("text_ids", I32, 2), ("max_duration", I64, 1)])
        self.assertEqual(outs, [("noise", F, 3), ("rope_cos_q", F, 4), ("rope_sin_q", F, 4), ("rope_cos_k", F, 4),
                                ("rope_sin_k", F, 4), ("cat_mel_text", F, 3), ("cat_mel_text_drop", F, 3),
                                ("ref_signal_len", I64, 0)])
        self.assertTrue(any(n.op_type == "RandomNormalLike" for n in m.graph.node))
        self.assertFalse(any(p.key == "f5tts.contract" for p in m.metadata_props))
        _, ins, outs = self._io("F5_Transformer.onnx")
        self.assertEqual([i[0] for i in ins], ["noise", "rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k",
                                               "cat_mel_text", "cat_mel_text_drop", "time_step.1"])
        self.assertEqual(ins[-1][1:], (I32, 1))
        self.assertEqual(outs, [("denoised", F, 3), ("time_step", I32, 1)])
        _, ins, outs = self._io("F5_Decode.onnx")
        self.assertEqual(ins, [("denoised", F, 3), ("ref_signal_len", I64, 0)])
        self.assertEqual(outs, [("output_audio", I16, 3)])

    def _preprocess(self, pcm, ids, n):
        return _util.run(self.dir, "F5_Preprocess.onnx", {
            "audio": pcm.view(1, 1, -1).numpy(), "text_ids": ids.to(torch.int32).numpy(),
            "max_duration": np.array([n], dtype=np.int64)})

    def test_preprocess(self):
        wav = _util.voice(1.2, 13)
        pcm = (wav * 32767).round().to(torch.int16)
        ids = _util.text_ids(44, 2)
        n = 200
        noise, cq, sq, ck, sk, cmt, cmtd, rsl = self._preprocess(pcm, ids, n)
        f = pcm.shape[0] // 256 + 1
        self.assertEqual(rsl.shape, ())
        self.assertEqual(int(rsl), f)
        self.assertEqual(noise.shape, (1, n, 100))
        self.assertLess(abs(float(noise.mean())), 0.05)
        self.assertLess(abs(float(noise.std()) - 1.0), 0.05)
        self.assertEqual(cq.shape, (2, 2, n, 64))
        self.assertEqual(ck.shape, (2, 2, 64, n))
        self.assertTrue(np.array_equal(ck, np.swapaxes(cq, 2, 3)))
        cos, sin, _, _ = self.dit.rope_tables(torch.tensor(n))
        self.assertLessEqual(_util.max_abs(cq[1, 1], cos), 1e-6)
        self.assertLessEqual(_util.max_abs(sq[0, 0], sin), 1e-6)
        rc, rcd, _ = reference.condition(self.dit, (pcm.float() / 32768).unsqueeze(0), ids, n)
        e = max(_util.max_abs(cmt, rc), _util.max_abs(cmtd, rcd))
        _util.metric("dakeqq_preprocess_cond_max_abs", e)
        self.assertLessEqual(e, 1e-3)

    def test_31_call_loop_with_injected_noise_matches_reference(self):
        wav = _util.voice(1.0, 14)
        pcm = (wav * 32767).round().to(torch.int16)
        ids = _util.text_ids(30, 3)
        f = pcm.shape[0] // 256 + 1
        n = f + 60
        outs = self._preprocess(pcm, ids, n)
        noise = torch.randn(1, n, 100, generator=torch.Generator().manual_seed(77))
        x = noise.numpy()
        ts = np.array([0], dtype=np.int32)
        names = ["noise", "rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k", "cat_mel_text", "cat_mel_text_drop"]
        feeds = dict(zip(names[1:], outs[1:7]))
        for _ in range(31):
            x, ts = _util.run(self.dir, "F5_Transformer.onnx", {"noise": x, **feeds, "time_step.1": ts})
        self.assertEqual(ts.tolist(), [31])
        audio = _util.run(self.dir, "F5_Decode.onnx", {"denoised": x, "ref_signal_len": outs[7]})[0]
        rc, rcd, _ = reference.condition(self.dit, (pcm.float() / 32768).unsqueeze(0), ids, n)
        xs = reference.sample(self.dit, rc, rcd, noise, sampler.dakeqq_grid(32, -1.0), 2.0)
        self.assertEqual(len(xs), 31)
        e = _util.max_abs(x, xs[-1])
        _util.metric("dakeqq_31call_final_state_max_abs", e)
        self.assertLessEqual(e, 1e-3)
        ref_audio = reference.to_int16(reference.vocode(self.vocos, xs[-1][0, f:]))
        self.assertEqual(audio.shape, (1, 1, (n - f - 1) * 256))
        self.assertEqual(audio.dtype, np.int16)
        e16 = _util.max_abs(audio[0, 0].astype(np.int32), ref_audio.to(torch.int32))
        _util.metric("dakeqq_decode_int16_max_abs_lsb", float(e16))
        self.assertLessEqual(e16, 8)

    def test_v0_model_exports_to_dakeqq_interface(self):
        d0 = _util.exported("dakeqq", "tiny-v0")
        dit0 = _util.tiny_dit("tiny-v0")
        n = 40
        g = torch.Generator().manual_seed(1)
        pcm = (torch.randn(1, 1, 3000, generator=g) * 3000).to(torch.int16)
        outs = _util.run(d0, "F5_Preprocess.onnx", {"audio": pcm.numpy(), "text_ids": np.array([[1, 2, 3]], np.int32),
                                                    "max_duration": np.array([n], np.int64)})
        self.assertTrue(np.all(outs[1][:, 1] == 1.0) and np.all(outs[2][:, 1] == 0.0))  # head 1 unrotated
        x = torch.randn(1, n, 100, generator=g)
        names = ["rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k", "cat_mel_text", "cat_mel_text_drop"]
        y, _ = _util.run(d0, "F5_Transformer.onnx", {"noise": x.numpy(), **dict(zip(names, outs[1:7])),
                                                     "time_step.1": np.array([0], np.int32)})
        grid = sampler.dakeqq_grid(32, -1.0)
        ref = reference.sample(dit0, torch.from_numpy(outs[5]), torch.from_numpy(outs[6]), x, grid[:2], 2.0)[0]
        e = _util.max_abs(y, ref)
        _util.metric("dakeqq_v0_step_max_abs", e)
        self.assertLessEqual(e, 1e-4)


if __name__ == "__main__":
    unittest.main()

"""The fixture models reproduce their golden data under ONNX Runtime (CPU). Uses tests/fixtures of the repository,
or the directory named by F5_FIXTURES (e.g. freshly regenerated ones)."""
import os
import unittest
from pathlib import Path

import _util
import numpy as np

from f5tts_export.golden import read_golden

ROOT = Path(os.environ.get("F5_FIXTURES", _util.REPO_ROOT / "tests" / "fixtures"))


@unittest.skipUnless((ROOT / "golden" / "tiny-v1-batched" / "golden.json").exists(), f"no fixtures under {ROOT}")
class FixtureGoldenTests(unittest.TestCase):
    def _loop(self, d, g, key, nfe, lengths=None):
        x = g[f"{key}.noise"][None] if lengths is None else None
        cond, cond_drop, _ = _util.run(d, "F5_Preprocess.onnx", {
            "audio": g[f"{key}.audio"][None], "total_frames": g[f"{key}.total_frames"],
            "text_ids": _util.padded_ids(g[f"{key}.text_ids"], int(g[f"{key}.total_frames"][0]))})
        return cond, cond_drop, x

    def test_batched_fp32_golden(self):
        d = ROOT / "models" / "tiny-v1-batched"
        g = read_golden(ROOT / "golden" / "tiny-v1-batched")
        preps = {}
        for key in ("a", "b"):
            cond, cond_drop, _ = self._loop(d, g, key, 8)
            e = max(_util.max_abs(cond[0], g[f"{key}.cond"]), _util.max_abs(cond_drop[0], g[f"{key}.cond_drop"]))
            _util.metric(f"fixture_batched_{key}_cond_max_abs", e)
            self.assertLessEqual(e, 1e-3)
            preps[key] = (cond, cond_drop)
        for nfe in (8, 7):
            t, dt = g[f"a.nfe{nfe}.t"], g[f"a.nfe{nfe}.dt"]
            x = g["a.noise"][None]
            n = int(g["a.total_frames"][0])
            for k in range(nfe):
                x = _util.run(d, "F5_Transformer.onnx", {
                    "x": x, "cond": preps["a"][0], "cond_drop": preps["a"][1], "lengths": np.array([n], np.int64),
                    "t": t[k:k + 1], "dt": dt[k:k + 1], "cfg": np.array([2.0], np.float32)})[0]
                if k == 0:
                    e1 = _util.max_abs(x[0], g[f"a.nfe{nfe}.x_step1"])
            e = _util.max_abs(x[0], g[f"a.nfe{nfe}.x_step{nfe}"])
            rf = int(g["a.ref_frames"][0])
            wav = _util.run(d, "F5_Decode.onnx", {"mel": np.ascontiguousarray(x[:, rf:]),
                                                  "lengths": np.array([n - rf], np.int64)})[0]
            ew = _util.max_abs(wav[0], g[f"a.nfe{nfe}.audio"])
            _util.metric(f"fixture_batched_nfe{nfe}_step1_max_abs", e1)
            _util.metric(f"fixture_batched_nfe{nfe}_final_max_abs", e)
            _util.metric(f"fixture_batched_nfe{nfe}_audio_max_abs", ew)
            _util.metric(f"fixture_batched_nfe{nfe}_audio_peak", float(np.abs(g[f"a.nfe{nfe}.audio"]).max()))
            self.assertGreater(float(np.abs(g[f"a.nfe{nfe}.audio"]).max()), 0.05)  # audible, not a trivial signal
            self.assertLessEqual(e1, 1e-4)
            self.assertLessEqual(e, 1e-3)
            self.assertLessEqual(ew, 1e-3)
        # the two items batched together (padded to the longer) equal the golden of each alone
        lengths = g["batch.lengths"]
        nmax = int(lengths.max())
        pad = lambda a: np.pad(a, ((0, 0), (0, nmax - a.shape[1]), (0, 0)))
        x = np.concatenate([pad(g["a.noise"][None]), pad(g["b.noise"][None])])
        cond = np.concatenate([pad(preps["a"][0]), pad(preps["b"][0])])
        cond_drop = np.concatenate([pad(preps["a"][1]), pad(preps["b"][1])])
        t, dt = g["a.nfe8.t"], g["a.nfe8.dt"]
        for k in range(8):
            x = _util.run(d, "F5_Transformer.onnx", {
                "x": x, "cond": cond, "cond_drop": cond_drop, "lengths": lengths, "t": np.repeat(t[k:k + 1], 2),
                "dt": np.repeat(dt[k:k + 1], 2), "cfg": np.array([2.0, 2.0], np.float32)})[0]
        e = max(_util.max_abs(x, g["batch.x_step8"]),
                _util.max_abs(x[1, : int(lengths[1])], g["b.nfe8.x_step8"]))
        _util.metric("fixture_batched_two_item_batch_max_abs", e)
        self.assertLessEqual(e, 1e-3)

    def test_dakeqq_golden(self):
        d = ROOT / "models" / "tiny-v1-dakeqq"
        g = read_golden(ROOT / "golden" / "tiny-v1-dakeqq")
        outs = _util.run(d, "F5_Preprocess.onnx", {"audio": g["audio"][None, None], "text_ids": g["text_ids"][None],
                                                   "max_duration": g["max_duration"]})
        e = max(_util.max_abs(outs[5][0], g["cat_mel_text"]), _util.max_abs(outs[6][0], g["cat_mel_text_drop"]))
        _util.metric("fixture_dakeqq_cond_max_abs", e)
        self.assertLessEqual(e, 1e-3)
        self.assertEqual(int(outs[7]), int(g["ref_signal_len"]))
        names = ["rope_cos_q", "rope_sin_q", "rope_cos_k", "rope_sin_k", "cat_mel_text", "cat_mel_text_drop"]
        feeds = dict(zip(names, outs[1:7]))
        x, ts = g["noise"][None], np.array([0], np.int32)
        for k in range(31):
            x, ts = _util.run(d, "F5_Transformer.onnx", {"noise": x, **feeds, "time_step.1": ts})
            if k == 0:
                e1 = _util.max_abs(x[0], g["denoised_step1"])
        e = _util.max_abs(x[0], g["denoised_step31"])
        _util.metric("fixture_dakeqq_step1_max_abs", e1)
        _util.metric("fixture_dakeqq_step31_max_abs", e)
        self.assertLessEqual(e1, 1e-4)
        self.assertLessEqual(e, 1e-3)
        audio = _util.run(d, "F5_Decode.onnx", {"denoised": x, "ref_signal_len": outs[7]})[0]
        e16 = _util.max_abs(audio[0, 0].astype(np.int32), g["output_audio"].astype(np.int32))
        _util.metric("fixture_dakeqq_audio_max_abs_lsb", float(e16))
        _util.metric("fixture_dakeqq_audio_peak_lsb", float(np.abs(g["output_audio"].astype(np.int32)).max()))
        self.assertLessEqual(e16, 8)


if __name__ == "__main__":
    unittest.main()

"""The command line: random-init writes official-layout checkpoints that `export` loads (strict) and exports."""
import subprocess
import sys
import unittest

import _util
import onnx

from f5tts_export import checkpoint


def _cli(*args):
    r = subprocess.run([sys.executable, "-m", "f5tts_export", *args], cwd=str(_util.EXPORT_ROOT),
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {r.stderr[-2000:]}")
    return r


class CliTests(unittest.TestCase):
    def test_random_init_then_export_both_contracts(self):
        d = _util.TMP / "cli"
        ck, vck = d / "tiny-v0.safetensors", d / "vocos" / "pytorch_model.bin"
        _cli("random-init", "--model", "tiny-v0", "--vocoder", "tiny", "--seed", "3", "--out", str(ck),
             "--vocos-out", str(vck))
        sd = checkpoint._read(ck)
        self.assertEqual({k: tuple(v.shape) for k, v in sd.items()}, checkpoint.f5_layout(_util.dit_config("tiny-v0")))
        for contract in ("f5tts-batched/1", "dakeqq"):
            out = d / contract.replace("/", "_")
            _cli("export", "--contract", contract, "--model", "tiny-v0", "--vocoder", "tiny", "--ckpt", str(ck),
                 "--vocos-ckpt", str(vck), "--out", str(out))
            for g in ("F5_Preprocess.onnx", "F5_Transformer.onnx", "F5_Decode.onnx"):
                onnx.checker.check_model(onnx.load(str(out / g)))
            self.assertTrue((out / "vocab.txt").exists())
        meta = {p.key: p.value for p in onnx.load(str(d / "f5tts-batched_1" / "F5_Decode.onnx")).metadata_props}
        self.assertEqual(meta["f5tts.model"], "tiny-v0")
        with self.assertRaises(AssertionError):  # wrong config for the checkpoint: strict load fails
            _cli("export", "--model", "F5TTS_Small", "--vocoder", "tiny", "--ckpt", str(ck), "--vocos-ckpt", str(vck),
                 "--out", str(d / "bad"))


if __name__ == "__main__":
    unittest.main()

import unittest

import _util  # noqa: F401  (sys.path)
import torch

from f5tts_export import checkpoint
from f5tts_export.config import dit_config, vocos_config


class KeyLayoutTests(unittest.TestCase):
    def _tsv(self, name):
        return {n: s for n, s, d in checkpoint.read_key_tsv(checkpoint.DATA_DIR / name)}

    def test_v1_base_layout_matches_official_tsv(self):
        tsv = self._tsv("f5tts_v1_base_keys.tsv")
        self.assertEqual(len(tsv), 364)
        self.assertEqual(checkpoint.f5_layout(dit_config("F5TTS_v1_Base")), tsv)

    def test_v0_base_has_the_same_layout(self):
        self.assertEqual(checkpoint.f5_layout(dit_config("F5TTS_Base")), self._tsv("f5tts_v1_base_keys.tsv"))

    def test_vocos_layout_matches_official_tsv(self):
        self.assertEqual(checkpoint.vocos_layout(vocos_config("vocos-mel-24khz")), self._tsv("vocos_mel_24khz_keys.tsv"))

    def test_random_vocos_full_size_has_tsv_names_shapes_dtypes(self):
        rows = checkpoint.read_key_tsv(checkpoint.DATA_DIR / "vocos_mel_24khz_keys.tsv")
        sd = checkpoint.random_vocos_state_dict(vocos_config("vocos-mel-24khz"), 3)
        self.assertEqual({k: (tuple(v.shape), str(v.dtype).replace("torch.", "")) for k, v in sd.items()},
                         {n: (s, d) for n, s, d in rows})

    def test_small_configs_build(self):
        for name in ("F5TTS_Small", "F5TTS_v1_Small"):
            lay = checkpoint.f5_layout(dit_config(name))
            self.assertEqual(lay["ema_model.transformer.input_embed.proj.weight"], (768, 712))


class RandomInitAndLoaderTests(unittest.TestCase):
    cfg = dit_config("tiny-v1")

    def test_deterministic_per_seed(self):
        a = checkpoint.random_f5_state_dict(self.cfg, 7)
        b = checkpoint.random_f5_state_dict(self.cfg, 7)
        c = checkpoint.random_f5_state_dict(self.cfg, 8)
        self.assertTrue(all(torch.equal(a[k], b[k]) for k in a))
        self.assertFalse(torch.equal(a["ema_model.transformer.proj_out.weight"], c["ema_model.transformer.proj_out.weight"]))
        inv = a["ema_model.transformer.rotary_embed.inv_freq"]
        self.assertTrue(torch.allclose(inv, 1.0 / (10000 ** (torch.arange(0, 64, 2).float() / 64))))
        self.assertTrue(all(k.startswith("ema_model.transformer.") for k in a))

    def test_load_safetensors_with_and_without_prefix_and_pt(self):
        sd = checkpoint.random_f5_state_dict(self.cfg, 11)
        d = _util.TMP / "ckpt"
        checkpoint.save_state_dict(sd, d / "with.safetensors")
        checkpoint.save_state_dict({k[len("ema_model."):]: v for k, v in sd.items()}, d / "without.safetensors")
        extra = dict(sd)
        extra["initted"] = torch.tensor(True)
        extra["step"] = torch.tensor(1250000)
        extra["ema_model.mel_spec.mel_stft.mel_scale.fb"] = torch.zeros(513, 100)
        torch.save({"ema_model_state_dict": extra, "step": 5}, str(d / "model.pt"))
        ref = {k[len("ema_model."):]: v for k, v in sd.items()}
        for name in ("with.safetensors", "without.safetensors", "model.pt"):
            m = checkpoint.load_f5(d / name, self.cfg)
            got = m.state_dict()
            self.assertEqual(set(got), set(ref), name)
            self.assertTrue(all(torch.equal(got[k], ref[k]) for k in ref), name)

    def test_strict_key_match(self):
        sd = checkpoint.random_f5_state_dict(self.cfg, 11)
        d = _util.TMP / "ckpt_bad"
        bad = dict(sd)
        del bad["ema_model.transformer.proj_out.bias"]
        bad["ema_model.transformer.unknown.weight"] = torch.zeros(1)
        checkpoint.save_state_dict(bad, d / "bad.safetensors")
        with self.assertRaises(ValueError) as cm:
            checkpoint.load_f5(d / "bad.safetensors", self.cfg)
        self.assertIn("proj_out.bias", str(cm.exception))
        self.assertIn("unknown.weight", str(cm.exception))
        with self.assertRaises(ValueError):  # shape mismatch: a tiny checkpoint into the v1 Base config
            checkpoint.save_state_dict(sd, d / "tiny.safetensors")
            checkpoint.load_f5(d / "tiny.safetensors", dit_config("F5TTS_Small"))

    def test_vocos_bin_roundtrip(self):
        vcfg = vocos_config("tiny")
        sd = checkpoint.random_vocos_state_dict(vcfg, 5)
        d = _util.TMP / "vocos"
        checkpoint.save_state_dict(sd, d / "pytorch_model.bin")
        v = checkpoint.load_vocos(d / "pytorch_model.bin", vcfg)
        got = v.state_dict()
        self.assertTrue(all(torch.equal(got[k], sd[k]) for k in got))
        self.assertEqual(len(got) + 3, len(sd))


if __name__ == "__main__":
    unittest.main()

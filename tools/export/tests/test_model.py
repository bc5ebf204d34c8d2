"""PyTorch model semantics (v0 vs v1, RoPE layout, GRN, masking, padding independence)."""
import unittest

import _util
import torch

from f5tts_export import checkpoint, reference
from f5tts_export.config import dit_config
from f5tts_export.dit import CFMContainer, GRN, rotate_half


def _inputs(n=40, seed=3, b=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, n, 100, generator=g), torch.randn(b, n, 132, generator=g),
            torch.randn(b, n, 132, generator=g), torch.rand(b, generator=g))


class ModelTests(unittest.TestCase):
    def test_rope_is_interleaved(self):
        dit = _util.tiny_dit()
        f = dit.rotary_embed.freqs(torch.tensor(5))
        self.assertEqual(tuple(f.shape), (5, 64))
        self.assertTrue(torch.equal(f[:, 0::2], f[:, 1::2]))
        self.assertAlmostEqual(float(f[3, 2]), 3 * 10000 ** (-2 / 64), places=6)
        self.assertEqual(rotate_half(torch.tensor([1.0, 2.0, 3.0, 4.0])).tolist(), [-2.0, 1.0, -4.0, 3.0])

    def test_grn_normalises_over_time(self):
        grn = GRN(4)
        with torch.no_grad():
            grn.gamma.fill_(1.0)
            grn.beta.fill_(0.5)
        x = torch.randn(2, 7, 4)
        gx = x.pow(2).sum(dim=1, keepdim=True).sqrt()
        nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
        self.assertTrue(torch.allclose(grn(x), x * nx + 0.5 + x, atol=1e-6))

    def test_v1_text_mask_and_drop_branch(self):
        dit = _util.tiny_dit("tiny-v1")
        ids = torch.tensor([[5, 6, 7]])
        with torch.no_grad():
            e = dit.text_embed(ids, 10, drop_text=False)
            d = dit.text_embed(ids, 10, drop_text=True)
        self.assertTrue(torch.all(e[0, 3:] == 0))
        self.assertTrue(torch.all(d[0, 3:] == 0))
        self.assertTrue(torch.all(d[0, :3].abs().sum(-1) > 0))
        self.assertFalse(torch.allclose(e[0, :3], d[0, :3]))

    def test_v0_differs_from_v1_where_it_should(self):
        sd = checkpoint.random_f5_state_dict(dit_config("tiny-v1"), 1234)
        models = {}
        for name in ("tiny-v0", "tiny-v1"):
            m = CFMContainer(dit_config(name))
            m.load_state_dict(checkpoint.normalise_f5_keys(sd), strict=True)
            models[name] = m.transformer.eval()
        ids = torch.tensor([[5, 6, 7]])
        with torch.no_grad():
            t0 = models["tiny-v0"].text_embed(ids, 10)
            t1 = models["tiny-v1"].text_embed(ids, 10)
            self.assertGreater(float(t0[0, 3:].abs().max()), 0.0)  # v0: no padding mask
            x, c, cd, t = _inputs()
            v0 = models["tiny-v0"].velocity(x, c, cd, t)[0]
            v1 = models["tiny-v1"].velocity(x, c, cd, t)[0]
            diff = float((v0 - v1).abs().max())
            _util.metric("v0_vs_v1_velocity_max_abs_diff", diff)
            self.assertGreater(diff, 1e-3)
            # v0 == all-heads application of per-head tables where head >= 1 is the identity (cos 1, sin 0)
            cos, sin, _, _ = models["tiny-v0"].rope_tables(torch.tensor(40))
            sel = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)
            cq = torch.cat([(cos * sel + (1 - sel))] * 2, 0)
            sq = torch.cat([(sin * sel)] * 2, 0)
            vt = models["tiny-v0"].velocity(x, c, cd, t, rope=(cq, sq, cq, sq))[0]
            err = _util.max_abs(vt, v0)
            _util.metric("v0_head0_rope_equivalence_max_abs", err)
            self.assertLessEqual(err, 1e-5)

    def test_explicit_attention_equals_sdpa(self):
        dit = _util.tiny_dit()
        x, c, cd, t = _inputs(n=33)
        with torch.no_grad():
            a = dit.velocity(x, c, cd, t, use_sdpa=True)
            b = dit.velocity(x, c, cd, t, use_sdpa=False)
        err = max(_util.max_abs(a[0], b[0]), _util.max_abs(a[1], b[1]))
        _util.metric("explicit_vs_sdpa_velocity_max_abs", err)
        self.assertLessEqual(err, 1e-5)

    def test_padded_batch_equals_items_alone(self):
        dit = _util.tiny_dit()
        lens = [40, 27, 12]
        items = [_inputs(n, seed=10 + i) for i, n in enumerate(lens)]
        n = max(lens)
        pad = lambda z: torch.nn.functional.pad(z, (0, 0, 0, n - z.shape[1]), value=3.0)  # garbage padding
        x = torch.cat([pad(it[0]) for it in items])
        c = torch.cat([pad(it[1]) for it in items])
        cd = torch.cat([pad(it[2]) for it in items])
        t = torch.cat([it[3] for it in items])
        worst = 0.0
        with torch.no_grad():
            vb = dit.velocity(x, c, cd, t, torch.tensor(lens), use_sdpa=False)
            for i, (xi, ci, cdi, ti) in enumerate(items):
                va = dit.velocity(xi, ci, cdi, ti, use_sdpa=False)
                worst = max(worst, _util.max_abs(vb[0][i, : lens[i]], va[0][0]), _util.max_abs(vb[1][i, : lens[i]], va[1][0]))
        _util.metric("torch_padded_batch_vs_alone_max_abs", worst)
        self.assertLessEqual(worst, 1e-5)

    def test_reference_condition_shapes(self):
        dit = _util.tiny_dit()
        wav = _util.voice(0.5, 1).unsqueeze(0)
        cond, cond_drop, f = reference.condition(dit, wav, torch.tensor([[1, 2, 3]]), 80)
        self.assertEqual(f, 12000 // 256 + 1)
        self.assertEqual(tuple(cond.shape), (1, 80, 132))
        self.assertTrue(torch.all(cond[0, f:, :100] == 0))
        self.assertTrue(torch.all(cond_drop[0, :, :100] == 0))


if __name__ == "__main__":
    unittest.main()

import unittest

import _util
import torch

from f5tts_export import sampler


class GridTests(unittest.TestCase):
    def test_official_32_step_grid(self):
        t = sampler.official_grid(32, -1.0)
        self.assertEqual(t.shape[0], 33)
        expect = {0: 0.0, 1: 0.001205, 2: 0.004815, 3: 0.010823, 30: 0.901983, 31: 0.950932, 32: 1.0}
        for i, v in expect.items():
            self.assertAlmostEqual(float(t[i]), v, places=5)
        d = t[1:] - t[:-1]
        self.assertAlmostEqual(float(d.min()), 0.0012045, places=6)
        self.assertAlmostEqual(float(d.max()), 0.0490677, places=6)

    def test_dakeqq_grid(self):
        t = sampler.dakeqq_grid(32, -1.0)
        self.assertEqual(t.shape[0], 32)
        d = t[1:] - t[:-1]
        self.assertEqual(d.shape[0], 31)
        self.assertAlmostEqual(float(d.min()), 0.0012835, places=6)
        self.assertAlmostEqual(float(d.max()), 0.0506492, places=6)

    def test_epss(self):
        t = sampler.official_grid(16, None)
        self.assertEqual([round(float(v) * 32) for v in t], [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32])
        self.assertTrue(torch.equal(sampler.official_grid(32, -1.0, True), sampler.official_grid(32, -1.0, False)))
        self.assertTrue(torch.equal(sampler.official_grid(8, None), torch.linspace(0, 1, 9)))
        self.assertEqual(sampler.official_grid(7, None).shape[0], 8)

    def test_reference_sampler_equals_torchdiffeq_euler(self):
        try:
            from torchdiffeq import odeint
        except ImportError:
            self.skipTest("torchdiffeq not installed")
        dit = _util.tiny_dit()
        n = 30
        g = torch.Generator().manual_seed(2)
        cond = torch.randn(1, n, 132, generator=g)
        cond_drop = torch.randn(1, n, 132, generator=g)
        noise = torch.randn(1, n, 100, generator=g)
        grid = sampler.official_grid(6, -1.0)

        def fn(t, x):
            v_c, v_u = dit.velocity(x, cond, cond_drop, t.repeat(1), use_sdpa=True)
            return v_c + (v_c - v_u) * 2.0

        with torch.no_grad():
            traj = odeint(fn, noise, grid, method="euler")
            ours = sampler.reference_sample(dit, cond, cond_drop, noise, grid, 2.0)
        err = _util.max_abs(ours[-1], traj[-1])
        _util.metric("sampler_vs_torchdiffeq_max_abs", err)
        self.assertLessEqual(err, 1e-6)


if __name__ == "__main__":
    unittest.main()

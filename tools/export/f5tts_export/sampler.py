"""Sampler conventions (docs/model.md "Sampling"): time grids, sway warp, EPSS, Euler + CFG reference loop."""

from __future__ import annotations

from typing import List, Optional

import torch

# SWivid utils.get_epss_timesteps: grids in units of 1/32, used (with t_start = 0 and use_epss) for these NFE.
EPSS_GRIDS = {
    5: [0, 2, 4, 8, 16, 32],
    6: [0, 2, 4, 6, 8, 16, 32],
    7: [0, 2, 4, 6, 8, 16, 24, 32],
    10: [0, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32],
    12: [0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32],
    16: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32],
}


def sway(t: torch.Tensor, coef: Optional[float]) -> torch.Tensor:
    if coef is None:
        return t
    return t + coef * (torch.cos(torch.pi / 2 * t) - 1 + t)


def official_grid(nfe: int, sway_coef: Optional[float] = -1.0, use_epss: bool = True) -> torch.Tensor:
    """Upstream CFM.sample: nfe+1 points (EPSS grid for nfe in EPSS_GRIDS, else linspace(0, 1, nfe+1)), float32,
    then the sway warp. Δt_k = t_{k+1} − t_k; NFE model calls at t_0 .. t_{nfe−1}."""
    if use_epss and nfe in EPSS_GRIDS:
        t = (1 / 32) * torch.tensor(EPSS_GRIDS[nfe], dtype=torch.float32)
    else:
        t = torch.linspace(0, 1, nfe + 1, dtype=torch.float32)
    return sway(t, sway_coef)


def dakeqq_grid(nfe_step: int = 32, sway_coef: Optional[float] = -1.0) -> torch.Tensor:
    """DakeQQ export (2025-04-02 onward): linspace(0, 1, NFE_STEP) = 32 points -> 31 model calls."""
    return sway(torch.linspace(0, 1, nfe_step, dtype=torch.float32), sway_coef)


@torch.no_grad()
def reference_sample(dit, cond: torch.Tensor, cond_drop: torch.Tensor, noise: torch.Tensor, grid: torch.Tensor,
                     cfg_strength: float = 2.0, lengths: Optional[torch.Tensor] = None,
                     use_sdpa: bool = True) -> List[torch.Tensor]:
    """Euler ODE solve as torchdiffeq odeint(method='euler') on `grid`; returns [x_1, ..., x_nfe] (x after each
    step). f(t, x) = v_c + (v_c − v_u)·cfg; x_{k+1} = x_k + (t_{k+1} − t_k)·f(t_k, x_k)."""
    x = noise
    out = []
    b = x.shape[0]
    for k in range(grid.shape[0] - 1):
        t0 = grid[k]
        dt = grid[k + 1] - grid[k]
        v_c, v_u = dit.velocity(x, cond, cond_drop, t0.repeat(b), lengths, use_sdpa=use_sdpa)
        f = v_c.float() + (v_c.float() - v_u.float()) * cfg_strength
        x = x + dt * f
        out.append(x)
    return out

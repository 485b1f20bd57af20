"""Non-private LoRA fine-tuning on one set (the ceiling): the same LoRA layout and optimiser as DP-SGD, no
clipping and no noise.

API:
- ``DEFAULT_CFG``, ``TUNING_GRID``.
- ``finetune_lora(unet, x, cfg, generator) -> (lora, info)``: full-batch Adam on the diffusion loss.
- ``tune_finetune(unet, grid, sets, seed) -> dict``: grid search by held-out loss on PUBLIC validation sets.
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Dict, Tuple

import numpy as np
import torch

from .diffusion import LORA_MIN_SNR_GAMMA, diffusion_loss
from .dpsgd import LORA_ALPHA, LORA_RANK, flatten, unflatten, val_loss
from .unet import LoraDict, TinyUNet, make_lora_init

DEFAULT_CFG = {"steps": 60, "lr": 1e-2}
# 60 full-batch steps: 30 (pack 1.0.0's ceiling) left the class mixture where the base had it.
TUNING_GRID = {"steps": (60,), "lr": (1e-2, 3e-2)}


def finetune_lora(unet: TinyUNet, x: torch.Tensor, cfg: Dict[str, float],
                  generator: torch.Generator) -> Tuple[LoraDict, Dict[str, Any]]:
    """Adam on the full set (or ``cfg['batch']`` random images) each step, fresh t and noise per step; returns the
    LoRA and its wall time."""
    t0 = time.time()
    init = make_lora_init(unet, LORA_RANK, generator)
    vec = flatten(init).clone().requires_grad_(True)
    opt = torch.optim.Adam([vec], lr=float(cfg["lr"]))
    batch = int(cfg.get("batch", 0))
    for _ in range(int(cfg["steps"])):
        # batch: Adam on a random subset of that many images per step (0 or >= n: the full set).
        xb = x if batch <= 0 or batch >= len(x) else x[torch.randperm(len(x), generator=generator)[:batch]]
        loss = diffusion_loss(unet, xb, lora=unflatten(vec, init), lora_scale=LORA_ALPHA / LORA_RANK,
                              generator=generator, min_snr_gamma=LORA_MIN_SNR_GAMMA)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return unflatten(vec.detach(), init), {"seconds": time.time() - t0, **cfg}


def tune_finetune(unet: TinyUNet, grid: Dict[str, tuple], sets: list, seed: int,
                  progress: Any = None) -> Dict[str, Any]:
    """Grid search: lowest mean held-out diffusion loss over the PUBLIC validation sets."""
    keys = list(grid)
    rows = []
    for values in itertools.product(*(grid[k] for k in keys)):
        cfg = dict(zip(keys, values))
        losses = []
        for j, (_, xs, hold) in enumerate(sets):
            lora, _ = finetune_lora(unet, xs, cfg, torch.Generator().manual_seed(seed * 1000 + j))
            losses.append(val_loss(unet, lora, hold, seed))
            if progress is not None:
                progress.update(1)
        rows.append({**cfg, "val_loss": float(np.mean(losses))})
    best = min(rows, key=lambda r: r["val_loss"])
    return {"grid": {k: list(v) for k, v in grid.items()}, "best": {k: best[k] for k in keys}, "rows": rows}

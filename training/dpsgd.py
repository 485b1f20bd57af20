"""DP-SGD baseline: LoRA fine-tuning of the frozen base TinyUNet on one private set by full-batch DP-GD.

Each step: for every private image, one diffusion-loss draw (t, noise; min-SNR weighted like every LoRA
method here, see diffusion.LORA_MIN_SNR_GAMMA); the per-example gradient of the LoRA
factors (all factors concatenated into one vector) is clipped to L2 norm C; the clipped gradients are summed,
N(0, (z C)^2 I) is added with z = dpsgd_sigma(eps, delta, steps), the result is divided by the public
nominal n, and Adam takes a step (post-processing). Every step touches every image once with sensitivity C
(add/remove), so `steps` steps are one Gaussian mechanism with mu = sqrt(steps) / z: exact composition, no
subsampling amplification needed.

API:
- ``LORA_RANK``, ``LORA_ALPHA``: the same LoRA layout as the hypernetwork's (rank 16, alpha 16).
- ``per_sample_grads(unet, lora, x0, t, noise, scale) -> (flat grads [B,P], losses [B])``: exact per-example
  gradients, computed by giving every example its own copy of the factors in one batched backward pass
  (TinyUNet accepts per-sample factors); ``per_sample_grads_vmap`` is the functorch vmap(grad) reference
  the test compares it with.
- ``clip_rows(g, clip) -> g``; ``privatize(g, clip, z, n_public, generator) -> noisy mean gradient [P]``.
- ``dpsgd_lora(unet, x, epsilon, delta, cfg, generator) -> (lora, info)``; epsilon = inf runs without noise.
- ``val_loss(unet, lora, x_val, generator) -> float``: held-out (min-SNR weighted) diffusion loss (fixed t/noise
  draws).
- ``tuning_sets(seed, count, n, held_out)``: PUBLIC tuning datasets (TRAIN split's validation pool).
- ``tune_dpsgd(unet, eps_list, grid, sets, seed) -> dict``: grid search by held-out loss on public sets.
"""
from __future__ import annotations

import itertools
import math
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from .data import load_fmnist, public_split, sample_dataset, sample_mixture, to_tensor
from .diffusion import DEFAULT_SCHEDULE, LORA_MIN_SNR_GAMMA, diffusion_loss
from .dp_accounting import dpsgd_sigma, epsilon_for_delta
from .unet import LoraDict, TinyUNet, make_lora_init

LORA_RANK = 16
LORA_ALPHA = 16.0
N_PUBLIC = 128  # the nominal set size every method divides by (a public constant, not the private count)
DEFAULT_CFG = {"clip": 0.005, "steps": 8, "lr": 3e-2}
# (steps, lr) move together: few large steps or more small ones (the total movement stays comparable).
# C: per-example gradient norms at initialisation (min-SNR loss, 15 targets, one public tuning set of 128) had
# percentiles 10/50/93/99 = 0.0032/0.0062/0.012/0.0146 and max 0.018, so the grid spans 0.002 (nearly every
# gradient clipped) to 0.015 (almost none). Pack 1.0.0's tuning picked the grid's lowest C, hence the lower end.
TUNING_GRID = {"clip": (0.002, 0.005, 0.015), "schedule": ((8, 3e-2), (24, 1e-2))}


def _keys(lora: LoraDict) -> List[str]:
    return list(lora.keys())


def flatten(lora: LoraDict) -> torch.Tensor:
    """All factors as one vector (down then up per key, in dict order)."""
    return torch.cat([torch.cat([d.reshape(-1), u.reshape(-1)]) for d, u in lora.values()])


def unflatten(vec: torch.Tensor, like: LoraDict) -> LoraDict:
    """Inverse of flatten for the shapes of ``like``."""
    out: LoraDict = {}
    off = 0
    for k, (d, u) in like.items():
        nd, nu = d.numel(), u.numel()
        out[k] = (vec[off:off + nd].view_as(d), vec[off + nd:off + nd + nu].view_as(u))
        off += nd + nu
    return out


def per_sample_grads(unet: TinyUNet, lora: LoraDict, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
                     scale: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Exact per-example gradients [B,P] of the diffusion loss w.r.t. the flattened LoRA factors.

    Why not vmap here: giving each example its own copy of the factors makes d(sum of losses)/d(copy_b) equal to
    example b's gradient, and costs one ordinary batched backward pass (about 3x faster than vmap(grad) on this
    CPU); test_eval_dpsgd checks that both agree.
    """
    b = x0.shape[0]
    copies: LoraDict = {}
    leaves = []
    for k, (d, u) in lora.items():
        dc = d.detach().unsqueeze(0).repeat(b, 1, 1).requires_grad_(True)
        uc = u.detach().unsqueeze(0).repeat(b, 1, 1).requires_grad_(True)
        copies[k] = (dc, uc)
        leaves += [dc, uc]
    losses = diffusion_loss(unet, x0, lora=copies, lora_scale=scale, t=t, noise=noise, reduce=False,
                            min_snr_gamma=LORA_MIN_SNR_GAMMA)
    grads = torch.autograd.grad(losses.sum(), leaves)
    flat = torch.cat([g.reshape(b, -1) for g in grads], dim=1)
    return flat, losses.detach()


def per_sample_grads_vmap(unet: TinyUNet, lora: LoraDict, x0: torch.Tensor, t: torch.Tensor,
                          noise: torch.Tensor, scale: float) -> torch.Tensor:
    """Reference implementation with functorch vmap(grad) (slower; used by the tests)."""
    from functorch import grad, vmap

    def one(params: LoraDict, x: torch.Tensor, tt: torch.Tensor, nn_: torch.Tensor) -> torch.Tensor:
        return diffusion_loss(unet, x[None], lora=params, lora_scale=scale, t=tt[None], noise=nn_[None],
                              min_snr_gamma=LORA_MIN_SNR_GAMMA)

    params = {k: (d.detach(), u.detach()) for k, (d, u) in lora.items()}
    g = vmap(grad(one), in_dims=(None, 0, 0, 0))(params, x0, t, noise)
    return torch.cat([torch.cat([g[k][0].reshape(x0.shape[0], -1), g[k][1].reshape(x0.shape[0], -1)], dim=1)
                      for k in lora], dim=1)


def clip_rows(g: torch.Tensor, clip: float) -> torch.Tensor:
    """Scale each row (one example's gradient) to L2 norm at most C."""
    norms = g.norm(dim=1, keepdim=True)
    return g * torch.clamp(clip / torch.clamp(norms, min=1e-12), max=1.0)


def privatize(g: torch.Tensor, clip: float, z: float, n_public: int,
              generator: Optional[torch.Generator]) -> torch.Tensor:
    """(sum of clipped rows + N(0, (z C)^2 I)) / n_public."""
    total = clip_rows(g, clip).sum(0)
    if z > 0:
        total = total + z * clip * torch.randn(total.shape, generator=generator)
    return total / n_public


def _expand(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Accept {'schedule': (steps, lr)} as well as separate 'steps' and 'lr'."""
    cfg = dict(cfg)
    if "schedule" in cfg:
        cfg["steps"], cfg["lr"] = cfg.pop("schedule")
    return cfg


def dpsgd_lora(unet: TinyUNet, x: torch.Tensor, epsilon: float, delta: float, cfg: Dict[str, float],
               generator: torch.Generator, chunk: int = 128) -> Tuple[LoraDict, Dict[str, Any]]:
    """DP-GD LoRA fine-tuning on the private images x [n,1,28,28]; returns the LoRA and its accounting."""
    t0 = time.time()
    cfg = _expand(cfg)
    steps, clip, lr = int(cfg["steps"]), float(cfg["clip"]), float(cfg["lr"])
    z = 0.0 if math.isinf(epsilon) else dpsgd_sigma(epsilon, delta, steps)
    init = make_lora_init(unet, LORA_RANK, generator)
    vec = flatten(init).clone().requires_grad_(True)
    opt = torch.optim.Adam([vec], lr=lr)
    scale = LORA_ALPHA / LORA_RANK
    n = x.shape[0]
    for _ in range(steps):
        t = torch.randint(0, DEFAULT_SCHEDULE.T, (n,), generator=generator)
        noise = torch.randn(x.shape, generator=generator)
        lora = unflatten(vec.detach(), init)
        rows = [per_sample_grads(unet, lora, x[i:i + chunk], t[i:i + chunk], noise[i:i + chunk], scale)[0]
                for i in range(0, n, chunk)]
        g = privatize(torch.cat(rows), clip, z, N_PUBLIC, generator)
        opt.zero_grad()
        vec.grad = g
        opt.step()
    mu = math.sqrt(steps) / z if z > 0 else math.inf
    info = {"epsilon": epsilon, "delta": delta, "noise_multiplier": z, "mu": mu,
            "epsilon_check": epsilon_for_delta(delta, mu) if z > 0 else math.inf,
            "seconds": time.time() - t0, **cfg}
    return unflatten(vec.detach(), init), info


@torch.no_grad()
def val_loss(unet: TinyUNet, lora: Optional[LoraDict], x_val: torch.Tensor, seed: int, draws: int = 4) -> float:
    """Held-out diffusion loss with fixed (t, noise) draws so that configurations are compared fairly."""
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(draws):
        t = torch.randint(0, DEFAULT_SCHEDULE.T, (x_val.shape[0],), generator=g)
        noise = torch.randn(x_val.shape, generator=g)
        total += float(diffusion_loss(unet, x_val, lora=lora, lora_scale=LORA_ALPHA / LORA_RANK, t=t,
                                      noise=noise, min_snr_gamma=LORA_MIN_SNR_GAMMA))
    return total / draws


def tuning_sets(seed: int, count: int, n: int = 128, held_out: int = 64) -> List[Tuple[np.ndarray, torch.Tensor,
                                                                                       torch.Tensor]]:
    """PUBLIC tuning datasets: (pi, train images [n], held-out images of the same pi) from the TRAIN split's
    validation pool (public_split), the same Dirichlet(0.3) / n = 128 protocol as the private sets."""
    images, labels = load_fmnist("train")
    _, val_idx = public_split(0)
    rng = np.random.default_rng([77, seed])
    out = []
    for _ in range(count):
        pi = sample_mixture(rng, 0.3)
        idx = sample_dataset(labels, pi, n, rng, val_idx)
        rest = np.setdiff1d(val_idx, idx)
        hold = sample_dataset(labels, pi, held_out, rng, rest)
        out.append((pi, to_tensor(images[idx]), to_tensor(images[hold])))
    return out


def tune_dpsgd(unet: TinyUNet, eps_list: List[float], grid: Dict[str, tuple], sets: list, seed: int,
               delta: float = 1e-5, progress: Any = None) -> Dict[str, Any]:
    """Grid search per epsilon: the configuration with the lowest mean held-out loss over the public sets."""
    keys = list(grid)
    result: Dict[str, Any] = {"grid": {k: list(v) for k, v in grid.items()}, "criterion":
                              "held-out diffusion loss on public validation sets (TRAIN split)", "per_eps": {}}
    base = float(np.mean([val_loss(unet, None, hold, seed) for _, _, hold in sets]))
    result["base_val_loss"] = base
    for eps in eps_list:
        rows = []
        for values in itertools.product(*(grid[k] for k in keys)):
            cfg = dict(zip(keys, values))
            losses = []
            for j, (_, xs, hold) in enumerate(sets):
                gen = torch.Generator().manual_seed(seed * 1000 + j)
                lora, _ = dpsgd_lora(unet, xs, eps, delta, cfg, gen)
                losses.append(val_loss(unet, lora, hold, seed))
                if progress is not None:
                    progress.update(1)
            rows.append({**cfg, "val_loss": float(np.mean(losses))})
        best = min(rows, key=lambda r: r["val_loss"])
        result["per_eps"][str(eps)] = {"best": {k: best[k] for k in keys}, "rows": rows}
    return result

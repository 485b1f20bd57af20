"""Stage 1: train the unconditional TinyUNet base model on the whole Fashion-MNIST train split.

API:
- ``BASE_CONFIG`` / ``SMOKE_BASE_CONFIG``: sizes and optimiser settings (see docs/training.md).
- ``train_base(out_dir, cfg, seed, init=None) -> dict`` (writes base.pt = {'config', 'state_dict', 'stats'};
  resumes from base_ckpt.pt if present, else starts from ``init``'s weights (a base.pt) when given; with
  ``keep_every`` in the config it also keeps the EMA weights as base_step<N>.pt every N steps).
- ``load_base(path) -> TinyUNet`` (eval mode, parameters frozen).
- ``LONG_BASE_CONFIG`` / ``LONG_BASE_SEED``: the continuation that makes pack 3.0.0's base.
- ``stage_base(ctx) -> dict``: the run_all stage (ctx.out/base_pre/base.pt, then ctx.out/base.pt).
"""
from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np
import torch

from .common import Progress, RunContext, log, pick_device, seed_all, setup_torch
from .data import load_fmnist, to_tensor
from .diffusion import diffusion_loss
from .unet import TinyUNet

# First cycle: `steps` steps at peak `lr` (warmup, cosine to 5%); then each extra cycle [steps, peak lr, warmup]
# restarts the cosine (SGDR-style warm restarts). A run's first cycle does not depend on the extra cycles, so a
# longer schedule continues a shorter one exactly.
# 3,000 steps x 96 images (~4.8 epochs, ~17 min on 2 cores); the 1,400-step base of pack 1.0.0 drew blurry,
# shirt-heavy samples (FID ~900 against a floor of ~18 in the evaluation).
BASE_CONFIG = {"ch": [32, 64], "temb_dim": 64, "heads": 4, "steps": 1000, "batch": 96, "lr": 2e-3,
               "warmup": 50, "ema": 0.995, "grad_clip": 1.0, "ckpt_every": 100,
               "extra_cycles": [[1000, 1e-3, 20], [1000, 5e-4, 20]]}
SMOKE_BASE_CONFIG = dict(BASE_CONFIG, steps=6, batch=16, warmup=2, ckpt_every=4, extra_cycles=[[2, 1e-3, 1]])
# Pack 3.0.0's base continues that one (a warm start: its EMA weights, fresh Adam) in 1,000-step cosine cycles at
# peak lr 1e-3 (warm restarts), so every multiple of 1,000 steps is an annealed model (kept as base_step<N>.pt).
# 15 cycles: measured in docs/training.md ("Reference world 3.0"), FID against the test split 342 -> ~110 and
# the share of confidently classified samples 24% -> ~50%; the ceiling's class KL kept falling up to here.
LONG_CYCLES = 15
def long_base_config(cycles: int) -> dict:
    """The continuation with ``cycles`` 1,000-step cycles in all (the first k cycles never depend on later ones)."""
    return dict(BASE_CONFIG, steps=1000, lr=1e-3, warmup=50, ckpt_every=100, keep_every=1000,
                extra_cycles=[[1000, 1e-3, 50]] * (cycles - 1))


LONG_BASE_CONFIG = long_base_config(LONG_CYCLES)
LONG_BASE_SEED = 13
SMOKE_LONG_CONFIG = dict(SMOKE_BASE_CONFIG, steps=2, lr=1e-3, warmup=1, keep_every=2, extra_cycles=[[2, 1e-3, 1]])


def _cycles(cfg: dict) -> list:
    return [(cfg["steps"], cfg["lr"], cfg["warmup"])] + [tuple(c) for c in cfg.get("extra_cycles", [])]


def total_steps(cfg: dict) -> int:
    return sum(c[0] for c in _cycles(cfg))


def _lr_at(step: int, cfg: dict) -> float:
    # Per cycle: linear warmup then cosine decay to 5% of the cycle's peak.
    for steps, lr, warmup in _cycles(cfg):
        if step < steps:
            if step < warmup:
                return lr * (step + 1) / warmup
            frac = (step - warmup) / max(1, steps - warmup)
            return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        step -= steps
    raise ValueError("step beyond the schedule")


def _resumable(saved: dict, cfg: dict, step: int) -> bool:
    """A checkpoint continues this run if its config is this one, or differs only in its cycles and the checkpoint
    is still inside the cycles both share from the start (the schedule up to there is the same). So a run stopped
    early continues with more cycles, and a finished one (its last checkpoint is inside its last cycle) gets more."""
    if saved == cfg:
        return True
    first = {k: v for k, v in cfg.items() if k != "extra_cycles"}
    strip = {k: v for k, v in saved.items() if k != "extra_cycles"}
    shared = 0
    for a, b in zip(_cycles(saved), _cycles(cfg)):
        if tuple(a) != tuple(b):
            break
        shared += a[0]
    return strip == first and step <= shared


def build_unet(cfg: dict) -> torch.nn.Module:
    """TinyUNet, or training/sdmini.py's SDMiniUNet when the config says ``arch = "sdmini"``."""
    if cfg.get("arch") == "sdmini":
        from .sdmini import build_sdmini
        return build_sdmini(cfg)
    return TinyUNet(tuple(cfg["ch"]), temb_dim=cfg["temb_dim"], heads=cfg["heads"])


def train_base(out_dir: Path, cfg: dict, seed: int, init: Path | None = None, device: str = "auto") -> dict:
    """Train with Adam + EMA on the full train split; deterministic for a given seed, config and ``init``.

    ``device``: ``auto`` (CUDA when torch sees a GPU, else the CPU), ``cpu`` or ``cuda`` (training/common.pick_device).
    Checkpoints hold CPU tensors, so a run started on a GPU resumes on a CPU and the other way round.

    ``init``: a base.pt of the same architecture whose (EMA) weights start both the model and its EMA (a warm
    start: fresh Adam state, this config's schedule from step 0). Ignored when base_ckpt.pt resumes the run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = seed_all(seed)
    images, _ = load_fmnist("train")
    dev = pick_device(device)
    model = build_unet(cfg).to(dev)
    ema = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    rng = np.random.default_rng(seed)
    start, losses = 0, []
    ckpt = out_dir / "base_ckpt.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu")
        if _resumable(state["config"], cfg, state["step"]):
            model.load_state_dict(state["model"]); ema.load_state_dict(state["ema"])
            opt.load_state_dict(state["opt"]); gen.set_state(state["gen"])
            start, losses = state["step"], state["losses"]
            log(f"base: resuming at step {start}")
    if start == 0 and init is not None:
        weights = torch.load(Path(init), map_location="cpu")["state_dict"]
        model.load_state_dict(weights); ema.load_state_dict(weights)
        log(f"base: warm start from {init}")
    steps = total_steps(cfg)
    perm, pos = rng.permutation(len(images)), 0

    def next_batch():
        # The data order depends only on the seed: a resumed run replays it to the same position.
        nonlocal perm, pos
        if pos + cfg["batch"] > len(perm):
            perm, pos = rng.permutation(len(images)), 0
        pos += cfg["batch"]
        return perm[pos - cfg["batch"]:pos]

    for _ in range(start):
        next_batch()
    bar = Progress(steps - start, "base")
    t0 = time.time()
    for step in range(start, steps):
        x0 = to_tensor(images[np.sort(next_batch())]).to(dev)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, cfg)
        loss = diffusion_loss(model, x0, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        opt.step()
        decay = min(cfg["ema"], (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        losses.append(float(loss))
        bar.update(1, loss=float(np.mean(losses[-50:])))
        if (step + 1) % cfg["ckpt_every"] == 0 and step + 1 < steps:
            torch.save({"config": cfg, "model": _cpu(model.state_dict()), "ema": _cpu(ema.state_dict()),
                        "opt": _cpu(opt.state_dict()), "gen": gen.get_state(), "step": step + 1, "losses": losses},
                       ckpt)
            torch.save({"config": cfg, "state_dict": _cpu(ema.state_dict()), "stats": {"step": step + 1}},
                       out_dir / "base_partial.pt")
        if cfg.get("keep_every") and (step + 1) % cfg["keep_every"] == 0:
            torch.save({"config": cfg, "state_dict": _cpu(ema.state_dict()), "stats": {"step": step + 1}},
                       out_dir / f"base_step{step + 1}.pt")
    bar.close()
    stats = {"steps": steps, "images_seen": steps * cfg["batch"],
             "final_train_loss_ema50": float(np.mean(losses[-50:])), "seconds_this_run": time.time() - t0,
             "params": sum(p.numel() for p in model.parameters())}
    if init is not None:
        stats["init"] = str(init)
    # Write then rename, so that a reader never sees a half-written base.pt.
    stats["device"] = dev.type
    torch.save({"config": cfg, "state_dict": _cpu(ema.state_dict()), "stats": stats}, out_dir / "base.pt.tmp")
    (out_dir / "base.pt.tmp").replace(out_dir / "base.pt")
    return stats


def _cpu(obj):
    """A (nested) state dict with every tensor on the CPU, for checkpoints any machine can load."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cpu(v) for v in obj)
    return obj


def load_base(path: Path) -> TinyUNet:
    """Load base.pt (EMA weights) as a frozen eval-mode TinyUNet (on the CPU)."""
    state = torch.load(Path(path), map_location="cpu")
    model = build_unet(state["config"])
    model.load_state_dict(state["state_dict"])
    model.eval().requires_grad_(False)
    return model


def stage_base(ctx: RunContext) -> dict:
    """run_all stage: the short base (pack 2.0.0's schedule) into ctx.out/base_pre/base.pt, then the long
    continuation into ctx.out/base.pt. Each part resumes from its own base_ckpt.pt; CUDA is used when present."""
    setup_torch()
    pre_cfg, long_cfg = (SMOKE_BASE_CONFIG, SMOKE_LONG_CONFIG) if ctx.smoke else (BASE_CONFIG, LONG_BASE_CONFIG)
    pre = ctx.out / "base_pre"
    if not (pre / "base.pt").exists():
        train_base(pre, pre_cfg, seed=ctx.seed + 1)
    stats = train_base(ctx.out, long_cfg, seed=LONG_BASE_SEED + ctx.seed, init=pre / "base.pt")
    return dict(stats, init="base_pre/base.pt", pre_steps=total_steps(pre_cfg))


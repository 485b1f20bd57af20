"""Stage 2: meta-train the DP-DeepSets encoder phi and hypernetwork rho on public datasets (base UNet frozen).

API:
- ``DEEPSETS_CONFIG`` / ``SMOKE_DEEPSETS_CONFIG``.
- ``noise_table(delta, clip_norm, eps_min, eps_max, points) -> (eps_grid, sigma_sum, sigma_count)``
  (release_sigmas on a log grid of epsilons).
- ``train_deepsets(out_dir, cfg, seed) -> dict``: writes deepsets.pt (encoder/hyper state + configs + stats).
- ``validation_datasets(seed, count, n) -> list of (pi, indices into the TRAIN split)``: fixed public
  validation sets (from public_split's val part), used for every tuning decision.
- ``evaluate_val(mods, cfg, seed) -> dict``: mean diffusion loss on the validation sets for base and for
  ours at several epsilons (fixed t and noise, so the numbers are comparable across runs).
- ``stage_deepsets(ctx) -> dict``: the run_all stage.

One training step: G public datasets, each with pi ~ Dirichlet(0.3), n ~ log-uniform[32, 1024]; the mean of the
clipped embeddings is estimated from up to ``enc_images`` of its images, then the add/remove release noise of
(epsilon ~ log-uniform[0.5, 16], delta = 1e-5, that n) is applied exactly as in the product (noisy sum / noisy
count), or none with probability ``p_no_noise`` (epsilon = infinity); rho maps it to a LoRA and the loss is the
diffusion loss of base + LoRA on ``loss_images`` images of that dataset (+ a small class-prediction auxiliary
loss on the per-image embeddings, which speeds up learning a useful phi).
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import load_base
from .common import Progress, RunContext, log, seed_all, setup_torch
from .data import load_fmnist, public_split, sample_dataset, sample_mixture, to_tensor
from .diffusion import diffusion_loss
from .dp_accounting import release_sigmas
from .hyper import Encoder, HyperNet, clip_embeddings, load_pack_modules, noisy_mean, per_sample_lora

DEEPSETS_CONFIG = {
    "dim": 16, "enc_width": 32, "rank": 16, "alpha": 16, "hidden": 64, "components": 10,
    "clip_norm": 1.0, "delta": 1e-5, "eps_min": 0.5, "eps_max": 16.0, "n_min": 32, "n_max": 1024,
    "p_no_noise": 0.15, "concentration": 0.3,
    "pretrain_steps": 300, "pretrain_batch": 256,
    "steps": 1600, "groups": 8, "loss_images": 12, "enc_images": 48, "p_high_t": 0.0, "high_t_min": 300,
    "min_snr_gamma": 1.0,
    "lr_hyper": 2e-2, "lr_encoder": 5e-4, "aux_weight": 0.05, "grad_clip": 1.0, "ckpt_every": 100,
    "val_sets": 16, "val_n": 128, "val_loss_images": 64, "val_eps": [1.0, 8.0, None],
}
# Part 2 of meta-training: from part 1's phi and rho, another cosine cycle at a quarter of the peak rates. One
# 3,200-step cycle at the full rates diverged at step ~1,000 (train loss 0.82 against the base's 0.013) and had
# not recovered by the end (0.037); 1,600 steps at the full rates, then this, keeps the stable part of the schedule.
DEEPSETS_CONTINUE_CONFIG = dict(DEEPSETS_CONFIG, steps=1600, lr_hyper=5e-3, lr_encoder=2e-4)
SMOKE_DEEPSETS_CONFIG = dict(DEEPSETS_CONFIG, pretrain_steps=3, pretrain_batch=32, steps=4, groups=2,
                             loss_images=4, enc_images=8, ckpt_every=2, val_sets=2, val_n=16,
                             val_loss_images=8, val_eps=[1.0, None])
SMOKE_CONTINUE_CONFIG = dict(SMOKE_DEEPSETS_CONFIG, steps=2, lr_hyper=5e-3, lr_encoder=2e-4)


def noise_table(delta: float, clip_norm: float, eps_min: float, eps_max: float, points: int = 32):
    """Release sigmas for a log grid of epsilons (the training noise distribution samples this grid)."""
    eps = np.geomspace(eps_min, eps_max, points)
    sig = np.array([release_sigmas(float(e), delta, clip_norm) for e in eps])
    return eps, sig[:, 0], sig[:, 1]


def _sample_n(rng: np.random.Generator, cfg: dict) -> int:
    return int(round(math.exp(rng.uniform(math.log(cfg["n_min"]), math.log(cfg["n_max"])))))


def validation_datasets(seed: int, count: int, n: int, concentration: float = 0.3):
    """Fixed public validation datasets drawn from the val part of public_split (never the test split)."""
    _, labels = load_fmnist("train")
    _, val_idx = public_split(seed)
    rng = np.random.default_rng(10_000 + seed)
    out = []
    for _ in range(count):
        pi = sample_mixture(rng, concentration)
        out.append((pi, sample_dataset(labels, pi, n, rng, val_idx)))
    return out


def _class_training(enc: Encoder, head: nn.Linear, cfg: dict, pool, images, labels, rng, with_encoder: bool) -> float:
    """Cross-entropy steps on public labelled images: phi and the head (``with_encoder``), or the head alone on a
    frozen phi. Returns the running accuracy."""
    params = (list(enc.parameters()) if with_encoder else []) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3 if with_encoder else 1e-2)
    bar = Progress(cfg["pretrain_steps"], "phi-pretrain" if with_encoder else "class head")
    acc = 0.0
    for _ in range(cfg["pretrain_steps"]):
        idx = np.sort(rng.choice(pool, cfg["pretrain_batch"], replace=False))
        with torch.set_grad_enabled(with_encoder):
            e = enc(to_tensor(images[idx]))
        logits = head(e)
        y = torch.from_numpy(labels[idx])
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        acc = 0.9 * acc + 0.1 * float((logits.argmax(1) == y).float().mean())
        bar.update(1, loss=float(loss), acc=acc)
    bar.close()
    return acc


def evaluate_val(mods: dict, cfg: dict, seed: int) -> dict:
    """Mean diffusion loss over the validation sets: base vs ours at each epsilon in cfg['val_eps']."""
    enc, hyper, unet = mods["encoder"], mods["hyper"], mods["unet"]
    images, _ = load_fmnist("train")
    eps_grid = {e: release_sigmas(e, cfg["delta"], cfg["clip_norm"]) for e in cfg["val_eps"] if e is not None}
    gen = torch.Generator().manual_seed(20_000 + seed)
    scale = cfg["alpha"] / cfg["rank"]
    gamma = cfg.get("min_snr_gamma")
    res = {"base": [], **{str(e): [] for e in cfg["val_eps"]}}
    with torch.no_grad():
        for pi, idx in validation_datasets(seed, cfg["val_sets"], cfg["val_n"], cfg["concentration"]):
            x = to_tensor(images[idx])
            xl = x[:cfg["val_loss_images"]]
            t = torch.randint(0, 1000, (xl.shape[0],), generator=gen)
            noise = torch.randn(xl.shape, generator=gen)
            res["base"].append(float(diffusion_loss(unet, xl, t=t, noise=noise, min_snr_gamma=gamma)))
            for e in cfg["val_eps"]:
                ss, sc = eps_grid[e] if e is not None else (0.0, 0.0)
                mean = clip_embeddings(enc(x), cfg["clip_norm"]).mean(0, keepdim=True)
                emb = noisy_mean(mean, torch.tensor([x.shape[0]]), torch.tensor([ss]), torch.tensor([sc]), gen)
                flat = hyper(emb)
                lora = {k: (flat[f"{k}.lora_down.weight"][0], flat[f"{k}.lora_up.weight"][0])
                        for k, _, _ in hyper.lora_modules}
                res[str(e)].append(float(diffusion_loss(unet, xl, lora=lora, lora_scale=scale, t=t, noise=noise,
                                                       min_snr_gamma=gamma)))
    return {k: float(np.mean(v)) for k, v in res.items()}


def _save(path: Path, enc, hyper, head, cfg, extra: dict) -> None:
    torch.save({"encoder": enc.state_dict(), "hyper": hyper.state_dict(), "head": head.state_dict(),
                "encoder_config": enc.config, "hyper_config": hyper.config, "config": cfg, **extra}, path)


def _load_init(init: Path, enc: Encoder, hyper: HyperNet) -> dict:
    blob = torch.load(Path(init), map_location="cpu")
    for name, mod in (("encoder", enc), ("hyper", hyper)):
        if blob.get(f"{name}_config") != mod.config:
            raise ValueError(f"{init}: its {name} is {blob.get(f'{name}_config')}, this config makes {mod.config}; "
                             "continue with the config that made it (DEEPSETS_CONFIG's sizes)")
    enc.load_state_dict(blob["encoder"])
    hyper.load_state_dict(blob["hyper"])
    return blob


def train_deepsets(out_dir: Path, cfg: dict, seed: int, init: Optional[Path] = None,
                   name: str = "deepsets") -> dict:
    """Meta-train phi and rho against the frozen base in out_dir/base.pt; write out_dir/<name>.pt.

    ``init``: a deepsets.pt to continue from (its phi, rho and class head; phi is not pre-trained again)."""
    gen = seed_all(seed)
    rng = np.random.default_rng(seed)
    unet = load_base(out_dir / "base.pt")
    images, labels = load_fmnist("train")
    pool, _ = public_split(seed=0)
    enc = Encoder(cfg["dim"], cfg["enc_width"])
    head = nn.Linear(cfg["dim"], 10)
    hyper = HyperNet(unet.lora_modules, cfg["rank"], cfg["dim"], cfg["hidden"], cfg["components"])
    eps_grid, sig_sum, sig_count = noise_table(cfg["delta"], cfg["clip_norm"], cfg["eps_min"], cfg["eps_max"])
    t0 = time.time()
    if init is None:
        # Warm start phi as a class predictor on public images: the mixture is what most distinguishes datasets.
        pre_acc = _class_training(enc, head, cfg, pool, images, labels, rng, with_encoder=True)
        if cfg["components"] == head.out_features:
            hyper.init_mixing(head.weight, head.bias)
    else:
        blob = _load_init(init, enc, hyper)
        if "head" in blob:
            head.load_state_dict(blob["head"])
            pre_acc = float("nan")
        else:
            # A checkpoint saved without its head: fit one on the frozen phi, so that the auxiliary loss starts from
            # a head that agrees with phi instead of pulling phi towards a random one.
            pre_acc = _class_training(enc, head, cfg, pool, images, labels, rng, with_encoder=False)
        log(f"deepsets: continuing from {init} (class head {'loaded' if 'head' in blob else 'fitted'})")
    t_pre = time.time() - t0
    opt = torch.optim.Adam([{"params": hyper.parameters(), "lr": cfg["lr_hyper"]},
                            {"params": list(enc.parameters()) + list(head.parameters()), "lr": cfg["lr_encoder"]}])
    scale = cfg["alpha"] / cfg["rank"]
    g, m = cfg["groups"], cfg["loss_images"]
    params = list(hyper.parameters()) + list(enc.parameters()) + list(head.parameters())
    losses, base_losses, val_hist = [], [], []
    bar = Progress(cfg["steps"], "deepsets")
    t1 = time.time()
    for step in range(cfg["steps"]):
        frac = step / max(1, cfg["steps"])
        for pg, lr in zip(opt.param_groups, (cfg["lr_hyper"], cfg["lr_encoder"])):
            pg["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        means, ns, ss, sc, xs, enc_y, enc_logits = [], [], [], [], [], [], []
        for _ in range(g):
            pi = sample_mixture(rng, cfg["concentration"])
            n = _sample_n(rng, cfg)
            idx = sample_dataset(labels, pi, n, rng, pool)
            enc_idx = np.sort(idx[:min(n, cfg["enc_images"])])
            e = enc(to_tensor(images[enc_idx]))
            enc_logits.append(head(e))
            enc_y.append(torch.from_numpy(labels[enc_idx]))
            means.append(clip_embeddings(e, cfg["clip_norm"]).mean(0))
            ns.append(n)
            if rng.uniform() < cfg["p_no_noise"]:
                ss.append(0.0); sc.append(0.0)
            else:
                j = rng.integers(len(eps_grid))
                ss.append(sig_sum[j]); sc.append(sig_count[j])
            loss_idx = np.sort(rng.choice(idx, m, replace=len(idx) < m))
            xs.append(to_tensor(images[loss_idx]))
        emb = noisy_mean(torch.stack(means), torch.tensor(ns), torch.tensor(ss, dtype=torch.float32),
                         torch.tensor(sc, dtype=torch.float32), gen)
        lora = per_sample_lora(hyper(emb), hyper.lora_modules, m)
        x0 = torch.cat(xs)
        t = torch.randint(0, 1000, (x0.shape[0],), generator=gen)
        # Over-sample large t, where the dataset (its classes, its global shapes) decides the prediction:
        # at small t the loss is pixel denoising that no dataset-level LoRA can improve much.
        if cfg.get("p_high_t", 0.0) > 0:
            high = torch.rand((x0.shape[0],), generator=gen) < cfg["p_high_t"]
            t = torch.where(high, torch.randint(cfg["high_t_min"], 1000, (x0.shape[0],), generator=gen), t)
        noise = torch.randn(x0.shape, generator=gen)
        loss = diffusion_loss(unet, x0, lora=lora, lora_scale=scale, t=t, noise=noise,
                              min_snr_gamma=cfg.get("min_snr_gamma"))
        aux = F.cross_entropy(torch.cat(enc_logits), torch.cat(enc_y))
        opt.zero_grad(set_to_none=True)
        (loss + cfg["aux_weight"] * aux).backward()
        torch.nn.utils.clip_grad_norm_(params, cfg["grad_clip"])
        opt.step()
        if step % 10 == 0:
            with torch.no_grad():
                base_losses.append(float(diffusion_loss(unet, x0, t=t, noise=noise,
                                                        min_snr_gamma=cfg.get("min_snr_gamma"))))
        losses.append(float(loss))
        bar.update(1, loss=float(np.mean(losses[-50:])), base=float(np.mean(base_losses[-5:])))
        if (step + 1) % cfg["ckpt_every"] == 0 and step + 1 < cfg["steps"]:
            _save(out_dir / f"{name}_partial.pt", enc, hyper, head, cfg, {"step": step + 1})
    t_meta = time.time() - t1
    bar.close()
    enc.eval(); hyper.eval()
    val = evaluate_val({"encoder": enc, "hyper": hyper, "unet": unet}, cfg, seed=0)
    log(f"deepsets validation losses: {val}")
    stats = {"pretrain_acc": pre_acc, "pretrain_seconds": t_pre, "meta_seconds": t_meta,
             "final_train_loss_ema50": float(np.mean(losses[-50:])) if losses else None, "validation": val,
             "trained_noise": {"min": 0.0 if cfg["p_no_noise"] > 0 else float(sig_sum.min() / cfg["n_max"]),
                               "max": float(sig_sum.max() / cfg["n_min"])},
             "encoder_params": sum(p.numel() for p in enc.parameters()),
             "hyper_params": sum(p.numel() for p in hyper.parameters())}
    if init is not None:
        stats["continued_from"] = str(init)
    _save(out_dir / f"{name}.pt", enc, hyper, head, cfg, {"stats": stats})
    return stats


def stage_deepsets(ctx: RunContext) -> dict:
    """run_all stage: meta-train in two parts (needs ctx.out/base.pt): ctx.out/deepsets_part1.pt at the full rates,
    then the continuation into ctx.out/deepsets.pt. A finished part 1 is kept and reused."""
    setup_torch()
    cfg, cont = (SMOKE_DEEPSETS_CONFIG, SMOKE_CONTINUE_CONFIG) if ctx.smoke else (DEEPSETS_CONFIG,
                                                                                 DEEPSETS_CONTINUE_CONFIG)
    part1 = ctx.out / "deepsets_part1.pt"
    if not part1.exists():
        train_deepsets(ctx.out, cfg, seed=ctx.seed + 2, name="deepsets_part1")
    stats = train_deepsets(ctx.out, cont, seed=ctx.seed + 3, init=part1)
    return dict(stats, part1_steps=cfg["steps"])

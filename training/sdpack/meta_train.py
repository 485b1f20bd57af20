"""Meta-training of an SD pack: φ head + ρ against a frozen base denoiser, on public image sets.

The objective is the reference world's (training/deepsets.py), with the product's exact DP pipeline. Per step, for
each of ``groups`` public sets: draw n ~ log-uniform[n_min, n_max] (capped by the set's size) images; estimate the
mean of their clipped φ embeddings from up to ``enc_images`` of them; add the add/remove release noise of
(ε, δ, C) exactly as src/dp does (N(0, σ_sum²) on the sum, N(0, σ_count²) on the count n, mean = noisy sum /
max(1, noisy count); training.hyper.noisy_mean) with ε drawn from a log grid over [eps_min, eps_max], or no noise
with probability ``p_no_noise``; ρ maps the noisy mean to a LoRA; the loss is the min-SNR-weighted diffusion loss
(training.diffusion.diffusion_loss) of base + that LoRA on ``loss_images`` latents of the same set. The base is
frozen: gradients reach ρ and the φ head only.

API:
- ``SDPACK_CONFIG``: defaults (``dim`` 64, rank 4, 8 components, ε over [0.5, 16], δ 1e-5, C 1, min-SNR γ 1).
- ``PublicSets(embeds, latents, names)``: per public set its CLIP-vision image_embeds [n, D] and latents [n, ...].
- ``MetaTrainer(denoiser, layout, sets, cfg, run_dir, schedule, device)``; ``.run(on_step=None, check_interrupt=None)
  -> stats``: trains, writing ``run_dir/sdpack_ckpt.pt`` every ``ckpt_every`` steps and on interruption, and
  resuming from it (same config and layout) where a previous run stopped; writes ``run_dir/sdpack.pt`` at the end.
- ``MetaTrainer.fixed_batch_loss(seed) -> {"ours", "base"}``: the loss on a fixed batch (fixed t and noise), with
  the LoRA made from each set's noiseless mean and without; an overfit run must make "ours" fall.
- Steps whose loss or gradient is not finite are skipped (no update; counted in ``stats["skipped_steps"]``); after
  ``max_skipped_in_a_row`` such steps training stops with a SdPackError.
- ``load_trained(path) -> dict(head, hyper, layout_keys, config, stats)``.

The denoiser is anything with training.lora_delta.DeltaLoraModel's calling convention, ``forward(x_t, t, lora,
lora_scale) -> eps`` with the LoRA keyed by weight name (DeltaLoraModel itself, or comfy_backend's weight-wrapper
denoiser inside ComfyUI).
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch

from ..deepsets import noise_table
from ..diffusion import diffusion_loss
from ..hyper import HyperNet, clip_embeddings, noisy_mean
from .errors import SdPackError
from .layout import Module, group_lora, hyper_modules
from .phi_head import PhiHead

SDPACK_CONFIG = {
    "dim": 64, "head_hidden": 256, "rank": 4, "alpha": 4.0, "components": 8, "rho_hidden": 64,
    "clip_norm": 1.0, "delta": 1e-5, "eps_min": 0.5, "eps_max": 16.0, "n_min": 16, "n_max": 1024,
    "p_no_noise": 0.15, "steps": 2000, "groups": 4, "loss_images": 4, "enc_images": 64,
    "min_snr_gamma": 1.0, "lr_hyper": 1e-3, "lr_head": 5e-4, "grad_clip": 1.0, "ckpt_every": 50, "seed": 0,
    "max_skipped_in_a_row": 5,
}

CKPT = "sdpack_ckpt.pt"
FINAL = "sdpack.pt"
# Config keys that may change between a run and its resumption (everything else must match).
_RESUMABLE_CHANGES = {"steps", "ckpt_every"}


@dataclass
class PublicSets:
    """Public training sets: CLIP-vision image_embeds [n_i, D] and latents [n_i, C, h, w] per set, with names."""
    embeds: List[torch.Tensor]
    latents: List[torch.Tensor]
    names: List[str]

    def __post_init__(self) -> None:
        if not self.embeds:
            raise SdPackError("no public sets to train on: give a folder of public images (sub-folders = sets)")
        for name, e, x in zip(self.names, self.embeds, self.latents):
            if e.shape[0] != x.shape[0] or e.shape[0] == 0:
                raise SdPackError(f"public set {name!r}: {e.shape[0]} embeddings but {x.shape[0]} latents")

    @property
    def clip_dim(self) -> int:
        return int(self.embeds[0].shape[1])

    def describe(self) -> dict:
        """Public facts about the training data (it is public data, so its sizes may be recorded)."""
        return {"sets": len(self.names), "images": int(sum(e.shape[0] for e in self.embeds)),
                "latentShape": list(self.latents[0].shape[1:])}


def _atomic_save(obj: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class MetaTrainer:
    """Holds φ head, ρ, the optimiser and the sampling state; ``run`` trains to cfg['steps'] (resumable)."""

    def __init__(self, denoiser: torch.nn.Module, layout: Sequence[Module], sets: PublicSets, cfg: dict,
                 run_dir: Path, schedule, device: torch.device = torch.device("cpu")) -> None:
        self.cfg = dict(SDPACK_CONFIG, **cfg)
        self.denoiser, self.layout, self.sets, self.schedule = denoiser, list(layout), sets, schedule
        self.device = device
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        c = self.cfg
        torch.manual_seed(c["seed"])
        self.head = PhiHead(sets.clip_dim, c["dim"], c["head_hidden"]).to(device)
        self.hyper = HyperNet(hyper_modules(self.layout), c["rank"], c["dim"], c["rho_hidden"], c["components"]).to(device)
        # Components must differ from the start, or every dataset gets the same LoRA and the routing has no gradient.
        with torch.no_grad():
            for up in self.hyper.ups:
                up.normal_(0.0, 1e-4)
        self.opt = torch.optim.Adam([{"params": self.hyper.parameters(), "lr": c["lr_hyper"]},
                                     {"params": self.head.parameters(), "lr": c["lr_head"]}])
        self.rng = np.random.default_rng(c["seed"])
        self.gen = torch.Generator().manual_seed(c["seed"] + 1)
        self.step = 0
        self.skipped = 0
        self.skipped_in_a_row = 0
        self.losses: List[float] = []
        self.base_losses: List[float] = []
        self.eps_grid, self.sig_sum, self.sig_count = noise_table(c["delta"], c["clip_norm"], c["eps_min"], c["eps_max"])
        self._resume()

    def _state(self) -> dict:
        return {"head": self.head.state_dict(), "hyper": self.hyper.state_dict(), "opt": self.opt.state_dict(),
                "step": self.step, "skipped": self.skipped, "rng": self.rng.bit_generator.state, "gen": self.gen.get_state(),
                "losses": self.losses, "base_losses": self.base_losses, "config": self.cfg,
                "head_config": self.head.config, "hyper_config": self.hyper.config,
                "layout_keys": [m.key for m in self.layout], "data": self.sets.describe()}

    def _resume(self) -> None:
        path = self.run_dir / CKPT
        if not path.exists():
            return
        s = torch.load(path, map_location=self.device)
        changed = sorted(k for k in set(s["config"]) | set(self.cfg)
                         if s["config"].get(k) != self.cfg.get(k) and k not in _RESUMABLE_CHANGES)
        if changed or s["layout_keys"] != [m.key for m in self.layout]:
            raise SdPackError(f"{path} was written with other settings ({', '.join(changed) or 'LoRA layout'}); "
                              "resume with the same settings, or choose a new run folder to start afresh")
        self.head.load_state_dict(s["head"])
        self.hyper.load_state_dict(s["hyper"])
        self.opt.load_state_dict(s["opt"])
        self.step, self.losses, self.base_losses = s["step"], s["losses"], s["base_losses"]
        self.skipped = s.get("skipped", 0)
        self.rng.bit_generator.state = s["rng"]
        self.gen.set_state(s["gen"])

    def checkpoint(self) -> None:
        """Write the resumable state (atomically: a crash leaves the previous checkpoint intact)."""
        _atomic_save(self._state(), self.run_dir / CKPT)

    def _sample_group(self):
        c, sets = self.cfg, self.sets
        i = int(self.rng.integers(len(sets.names)))
        size = int(sets.embeds[i].shape[0])
        lo, hi = min(c["n_min"], size), min(c["n_max"], size)
        n = int(round(math.exp(self.rng.uniform(math.log(lo), math.log(hi)))))
        subset = self.rng.choice(size, n, replace=False)
        enc_idx = np.sort(subset[: c["enc_images"]])
        loss_idx = np.sort(self.rng.choice(subset, c["loss_images"], replace=n < c["loss_images"]))
        if self.rng.uniform() < c["p_no_noise"]:
            ss, sc = 0.0, 0.0
        else:
            j = int(self.rng.integers(len(self.eps_grid)))
            ss, sc = float(self.sig_sum[j]), float(self.sig_count[j])
        return sets.embeds[i][enc_idx], sets.latents[i][loss_idx], n, ss, sc

    def train_step(self) -> float:
        """One meta-training step; returns the mean diffusion loss of base + generated LoRAs."""
        c, dev = self.cfg, self.device
        frac = self.step / max(1, c["steps"])
        for pg, lr in zip(self.opt.param_groups, (c["lr_hyper"], c["lr_head"])):
            pg["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        groups = [self._sample_group() for _ in range(c["groups"])]
        means = torch.stack([clip_embeddings(self.head(e.to(dev).float()), c["clip_norm"]).mean(0) for e, *_ in groups])
        # The release noise is drawn on the CPU from the seeded generator (the product's formula, training.hyper).
        emb = noisy_mean(means.cpu(), torch.tensor([g[2] for g in groups]),
                         torch.tensor([g[3] for g in groups], dtype=torch.float32),
                         torch.tensor([g[4] for g in groups], dtype=torch.float32), self.gen).to(dev)
        flat = self.hyper(emb)
        scale = c["alpha"] / c["rank"]
        self.opt.zero_grad(set_to_none=True)
        total = 0.0
        for g, (_, x0, *_rest) in enumerate(groups):
            x0 = x0.to(dev).float()
            t = torch.randint(0, self.schedule.T, (x0.shape[0],), generator=self.gen).to(dev)
            noise = torch.randn(x0.shape, generator=self.gen).to(dev)
            loss = diffusion_loss(self.denoiser, x0, lora=group_lora(flat, self.layout, g), lora_scale=scale,
                                  schedule=self.schedule, t=t, noise=noise, min_snr_gamma=c["min_snr_gamma"])
            # One backward per group frees that group's UNet activations before the next (memory O(one group)).
            (loss / len(groups)).backward(retain_graph=g + 1 < len(groups))
            total += float(loss) / len(groups)
            if self.step % 10 == 0 and g == 0:
                with torch.no_grad():
                    self.base_losses.append(float(diffusion_loss(self.denoiser, x0, schedule=self.schedule, t=t,
                                                                 noise=noise, min_snr_gamma=c["min_snr_gamma"])))
        norm = torch.nn.utils.clip_grad_norm_(list(self.hyper.parameters()) + list(self.head.parameters()), c["grad_clip"])
        self.step += 1
        self.losses.append(total)
        if not (math.isfinite(total) and math.isfinite(float(norm))):
            # A non-finite loss or gradient (seen with a random-weight SD UNet on the CPU) would turn every weight
            # into NaN through the optimiser: skip the update, count it, and stop if it keeps happening.
            self.opt.zero_grad(set_to_none=True)
            self.skipped += 1
            self.skipped_in_a_row += 1
            if self.skipped_in_a_row >= c["max_skipped_in_a_row"]:
                raise SdPackError(f"{self.skipped_in_a_row} steps in a row gave a non-finite loss or gradient (last "
                                  f"loss {total}); the base model or the data produce inf/NaN: check the UNet and VAE "
                                  "(the checkpoint before these steps is kept)")
            return total
        self.skipped_in_a_row = 0
        self.opt.step()
        return total

    @torch.no_grad()
    def fixed_batch_loss(self, seed: int = 0) -> dict:
        """Diffusion loss on a fixed batch (each set's first ``loss_images`` latents, fixed t and noise), base vs
        base + the LoRA ρ makes from the set's noiseless mean embedding: the overfit check of the trainer."""
        c, dev = self.cfg, self.device
        gen = torch.Generator().manual_seed(10_000 + seed)
        ours, base = [], []
        for e, lat in zip(self.sets.embeds, self.sets.latents):
            x0 = lat[: c["loss_images"]].to(dev).float()
            t = torch.randint(0, self.schedule.T, (x0.shape[0],), generator=gen).to(dev)
            noise = torch.randn(x0.shape, generator=gen).to(dev)
            mean = clip_embeddings(self.head(e.to(dev).float()), c["clip_norm"]).mean(0, keepdim=True)
            lora = group_lora(self.hyper(mean), self.layout, 0)
            kw = dict(schedule=self.schedule, t=t, noise=noise, min_snr_gamma=c["min_snr_gamma"])
            ours.append(float(diffusion_loss(self.denoiser, x0, lora=lora, lora_scale=c["alpha"] / c["rank"], **kw)))
            base.append(float(diffusion_loss(self.denoiser, x0, **kw)))
        return {"ours": float(np.mean(ours)), "base": float(np.mean(base))}

    def trained_noise(self) -> dict:
        """The noise on the mean trained for, σ_sum/(n·C) (the manifest's dp.trainedNoise)."""
        c = self.cfg
        smallest = min(c["n_min"], min(int(e.shape[0]) for e in self.sets.embeds))
        if c["p_no_noise"] >= 1.0:
            return {"min": 0.0, "max": 0.0}   # never trained with noise (tests only; export refuses it)
        return {"min": 0.0 if c["p_no_noise"] > 0 else float(self.sig_sum.min() / c["n_max"] / c["clip_norm"]),
                "max": float(self.sig_sum.max() / smallest / c["clip_norm"])}

    def run(self, on_step: Optional[Callable[[int, int, float], None]] = None,
            check_interrupt: Optional[Callable[[], None]] = None) -> dict:
        """Train to cfg['steps'] from wherever the checkpoint left off; return the stats (also in sdpack.pt)."""
        c = self.cfg
        self.head.train(); self.hyper.train()
        t0 = time.time()
        first = self.step
        try:
            while self.step < c["steps"]:
                if check_interrupt is not None:
                    check_interrupt()
                loss = self.train_step()
                if on_step is not None:
                    on_step(self.step, c["steps"], loss)
                if self.step % c["ckpt_every"] == 0 and self.step < c["steps"]:
                    self.checkpoint()
        except BaseException:
            # Interrupted (ComfyUI's cancel, Ctrl-C) or failed: keep what was trained so that a re-run resumes.
            if self.step > first:
                self.checkpoint()
            raise
        seconds = time.time() - t0
        finite = [x for x in self.losses if math.isfinite(x)]
        stats = {"steps": self.step, "skipped_steps": self.skipped, "seconds_this_run": seconds, "seconds_per_step": seconds / max(1, self.step - first),
                 "loss_first10": float(np.mean(finite[:10])) if finite else None,
                 "loss_last10": float(np.mean(finite[-10:])) if finite else None,
                 "base_loss_last5": float(np.mean(self.base_losses[-5:])) if self.base_losses else None,
                 "trained_noise": self.trained_noise(), "data": self.sets.describe(),
                 "head_params": sum(p.numel() for p in self.head.parameters()),
                 "hyper_params": sum(p.numel() for p in self.hyper.parameters())}
        self.checkpoint()
        _atomic_save({**self._state(), "stats": stats}, self.run_dir / FINAL)
        return stats


def load_trained(path: Path) -> dict:
    """Reload a finished (sdpack.pt) or partial (sdpack_ckpt.pt) run on the CPU, frozen, in eval mode."""
    s = torch.load(Path(path), map_location="cpu")
    head = PhiHead(**s["head_config"])
    head.load_state_dict(s["head"])
    hc = dict(s["hyper_config"])
    hyper = HyperNet(hc.pop("lora_modules"), **hc)
    hyper.load_state_dict(s["hyper"])
    for m in (head, hyper):
        m.eval().requires_grad_(False)
    return {"head": head, "hyper": hyper, "layout_keys": s["layout_keys"], "config": s["config"],
            "stats": s.get("stats", {}), "data": s.get("data", {})}

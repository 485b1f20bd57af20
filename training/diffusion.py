"""DDPM training loss and deterministic DDIM sampling for the reference world.

API:
- ``Schedule(T=1000, beta_start=1e-4, beta_end=0.02)``: linear betas; ``.alpha_bar`` [T] (float64 kept as float32
  tensor), ``.manifest() -> dict`` (the pack's sampler.schedule fields).
- ``diffusion_loss(model, x0, lora=None, lora_scale=1.0, generator=None, reduce=True, schedule=None, t=None,
  noise=None, min_snr_gamma=None)``: epsilon-prediction MSE with t ~ U{0..T-1}; per-sample losses [B] when
  reduce=False; with ``min_snr_gamma`` each sample is weighted by ``min_snr_weight``.
- ``min_snr_weight(t, gamma, schedule=None) -> [B]``: min(SNR(t), gamma) / SNR(t) (Hang et al. 2023, "Efficient
  Diffusion Training via Min-SNR Weighting Strategy", written for epsilon prediction).
- ``LORA_MIN_SNR_GAMMA``: the weighting every LoRA method in the reference world trains and is tuned with.
- ``ddim_timesteps(steps, T) -> list[int]`` (descending) and ``ddim_sample(model, n, steps, lora=None,
  lora_scale=1.0, generator=None, batch=256, schedule=None) -> images [n,1,28,28] in [-1,1]`` (eta=0), on the
  model's device, returned on the CPU.

The TypeScript sampler (src/diffusion) must use the same timestep spacing as ``ddim_timesteps``:
t_i = floor(i * T / steps) for i = steps-1..0, previous alpha_bar of the last step = 1.
"""
from __future__ import annotations

from typing import Optional

import torch

from .unet import LoraDict, Scale


class Schedule:
    """Linear beta schedule (the same numbers go in the pack manifest)."""

    def __init__(self, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        self.T = T
        self.beta_start = beta_start
        self.beta_end = beta_end
        betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
        self.alpha_bar = torch.cumprod(1.0 - betas, dim=0).float()

    def manifest(self) -> dict:
        return {"kind": "linear", "betaStart": self.beta_start, "betaEnd": self.beta_end}


DEFAULT_SCHEDULE = Schedule()

# Why LoRAs here train with min-SNR weighting: the plain epsilon loss of this base is ~50x larger at t < 100
# (0.23) than at t > 600 (0.004), and a dataset-level LoRA improves only the large-t part (measured with a
# LoRA fine-tuned on one class: -0.5% at t < 100, -11% at t in [300, 1000)). Unweighted, the gradient is almost
# all small-t pixel noise and a hypernetwork meta-trained on it learned nothing (0.07% validation gain).
# gamma = 1 weights t by min(SNR, 1) / SNR, i.e. 1/SNR where the image is still clearly visible (t < ~250)
# and 1 beyond. Every LoRA method (ours, DP-SGD, the non-private ceiling) uses the same weighting.
LORA_MIN_SNR_GAMMA = 1.0
# The reference world's LoRA-guidance weight (ddim_sample's ``guidance``; the pack's sampler.loraGuidance): on the
# 10 evaluation sets the non-private ceiling's mean class KL was 0.895 / 0.858 / 0.859 / 0.926 at w = 1 / 1.5 /
# 2 / 3, and the hypernetwork's LoRA, shrunk towards the mean LoRA by training over the noise, gains more from
# it (docs/training.md, "Reference world 3.0").
LORA_GUIDANCE = 2.0


def min_snr_weight(t: torch.Tensor, gamma: float, schedule: Optional[Schedule] = None) -> torch.Tensor:
    """Per-sample weights min(SNR(t), gamma) / SNR(t) for epsilon prediction (SNR = alpha_bar / (1 - alpha_bar))."""
    ab = (schedule or DEFAULT_SCHEDULE).alpha_bar[t]
    snr = ab / (1.0 - ab)
    return torch.clamp(snr, max=gamma) / snr


def diffusion_loss(model: torch.nn.Module, x0: torch.Tensor, lora: Optional[LoraDict] = None,
                   lora_scale: Scale = 1.0, generator: Optional[torch.Generator] = None, reduce: bool = True,
                   schedule: Optional[Schedule] = None, t: Optional[torch.Tensor] = None,
                   noise: Optional[torch.Tensor] = None, min_snr_gamma: Optional[float] = None) -> torch.Tensor:
    """Epsilon-prediction MSE (min-SNR weighted if ``min_snr_gamma`` is set). Returns the mean over the batch,
    or per-sample losses [B] if reduce=False."""
    sch = schedule or DEFAULT_SCHEDULE
    b = x0.shape[0]
    # Draws on the (CPU) generator, then moved to x0's device: the same seed gives the same draws on a GPU.
    if t is None:
        t = torch.randint(0, sch.T, (b,), generator=generator)
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator)
    dev = x0.device
    t, noise = t.cpu(), noise.to(dev)
    ab = sch.alpha_bar[t].view(b, 1, 1, 1).to(dev)
    xt = ab.sqrt() * x0 + (1.0 - ab).sqrt() * noise
    eps = model(xt, t.float().to(dev), lora=lora, lora_scale=lora_scale)
    per = (eps - noise).pow(2).flatten(1).mean(1)
    if min_snr_gamma is not None:
        per = per * min_snr_weight(t, min_snr_gamma, sch).to(dev)
    return per.mean() if reduce else per


def ddim_timesteps(steps: int, T: int = 1000) -> list:
    """Descending timestep indices t_i = floor(i*T/steps), i = steps-1..0 (e.g. 50 steps: 980, 960, ..., 0)."""
    return [int(i * T // steps) for i in range(steps - 1, -1, -1)]


@torch.no_grad()
def ddim_sample(model: torch.nn.Module, n: int, steps: int, lora: Optional[LoraDict] = None,
                lora_scale: Scale = 1.0, generator: Optional[torch.Generator] = None, batch: int = 256,
                schedule: Optional[Schedule] = None, guidance: float = 1.0) -> torch.Tensor:
    """Deterministic DDIM (eta = 0) from x_T ~ N(0, I); returns [n,1,28,28] clamped to [-1,1].

    ``guidance`` w != 1 with a LoRA: LoRA guidance, eps = eps_base + w * (eps_lora - eps_base), classifier-free
    guidance with "LoRA on" as the condition and the base as the unconditional model (two forwards per step).
    Post-processing of the LoRA, so it costs no privacy."""
    sch = schedule or DEFAULT_SCHEDULE
    ts = ddim_timesteps(steps, sch.T)
    dev = next(model.parameters()).device
    outs = []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        x = torch.randn((m, 1, 28, 28), generator=generator).to(dev)
        for i, t in enumerate(ts):
            ab = sch.alpha_bar[t].to(dev)
            ab_prev = (sch.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)).to(dev)
            tt = torch.full((m,), float(t), device=dev)
            eps = model(x, tt, lora=lora, lora_scale=lora_scale)
            if lora is not None and guidance != 1.0:
                eps_base = model(x, tt)
                eps = eps_base + guidance * (eps - eps_base)
            x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
            # Recompute eps from the clamped x0 so the update stays consistent (standard "clip_denoised").
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        outs.append(x.clamp(-1, 1).cpu())
    return torch.cat(outs, 0)

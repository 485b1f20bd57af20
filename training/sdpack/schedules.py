"""Noise schedules with the interface training/diffusion.py's diffusion_loss and min_snr_weight read (``T`` and
``alpha_bar`` [T]), for Stable Diffusion bases.

- ``sd_schedule()``: SD1.5/SDXL's "scaled linear" betas (√β from √0.00085 to √0.012, T = 1000), the schedule their
  UNets were trained with.
- ``schedule_from_sigmas(sigmas)``: the same from a ComfyUI model's own ``model_sampling.sigmas`` (ᾱ = 1/(1+σ²)), so
  a checkpoint with another schedule trains with its own.
"""
from __future__ import annotations

import torch


class AlphaBarSchedule:
    """A discrete diffusion schedule given by ᾱ_t, t = 0..T-1 (float32)."""

    def __init__(self, alpha_bar: torch.Tensor) -> None:
        self.alpha_bar = alpha_bar.float()
        self.T = int(alpha_bar.shape[0])


def sd_schedule(T: int = 1000, beta_start: float = 0.00085, beta_end: float = 0.012) -> AlphaBarSchedule:
    """Stable Diffusion's scaled-linear schedule."""
    betas = torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=torch.float64) ** 2
    return AlphaBarSchedule(torch.cumprod(1.0 - betas, dim=0))


def schedule_from_sigmas(sigmas: torch.Tensor) -> AlphaBarSchedule:
    """ᾱ_t = 1 / (1 + σ_t²) from a ComfyUI ModelSamplingDiscrete's sigmas [T] (ascending in t)."""
    s = sigmas.detach().double().cpu()
    return AlphaBarSchedule(1.0 / (1.0 + s * s))

"""φ's trained part: the user's CLIP-vision image_embeds [N, D] -> the pack embedding [N, d], unit L2 norm.

φ = CLIP-vision (run by ComfyUI, the user's own model, frozen) followed by this head. The input is first scaled to
unit norm (CLIP embeddings' norms vary with the model and carry little of what distinguishes image sets), then a
two-layer MLP maps it to d ≈ 64 and the output is scaled to norm 1. With the pack's C = 1 the product's clip is then
inactive: no signal is lost to it and the sum's L2 sensitivity is still exactly C. Small d because the noise on the
mean grows with √d while the signal (a mean of unit vectors) does not.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Each row scaled to L2 norm 1 (a zero row stays 0)."""
    return x / torch.sqrt(torch.sum(x * x, dim=1, keepdim=True) + 1e-12)


class PhiHead(nn.Module):
    """CLIP-vision image_embeds [N, clip_dim] -> embeddings [N, dim], unit norm."""

    def __init__(self, clip_dim: int, dim: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.config = {"clip_dim": clip_dim, "dim": dim, "hidden": hidden}
        self.net = nn.Sequential(nn.Linear(clip_dim, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, clip_embeds: torch.Tensor) -> torch.Tensor:
        return unit_rows(self.net(unit_rows(clip_embeds)))

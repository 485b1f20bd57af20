"""DP-DeepSets modules: the encoder phi, the hypernetwork rho, and the product's DP embedding pipeline.

API:
- ``Encoder(dim=16, width=32)``: images [N,1,28,28] in [-1,1] -> embeddings [N,dim], L2-normalised to norm 1
  (so with the default C = 1 clipping is inactive and no information is lost to it).
- ``HyperNet(lora_modules, rank=4, dim=16, hidden=256, bottleneck=128)``: ``forward(emb [G,dim]) -> dict
  '<key>.lora_down.weight' -> [G,r,in], '<key>.lora_up.weight' -> [G,out,r]``. Starts at the base model
  (all up tensors 0, down tensors a learned random init).
- ``clip_embeddings(e, clip_norm)``: scale rows to L2 norm <= C.
- ``dp_embedding(encoder, x, clip_norm, sigma_sum, sigma_count, generator, batch=64) -> [1,dim]``: EXACTLY the
  product's add/remove pipeline: clip each phi(x_i) to C, sum, add N(0, sigma_sum^2 I) to the sum and
  N(0, sigma_count^2) to the count n, mean = noisy_sum / max(1, noisy_count).
- ``noisy_mean(mean_clipped [G,d], n [G], sigma_sum [G], sigma_count [G], generator)``: the same pipeline applied
  to an (estimated) mean of the clipped embeddings, used in meta-training.
- ``lora_from_embedding(hyper, emb [1,d]) -> {key: (down [r,in], up [out,r])}`` (for TinyUNet.forward).
- ``load_pack_modules(run_dir) -> dict(encoder, hyper, unet, config)``: reload trained weights from a run folder
  (deepsets.pt + base.pt).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .unet import LoraDict


class Encoder(nn.Module):
    """Small conv net phi: 28x28 -> 14 -> 7 -> 4, then an MLP to `dim`, L2-normalised to unit norm."""

    def __init__(self, dim: int = 16, width: int = 32) -> None:
        super().__init__()
        w = width
        self.config = {"dim": dim, "width": width}
        self.net = nn.Sequential(
            nn.Conv2d(1, w // 2, 3, padding=1), nn.SiLU(),
            nn.Conv2d(w // 2, w, 3, stride=2, padding=1), nn.SiLU(),           # 14
            nn.Conv2d(w, w, 3, stride=2, padding=1), nn.SiLU(),                # 7
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),            # 4
            nn.Flatten(), nn.Linear(2 * w * 16, 128), nn.SiLU(), nn.Linear(128, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.net(x)
        return e / torch.sqrt(torch.sum(e * e, dim=1, keepdim=True) + 1e-12)


class HyperNet(nn.Module):
    """MLP rho: noisy mean embedding -> every LoRA factor of the TinyUNet's target layers."""

    def __init__(self, lora_modules: List[Tuple[str, int, int]], rank: int = 4, dim: int = 16, hidden: int = 256,
                 bottleneck: int = 128) -> None:
        super().__init__()
        self.config = {"rank": rank, "dim": dim, "hidden": hidden, "bottleneck": bottleneck,
                       "lora_modules": [list(m) for m in lora_modules]}
        self.rank = rank
        self.lora_modules = [tuple(m) for m in lora_modules]
        self.trunk = nn.Sequential(nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                   nn.Linear(hidden, bottleneck))
        self.shapes: List[Tuple[str, Tuple[int, int]]] = []
        for key, fin, fout in self.lora_modules:
            self.shapes.append((f"{key}.lora_down.weight", (rank, fin)))
            self.shapes.append((f"{key}.lora_up.weight", (fout, rank)))
        total = sum(a * b for _, (a, b) in self.shapes)
        self.head = nn.Linear(bottleneck, total)
        with torch.no_grad():
            # Start at the base model: up = 0 exactly; down = standard LoRA init carried by the bias.
            self.head.weight.mul_(0.1)
            offset = 0
            for name, (a, b) in self.shapes:
                size = a * b
                if name.endswith("lora_up.weight"):
                    self.head.weight[offset:offset + size].zero_()
                    self.head.bias[offset:offset + size].zero_()
                else:
                    self.head.bias[offset:offset + size].normal_(0.0, 1.0 / math.sqrt(b))
                offset += size

    def forward(self, emb: torch.Tensor) -> Dict[str, torch.Tensor]:
        flat = self.head(self.trunk(emb))
        out: Dict[str, torch.Tensor] = {}
        offset = 0
        for name, (a, b) in self.shapes:
            out[name] = flat[:, offset:offset + a * b].reshape(-1, a, b)
            offset += a * b
        return out


def clip_embeddings(e: torch.Tensor, clip_norm: float) -> torch.Tensor:
    """Scale each row to L2 norm at most C (rows already inside the ball are unchanged)."""
    norms = torch.sqrt(torch.sum(e * e, dim=1, keepdim=True))
    return e * torch.clamp(clip_norm / torch.clamp(norms, min=1e-12), max=1.0)


def noisy_mean(mean_clipped: torch.Tensor, n: torch.Tensor, sigma_sum: torch.Tensor, sigma_count: torch.Tensor,
               generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """(n * mean + N(0, sigma_sum^2 I)) / max(1, n + N(0, sigma_count^2)), row-wise for G datasets."""
    g, d = mean_clipped.shape
    n = n.float().view(g, 1)
    noisy_sum = n * mean_clipped + sigma_sum.view(g, 1) * torch.randn((g, d), generator=generator)
    noisy_count = n + sigma_count.view(g, 1) * torch.randn((g, 1), generator=generator)
    return noisy_sum / torch.clamp(noisy_count, min=1.0)


@torch.no_grad()
def dp_embedding(encoder: nn.Module, x: torch.Tensor, clip_norm: float, sigma_sum: float, sigma_count: float,
                 generator: Optional[torch.Generator] = None, batch: int = 64) -> torch.Tensor:
    """The product's add/remove DP mean embedding of one image set x [n,1,28,28] -> [1,d]."""
    total = None
    for start in range(0, x.shape[0], batch):
        e = clip_embeddings(encoder(x[start:start + batch]), clip_norm).sum(0, keepdim=True)
        total = e if total is None else total + e
    d = total.shape[1]
    noisy_sum = total + sigma_sum * torch.randn((1, d), generator=generator)
    noisy_count = x.shape[0] + sigma_count * float(torch.randn((), generator=generator))
    return noisy_sum / max(1.0, noisy_count)


def lora_from_embedding(hyper: HyperNet, emb: torch.Tensor) -> LoraDict:
    """LoRA dict {key: (down [r,in], up [out,r])} for TinyUNet.forward from one embedding [1,d]."""
    flat = hyper(emb)
    return {key: (flat[f"{key}.lora_down.weight"][0], flat[f"{key}.lora_up.weight"][0])
            for key, _, _ in hyper.lora_modules}


def per_sample_lora(flat: Dict[str, torch.Tensor], lora_modules, repeats: int) -> LoraDict:
    """Expand [G,...] hypernet outputs to one LoRA per sample ([G*repeats,...]) for grouped batches."""
    return {key: (flat[f"{key}.lora_down.weight"].repeat_interleave(repeats, 0),
                  flat[f"{key}.lora_up.weight"].repeat_interleave(repeats, 0)) for key, _, _ in lora_modules}


def load_pack_modules(run_dir: Path) -> dict:
    """Reload trained modules from a run folder: {'encoder', 'hyper', 'unet', 'config'} (eval mode, frozen)."""
    from .base import load_base
    run_dir = Path(run_dir)
    state = torch.load(run_dir / "deepsets.pt")
    unet = load_base(run_dir / "base.pt")
    enc = Encoder(**state["encoder_config"])
    enc.load_state_dict(state["encoder"])
    hc = dict(state["hyper_config"])
    hyper = HyperNet(hc.pop("lora_modules"), **hc)
    hyper.load_state_dict(state["hyper"])
    for m in (enc, hyper):
        m.eval()
        for p in m.parameters():
            p.requires_grad_(False)
    return {"encoder": enc, "hyper": hyper, "unet": unet, "config": state["config"]}

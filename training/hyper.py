"""DP-DeepSets modules: the encoder phi, the hypernetwork rho, and the product's DP embedding pipeline.

API:
- ``Encoder(dim=16, width=32)``: images [N,1,28,28] in [-1,1] -> embeddings [N,dim], L2-normalised to norm 1
  (so with the default C = 1 clipping is inactive and no information is lost to it).
- ``HyperNet(lora_modules, rank=4, dim=16, hidden=64, components=10)``: ``forward(emb [G,dim]) -> dict
  '<key>.lora_down.weight' -> [G,r,in], '<key>.lora_up.weight' -> [G,out,r]``: a softmax mixture of component
  up-factors with a shared down-factor per module; ``init_mixing(weight, bias)`` seeds the routing. Starts at
  the base model (all up tensors 0, down tensors a learned random init).
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
    """rho: noisy mean embedding -> every LoRA factor of the TinyUNet's target layers, as a mixture of components.

    ``up = sum_k w_k(emb) U_k`` with ``w = softmax(mix(emb) + mlp(emb))`` over K learned component up-factors,
    and one learned down-factor per module (rank r, as any LoRA). Because the down factor is shared, the weight
    update up @ down = sum_k w_k U_k @ down is linear in the mixing weights, so a dataset that is a mixture of
    kinds of images gets the mixture of their updates, at rank r.

    Why this shape and not one MLP to all factors: meta-trained with the diffusion loss, a plain MLP head
    learned nothing in 300 steps (0.15% validation gain; the dataset-specific signal in each step is small and
    averaged over conflicting datasets). Here each component is trained almost like a LoRA fine-tuned on the
    datasets routed to it, and ``init_mixing`` starts the routing from phi's pre-trained class head (public
    labels), so the components specialise from the first step. The small MLP (last layer zero at init) lets rho
    learn any non-linear routing beyond that. At init every U_k is 0: rho starts at the base model.
    """

    def __init__(self, lora_modules: List[Tuple[str, int, int]], rank: int = 4, dim: int = 16, hidden: int = 64,
                 components: int = 10) -> None:
        super().__init__()
        self.config = {"rank": rank, "dim": dim, "hidden": hidden, "components": components,
                       "lora_modules": [list(m) for m in lora_modules]}
        self.rank = rank
        self.lora_modules = [tuple(m) for m in lora_modules]
        self.mix = nn.Linear(dim, components)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, components))
        nn.init.zeros_(self.mlp[2].weight)
        nn.init.zeros_(self.mlp[2].bias)
        self.shapes: List[Tuple[str, Tuple[int, int]]] = []
        downs, ups = [], []
        for key, fin, fout in self.lora_modules:
            self.shapes.append((f"{key}.lora_down.weight", (rank, fin)))
            self.shapes.append((f"{key}.lora_up.weight", (fout, rank)))
            downs.append(nn.Parameter(torch.randn(rank, fin) / math.sqrt(fin)))   # standard LoRA init
            ups.append(nn.Parameter(torch.zeros(components, fout, rank)))
        self.downs = nn.ParameterList(downs)
        self.ups = nn.ParameterList(ups)

    @torch.no_grad()
    def init_mixing(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Start the routing from a linear class head on the embedding (weight [K,dim], bias [K])."""
        self.mix.weight.copy_(weight)
        self.mix.bias.copy_(bias)

    def forward(self, emb: torch.Tensor) -> Dict[str, torch.Tensor]:
        w = torch.softmax(self.mix(emb) + self.mlp(emb), dim=-1)                 # [G, K]
        out: Dict[str, torch.Tensor] = {}
        for (key, _, _), down, ups in zip(self.lora_modules, self.downs, self.ups):
            out[f"{key}.lora_down.weight"] = down.unsqueeze(0).expand(emb.shape[0], -1, -1)
            out[f"{key}.lora_up.weight"] = torch.einsum("gk,kor->gor", w, ups)
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
        m.eval().requires_grad_(False)
    return {"encoder": enc, "hyper": hyper, "unet": unet, "config": state["config"]}

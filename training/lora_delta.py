"""LoRA on any Linear/Conv2d weight of any denoiser, as a merged weight delta (kohya/LyCORIS LoCon semantics).

A LoRA here is ``{param name: (down [r, in·kh·kw], up [out, r])}`` and changes that weight to
``W + scale · (up @ down).reshape(W.shape)``. For a Linear layer this is exactly the functional
``W h + b + scale · up (down h)`` of training/unet.py; for a k×k convolution it is kohya's LoCon layout (down is a
k×k convolution to r channels, up a 1×1 convolution back), merged. The base weights stay frozen; the model runs
through ``torch.nn.utils.stateless.functional_call`` so gradients reach the factors only.

This is the LoRA half of the base-model interface that the reference-world 3.0 experiments (and a later SD-pack
trainer) share: anything with ``forward(x [B,1,H,W], t [B]) -> eps`` can be personalised, with targets chosen by
name, without editing the model's code.

API:
- ``Target = (name, out, fan_in, shape)``; ``lora_layout(model, patterns) -> list[Target]``: every Linear/Conv2d
  ``.weight`` whose parameter name matches one of the regular expressions ``patterns`` (``re.search``).
- ``make_delta_lora(layout, rank, generator) -> dict``: down ~ N(0, 1/fan_in), up = 0 (starts at the base).
- ``DeltaLoraModel(base, layout)``: an nn.Module with ``forward(x, t, lora=None, lora_scale=1.0)``, the calling
  convention of training/diffusion.py (``diffusion_loss``, ``ddim_sample``), so those work unchanged.
- ``lora_param_count(lora) -> int``.
"""
from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch.nn.utils import stateless

Target = Tuple[str, int, int, Tuple[int, ...]]
DeltaLora = Dict[str, Tuple[torch.Tensor, torch.Tensor]]
Scale = Union[float, torch.Tensor]


def lora_layout(model: nn.Module, patterns: Sequence[str]) -> List[Target]:
    """(param name, out, fan_in, weight shape) for every Linear/Conv2d weight whose name matches a pattern."""
    out: List[Target] = []
    for mod_name, mod in model.named_modules():
        if not isinstance(mod, (nn.Linear, nn.Conv2d)):
            continue
        name = f"{mod_name}.weight"
        if any(re.search(p, name) for p in patterns):
            w = mod.weight
            out.append((name, int(w.shape[0]), int(w[0].numel()), tuple(int(s) for s in w.shape)))
    if not out:
        raise ValueError(f"no Linear/Conv2d weight matches {list(patterns)}; pick patterns from the model's "
                         f"parameter names (model.named_parameters())")
    return out


def make_delta_lora(layout: Sequence[Target], rank: int,
                    generator: Optional[torch.Generator] = None) -> DeltaLora:
    """Standard LoRA init per target: down ~ N(0, 1/fan_in), up = 0, so the model starts exactly at the base."""
    return {name: (torch.randn(rank, fan_in, generator=generator) / math.sqrt(fan_in), torch.zeros(o, rank))
            for name, o, fan_in, _ in layout}


def lora_param_count(lora: DeltaLora) -> int:
    """Number of trainable LoRA numbers (both factors of every target)."""
    return sum(d.numel() + u.numel() for d, u in lora.values())


class DeltaLoraModel(nn.Module):
    """Wraps a frozen denoiser; ``forward(x, t, lora, lora_scale)`` runs it with W + scale·up@down on the targets."""

    def __init__(self, base: nn.Module, layout: Sequence[Target]) -> None:
        super().__init__()
        self.base = base
        self.layout = list(layout)
        self._shapes = {name: shape for name, _, _, shape in self.layout}

    def forward(self, x: torch.Tensor, t: torch.Tensor, lora: Optional[DeltaLora] = None,
                lora_scale: Scale = 1.0) -> torch.Tensor:
        if not lora:
            return self.base(x, t)
        params = dict(self.base.named_parameters())
        override = {name: params[name] + lora_scale * (up @ down).reshape(self._shapes[name])
                    for name, (down, up) in lora.items()}
        return stateless.functional_call(self.base, override, (x, t))

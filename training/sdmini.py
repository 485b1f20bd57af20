"""SDMiniUNet: a Stable Diffusion in miniature for 28x28 Fashion-MNIST (reference world 3.0 candidate, issue 13).

Same pixel-unshuffled UNet body as training/unet.py's TinyUNet (ResBlocks with ``time_emb_proj``, 2x2 patches,
14x14 and 7x7), but every transformer block is SD's BasicTransformerBlock: self-attention (``attn1``),
cross-attention (``attn2``) to a fixed context, and a GELU feed-forward. The context is a learned
[ctx_tokens, ctx_dim] parameter, the stand-in for SD's encoded empty prompt: it is part of the base model and
never changes at inference; a LoRA on ``attn2.to_k/to_v`` changes what the model reads from it, which is how SD
LoRAs steer an unconditional ("empty prompt") generation.

LoRA is applied by training/lora_delta.py (merged weight deltas on any Linear/Conv2d), not by this module;
parameter names follow SD's layout (``mid_tf.attn2.to_k.weight``, ``up1_tf.ff_0.weight``, ``mid.temb.weight``).

API:
- ``SDMINI_CONFIG``: the default architecture and training config (``arch = "sdmini"``; base.py's train_base
  accepts it).
- ``SDMiniUNet(ch=(32, 64), temb_dim=64, heads=4, ctx_tokens=8, ctx_dim=64)``; ``forward(x [B,1,28,28],
  t [B] float timestep index) -> eps [B,1,28,28]``.
- ``SDXLMiniUNet(ch, temb_dim, heads, ctx_dim, adm_channels)``; ``forward(x, timesteps, context [B,T,ctx_dim],
  y [B,adm_channels]) -> eps``: the same body with SDXL's inputs (ComfyUI's calling convention), for the CI.
- ``load_sdmini(path) -> SDMiniUNet`` (eval mode, frozen).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .unet import ResBlock, depth_to_space, space_to_depth, timestep_embedding

SDMINI_CONFIG = {"arch": "sdmini", "ch": [32, 64], "temb_dim": 64, "heads": 4, "ctx_tokens": 8, "ctx_dim": 64,
                 "steps": 1000, "batch": 96, "lr": 2e-3, "warmup": 50, "ema": 0.995, "grad_clip": 1.0,
                 "ckpt_every": 100, "extra_cycles": [[1000, 1e-3, 20], [1000, 5e-4, 20]]}


class Attn(nn.Module):
    """Multi-head attention with SD's to_q/to_k/to_v/to_out; keys/values from ``ctx`` (cross) or ``h`` (self)."""

    def __init__(self, dim: int, ctx_dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(ctx_dim, dim, bias=False)
        self.to_v = nn.Linear(ctx_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, h: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        b, n, c = h.shape
        hd = c // self.heads
        q = self.to_q(h).reshape(b, n, self.heads, hd).transpose(1, 2)
        k = self.to_k(ctx).reshape(b, ctx.shape[1], self.heads, hd).transpose(1, 2)
        v = self.to_v(ctx).reshape(b, ctx.shape[1], self.heads, hd).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd)), dim=-1)
        return self.to_out(torch.matmul(w, v).transpose(1, 2).reshape(b, n, c))


class SDTransformer(nn.Module):
    """GroupNorm, then pre-LayerNorm self-attention, cross-attention to the context, GELU feed-forward; residual."""

    def __init__(self, dim: int, ctx_dim: int, heads: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(8, dim)
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn1 = Attn(dim, dim, heads)
        self.attn2 = Attn(dim, ctx_dim, heads)
        self.ff_0 = nn.Linear(dim, 2 * dim)
        self.ff_2 = nn.Linear(2 * dim, dim)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = x.shape
        h = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        a = self.ln1(h)
        h = h + self.attn1(a, a)
        h = h + self.attn2(self.ln2(h), ctx)
        h = h + self.ff_2(F.gelu(self.ff_0(self.ln3(h))))
        return x + h.transpose(1, 2).reshape(b, c, hh, ww)


class SDMiniUNet(nn.Module):
    """28x28x1 -> 14x14x4 -> c1 @ 14 -> c2 @ 7 (transformer after down1, mid and up1) -> back."""

    def __init__(self, ch: Tuple[int, int] = (32, 64), temb_dim: int = 64, heads: int = 4, ctx_tokens: int = 8,
                 ctx_dim: int = 64) -> None:
        super().__init__()
        c1, c2 = ch
        self.config = {"arch": "sdmini", "ch": list(ch), "temb_dim": temb_dim, "heads": heads,
                       "ctx_tokens": ctx_tokens, "ctx_dim": ctx_dim}
        self.temb_in = temb_dim
        self.context = nn.Parameter(torch.randn(ctx_tokens, ctx_dim) * 0.5)
        self.temb_mlp = nn.Sequential(nn.Linear(temb_dim, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        self.conv_in = nn.Conv2d(4, c1, 3, padding=1)
        self.down0 = ResBlock(c1, c1, temb_dim)
        self.ds0 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down1 = ResBlock(c1, c2, temb_dim)
        self.down1_tf = SDTransformer(c2, ctx_dim, heads)
        self.mid = ResBlock(c2, c2, temb_dim)
        self.mid_tf = SDTransformer(c2, ctx_dim, heads)
        self.up1 = ResBlock(2 * c2, c2, temb_dim)
        self.up1_tf = SDTransformer(c2, ctx_dim, heads)
        self.up0 = ResBlock(c2 + c1, c1, temb_dim)
        self.norm_out = nn.GroupNorm(8, c1)
        self.conv_out = nn.Conv2d(c1, 4, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, lora: Optional[dict] = None,
                lora_scale: float = 1.0) -> torch.Tensor:
        if lora:
            raise ValueError("SDMiniUNet takes LoRAs through training/lora_delta.DeltaLoraModel, not forward(lora=)")
        temb = self.temb_mlp(timestep_embedding(t, self.temb_in))
        return self._body(x, temb, self.context.unsqueeze(0).expand(x.shape[0], -1, -1))

    def _body(self, x: torch.Tensor, temb: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        h0 = self.down0(self.conv_in(space_to_depth(x)), temb)                   # c1 @ 14
        h1 = self.down1_tf(self.down1(self.ds0(h0), temb), ctx)                 # c2 @ 7
        h = self.mid_tf(self.mid(h1, temb), ctx)
        h = self.up1_tf(self.up1(torch.cat([h, h1], dim=1), temb), ctx)         # c2 @ 7
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")                   # c2 @ 14
        h = self.up0(torch.cat([h, h0], dim=1), temb)
        return depth_to_space(self.conv_out(F.silu(self.norm_out(h))))


class SDXLMiniUNet(SDMiniUNet):
    """SD-mini shaped like SDXL's UNet at its inputs: ComfyUI's calling convention ``forward(x, timesteps, context,
    y)``, the context given from outside (not learned), and the vector conditioning ``y`` [B, adm_channels] mapped
    by ``label_emb`` (Linear, SiLU, Linear, as SDXL's) and added to the timestep embedding. For the CI's SDXL path of
    the pack trainer (training/sdpack/conditioning.py); not a trained base."""

    def __init__(self, ch: Tuple[int, int] = (16, 32), temb_dim: int = 32, heads: int = 2, ctx_dim: int = 16,
                 adm_channels: int = 24) -> None:
        super().__init__(ch, temb_dim, heads, 1, ctx_dim)
        del self.context
        self.config = {**self.config, "arch": "sdxlmini", "ctx_tokens": None, "adm_channels": adm_channels}
        self.label_emb = nn.Sequential(nn.Linear(adm_channels, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor,  # type: ignore[override]
                y: torch.Tensor) -> torch.Tensor:
        temb = self.temb_mlp(timestep_embedding(timesteps, self.temb_in)) + self.label_emb(y)
        return self._body(x, temb, context)


def build_sdmini(cfg: dict) -> SDMiniUNet:
    """The architecture part of a config (SDMINI_CONFIG or a saved one)."""
    return SDMiniUNet(tuple(cfg["ch"]), temb_dim=cfg["temb_dim"], heads=cfg["heads"],
                      ctx_tokens=cfg["ctx_tokens"], ctx_dim=cfg["ctx_dim"])


def load_sdmini(path: Path) -> SDMiniUNet:
    """Load a base.pt written by base.train_base with an sdmini config (EMA weights), frozen, eval mode."""
    state = torch.load(Path(path))
    model = build_sdmini(state["config"])
    model.load_state_dict(state["state_dict"])
    model.eval().requires_grad_(False)
    return model

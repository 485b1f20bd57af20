"""TinyUNet: a small pixel-space epsilon-prediction UNet for 28x28 grey Fashion-MNIST, with SD-like LoRA targets.

API:
- ``TinyUNet(ch=(32, 64), temb_dim=64, heads=4)``; ``forward(x [B,1,28,28], t [B] float timestep index,
  lora=None, lora_scale=1.0) -> eps [B,1,28,28]``.
- ``model.lora_modules``: list of (kohya key, in, out) for every LoRA-targeted linear layer, in a fixed order:
  the mid transformer block (attn to_q/to_k/to_v/to_out + feed-forward ff_net_0/ff_net_2, at 7x7)
  and the self-attention block in the up path (to_q/to_k/to_v/to_out, also 7x7).
- ``lora``: dict key -> (down, up) with down [r,in] and up [out,r] (one LoRA for the batch) or down [B,r,in]
  and up [B,out,r] (one LoRA per sample, used to meta-train on several datasets in one batch).
  The layer computes ``W h + b + lora_scale * up (down h)``, i.e. W + scale * up @ down, functionally, so that
  functorch (vmap/grad) can take per-sample gradients with respect to the factors (DP-SGD).
- ``make_lora_zeros(model, rank) -> dict`` and ``make_lora_init(model, rank, generator) -> dict``
  (down ~ N(0, 1/in) small, up = 0: the standard LoRA init). Values are plain tensors (wrap with
  nn.Parameter / nn.ParameterDict as needed; keys contain no dots).
- ``lora_to_flat(lora) -> dict '<key>.lora_down.weight'/'<key>.lora_up.weight' -> tensor`` and ``lora_from_flat``.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

LoraDict = Dict[str, Tuple[torch.Tensor, torch.Tensor]]
Scale = Union[float, torch.Tensor]


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of a float timestep index t [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(10000.0) / half))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class LoraLinear(nn.Linear):
    """nn.Linear whose forward takes an optional low-rank update (down, up) and a scale, applied functionally."""

    def __init__(self, key: str, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.key = key

    def forward_lora(self, h: torch.Tensor, lora: Optional[LoraDict], scale: Scale) -> torch.Tensor:
        y = F.linear(h, self.weight, self.bias)
        if lora is None or self.key not in lora:
            return y
        down, up = lora[self.key]
        if down.dim() == 2:
            return y + scale * F.linear(F.linear(h, down), up)
        # Per-sample factors: h [B, L, in], down [B, r, in], up [B, out, r].
        return y + scale * torch.bmm(torch.bmm(h, down.transpose(1, 2)), up.transpose(1, 2))


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv residual block with an additive time embedding.

    The time-embedding projection is a LoRA target (SD's ``resnets_N_time_emb_proj``, which kohya/LyCORIS LoRAs
    also train): a low-rank update there adds a timestep-dependent per-channel shift to the block, the same
    pathway through which class-conditional diffusion models receive their class embedding. That is what lets a
    dataset-level LoRA move the class mixture of an unconditional base model.
    """

    def __init__(self, cin: int, cout: int, temb_dim: int, key: Optional[str] = None) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = LoraLinear(f"{key}_time_emb_proj" if key else "", temb_dim, cout)
        self.temb_target = key is not None
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor, lora: Optional[LoraDict] = None,
                scale: Scale = 1.0) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        # temb [B, D] -> [B, 1, D] so that per-sample LoRA factors (bmm) apply as for the attention layers.
        h = h + self.temb.forward_lora(temb[:, None, :], lora, scale)[:, 0, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Attention(nn.Module):
    """Multi-head self-attention over the spatial tokens with LoRA-able to_q/to_k/to_v/to_out (SD naming)."""

    def __init__(self, prefix: str, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_q = LoraLinear(f"{prefix}_to_q", dim, dim, bias=False)
        self.to_k = LoraLinear(f"{prefix}_to_k", dim, dim, bias=False)
        self.to_v = LoraLinear(f"{prefix}_to_v", dim, dim, bias=False)
        self.to_out = LoraLinear(f"{prefix}_to_out", dim, dim)

    def forward(self, h: torch.Tensor, lora: Optional[LoraDict], scale: Scale) -> torch.Tensor:
        b, n, c = h.shape
        hd = c // self.heads
        q = self.to_q.forward_lora(h, lora, scale).reshape(b, n, self.heads, hd).transpose(1, 2)
        k = self.to_k.forward_lora(h, lora, scale).reshape(b, n, self.heads, hd).transpose(1, 2)
        v = self.to_v.forward_lora(h, lora, scale).reshape(b, n, self.heads, hd).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd)), dim=-1)
        o = torch.matmul(w, v).transpose(1, 2).reshape(b, n, c)
        return self.to_out.forward_lora(o, lora, scale)


class SpatialTransformer(nn.Module):
    """GroupNorm, then pre-LayerNorm self-attention and (optionally) a GELU feed-forward, residual, on [B,C,H,W]."""

    def __init__(self, prefix: str, dim: int, heads: int, ff: bool) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(8, dim)
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(f"{prefix}_attn", dim, heads)
        self.ff = ff
        if ff:
            self.ln2 = nn.LayerNorm(dim)
            self.ff_0 = LoraLinear(f"{prefix}_ff_net_0", dim, 2 * dim)
            self.ff_2 = LoraLinear(f"{prefix}_ff_net_2", 2 * dim, dim)

    def forward(self, x: torch.Tensor, lora: Optional[LoraDict], scale: Scale) -> torch.Tensor:
        b, c, hh, ww = x.shape
        h = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        h = h + self.attn(self.ln1(h), lora, scale)
        if self.ff:
            h = h + self.ff_2.forward_lora(F.gelu(self.ff_0.forward_lora(self.ln2(h), lora, scale)), lora, scale)
        return x + h.transpose(1, 2).reshape(b, c, hh, ww)


def space_to_depth(x: torch.Tensor) -> torch.Tensor:
    """[B,C,2H,2W] -> [B,4C,H,W] (pixel unshuffle by 2, written with reshape/permute so ONNX export is plain)."""
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * 4, h // 2, w // 2)


def depth_to_space(x: torch.Tensor) -> torch.Tensor:
    """Inverse of space_to_depth: [B,4C,H,W] -> [B,C,2H,2W]."""
    b, c4, h, w = x.shape
    c = c4 // 4
    x = x.reshape(b, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(b, c, h * 2, w * 2)


class TinyUNet(nn.Module):
    """Pixel-unshuffled UNet: 28x28x1 -> 14x14x4 -> (c1 @ 14x14) -> (c2 @ 7x7, attention) -> back.

    Running the convolutions at 14x14 (2x2 patches, as in patch-based diffusion backbones) instead of 28x28
    cuts the cost about 4x, which is what makes a useful base model trainable in ~10 CPU minutes.
    Attention (the LoRA targets) sits at 7x7: the mid transformer block (attn + feed-forward) and a
    self-attention block in the up path.
    """

    def __init__(self, ch: Tuple[int, int] = (32, 64), temb_dim: int = 64, heads: int = 4) -> None:
        super().__init__()
        c1, c2 = ch
        self.config = {"ch": list(ch), "temb_dim": temb_dim, "heads": heads}
        self.temb_in = temb_dim
        self.temb_mlp = nn.Sequential(nn.Linear(temb_dim, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        self.conv_in = nn.Conv2d(4, c1, 3, padding=1)
        self.down0 = ResBlock(c1, c1, temb_dim, "lora_unet_down_0")
        self.ds0 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down1 = ResBlock(c1, c2, temb_dim, "lora_unet_down_1")
        self.mid = ResBlock(c2, c2, temb_dim, "lora_unet_mid")
        self.mid_tf = SpatialTransformer("lora_unet_mid", c2, heads, ff=True)
        self.up1 = ResBlock(2 * c2, c2, temb_dim, "lora_unet_up_1")
        self.up1_tf = SpatialTransformer("lora_unet_up_1", c2, heads, ff=False)
        self.up0 = ResBlock(c2 + c1, c1, temb_dim, "lora_unet_up_0")
        self.norm_out = nn.GroupNorm(8, c1)
        self.conv_out = nn.Conv2d(c1, 4, 3, padding=1)
        self.lora_modules = [(m.key, m.in_features, m.out_features)
                             for m in self.modules() if isinstance(m, LoraLinear) and m.key]

    def forward(self, x: torch.Tensor, t: torch.Tensor, lora: Optional[LoraDict] = None,
                lora_scale: Scale = 1.0) -> torch.Tensor:
        temb = self.temb_mlp(timestep_embedding(t, self.temb_in))
        h0 = self.down0(self.conv_in(space_to_depth(x)), temb, lora, lora_scale)     # c1 @ 14
        h1 = self.down1(self.ds0(h0), temb, lora, lora_scale)                        # c2 @ 7
        h = self.mid(h1, temb, lora, lora_scale)
        h = self.mid_tf(h, lora, lora_scale)
        h = self.up1(torch.cat([h, h1], dim=1), temb, lora, lora_scale)              # c2 @ 7
        h = self.up1_tf(h, lora, lora_scale)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")                       # c2 @ 14
        h = self.up0(torch.cat([h, h0], dim=1), temb, lora, lora_scale)
        return depth_to_space(self.conv_out(F.silu(self.norm_out(h))))


def make_lora_zeros(model: TinyUNet, rank: int) -> LoraDict:
    """All-zero LoRA factors for every target (the base model)."""
    return {k: (torch.zeros(rank, i), torch.zeros(o, rank)) for k, i, o in model.lora_modules}


def make_lora_init(model: TinyUNet, rank: int, generator: Optional[torch.Generator] = None) -> LoraDict:
    """Standard LoRA init: down ~ N(0, 1/in) (small random), up = 0, so the model starts at the base."""
    out: LoraDict = {}
    for k, i, o in model.lora_modules:
        down = torch.randn(rank, i, generator=generator) / math.sqrt(i)
        out[k] = (down, torch.zeros(o, rank))
    return out


def lora_to_flat(lora: LoraDict) -> Dict[str, torch.Tensor]:
    """{'<key>.lora_down.weight': down, '<key>.lora_up.weight': up} (kohya names)."""
    flat: Dict[str, torch.Tensor] = {}
    for k, (down, up) in lora.items():
        flat[f"{k}.lora_down.weight"] = down
        flat[f"{k}.lora_up.weight"] = up
    return flat


def lora_from_flat(flat: Dict[str, torch.Tensor]) -> LoraDict:
    """Inverse of lora_to_flat."""
    keys = sorted({name.split(".")[0] for name in flat})
    return {k: (flat[f"{k}.lora_down.weight"], flat[f"{k}.lora_up.weight"]) for k in keys}

"""The base model's fixed conditioning during pack training, and how the UNet is called with it.

A pack is trained under the empty prompt, so the UNet's conditioning is fixed for a whole run:

- SD1.5: the text context ``c_crossattn`` [1, 77, 768].
- SDXL: the context [1, 77, 2048] and the vector ``y`` [1, 2816] (adm_in_channels): the pooled text output (1280)
  followed by six 256-wide timestep embeddings of height, width, crop top, crop left, target height and target width
  (comfy/model_base.py SDXL.encode_adm). Inside ComfyUI both come from ComfyUI's own ``extra_conds``
  (comfy_backend.empty_prompt_conditioning), with the training resolution as the size, no crop, exactly as a
  KSampler at that resolution builds them (comfy/samplers.py encode_model_conds: width/height = latent × 8).

API (no ComfyUI import here, so the CI's tiny models use the same code):
- ``UNetConditioning(context, y=None)``; ``.to(device, dtype)``.
- ``call_unet(unet, x, t, cond)``: ComfyUI's UNetModel calling convention, ``unet(x, timesteps=t, context=…, y=…)``,
  with the fixed conditioning broadcast to the batch (``y`` only when the base takes one).
- ``ConditionedUNet(unet, cond)``: ``forward(x, t) -> eps``, the plain denoiser that training/lora_delta.py's
  DeltaLoraModel wraps (the CI's SDXL-mini goes through it; inside ComfyUI the weight-wrapper denoiser calls
  ``call_unet`` itself).
- ``base_from_config(config_name, model_type)``: which pack target a ComfyUI model config is (``sd15`` / ``sdxl``),
  or a ``SdPackError`` naming the unsupported base (SD2, SD3, Flux, …) or prediction type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn

from .errors import SdPackError

# ComfyUI's model config class (comfy/supported_models.py) -> the pack target whose LoRA layout src/lora writes.
SUPPORTED_BASES = {"SD15": "sd15", "SDXL": "sdxl"}


@dataclass
class UNetConditioning:
    """The fixed conditioning of a training run: context [1, tokens, width] and, for SDXL, y [1, adm_channels]."""
    context: torch.Tensor
    y: Optional[torch.Tensor] = None

    def __post_init__(self) -> None:
        if self.context.dim() != 3 or self.context.shape[0] != 1:
            raise SdPackError(f"the text context has shape {list(self.context.shape)}, expected [1, tokens, width]")
        if self.y is not None and (self.y.dim() != 2 or self.y.shape[0] != 1):
            raise SdPackError(f"the vector conditioning y has shape {list(self.y.shape)}, expected [1, channels]")

    def to(self, device, dtype) -> "UNetConditioning":
        """A copy on ``device`` in ``dtype``, as ordinary tensors (ComfyUI makes inference tensors; autograd needs
        ordinary ones)."""
        with torch.inference_mode(False):
            return UNetConditioning(self.context.to(device, dtype).clone(),
                                    None if self.y is None else self.y.to(device, dtype).clone())


def call_unet(unet: nn.Module, x: torch.Tensor, t: torch.Tensor, cond: UNetConditioning) -> torch.Tensor:
    """eps = unet(x, timesteps=t, context, y): the fixed conditioning repeated over the batch."""
    kwargs = {"context": cond.context.expand(x.shape[0], -1, -1)}
    if cond.y is not None:
        kwargs["y"] = cond.y.expand(x.shape[0], -1)
    return unet(x, timesteps=t, **kwargs)


class ConditionedUNet(nn.Module):
    """A UNet with ComfyUI's calling convention and a fixed conditioning, as ``forward(x, t) -> eps``."""

    def __init__(self, unet: nn.Module, cond: UNetConditioning) -> None:
        super().__init__()
        self.unet = unet
        self.cond = cond

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return call_unet(self.unet, x, t, self.cond)


def base_from_config(config_name: str, model_type: str) -> str:
    """``sd15`` or ``sdxl`` for ComfyUI's model config class name and ModelType name; else a SdPackError."""
    target = SUPPORTED_BASES.get(config_name)
    if target is None:
        raise SdPackError(f"the connected MODEL is a {config_name} model (ComfyUI's comfy.supported_models.{config_name}); "
                          "this trainer makes packs for SD1.5 and SDXL checkpoints only (their LoRA layouts are the "
                          "ones src/lora writes): load an SD1.5 or SDXL checkpoint")
    if model_type != "EPS":
        raise SdPackError(f"the connected {config_name} MODEL predicts {model_type}, and the trainer's loss is "
                          "ε-prediction (the SD1.5/SDXL base checkpoints): load an ε-prediction (EPS) checkpoint")
    return target

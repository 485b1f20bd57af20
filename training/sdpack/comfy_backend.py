"""The ComfyUI side of the trainer: the user's own models, through ComfyUI's own objects (imported lazily, so the
rest of training/sdpack runs without ComfyUI).

- ``WeightWrapperDenoiser(patcher, layout, cond)``: the base UNet with the generated LoRA applied through
  ComfyUI's weight-wrapper seam (``ModelPatcher.add_weight_wrapper``: ComfyUI calls the wrapper on each target weight
  as the layer runs, ``W -> W + s·up@down``), with training.lora_delta.DeltaLoraModel's calling convention
  ``forward(x_t, t, lora, lora_scale) -> eps``, under the run's fixed conditioning (conditioning.UNetConditioning:
  the context, and SDXL's vector y). The LoRA tensors stay differentiable, so gradients reach ρ and φ.
- ``detect_base(patcher) -> "sd15" | "sdxl"``: the pack target of the connected MODEL (its ComfyUI model config), or a
  SdPackError naming an unsupported base.
- ``make_trainable(patcher)``: ComfyUI loads weights under ``torch.inference_mode``; autograd cannot save inference
  tensors for backward, so the UNet's parameters and buffers are re-made as ordinary tensors (same values).
- ``unet_sha256(patcher) -> (hex, description)``: the base checkpoint's identity, re-exported from training/unet_identity.py
  (the one function the trainer and the bridge's base check share).
- ``clip_vision_family(output) -> {family, dim}``: the model family from the CLIP_VISION_OUTPUT's shapes (the same
  rule and table as src/conditioning/family.ts; test_sdpack_family.py checks they agree).
- ``encoder_for(model, clip_vision, vae)``: ``(images, clip_images) -> (image_embeds, latents)`` for
  sets.build_public_sets (CLIP-vision through CLIPVisionEncode's call with crop "center").
- ``empty_prompt_conditioning(patcher, conditioning, resolution) -> UNetConditioning``: what the UNet is given
  for that CONDITIONING at that image size, built by ComfyUI's own sampler code (convert_cond, encode_model_conds
  with the model's extra_conds: SDXL's y from encode_adm), exactly as a KSampler at that resolution builds it.
- ``zero_conditioning(patcher)``: zeros in the shape of the base's empty-prompt CONDITIONING (checks only).
- ``auto_loss_images(patcher, latent_hw, requested)``: the per-set loss batch that fits the device's free memory.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .conditioning import UNetConditioning, base_from_config, call_unet
from .errors import SdPackError
from .layout import Module, check_layout
from ..unet_identity import unet_sha256  # noqa: F401 - moved there (one function for trainer and bridge); re-exported for pipeline.py

# src/conditioning/family.ts's KNOWN table: (family, image_embeds dim, tokens, width of last_hidden_state).
KNOWN_FAMILIES = [("clip-vit-h-14", 1024, 257, 1280), ("clip-vit-bigg-14", 1280, 257, 1664),
                  ("clip-vit-l-14", 768, 257, 1024), ("clip-vit-l-14-336", 768, 577, 1024)]


def family_from_shapes(image_embeds: Sequence[int], last_hidden_state: Optional[Sequence[int]]) -> Dict[str, object]:
    """The family rule of src/conditioning/family.ts's familyOf, from the fields' shapes (batch first)."""
    if len(image_embeds) != 2 or image_embeds[1] < 1:
        raise SdPackError(f"CLIP-vision image_embeds has shape {list(image_embeds)}, not [batch, dim]; use a CLIP-vision "
                          "model with a projection (ViT-H, ViT-L, bigG)")
    dim = int(image_embeds[1])
    if last_hidden_state is None or len(last_hidden_state) != 3:
        return {"family": f"clip-vision-{dim}d", "dim": dim}
    tokens, width = int(last_hidden_state[1]), int(last_hidden_state[2])
    for fam, d, tk, w in KNOWN_FAMILIES:
        if (d, tk, w) == (dim, tokens, width):
            return {"family": fam, "dim": dim}
    return {"family": f"clip-vision-{dim}d-{tokens}x{width}", "dim": dim}


def clip_vision_family(output) -> Dict[str, object]:
    """Family and dimension of the model that produced a comfy.clip_vision.Output."""
    lhs = getattr(output, "last_hidden_state", None)
    return family_from_shapes(tuple(output.image_embeds.shape), None if lhs is None else tuple(lhs.shape))


class _LoraSlot:
    """The LoRA the next forward pass uses ({weight name: (down, up)}), shared by every wrapper of one denoiser."""

    def __init__(self) -> None:
        self.lora: Optional[Dict[str, Tuple[torch.Tensor, torch.Tensor]]] = None
        self.scale = 1.0


class _WeightDelta:
    """A ComfyUI weight wrapper: W -> W + scale·(up @ down) for one target, while a LoRA is set."""

    def __init__(self, slot: _LoraSlot, weight: str) -> None:
        self.slot, self.weight = slot, weight

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        pair = None if self.slot.lora is None else self.slot.lora.get(self.weight)
        if pair is None:
            return w
        down, up = pair
        return w + (self.slot.scale * (up @ down)).to(w.dtype).reshape(w.shape)


@torch.inference_mode(False)
def make_trainable(patcher) -> None:
    """Re-make every parameter and buffer of the UNet that is an inference tensor as an ordinary tensor (values
    unchanged, requires_grad False), so autograd can use the frozen base. ComfyUI keeps looking weights up by name."""
    for module in patcher.model.diffusion_model.modules():
        for name, p in list(module._parameters.items()):
            if p is not None and p.is_inference():
                module._parameters[name] = nn.Parameter(p.detach().clone(), requires_grad=False)
        for name, b in list(module._buffers.items()):
            if b is not None and b.is_inference():
                module._buffers[name] = b.clone()


class WeightWrapperDenoiser(nn.Module):
    """base UNet (frozen) + generated LoRA through ModelPatcher.add_weight_wrapper; eps-prediction at timestep t."""

    def __init__(self, patcher, layout: Sequence[Module], cond: UNetConditioning) -> None:
        super().__init__()
        import comfy.model_management as mm
        shapes = {k: tuple(v.shape) for k, v in patcher.model.diffusion_model.state_dict().items()}
        check_layout(layout, shapes, "the connected MODEL's UNet")
        self.slot = _LoraSlot()
        self.patcher = patcher.clone()
        for m in layout:
            self.patcher.add_weight_wrapper(f"diffusion_model.{m.weight}", _WeightDelta(self.slot, m.weight))
        mm.load_models_gpu([self.patcher], force_full_load=True)
        make_trainable(self.patcher)
        for p in self.patcher.model.diffusion_model.parameters():
            p.requires_grad_(False)
        self.device = self.patcher.load_device
        self.dtype = self.patcher.model.get_dtype()
        self.cond = cond.to(self.device, self.dtype)   # ordinary tensors, not inference tensors

    def forward(self, x: torch.Tensor, t: torch.Tensor, lora=None, lora_scale=1.0) -> torch.Tensor:
        self.slot.lora, self.slot.scale = lora, lora_scale
        try:
            eps = call_unet(self.patcher.model.diffusion_model, x.to(self.device, self.dtype), t.to(self.device),
                            self.cond)
        finally:
            self.slot.lora = None
        return eps.float()


def detect_base(patcher) -> str:
    """``sd15`` or ``sdxl`` from the MODEL's ComfyUI model config (comfy.supported_models) and prediction type."""
    base = patcher.model
    return base_from_config(type(base.model_config).__name__, base.model_type.name)


def empty_prompt_conditioning(patcher, conditioning, resolution: int) -> UNetConditioning:
    """The UNet's conditioning for ``conditioning`` (CLIPTextEncode of an empty prompt) at ``resolution`` px,
    through ComfyUI's own sampler code: convert_cond, then encode_model_conds with the model's extra_conds (SDXL:
    encode_adm from the pooled output and width = height = resolution, no crop), as a KSampler builds it."""
    import comfy.sampler_helpers
    import comfy.samplers
    try:
        ctx = conditioning[0][0]
        extras = conditioning[0][1]
    except (IndexError, TypeError, KeyError) as e:
        raise SdPackError("empty_prompt must be a CONDITIONING (CLIPTextEncode of an empty prompt)") from e
    if not torch.is_tensor(ctx) or ctx.dim() != 3 or ctx.shape[0] != 1:
        raise SdPackError(f"empty_prompt's conditioning has shape {list(getattr(ctx, 'shape', []))}, expected "
                          "[1, tokens, width]: connect CLIPTextEncode of an empty prompt")
    base = patcher.model
    if base.adm_channels and extras.get("pooled_output") is None:
        raise SdPackError(f"empty_prompt has no pooled text output, which this {type(base.model_config).__name__} "
                          "model needs (its vector conditioning y): connect CLIPTextEncode of an empty prompt with "
                          "the checkpoint's own CLIP")
    h = resolution // 8
    noise = torch.zeros(1, base.latent_format.latent_channels, h, h)
    conds = comfy.samplers.encode_model_conds(base.extra_conds, comfy.sampler_helpers.convert_cond(conditioning[:1]),
                                              noise, torch.device("cpu"), "positive", latent_image=noise, seed=0)
    model_conds = conds[0]["model_conds"]
    if "c_concat" in model_conds:
        raise SdPackError("the connected MODEL is an inpainting (or other image-conditioned) model; packs are trained "
                          "for the text-to-image base checkpoint: load that")
    y = model_conds.get("y")
    return UNetConditioning(model_conds["c_crossattn"].cond, None if y is None else y.cond)


def zero_conditioning(patcher):
    """A CONDITIONING of zeros shaped for the loaded base: context [1, 77, context_dim], and for SDXL a pooled output
    [1, 1280] (ComfyUI builds y from it). For checks with random-weight models only (no text encoder)."""
    width = patcher.model.model_config.unet_config["context_dim"]
    extras = {"pooled_output": torch.zeros(1, 1280)} if detect_base(patcher) == "sdxl" else {}
    return [[torch.zeros(1, 77, width), extras]]


def encoder_for(model, clip_vision, vae):
    """``(images, clip_images) -> (image_embeds [N,D], latents [N,4,h,w] scaled as the UNet reads them)``: the
    latents from the images at the training resolution; image_embeds from clip_images through ``encode_image(...,
    crop=True)``, the call CLIPVisionEncode makes with crop "center" (see frames.py)."""
    def encode(images: torch.Tensor, clip_images: torch.Tensor):
        out = clip_vision.encode_image(clip_images, crop=True)
        lat = model.model.process_latent_in(vae.encode(images[:, :, :, :3]))
        return out.image_embeds, lat
    return encode


def auto_loss_images(patcher, latent_hw: Tuple[int, int], requested: int) -> int:
    """The largest per-set loss batch ≤ requested whose training activations fit 60% of the free device memory
    (forward estimate from ComfyUI's own memory_required, ×3 for the backward pass)."""
    import comfy.model_management as mm
    dev = patcher.load_device
    free = mm.get_free_memory(dev)
    per_image = 3 * patcher.model.memory_required([1, 4, latent_hw[0], latent_hw[1]])
    fit = int(0.6 * free // max(1, per_image))
    if fit < 1:
        raise SdPackError(f"not enough free memory on {dev} for one training image at latent {latent_hw} "
                          f"({free / 2**30:.1f} GiB free, ~{per_image / 2**30:.1f} GiB needed); use a smaller resolution")
    return max(1, min(requested, fit))

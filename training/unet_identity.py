"""The base checkpoint's identity: ONE function for the pack trainer (training/sdpack writes it into the manifest's
``base.unetSha256``) and for the bridge's check where a generated LoRA meets a MODEL (bridge/base_check.py).

Scheme ``dp-hyperlora.unet-identity/1`` (the manifest's ``base.hashOf`` starts with it): SHA-256 over the UNet
(``model.diffusion_model``) state dict, tensor by tensor in sorted name order: ``name|shape`` and then the tensor's
SAMPLE (4096) evenly spaced elements (all of them when it has fewer), as little-endian float16 (integer buffers as
int64). The canonical form makes the identity a property of the checkpoint, not of how ComfyUI loaded it:

- unpatched: where ComfyUI has written a LoRA or other patch into a weight (ModelPatcher.patch_weight_to_device,
  when a patched clone is loaded), the original is in the patcher's ``backup`` (or ``hook_backup``), a dict every
  clone shares; that original is what is hashed, as ModelPatcher.get_key_patches reads it. Weight wrappers and
  lowvram patches never change the stored weight.
- device- and dtype-independent: tensors are read on the CPU and rounded to float16. An fp16 file loaded as fp16 or
  fp32 gives the same bits; an fp32 file loaded as fp32 or fp16 too (fp32 -> fp16 is the cast ComfyUI itself makes).
  A bf16 or fp8 load of an fp16/fp32 file loses bits and gives another identity.
- sampled: hashing every byte of an SD1.5 UNet takes seconds on a CPU (bench/unet-identity.py measures both); the
  sample reads 1.56 M of its 859.5 M values. A fine-tune or merge changes almost every weight, so it changes the sample;
  an edit confined to unsampled elements would go unnoticed, which is acceptable for a warning (it never refuses).

Public: the hash describes the base model's weights only (no private data ever reaches it).
"""
from __future__ import annotations

import hashlib
import weakref
from typing import Tuple

import torch

#: The identity scheme; the manifest's ``base.hashOf`` starts with it, and a check compares only equal schemes.
SCHEME = "dp-hyperlora.unet-identity/1"
#: Elements read per tensor (all of a smaller tensor).
SAMPLE = 4096
_PREFIX = "diffusion_model."
DESCRIPTION = (f"{SCHEME}: sha256 over the UNet state dict (model.diffusion_model), unpatched (ComfyUI's patch backup), "
               f"for each tensor in sorted name order 'name|shape' then {SAMPLE} evenly spaced elements (all when fewer) "
               "as little-endian float16 (integer tensors as int64)")


class UnetIdentityError(ValueError):
    """The MODEL's UNet cannot be identified (no diffusion_model, or weights without data, such as meta tensors)."""


def _unpatched_state(patcher) -> dict:
    """{name without 'diffusion_model.': tensor}, each weight as it was before any patch was written into it."""
    if hasattr(patcher, "model_state_dict"):
        sd = patcher.model_state_dict(filter_prefix=_PREFIX)
    elif hasattr(getattr(patcher, "model", None), "diffusion_model"):
        sd = {_PREFIX + k: v for k, v in patcher.model.diffusion_model.state_dict().items()}
    else:
        raise UnetIdentityError("the MODEL is not a ComfyUI ModelPatcher with a UNet (model.diffusion_model)")
    backup, hook_backup = getattr(patcher, "backup", None) or {}, getattr(patcher, "hook_backup", None) or {}
    out = {}
    for key, t in sd.items():
        if not key.startswith(_PREFIX):
            continue
        if key in backup:
            t = backup[key].weight
        if key in hook_backup:
            t = hook_backup[key][0]
        out[key[len(_PREFIX):]] = t
    if not out:
        raise UnetIdentityError("the MODEL has no diffusion_model weights to identify")
    return out


def _sample_bytes(t: torch.Tensor) -> bytes:
    if t.device.type == "meta":
        raise UnetIdentityError("the MODEL's weights have no data (meta tensors)")
    flat = t.detach().reshape(-1)
    n = flat.numel()
    if n > SAMPLE:
        idx = torch.arange(SAMPLE, dtype=torch.int64) * (n - 1) // (SAMPLE - 1)
        flat = flat.index_select(0, idx.to(flat.device))
    flat = flat.to("cpu")
    if flat.is_floating_point():
        return flat.to(torch.float16).numpy().astype("<f2", copy=False).tobytes()
    return flat.to(torch.int64).numpy().astype("<i8", copy=False).tobytes()


@torch.inference_mode()
def unet_sha256(patcher) -> Tuple[str, str]:
    """(64 hex digits, description) of the MODEL's base UNet under SCHEME; see the module comment. Raises
    UnetIdentityError when the weights cannot be read."""
    h = hashlib.sha256()
    sd = _unpatched_state(patcher)
    for name in sorted(sd):
        t = sd[name]
        h.update(f"{name}|{list(t.shape)}\n".encode())
        h.update(_sample_bytes(t))
    return h.hexdigest(), DESCRIPTION


_CACHE: "weakref.WeakKeyDictionary[object, str]" = weakref.WeakKeyDictionary()


def cached_unet_sha256(patcher) -> str:
    """unet_sha256 computed once per loaded model object: every clone of a ModelPatcher shares ``patcher.model``
    (and the base weights; patches are excluded by construction), so the cache is keyed weakly on it and goes when
    ComfyUI drops the model."""
    key = getattr(patcher, "model", None)
    if key is None:
        raise UnetIdentityError("the MODEL is not a ComfyUI ModelPatcher (it has no .model)")
    found = _CACHE.get(key)
    if found is None:
        found = unet_sha256(patcher)[0]
        _CACHE[key] = found
    return found

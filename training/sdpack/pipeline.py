"""One pack-training run with ComfyUI's model objects, shared by the training node and the CLI twin.

``train_pack(model, clip_vision, vae, conditioning, o: TrainOptions, on_step, check_interrupt, log) -> dict``:
encode the public folder once (CLIP-vision image_embeds with the user's model; latents through the user's VAE),
group it into sets, meta-train φ head + ρ against the user's UNet with the generated LoRA applied through ComfyUI's
weight-wrapper seam (resuming from ``run_dir`` when a previous run stopped), and export the pack to ``pack_dir``.
Returns a summary (public: the training data is public).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch

from .comfy_backend import (WeightWrapperDenoiser, auto_loss_images, clip_vision_family, detect_base,
                            empty_prompt_conditioning, encoder_for, unet_sha256)
from .errors import SdPackError
from .export import export_sdpack
from .frames import PRIVATE_ROUTE_SIZE, clip_frames, image_of
from .layout import fixed_layout
from .meta_train import FINAL, MetaTrainer, load_trained
from .schedules import schedule_from_sigmas
from .sets import build_public_sets

PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class TrainOptions:
    """What the user chooses (the node's inputs, the CLI's flags)."""
    public_folder: Path
    run_dir: Path
    pack_dir: Path
    pack_id: str
    steps: int = 2000
    resolution: int = 512
    loss_images: int = 4
    pseudo_sets: int = 16
    seed: int = 0
    data_description: str = "public images"
    data_license: str = "see the data description"
    base_name: str = ""
    version: str = "0.1.0"
    extra: dict = field(default_factory=dict)


def train_pack(model, clip_vision, vae, conditioning, o: TrainOptions,
               on_step: Optional[Callable[[int, int, float], None]] = None,
               check_interrupt: Optional[Callable[[], None]] = None,
               log: Callable[[str], None] = lambda s: None) -> dict:
    """Encode, group, meta-train (resumable) and export; see the module comment."""
    if not PACK_ID.match(o.pack_id):
        raise SdPackError(f"pack name {o.pack_id!r} must match [a-z0-9][a-z0-9._-]* (it becomes the folder and the pack id)")
    if o.resolution % 8 or o.resolution < 64:
        raise SdPackError(f"resolution {o.resolution} must be a multiple of 8, at least 64 (latents are 1/8 of it)")
    for what, obj in (("MODEL", model), ("CLIP_VISION", clip_vision), ("VAE", vae), ("empty_prompt", conditioning)):
        if obj is None:
            raise SdPackError(f"no {what} given: load the checkpoint, CLIP-vision model and VAE the pack is for")
    target = detect_base(model)
    layout = fixed_layout(target)
    cond = empty_prompt_conditioning(model, conditioning, o.resolution)
    log(f"base model: {target} (text context {list(cond.context.shape)}"
        + ("" if cond.y is None else f", vector conditioning y {list(cond.y.shape)}") + ")")
    with torch.inference_mode(False), torch.enable_grad():
        denoiser = WeightWrapperDenoiser(model, layout, cond)
        # No autograd through the frozen encoders (their parameters may require grad: ComfyUI never needed to
        # turn that off, it runs under inference mode); ordinary tensors, not inference tensors, for training.
        with torch.no_grad():
            probe = clip_vision.encode_image(torch.zeros(1, 224, 224, 3))
            family = clip_vision_family(probe)
            log(f"CLIP-vision model: {family['family']} ({family['dim']} dimensions)")
            frame_size = PRIVATE_ROUTE_SIZE
            sets = build_public_sets(o.public_folder, encoder_for(model, clip_vision, vae),
                                     lambda paths: image_of(clip_frames(paths, frame_size)), o.resolution,
                                     o.pseudo_sets, o.seed, log=log)
        log(f"public data: {sets.describe()}")
        hw = tuple(sets.latents[0].shape[2:])
        loss_images = auto_loss_images(denoiser.patcher, hw, o.loss_images)
        if loss_images < o.loss_images:
            log(f"loss batch {o.loss_images} -> {loss_images} images per set to fit free device memory")
        schedule = schedule_from_sigmas(model.get_model_object("model_sampling").sigmas)
        schedule.alpha_bar = schedule.alpha_bar.to(denoiser.device)
        cfg = {"steps": o.steps, "loss_images": loss_images, "seed": o.seed}
        trainer = MetaTrainer(denoiser, layout, sets, cfg, o.run_dir, schedule, denoiser.device)
        if trainer.step:
            log(f"resuming from step {trainer.step} of {o.steps} ({o.run_dir})")
        before = trainer.fixed_batch_loss()
        stats = trainer.run(on_step=on_step, check_interrupt=check_interrupt)
        after = trainer.fixed_batch_loss()
    import comfy.model_management as mm
    # Unloading unpatches the training clone, which takes its weight wrappers off the shared UNet modules.
    mm.unload_all_models()
    sha, how = unet_sha256(model)
    manifest = export_sdpack(
        load_trained(o.run_dir / FINAL), layout, o.pack_dir, pack_id=o.pack_id, version=o.version, target=target,
        clip_vision=family, base={"unetSha256": sha, "name": o.base_name, "hashOf": how},
        training={"data": o.data_description, "setNames": sets.names, **sets.describe(), "resolution": o.resolution,
                  "clipVisionInput": {"size": frame_size, "crop": "center",
                                      "madeBy": "Load Private Images' decodeImage + squareRgb, then CLIPVisionEncode"},
                  "lossImagesPerSet": loss_images, "setsPerStep": trainer.cfg["groups"], "seed": o.seed,
                  "trainer": "training/sdpack (dp-hyperlora)", "fixedBatchLoss": {"before": before, "after": after},
                  **o.extra},
        licenses={"code": "MIT", "weights": "same terms as the base checkpoint and CLIP-vision model it was trained on",
                  "data": o.data_license})
    return {"pack": str(o.pack_dir), "stats": stats, "fixed_batch_loss": {"before": before, "after": after},
            "manifest_id": manifest["id"], "target": target, "unet_sha256": sha, "clip_vision": family}

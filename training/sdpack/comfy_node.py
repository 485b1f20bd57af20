"""The training node: DP HyperLoRA · Train SD Pack. The one node that runs in Python, because it needs autodiff
through the user's UNet (every other node is defined in TypeScript and runs in the worker).

It trains on PUBLIC images only (the pack is public; private sets meet it later, through DP Embed (CLIP Vision) →
Noisy Aggregate → Hypernetwork LoRA), so its progress and messages may describe the data freely. The pack is written
to ComfyUI/models/dp_hyperlora/<pack_name>/ (where Load DP Hypernetwork finds it) and the resumable run to
ComfyUI/output/dp_hyperlora_training/<pack_name>/: queue the same node again after a cancel or crash and it resumes.
Registered by the plugin's __init__.py, which merges NODE_CLASS_MAPPINGS; ComfyUI is imported only when it runs.
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("dp_hyperlora")


class TrainSDPack:
    """Meta-trains φ head + ρ for the connected SD1.5 or SDXL checkpoint on a folder of public images and exports the pack."""

    CATEGORY = "DP HyperLoRA/training"
    DESCRIPTION = ("Trains a DP hypernetwork pack for this checkpoint from a folder of PUBLIC images (hours on a GPU; "
                   "cancel and re-queue to resume). Afterwards any private set becomes a LoRA in one noisy release "
                   "and one forward pass. Sub-folders of the public folder are the training sets; without them, "
                   "similar images are grouped automatically.")
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("pack_folder",)
    OUTPUT_TOOLTIPS = ("The folder the pack was written to (models/dp_hyperlora/<pack_name>).",)
    OUTPUT_NODE = True
    FUNCTION = "train"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "model": ("MODEL", {"tooltip": "The SD1.5 or SDXL checkpoint's MODEL the pack is for (frozen; the base is detected from it; its UNet weights' hash goes in the manifest)."}),
            "clip_vision": ("CLIP_VISION", {"tooltip": "The CLIP-vision model you will use with DP Embed (CLIP Vision); the pack only works with this family."}),
            "vae": ("VAE", {"tooltip": "The checkpoint's VAE: public images are turned into latents with it."}),
            "empty_prompt": ("CONDITIONING", {"tooltip": "CLIPTextEncode of an empty prompt with the checkpoint's CLIP: the text context (and for SDXL the pooled output, from which ComfyUI builds the vector conditioning at the training resolution) the LoRA learns under."}),
            "public_folder": ("STRING", {"default": "", "tooltip": "A folder of PUBLIC images (never private ones): its sub-folders are the training sets."}),
            "pack_name": ("STRING", {"default": "my-sd15-pack", "tooltip": "Folder and id of the pack under models/dp_hyperlora (lower case, digits, . _ -)."}),
            "steps": ("INT", {"default": 2000, "min": 1, "max": 1000000, "tooltip": "Meta-training steps (each uses 4 public sets)."}),
            "resolution": ("INT", {"default": 512, "min": 64, "max": 2048, "step": 8, "tooltip": "Training image size in pixels (latents are 1/8)."}),
            "loss_images": ("INT", {"default": 4, "min": 1, "max": 64, "tooltip": "Images per set per step; lowered automatically to fit free VRAM."}),
            "pseudo_sets": ("INT", {"default": 16, "min": 2, "max": 1024, "tooltip": "Without sub-folders: how many groups of similar images to make."}),
            "seed": ("INT", {"default": 0, "min": 0, "max": 2**31 - 1, "tooltip": "Seed of the training's sampling (public data only; never used for privacy noise)."}),
            "data_description": ("STRING", {"default": "public images", "multiline": True, "tooltip": "What the public images are and their licence; recorded in the pack's manifest."}),
        }}

    def train(self, model, clip_vision, vae, empty_prompt, public_folder, pack_name, steps, resolution, loss_images,
              pseudo_sets, seed, data_description):
        import comfy.model_management as mm
        import comfy.utils
        import folder_paths
        from .pipeline import TrainOptions, train_pack

        pack_root = Path(folder_paths.get_folder_paths("dp_hyperlora")[0])
        run_dir = Path(folder_paths.get_output_directory()) / "dp_hyperlora_training" / pack_name
        bar = comfy.utils.ProgressBar(steps)
        o = TrainOptions(public_folder=Path(public_folder), run_dir=run_dir, pack_dir=pack_root / pack_name,
                         pack_id=pack_name, steps=steps, resolution=resolution, loss_images=loss_images,
                         pseudo_sets=pseudo_sets, seed=seed, data_description=data_description,
                         data_license=data_description)
        result = train_pack(model, clip_vision, vae, empty_prompt, o,
                            on_step=lambda step, total, loss: bar.update_absolute(step, total),
                            check_interrupt=mm.throw_exception_if_processing_interrupted, log=log.info)
        fb = result["fixed_batch_loss"]
        text = (f"pack {pack_name} written to {result['pack']} · {result['stats']['steps']} steps · "
                f"fixed-batch loss {fb['before']['ours']:.5f} -> {fb['after']['ours']:.5f} (base {fb['after']['base']:.5f})")
        log.info(text)
        return {"ui": {"text": [text]}, "result": (result["pack"],)}


NODE_CLASS_MAPPINGS = {"DPHyperLoRA_TrainSDPack": TrainSDPack}
NODE_DISPLAY_NAME_MAPPINGS = {"DPHyperLoRA_TrainSDPack": "Train SD Pack (public images)"}

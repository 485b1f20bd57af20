"""Local check of SD pack training and use against a REAL ComfyUI 0.3.64 on the CPU (not CI; docs/packs.md).

Needs, in COMFY: models/diffusion_models/random_sd15_unet.safetensors (random_sd15_unet.py), models/clip_vision/
random_vit_h.safetensors (random_clip_vision.py h), models/vae/random_sd_vae.safetensors (test/bridge/random_sd_vae.py),
custom_nodes/dp_h12_helpers (real_comfyui_helpers.py: ZeroConditioning, LatentReport), a folder of public images
(PUBLIC, sub-folders = sets) and models/dp_private_sets/PRIVATE. Then:
    /usr/bin/python3 test/bridge/real_comfyui_sdpack_check.py http://127.0.0.1:PORT PUBLIC PRIVATE [--steps 3] [--skip-train]
        [--pack NAME]
1. Train SD Pack (the Python node) for --steps steps at 64 px into models/dp_hyperlora/random-sd15-node;
2. Load Private Images → CLIPVisionEncode → DP Embed (CLIP Vision → SD pack) → Noisy Aggregate → Hypernetwork LoRA
   onto the random UNet → one KSampler step at 64×64, and Save DP LoRA (the file is then checked with lora_check.py).
--pack NAME runs step 2 with another pack folder (e.g. a copy of the trained pack whose manifest names another base UNet:
Hypernetwork LoRA must then warn, in its text and in ComfyUI's log). The weights are random: this checks the wiring and
the seams, not quality."""
import json
import sys

from real_comfyui_check import BASE, get, run  # noqa: F401 - BASE is read from argv there

PACK = "random-sd15-node"
UNET, CV, VAE = "random_sd15_unet.safetensors", "random_vit_h.safetensors", "random_sd_vae.safetensors"


def train(public, steps):
    return {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": UNET, "weight_dtype": "default"}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": CV}},
        "3": {"class_type": "VAELoader", "inputs": {"vae_name": VAE}},
        "4": {"class_type": "ZeroConditioning", "inputs": {"width": 768}},
        "5": {"class_type": "DPHyperLoRA_TrainSDPack", "inputs": {
            "model": ["1", 0], "clip_vision": ["2", 0], "vae": ["3", 0], "empty_prompt": ["4", 0], "public_folder": public,
            "pack_name": PACK, "steps": steps, "resolution": 64, "loss_images": 1, "pseudo_sets": 3, "seed": 0,
            "data_description": "synthetic public PNGs drawn by the check (random-weight models: wiring check only)"}},
    }


def private_route(private, pack=PACK):
    return {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": UNET, "weight_dtype": "default"}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": CV}},
        "4": {"class_type": "ZeroConditioning", "inputs": {"width": 768}},
        "6": {"class_type": "DPHyperLoRA_LoadHypernetwork", "inputs": {"pack": pack}},
        "7": {"class_type": "DPHyperLoRA_LoadPrivateImages", "inputs": {"folder": private, "on_unreadable": "fail", "size": 224}},
        "8": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["7", 0], "crop": "center"}},
        "9": {"class_type": "DPHyperLoRA_EmbedClipVisionPack", "inputs": {"pack": ["6", 0], "clip_vision_output": ["8", 0], "images": ["7", 0]}},
        "10": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
            "embeddings": ["9", 0], "epsilon": 4.0, "delta": 1e-5, "relation": "add-remove", "n_public": 0, "release": 1,
            "too_few_images": "make the LoRA anyway"}},
        "11": {"class_type": "DPHyperLoRA_HypernetworkLoRA", "inputs": {
            "pack": ["6", 0], "dataset_embedding": ["10", 0], "strength_model": 1.0, "strength_clip": 1.0, "model": ["1", 0]}},
        "12": {"class_type": "DPHyperLoRA_SaveLoRA", "inputs": {"lora": ["11", 2], "filename_prefix": "sdpack_check"}},
        "13": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "14": {"class_type": "KSampler", "inputs": {
            "model": ["11", 0], "seed": 0, "steps": 1, "cfg": 1.0, "sampler_name": "euler", "scheduler": "normal",
            "positive": ["4", 0], "negative": ["4", 0], "latent_image": ["13", 0], "denoise": 1.0}},
        "15": {"class_type": "LatentReport", "inputs": {"samples": ["14", 0]}},
    }


def show(r):
    print(json.dumps({k: v for k, v in r.items() if k not in ("outputs", "messages")}, ensure_ascii=False)[:700])
    for m in r.get("messages", []):
        print("    ", m[0], json.dumps(m[1].get("nodes", m[1].get("exception_message", "")), ensure_ascii=False)[:900])
    for nid, out in r.get("outputs", {}).items():
        print("   ", nid, json.dumps(out, ensure_ascii=False)[:600])


def main():
    public, private = sys.argv[2], sys.argv[3]
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 3
    if "--skip-train" not in sys.argv:
        show(run(f"Train SD Pack, {steps} steps at 64 px", train(public, steps), timeout=3600))
    pack = sys.argv[sys.argv.index("--pack") + 1] if "--pack" in sys.argv else PACK
    show(run(f"private folder → DP Embed (CLIP Vision → SD pack {pack}) → Noisy Aggregate → Hypernetwork LoRA → KSampler 1 step",
             private_route(private, pack), timeout=1800))


if __name__ == "__main__":
    main()

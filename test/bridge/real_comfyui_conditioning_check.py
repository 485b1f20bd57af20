"""Local check of the Stable Diffusion route against a REAL ComfyUI 0.3.64 (not CI; docs/comfyui.md).

Needs, in COMFY: models/clip_vision/random-vit-h.safetensors (random_clip_vision.py h), models/diffusion_models/
random-sd15-unet.safetensors (random_sd15_unet.py), models/ipadapter/ip-adapter_sd15-random.safetensors
(test/bridge/random_ipadapter_sd15.py), custom_nodes/ComfyUI_IPAdapter_plus, custom_nodes/dp_h12_helpers
(real_comfyui_helpers.py), and input/public-set, input/private-set image folders. Then:
    /usr/bin/python3 test/bridge/real_comfyui_conditioning_check.py http://127.0.0.1:PORT
It builds a conditioning pack from the public folder, runs CLIPVisionEncode → DP Embed (CLIP Vision) → Noisy
Aggregate → DP Conditioning → unCLIPConditioning, and → IPAdapterEmbeds → one KSampler step at 64×64."""
import json
import sys

from real_comfyui_check import BASE, get, run  # noqa: F401 - BASE is read from argv there

PACK = "real-vit-h"


def encode(folder):
    return {
        "1": {"class_type": "LoadImageSetFromFolderNode", "inputs": {"folder": folder, "resize_method": "None"}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": "random-vit-h.safetensors"}},
        "3": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["1", 0], "crop": "center"}},
    }


def build_pack():
    p = encode("public-set")
    p["4"] = {"class_type": "DPHyperLoRA_BuildConditioningPack", "inputs": {
        "public_clip_vision_output": ["3", 0], "k": 8, "field": "image_embeds", "name": PACK, "whose": "random test images (public)"}}
    return p


def private_route(release=1):
    p = encode("private-set")
    p.update({
        "4": {"class_type": "DPHyperLoRA_EmbedClipVision", "inputs": {"pack": PACK, "clip_vision_output": ["3", 0], "images": ["1", 0]}},
        "5": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
            "embeddings": ["4", 0], "epsilon": 4.0, "delta": 1e-5, "relation": "add-remove", "n_public": 0, "release": release,
            "too_few_images": "make the LoRA anyway"}},  # 4 images: the stop after the count is checked by the stand-in tests
        "6": {"class_type": "DPHyperLoRA_Conditioning", "inputs": {"pack": PACK, "dp_embedding": ["5", 0]}},
        "7": {"class_type": "ZeroConditioning", "inputs": {"width": 768}},
    })
    return p


def unclip():
    p = private_route()
    p["8"] = {"class_type": "unCLIPConditioning", "inputs": {"conditioning": ["7", 0], "clip_vision_output": ["6", 0], "strength": 1.0, "noise_augmentation": 0.0}}
    p["9"] = {"class_type": "ConditioningReport", "inputs": {"conditioning": ["8", 0]}}
    return p


def ipadapter():
    p = private_route()
    p.update({
        "10": {"class_type": "UNETLoader", "inputs": {"unet_name": "random-sd15-unet.safetensors", "weight_dtype": "default"}},
        "11": {"class_type": "IPAdapterModelLoader", "inputs": {"ipadapter_file": "ip-adapter_sd15-random.safetensors"}},
        "12": {"class_type": "IPAdapterEmbeds", "inputs": {
            "model": ["10", 0], "ipadapter": ["11", 0], "pos_embed": ["6", 1], "neg_embed": ["6", 2], "weight": 1.0,
            "weight_type": "linear", "start_at": 0.0, "end_at": 1.0, "embeds_scaling": "V only"}},
        "13": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "14": {"class_type": "KSampler", "inputs": {
            "model": ["12", 0], "seed": 0, "steps": 1, "cfg": 1.0, "sampler_name": "euler", "scheduler": "normal",
            "positive": ["7", 0], "negative": ["7", 0], "latent_image": ["13", 0], "denoise": 1.0}},
        "15": {"class_type": "LatentReport", "inputs": {"samples": ["14", 0]}},
    })
    return p


def main():
    runs = [
        run("build a conditioning pack from public-set", build_pack(), timeout=900),
        run("DP route → unCLIPConditioning", unclip(), timeout=900),
        run("DP route → IPAdapterEmbeds → KSampler 1 step 64×64", ipadapter(), timeout=900),
    ]
    for r in runs:
        print(json.dumps({k: v for k, v in r.items() if k not in ("outputs", "messages")}, ensure_ascii=False)[:700])
        for m in r.get("messages", []):
            print("    ", m[0], json.dumps(m[1].get("nodes", m[1].get("exception_message", "")), ensure_ascii=False)[:600])
        for nid, out in r.get("outputs", {}).items():
            print("   ", nid, json.dumps(out, ensure_ascii=False)[:600])


if __name__ == "__main__":
    main()

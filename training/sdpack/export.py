"""Export a trained SD pack: φ head and ρ to ONNX (opset 17) and manifest.json in the format src/pack reads.

``export_sdpack(trained, pack_dir, *, pack_id, version, target, clip_vision, base, training, licenses)`` writes
into ``pack_dir`` (via a sibling temporary folder, renamed into place):

| file | input | output |
|---|---|---|
| encoder.onnx | clip_embeds [N, D] (CLIP-vision image_embeds) | embeddings [N, d], unit norm |
| hypernet.onnx | embedding [1, d] | ``<key>.lora_down.weight`` [r, in], ``<key>.lora_up.weight`` [out, r] per module |

The manifest's ``clipVision`` names the CLIP-vision family and dimension the head expects (the worker refuses
another, naming both); ``encoder`` keeps the image spec ComfyUI's CLIPVisionEncode applies (224×224 RGB, CLIP's
normalisation), for the record; ``base`` identifies the checkpoint (SHA-256 of its UNet weights); ``training`` says
how the pack was trained (data description, steps, ε range, δ, C). Every file has its SHA-256 and size.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from ..export import _HyperExport, _export, _sha256
from .errors import SdPackError
from .layout import Module

# ComfyUI's CLIPVisionEncode preprocessing (comfy/clip_vision.py clip_preprocess): 224 px, CLIP's mean and std.
CLIP_IMAGE_SPEC = {"height": 224, "width": 224, "channels": 3,
                   "normalise": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}}
ENCODER_MAX_BATCH = 256
ALLOWED_TARGETS = ("sd15", "sdxl")


def export_sdpack(trained: dict, layout: List[Module], pack_dir: Path, *, pack_id: str, version: str, target: str,
                  clip_vision: Dict[str, object], base: Dict[str, object], training: Dict[str, object],
                  licenses: Dict[str, str], description: Optional[str] = None) -> dict:
    """Write encoder.onnx, hypernet.onnx and manifest.json; return the manifest."""
    if target not in ALLOWED_TARGETS:
        raise SdPackError(f"target {target!r} is not an SD pack target; use sd15 or sdxl")
    head, hyper, cfg = trained["head"], trained["hyper"], trained["config"]
    if [m.key for m in layout] != trained["layout_keys"]:
        raise SdPackError(f"the trained ρ does not write the {target} layout; export with the layout it was trained on")
    if int(clip_vision["dim"]) != head.config["clip_dim"]:
        raise SdPackError(f"clip_vision dim {clip_vision['dim']} differs from the head's input {head.config['clip_dim']}")
    pack_dir = Path(pack_dir)
    tmp = pack_dir.with_name(pack_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    d = head.config["dim"]
    x = torch.from_numpy(np.random.default_rng(5).normal(0, 1, (3, head.config["clip_dim"])).astype(np.float32))
    _export(head, (x,), tmp / "encoder.onnx", ["clip_embeds"], ["embeddings"],
            {"clip_embeds": {0: "N"}, "embeddings": {0: "N"}})
    emb = torch.from_numpy(np.random.default_rng(7).normal(0, 0.25, (1, d)).astype(np.float32))
    _export(_HyperExport(hyper), (emb,), tmp / "hypernet.onnx", ["embedding"], [n for n, _ in hyper.shapes], {})
    stats = trained.get("stats", {})
    noise = stats.get("trained_noise")
    if noise is None:
        raise SdPackError("the run has no trained noise range (export a finished run's sdpack.pt)")
    if noise["max"] <= noise["min"]:
        raise SdPackError("this run never trained with release noise (p_no_noise = 1), so its ρ is not fit for DP "
                          "releases; train with p_no_noise < 1")
    manifest = {
        "format": "dp-hyperlora-pack", "formatVersion": 1, "id": pack_id, "version": version, "target": target,
        "description": description or (f"DP-DeepSets pack for {target}: a φ head on {clip_vision['family']} "
                                       f"image_embeds and a hypernetwork meta-trained on public images."),
        "licenses": licenses,
        "encoder": {"file": "encoder.onnx", "inputName": "clip_embeds", "outputName": "embeddings",
                    **CLIP_IMAGE_SPEC, "maxBatch": ENCODER_MAX_BATCH},
        "clipVision": {"family": str(clip_vision["family"]), "dim": int(clip_vision["dim"]), "field": "image_embeds"},
        "embeddingDim": d,
        "dp": {"clipNorm": cfg["clip_norm"], "aggregate": "mean",
               "trainedNoise": {"min": round(noise["min"], 6), "max": round(noise["max"], 6)}},
        "hypernet": {"file": "hypernet.onnx", "inputName": "embedding"},
        "lora": {"layout": target, "rank": cfg["rank"], "alpha": cfg["alpha"],
                 "modules": [{"key": m.key, "in": m.fan_in, "out": m.out} for m in layout]},
        "base": base,
        "training": {**training, "steps": stats.get("steps"), "epsilon": {"min": cfg["eps_min"], "max": cfg["eps_max"]},
                     "delta": cfg["delta"], "noiselessShare": cfg["p_no_noise"], "minSnrGamma": cfg["min_snr_gamma"],
                     "n": {"min": cfg["n_min"], "max": cfg["n_max"]}, "components": cfg["components"]},
    }
    manifest["files"] = {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in sorted(tmp.glob("*.onnx"))}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    tmp.rename(pack_dir)
    return manifest


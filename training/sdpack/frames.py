"""φ's input during training is made exactly as on the private route.

The private route: Load Private Images (the worker: src/pack decodeImage, then src/conditioning squareRgb to
``size`` × ``size``, uint8) → the bridge's IMAGE conversion (uint8 / 255 → float32) → CLIPVisionEncode (crop
"center") → comfy.clip_vision.clip_preprocess (resize only when the frame is not already the model's image size,
then CLIP's normalisation) → the model. The trainer makes the public images' CLIP-vision input with the same
functions: the frames come from the product's own code (``dp-hyperlora pack clip-frames``, run with Node.js, which
the plugin needs anyway), the IMAGE from the same conversion, and the encoder_for call is ``encode_image(image,
crop=True)``, CLIPVisionEncode's "center". So the CLIP-vision image_embeds that φ's head is trained on are those the
private route produces for the same image file (test/training/test_sdpack_frames.py). The VAE latents are made from
the image at the training resolution (sets.load_images), a separate path.

- ``PRIVATE_ROUTE_SIZE``: 224, Load Private Images' default size (keep that default on the private route).
- ``clip_frames(paths, size) -> uint8 [N, size, size, 3]``: the product's frames (raises SdPackError naming what to
  install when Node.js or the built CLI is missing).
- ``image_of(frames) -> float32 [N, size, size, 3]``: the bridge's IMAGE conversion (comfy_ts_bridge.converters.
  decode_image: uint8 / 255).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from .errors import SdPackError

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "bin" / "dp-hyperlora.js"
BUILT = ROOT / "dist" / "src" / "cli" / "pack-clip-frames.js"
# Load Private Images' default size (nodes/load-private-images.ts), the frame the private route's CLIPVisionEncode gets.
PRIVATE_ROUTE_SIZE = 224


def node_binary() -> str:
    """The Node.js the plugin's worker uses: $DP_HYPERLORA_NODE, else ``node`` on the PATH."""
    node = os.environ.get("DP_HYPERLORA_NODE") or shutil.which("node")
    if not node:
        raise SdPackError("the trainer makes its CLIP-vision frames with the plugin's own image code, which runs in "
                          "Node.js: install Node.js 20+ (or set DP_HYPERLORA_NODE to its path)")
    return node


def clip_frames(paths: Sequence[Path], size: int, node: Optional[str] = None) -> torch.Tensor:
    """uint8 [N, size, size, 3]: each image decoded and squared exactly as Load Private Images does it."""
    if not BUILT.is_file():
        raise SdPackError(f"{BUILT} is missing: build the plugin (npm ci, or npm run build in {ROOT})")
    with tempfile.TemporaryDirectory(prefix="sdpack-frames-") as tmp:
        listing, out = Path(tmp, "list.txt"), Path(tmp, "frames.raw")
        listing.write_text("".join(f"{Path(p).resolve()}\n" for p in paths))
        r = subprocess.run([node or node_binary(), str(CLI), "pack", "clip-frames", "--list", str(listing),
                            "--size", str(size), "--out", str(out)], capture_output=True, text=True, timeout=3600)
        if r.returncode != 0:
            raise SdPackError(f"making the CLIP-vision frames failed: {r.stderr.strip() or r.stdout.strip()}")
        data = np.fromfile(out, dtype=np.uint8)
    if data.size != len(paths) * size * size * 3:
        raise SdPackError(f"the CLIP-vision frames have {data.size} bytes, expected {len(paths)}×{size}×{size}×3")
    return torch.from_numpy(data.reshape(len(paths), size, size, 3))


def image_of(frames: torch.Tensor) -> torch.Tensor:
    """ComfyUI IMAGE float32 [N, H, W, 3] in [0, 1] from uint8 frames, as the bridge converts the worker's IMAGE."""
    return frames.float().div_(255.0)

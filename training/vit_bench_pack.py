"""A benchmark pack with a ViT-B/16-sized encoder at 224 px (randomly initialised; for timing only, never committed).

    /usr/bin/python3 -m training.vit_bench_pack --out DIR [--seed 0]

Writes DIR/encoder.onnx (ViT-B/16: 16x16 patches, 12 layers, width 768, 12 heads, MLP 3072, class token, then
a linear head to the reference pack's embedding dimension), copies the reference pack's other files
(hypernet, UNet, features), and writes DIR/manifest.json: the reference manifest with the encoder spec changed to 224x224 RGB
(ImageNet normalisation) and every file's sha256/bytes refreshed. The weights are random (seeded), so the LoRA
it yields means nothing; what it gives is the cost of a real-sized encoder inside the whole personalisation
(bench/time-to-lora.ts --pack DIR). Output belongs outside the repository (bench/out/ is ignored).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import torch
import torch.nn as nn

from .common import REPO_ROOT, log, seed_all, setup_torch

IMAGE = 224
PATCH = 16
WIDTH = 768
DEPTH = 12
HEADS = 12
MLP = 3072
OPSET = 17


class Block(nn.Module):
    """One pre-norm transformer block (attention written out: torch's fused eval path does not export)."""

    def __init__(self) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.norm2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, MLP), nn.GELU(), nn.Linear(MLP, WIDTH))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-2, -1) * (WIDTH // HEADS) ** -0.5, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, WIDTH))
        return x + self.mlp(self.norm2(x))


class VitB16(nn.Module):
    """ViT-B/16 (pre-norm encoder, class token, learned position embeddings) with a linear head to `dim`."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, WIDTH, PATCH, PATCH)
        tokens = (IMAGE // PATCH) ** 2 + 1
        self.cls = nn.Parameter(torch.randn(1, 1, WIDTH) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, tokens, WIDTH) * 0.02)
        self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_vit_pack(out: Path, seed: int = 0) -> dict:
    """Exports the encoder and writes the pack into `out`; returns the manifest."""
    setup_torch(2)
    seed_all(seed)
    ref = REPO_ROOT / "models" / "reference"
    manifest = json.loads((ref / "manifest.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    model = VitB16(int(manifest["embeddingDim"])).eval()
    log(f"ViT-B/16 parameters: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M")
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(2, 3, IMAGE, IMAGE),), str(out / "encoder.onnx"), input_names=["images"],
                          output_names=["embeddings"], opset_version=OPSET,
                          dynamic_axes={"images": {0: "n"}, "embeddings": {0: "n"}}, do_constant_folding=True)
    for name in manifest["files"]:
        if name != "encoder.onnx":
            shutil.copyfile(ref / name, out / name)
    manifest["id"] = "bench-vit-b16"
    manifest["description"] = "Benchmark only: a randomly initialised ViT-B/16 encoder at 224 px with the reference hypernetwork."
    manifest["encoder"].update({"height": IMAGE, "width": IMAGE, "channels": 3, "maxBatch": 16,
                                "normalise": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}})
    manifest["files"] = {name: {"sha256": _sha256(out / name), "bytes": (out / name).stat().st_size} for name in manifest["files"]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    write_vit_pack(a.out, a.seed)
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()

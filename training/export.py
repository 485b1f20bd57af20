"""Stage 3: export the reference pack (docs/pack-format.md, formatVersion 1) and its parity fixtures.

API:
- ``export_pack(run_dir, pack_dir, fixtures_dir=None, version=PACK_VERSION) -> dict`` (the manifest): writes
  encoder.onnx, hypernet.onnx, unet.onnx, features.onnx (only when run_dir/features.pt exists) and
  manifest.json (sha256 + bytes of every file) into pack_dir; with fixtures_dir, also writes one JSON per model
  with fixed inputs and the PyTorch outputs (test/pack/parity.int.test.ts replays them in onnxruntime-node).
- ``write_private_set(out_dir, seed=PRIVATE_SET_SEED, n=128) -> dict``: the demo's private sample set: n
  TEST-split images of one mixture pi ~ Dirichlet(0.3) drawn with the written-down seed, as 000.png ...,
  plus ``private-set.mixture.json`` beside the folder (seed, concentration, pi, class counts), outside it so the
  folder holds images only and the demo warns about nothing. No per-file labels.
- ``stage_examples(ctx)``: the run_all stage (ctx.out/demo-data/private-set for --smoke, else
  demo-data/private-set).
- ``stage_export(ctx) -> dict``: the run_all stage (ctx.out/pack + ctx.out/fixtures for --smoke, else
  models/reference + test/fixtures/reference-parity).

All models: opset 17, float32, dynamic batch axes (the hypernet takes exactly [1, d]).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn

from .common import REPO_ROOT, RunContext, log, setup_torch
from .data import CLASSES, load_fmnist, to_tensor
from .diffusion import DEFAULT_SCHEDULE, LORA_GUIDANCE
from .hyper import load_pack_modules

OPSET = 17
ENCODER_MAX_BATCH = 64
FIXTURE_ATOL = 2e-4
FIXTURE_RTOL = 1e-3


class _HyperExport(nn.Module):
    """[1, d] -> one output per LoRA tensor, shaped [r, in] / [out, r] (the batch axis of 1 dropped)."""

    def __init__(self, hyper) -> None:
        super().__init__()
        self.hyper = hyper

    def forward(self, embedding: torch.Tensor):
        flat = self.hyper(embedding)
        return tuple(flat[name][0] for name, _ in self.hyper.shapes)


class _UnetExport(nn.Module):
    """(x, t, lora_scale, *factors in lora_modules order, down then up) -> eps."""

    def __init__(self, unet) -> None:
        super().__init__()
        self.unet = unet
        self.keys = [k for k, _, _ in unet.lora_modules]

    def forward(self, x, t, lora_scale, *factors):
        lora = {k: (factors[2 * i], factors[2 * i + 1]) for i, k in enumerate(self.keys)}
        return self.unet(x, t, lora=lora, lora_scale=lora_scale)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _export(model: nn.Module, args: tuple, path: Path, inputs: List[str], outputs: List[str],
            dynamic: Dict[str, Dict[int, str]]) -> None:
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, str(path), input_names=inputs, output_names=outputs, opset_version=OPSET,
                          dynamic_axes=dynamic, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(str(path)))


def _tensor_json(t: torch.Tensor) -> dict:
    a = t.detach().float().numpy()
    return {"dims": list(a.shape), "data": [float(f"{v:.7g}") for v in a.reshape(-1).tolist()]}


def _fixture_images(count: int) -> torch.Tensor:
    # Public TRAIN-split images (fixed indices) as the fixed inputs.
    images, _ = load_fmnist("train")
    return to_tensor(images[[0, 1, 2, 3, 4, 5, 6, 7][:count]])


# 2.0.0: the LoRA layout gained the five ResBlock time_emb_proj targets and rho became a component mixture;
# LoRAs made with 1.x packs do not fit 2.x UNets.
# 3.1.0: pack 3.0.0's base, format and layout; phi and rho meta-trained for a second part (DEEPSETS_CONTINUE_CONFIG).
PACK_VERSION = "3.1.0"


def export_pack(run_dir: Path, pack_dir: Path, fixtures_dir: Path | None = None, version: str = PACK_VERSION) -> dict:
    """Export every model of the run in run_dir as a pack in pack_dir (replacing its ONNX files)."""
    run_dir, pack_dir = Path(run_dir), Path(pack_dir)
    mods = load_pack_modules(run_dir)
    enc, hyper, unet, cfg = mods["encoder"], mods["hyper"], mods["unet"], mods["config"]
    tmp = pack_dir.with_name(pack_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    d = enc.config["dim"]
    fixtures: Dict[str, dict] = {}
    x_img = _fixture_images(3)

    _export(enc, (x_img,), tmp / "encoder.onnx", ["images"], ["embeddings"],
            {"images": {0: "N"}, "embeddings": {0: "N"}})
    with torch.no_grad():
        fixtures["encoder"] = {"inputs": {"images": _tensor_json(x_img)},
                               "outputs": {"embeddings": _tensor_json(enc(x_img))}}

    hx = _HyperExport(hyper)
    emb = torch.from_numpy(np.random.default_rng(7).normal(0, 0.25, (1, d)).astype(np.float32))
    names = [name for name, _ in hyper.shapes]
    _export(hx, (emb,), tmp / "hypernet.onnx", ["embedding"], names, {})
    with torch.no_grad():
        fixtures["hypernet"] = {"inputs": {"embedding": _tensor_json(emb)},
                                "outputs": {n: _tensor_json(v) for n, v in zip(names, hx(emb))}}

    ux = _UnetExport(unet)
    g = torch.Generator().manual_seed(11)
    xt = torch.randn((2, 1, 28, 28), generator=g)
    t = torch.tensor([10.0, 700.0])
    scale = torch.tensor([0.75])
    # Random non-zero factors so the fixture exercises the LoRA path (a fresh hypernet outputs up = 0).
    factors = [torch.randn(shape, generator=g) * 0.1 for _, shape in hyper.shapes]
    _export(ux, (xt, t, scale, *factors), tmp / "unet.onnx", ["x", "t", "lora_scale", *names], ["eps"],
            {"x": {0: "B"}, "t": {0: "B"}, "eps": {0: "B"}})
    with torch.no_grad():
        fixtures["unet"] = {"inputs": {"x": _tensor_json(xt), "t": _tensor_json(t), "lora_scale": _tensor_json(scale),
                                       **{n: _tensor_json(f) for n, f in zip(names, factors)}},
                            "outputs": {"eps": _tensor_json(ux(xt, t, scale, *factors))}}

    features_manifest = None
    if (run_dir / "features.pt").exists():
        from .features import load_features
        fnet = load_features(run_dir / "features.pt")
        _export(fnet, (x_img,), tmp / "features.onnx", ["images"], ["features", "logits"],
                {"images": {0: "N"}, "features": {0: "N"}, "logits": {0: "N"}})
        with torch.no_grad():
            feats, logits = fnet(x_img)
        fixtures["features"] = {"inputs": {"images": _tensor_json(x_img)},
                                "outputs": {"features": _tensor_json(feats), "logits": _tensor_json(logits)}}
        features_manifest = {"file": "features.onnx", "inputName": "images", "featuresName": "features",
                             "logitsName": "logits", "classes": CLASSES}
    else:
        log("export: no features.pt in the run folder; the pack has no features.onnx")

    stats = torch.load(run_dir / "deepsets.pt")["stats"] if "stats" in torch.load(run_dir / "deepsets.pt") else {}
    noise = stats.get("trained_noise", {"min": 0.0, "max": 0.25})
    manifest = {
        "format": "dp-hyperlora-pack", "formatVersion": 1, "id": "reference-fmnist", "version": version,
        "target": "reference-fmnist",
        "description": ("Reference pack: a tiny pixel-space diffusion model trained on the Fashion-MNIST train "
                        "split, with a DP-DeepSets encoder and hypernetwork meta-trained on public train-split "
                        "datasets (see docs/training.md)."),
        "licenses": {"code": "MIT", "weights": "MIT", "data": "Fashion-MNIST (MIT)"},
        "encoder": {"file": "encoder.onnx", "inputName": "images", "outputName": "embeddings", "height": 28,
                    "width": 28, "channels": 1, "normalise": {"mean": [0.5], "std": [0.5]},
                    "maxBatch": ENCODER_MAX_BATCH},
        "embeddingDim": d,
        "dp": {"clipNorm": cfg["clip_norm"], "aggregate": "mean",
               "trainedNoise": {"min": round(noise["min"], 6), "max": round(noise["max"], 6)}},
        "hypernet": {"file": "hypernet.onnx", "inputName": "embedding"},
        "lora": {"layout": "reference", "rank": cfg["rank"], "alpha": cfg["alpha"],
                 "modules": [{"key": k, "in": i, "out": o} for k, i, o in unet.lora_modules]},
        "sampler": {"file": "unet.onnx", "timesteps": DEFAULT_SCHEDULE.T, "schedule": DEFAULT_SCHEDULE.manifest(),
                    "defaultSteps": 50, "pixelRange": [-1, 1], "loraGuidance": LORA_GUIDANCE},
    }
    if features_manifest:
        manifest["features"] = features_manifest
    manifest["files"] = {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size}
                         for p in sorted(tmp.glob("*.onnx"))}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    tmp.rename(pack_dir)
    if fixtures_dir is not None:
        fixtures_dir = Path(fixtures_dir)
        fixtures_dir.mkdir(parents=True, exist_ok=True)
        for old in fixtures_dir.glob("*.json"):
            old.unlink()
        for model, fx in fixtures.items():
            fx = {"model": f"{model}.onnx", "sha256": manifest["files"][f"{model}.onnx"]["sha256"],
                  "atol": FIXTURE_ATOL, "rtol": FIXTURE_RTOL, **fx}
            (fixtures_dir / f"{model}.json").write_text(json.dumps(fx, separators=(",", ":")) + "\n")
    total = sum(f["bytes"] for f in manifest["files"].values())
    log(f"export: {pack_dir} ({total / 1e6:.2f} MB in ONNX files)")
    return manifest


def stage_export(ctx: RunContext) -> dict:
    """run_all stage: smoke runs export under ctx.out; the full run writes models/reference."""
    setup_torch()
    if ctx.smoke:
        pack, fx = ctx.out / "pack", ctx.out / "fixtures"
    else:
        pack, fx = REPO_ROOT / "models" / "reference", REPO_ROOT / "test" / "fixtures" / "reference-parity"
    m = export_pack(ctx.out, pack, fx)
    return {"pack": str(pack), "bytes": {k: v["bytes"] for k, v in m["files"].items()}}


PRIVATE_SET_SEED = 20261128


def write_private_set(out_dir: Path, seed: int = PRIVATE_SET_SEED, n: int = 128) -> dict:
    """Write n test-split PNGs of one Dirichlet(0.3) mixture (seed fixed and recorded) into out_dir, and
    ``<out_dir>.mixture.json`` beside it (outside the folder: the folder is an image set and holds images only)."""
    from PIL import Image
    from .data import sample_dataset, sample_mixture
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    images, labels = load_fmnist("test")
    rng = np.random.default_rng(seed)
    pi = sample_mixture(rng, 0.3)
    idx = sample_dataset(labels, pi, n, rng)
    for i, j in enumerate(idx):
        Image.fromarray(images[j], mode="L").save(out_dir / f"{i:03d}.png", optimize=True)
    counts = np.bincount(labels[idx], minlength=10)
    info = {"split": "test", "n": n, "seed": seed, "concentration": 0.3,
            "how": "rng = numpy.random.default_rng(seed); pi = training.data.sample_mixture(rng, 0.3); "
                   "indices = training.data.sample_dataset(test_labels, pi, n, rng)",
            "classes": CLASSES, "pi": [round(float(p), 6) for p in pi], "classCounts": [int(c) for c in counts]}
    out_dir.with_name(out_dir.name + ".mixture.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def stage_examples(ctx: RunContext) -> dict:
    """run_all stage: the demo's private sample set."""
    out = ctx.out / "demo-data" / "private-set" if ctx.smoke else REPO_ROOT / "demo-data" / "private-set"
    info = write_private_set(out)
    return {"dir": str(out), "classCounts": info["classCounts"]}


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="training/runs/full")
    ap.add_argument("--pack", default=str(REPO_ROOT / "models" / "reference"))
    ap.add_argument("--fixtures", default=str(REPO_ROOT / "test" / "fixtures" / "reference-parity"))
    a = ap.parse_args()
    setup_torch()
    export_pack(Path(a.run), Path(a.pack), Path(a.fixtures))

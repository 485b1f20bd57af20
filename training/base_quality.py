"""Reference world 3.0, step 2 (issue 13): is the base model worth personalising?

Draws ``--samples`` DDIM samples (50 steps, the issue's FID protocol) from a base checkpoint and reports:
- FID against the WHOLE test split (10,000 images), with the floor at the same sample size (as many train-split
  images, drawn at random, against the test split): the metric's resolution, not zero;
- the share of samples the feature classifier labels with confidence (max softmax) >= 0.8, next to the same
  share for real test images;
- the predicted class histogram of the samples.
Appends a JSON line to ``<run>/probe/base_quality.jsonl`` and writes a 10x10 sample grid PNG next to it.

Usage: ``nice -n 19 /usr/bin/python3 -m training.base_quality --run training/runs/full [--base PATH]``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import List

import numpy as np
import torch
from PIL import Image

from .ceiling_probe import load_denoiser
from .common import log, setup_torch
from .data import load_fmnist, to_tensor
from .diffusion import ddim_sample
from .features import FEATURES_FILE, embed, load_features
from .fid import class_histogram, fid

CONFIDENT = 0.8


def save_grid(images: torch.Tensor, path: Path, cols: int = 10) -> None:
    """[N,1,28,28] in [-1,1] -> one greyscale PNG grid (first cols x cols images)."""
    imgs = ((images[:cols * cols, 0].clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    rows = [np.concatenate(list(imgs[r * cols:(r + 1) * cols]), axis=1) for r in range(len(imgs) // cols)]
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.base_quality", description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, default=Path("training/runs/full"))
    ap.add_argument("--base", type=Path, default=None, help="denoiser checkpoint (default <run>/base.pt)")
    ap.add_argument("--features", type=Path, default=None, help="default <run>/features.pt")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--ddim", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tag", default="")
    a = ap.parse_args(argv)
    setup_torch(a.threads)
    base_path = a.base or a.run / "base.pt"
    model = load_denoiser(base_path)
    fnet = load_features(a.features or a.run / FEATURES_FILE)
    t0 = time.time()
    imgs = ddim_sample(model, a.samples, a.ddim, generator=torch.Generator().manual_seed(4242))
    sample_s = time.time() - t0
    test_x, _ = load_fmnist("test")
    train_x, _ = load_fmnist("train")
    test_f, test_p = embed(fnet, to_tensor(test_x))
    pick = np.random.default_rng(7).choice(len(train_x), a.samples, replace=False)
    floor_f, _ = embed(fnet, to_tensor(train_x[pick]))
    gen_f, gen_p = embed(fnet, imgs)
    res = {"tag": a.tag, "base": str(base_path), "samples": a.samples, "ddim": a.ddim,
           "fid_vs_test": fid(gen_f, test_f), "fid_floor_same_n": fid(floor_f, test_f),
           "confident_share": float((gen_p.max(1) >= CONFIDENT).mean()),
           "confident_share_real_test": float((test_p.max(1) >= CONFIDENT).mean()),
           "histogram": class_histogram(gen_p).round(4).tolist(), "sample_seconds": sample_s}
    out = a.run / "probe"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "base_quality.jsonl").open("a") as f:
        f.write(json.dumps(res) + "\n")
    save_grid(imgs, out / f"samples_{a.tag or base_path.stem}.png")
    log(f"base quality {base_path}: FID vs test {res['fid_vs_test']:.2f} (floor {res['fid_floor_same_n']:.2f}), "
        f"confident {res['confident_share']:.3f} (real {res['confident_share_real_test']:.3f}), "
        f"{a.samples} samples x {a.ddim} DDIM steps in {sample_s:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

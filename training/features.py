"""FID feature network: a small Fashion-MNIST classifier trained on the TRAIN split only.

API:
- ``FeatureNet``: ``forward(x [N,1,28,28] in [-1,1]) -> (features [N,FEATURE_DIM], logits [N,10])``.
  The features are the dense pre-activation of the penultimate layer (well conditioned covariances for the
  Fréchet distance); the logits give the predicted class histogram for the KL metric.
- ``train_features(train_idx, val_idx, epochs, seed, progress=True) -> (FeatureNet, val_accuracy)``.
- ``save_features(net, path, meta)`` / ``load_features(path) -> FeatureNet`` (eval mode).
- ``embed(net, x, batch=1000) -> (features float64 ndarray, probs float64 ndarray)``.
- ``stage_features(ctx)``: the run_all stage; writes ``ctx.out / 'features.pt'``.

Why a home-made classifier and not Inception: the reference world must run on a CPU without downloads, and
the issue asks for features from a classifier trained on the train split (private sets come from the test
split, so the classifier never sees them).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .common import Progress, log, seed_all, setup_torch
from .data import load_fmnist, public_split, to_tensor

FEATURE_DIM = 64
FEATURES_FILE = "features.pt"


class FeatureNet(nn.Module):
    """Two conv blocks, a 64-d feature layer, a 10-way head."""

    def __init__(self, width: int = 32, feature_dim: int = FEATURE_DIM) -> None:
        super().__init__()
        self.width = width
        self.feature_dim = feature_dim
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc = nn.Linear(2 * width * 7 * 7, feature_dim)
        self.head = nn.Linear(feature_dim, 10)
        self.drop = nn.Dropout(0.3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        feats = self.fc(h.flatten(1))
        logits = self.head(self.drop(F.relu(feats)))
        return feats, logits


def _accuracy(net: FeatureNet, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += int((net(x[i:i + 1000])[1].argmax(1) == y[i:i + 1000]).sum())
    return correct / max(1, len(x))


def train_features(train_idx: np.ndarray, val_idx: np.ndarray, epochs: int = 2, seed: int = 0,
                   batch: int = 128, lr: float = 2e-3, progress: bool = True) -> tuple[FeatureNet, float]:
    """Train the classifier on TRAIN-split images ``train_idx``; report accuracy on TRAIN-split ``val_idx``."""
    images, labels = load_fmnist("train")
    gen = seed_all(seed)
    net = FeatureNet()
    x = to_tensor(images[train_idx])
    y = torch.from_numpy(labels[train_idx])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    bar = Progress(steps, "features") if progress else None
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            sel = perm[i:i + batch]
            # Light augmentation (random horizontal flip) keeps the features from keying on orientation only.
            xb = x[sel]
            flip = torch.rand(len(sel), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            loss = F.cross_entropy(net(xb)[1], y[sel])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if bar:
                bar.update(1, loss=float(loss))
    if bar:
        bar.close()
    acc = _accuracy(net, to_tensor(images[val_idx]), torch.from_numpy(labels[val_idx]))
    net.eval()
    return net, acc


def save_features(net: FeatureNet, path: Path, meta: dict[str, Any]) -> None:
    """Save the state dict with its constructor arguments and training metadata."""
    torch.save({"state": net.state_dict(), "width": net.width, "feature_dim": net.feature_dim, "meta": meta}, path)


def load_features(path: Path) -> FeatureNet:
    """Load a FeatureNet saved by ``save_features`` (eval mode, no grad needed)."""
    blob = torch.load(path, map_location="cpu")
    net = FeatureNet(width=blob["width"], feature_dim=blob["feature_dim"])
    net.load_state_dict(blob["state"])
    net.eval().requires_grad_(False)
    return net


def embed(net: FeatureNet, x: torch.Tensor, batch: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Features (float64) and softmax class probabilities (float64) of images in [-1,1]."""
    feats, probs = [], []
    net.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            f, logits = net(x[i:i + batch].float())
            feats.append(f.double().numpy())
            probs.append(torch.softmax(logits.double(), dim=1).numpy())
    if not feats:
        return np.zeros((0, net.feature_dim)), np.zeros((0, 10))
    return np.concatenate(feats), np.concatenate(probs)


def stage_features(ctx: Any) -> dict[str, Any]:
    """run_all stage: train the FID classifier on the train split; write ``ctx.out/features.pt``."""
    setup_torch(2)
    smoke = bool(getattr(ctx, "smoke", False))
    seed = int(getattr(ctx, "seed", 0))
    out = Path(getattr(ctx, "out"))
    out.mkdir(parents=True, exist_ok=True)
    train_idx, val_idx = public_split(seed)
    if smoke:
        train_idx, val_idx = train_idx[:2000], val_idx[:500]
    t0 = time.time()
    net, acc = train_features(train_idx, val_idx, epochs=1 if smoke else 3, seed=seed)
    seconds = time.time() - t0
    meta = {"val_accuracy": acc, "train_images": int(len(train_idx)), "seconds": seconds, "smoke": smoke,
            "split": "train (public_split train part); accuracy on public_split val part"}
    path = out / FEATURES_FILE
    save_features(net, path, meta)
    log(f"features: val accuracy {acc:.4f} in {seconds:.0f}s -> {path}")
    return {"path": str(path), **meta}

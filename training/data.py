"""Fashion-MNIST loading and dataset sampling (public/private splits, Dirichlet class mixtures).

API:
- ``load_fmnist(split: 'train'|'test') -> (images uint8 [N,28,28], labels int64 [N])``
- ``public_split(seed) -> (train_idx, val_idx)`` over the TRAIN split (val = public validation for tuning).
- ``sample_mixture(rng, concentration=0.3) -> pi [10]`` (Dirichlet with small concentration).
- ``sample_dataset(labels, pi, n, rng, pool_idx=None) -> indices`` (class counts ~ Multinomial(n, pi),
  images drawn without replacement within each class from ``pool_idx``).
- ``to_tensor(images_uint8) -> float32 [N,1,28,28] in [-1,1]`` (x = (p/255 - 0.5)/0.5, the pack's normalise).
- ``CLASSES``: the 10 class names.

Train split only for everything that is trained; private sets come only from the test split.
"""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
VAL_SIZE = 5000


def _read_idx(path: Path) -> np.ndarray:
    # IDX format: magic (2 zero bytes, dtype code, ndim), then big-endian int32 dims, then raw data.
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(tuple(int(d) for d in dims))


@lru_cache(maxsize=2)
def load_fmnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 [N,28,28], labels int64 [N]) of the 'train' (60k) or 'test' (10k) split."""
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images = _read_idx(DATA_DIR / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(DATA_DIR / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def public_split(seed: int = 0, val_size: int = VAL_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Split the TRAIN split's indices into (train_idx, val_idx); val is the public validation pool."""
    n = len(load_fmnist("train")[1])
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[val_size:]), np.sort(perm[:val_size])


def sample_mixture(rng: np.random.Generator, concentration: float = 0.3) -> np.ndarray:
    """Draw a class mixture pi ~ Dirichlet(concentration * 1_10); small concentration => near single-class."""
    pi = rng.dirichlet(np.full(10, concentration))
    # Guard against exact zeros/underflow so that pi is a proper distribution for KL computations.
    pi = np.maximum(pi, 0.0)
    return pi / pi.sum()


def sample_dataset(labels: np.ndarray, pi: np.ndarray, n: int, rng: np.random.Generator,
                   pool_idx: np.ndarray | None = None) -> np.ndarray:
    """Indices of n images: class counts ~ Multinomial(n, pi), then images without replacement per class.

    If a class has fewer pool images than requested, it is sampled with replacement (never happens for
    the sizes used here: each class has >= 500 images in every pool).
    """
    pool = np.arange(len(labels)) if pool_idx is None else np.asarray(pool_idx)
    counts = rng.multinomial(n, pi)
    out = []
    pool_labels = labels[pool]
    for c in range(10):
        if counts[c] == 0:
            continue
        members = pool[pool_labels == c]
        replace = counts[c] > len(members)
        out.append(rng.choice(members, size=counts[c], replace=replace))
    idx = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    return rng.permutation(idx)


def to_tensor(images_uint8: np.ndarray) -> torch.Tensor:
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [-1,1] (the pack's normalise: mean 0.5, std 0.5)."""
    x = torch.from_numpy(np.ascontiguousarray(images_uint8)).float().div_(255.0)
    return x.sub_(0.5).div_(0.5).unsqueeze(1)

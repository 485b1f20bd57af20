"""Fréchet distance between feature sets, class-histogram KL, and the FID noise floor.

API:
- ``gaussian_stats(features [N,F]) -> (mu [F], cov [F,F])`` (unbiased covariance, float64).
- ``frechet_distance(mu1, cov1, mu2, cov2) -> float``.
- ``fid(features_a, features_b) -> float``.
- ``class_histogram(probs [N,10]) -> [10]``: histogram of the argmax predictions (fractions).
- ``kl_divergence(p, q, floor=1e-4) -> float``: KL(p || q) in nats, both floored at ``floor`` and
  renormalised, so that a class the generator never produces or a near-zero mixture weight gives a large
  but finite value (the floor is 1/10 of one sample in 1000).
- ``fid_noise_floor(features_a, features_b) -> float``: FID between two disjoint reference samples; the
  smallest FID difference the metric can resolve at that sample size.

The trace term uses the symmetric form tr sqrt(C1^{1/2} C2 C1^{1/2}) = tr sqrt(C1 C2): both eigen-decompositions
are of symmetric PSD matrices (numpy.linalg.eigh), so the result is real without the imaginary-part cleanup
scipy.linalg.sqrtm needs for near-singular products.
"""
from __future__ import annotations

import numpy as np


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of [N,F] features in float64."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"need at least 2 feature rows of shape [N,F], got {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """||mu1-mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^{1/2}), with the symmetric eigen form of the cross term."""
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    s1 = _psd_sqrt(np.asarray(cov1, np.float64))
    middle = s1 @ np.asarray(cov2, np.float64) @ s1
    w = np.linalg.eigvalsh((middle + middle.T) / 2)
    cross = float(np.sqrt(np.clip(w, 0.0, None)).sum())
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * cross)
    # Rounding can push a zero distance a hair below 0; the distance itself is non-negative.
    return max(value, 0.0)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between the Gaussian fits of two feature sets."""
    return frechet_distance(*gaussian_stats(features_a), *gaussian_stats(features_b))


def fid_noise_floor(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between two disjoint reference samples of the same distribution (the metric's resolution)."""
    return fid(features_a, features_b)


def class_histogram(probs: np.ndarray) -> np.ndarray:
    """Fractions of samples per predicted class (argmax of the classifier's probabilities)."""
    pred = np.asarray(probs).argmax(axis=1)
    counts = np.bincount(pred, minlength=10).astype(np.float64)
    return counts / max(1.0, counts.sum())


def kl_divergence(p: np.ndarray, q: np.ndarray, floor: float = 1e-4) -> float:
    """KL(p || q) in nats after flooring both at ``floor`` and renormalising."""
    p = np.maximum(np.asarray(p, np.float64), floor)
    q = np.maximum(np.asarray(q, np.float64), floor)
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * (np.log(p) - np.log(q))))

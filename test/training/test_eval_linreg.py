"""Synthetic linear regression: estimators, clipping, accounting and a smoke run."""
import math

import numpy as np
import pytest

from training.dp_accounting import dpsgd_sigma
from training import linreg as L


def _world_and_tasks(m=16, d=6, k=2, seed=0):
    world = L.make_world(d, k)
    rng = np.random.default_rng(seed)
    pub = L.learn_public(world, rng, 200)
    return world, pub, L.sample_tasks(world, m, rng), rng


def test_public_directions_recover_the_task_subspace():
    world, pub, _, _ = _world_and_tasks()
    u = pub.directions[:, :world.k]
    # Principal angles between the learned and the true subspace are small.
    s = np.linalg.svd(u.T @ world.basis, compute_uv=False)
    assert s.min() > 0.95


def test_each_example_contributes_at_most_c_to_the_released_sum():
    world, pub, (w, x, y), _ = _world_and_tasks()
    full = L.ours_embed(pub, x, y, dim=2, clip=0.3, kappa=0.5)
    without = L.ours_embed(pub, x[:, 1:], y[:, 1:], dim=2, clip=0.3, kappa=0.5)
    assert np.linalg.norm(full - without, axis=1).max() <= 0.3 + 1e-9


def test_noise_free_ours_with_full_embedding_equals_least_squares():
    world, pub, (w, x, y), rng = _world_and_tasks(d=4, k=4)
    cfg = {"dim": 4, "clip": 1e9, "kappa": 1.0, "lam": 0.0}
    est = L.ours_estimate(pub, x, y, math.inf, cfg, rng)
    assert np.allclose(est, L.ols(x, y), atol=1e-8)


def test_noise_free_dpgd_with_large_clip_converges_to_least_squares():
    world, pub, (w, x, y), rng = _world_and_tasks(d=4, k=4)
    est = L.dpgd_estimate(pub, x, y, math.inf, {"clip": 1e9, "steps": 60, "lr": 1.0}, rng)
    assert np.allclose(est, L.ols(x, y), atol=1e-6)


def test_release_noise_uses_one_gaussian_mechanism():
    s = np.zeros((2000, 50))
    z = L.ours_release(s, 1.0, 2.0, np.random.default_rng(1))
    assert z.std() == pytest.approx(dpsgd_sigma(1.0, L.DELTA, 1) * 2.0 / L.N_POINTS, rel=0.01)


def test_smoke_run_produces_finite_risks_and_markdown():
    result = L.run_linreg(seeds=2, smoke=True)
    st = result["settings"][0]
    for row in st["rows"]:
        for m in L.METHODS:
            assert np.isfinite(row[m]["mean"]) and row[m]["mean"] > 0
    md = L.write_markdown(result, "cmd")
    assert "| eps |" in md and "cmd" in md

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


def test_batched_tuning_paths_agree_with_single_configurations():
    # Tuning batches grid points (clips, lambdas, DP-GD configs); without noise each batch column must equal the
    # estimate that evaluation computes for that configuration alone.
    world, pub, (w, x, y), rng = _world_and_tasks(d=6, k=2)
    sums = L.ours_embed_clips(pub, x, y, 3, (0.3, 2.0), 0.5)
    for clip, s in zip((0.3, 2.0), sums):
        assert np.allclose(s, L.ours_embed(pub, x, y, dim=3, clip=clip, kappa=0.5))
    z = L.ours_release(sums[1], math.inf, 2.0, rng)
    for lam, est in zip((0.0, 0.3), L.ours_decode_lams(pub, z, 3, 0.5, (0.0, 0.3))):
        assert np.allclose(est, L.ours_decode(pub, z, 3, 0.5, lam))
    clips, lrs = np.array([0.5, 2.0]), np.array([1.0, 0.5])
    batch = L.dpgd_batch(pub, x, y, pub.directions[:, :3], 4, clips, lrs, np.zeros(2), rng)
    for j in range(2):
        cfg = {"dim": 3, "clip": clips[j], "steps": 4, "lr": lrs[j]}
        assert np.allclose(batch[:, j], L.dpgd_estimate(pub, x, y, math.inf, cfg, rng))


def test_each_example_moves_one_dpgd_step_by_at_most_c():
    # The batched step clips with norms |r_i| ||x_i||; one noise-free step with lr = n exposes the clipped sum.
    world, pub, (w, x, y), rng = _world_and_tasks()
    step = lambda xs, ys: L.dpgd_batch(pub, xs, ys, np.eye(6), 1, np.array([0.3]), np.array([float(L.N_POINTS)]),
                                       np.zeros(1), rng)[:, 0]  # noqa: E731
    assert np.linalg.norm(step(x, y) - step(x[:, 1:], y[:, 1:]), axis=1).max() <= 0.3 + 1e-9

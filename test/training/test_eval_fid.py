"""FID and KL used by training/evaluate.py."""
import numpy as np
import pytest
import scipy.linalg

from training.fid import class_histogram, fid, frechet_distance, gaussian_stats, kl_divergence


def _random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_fid_of_identical_sets_is_zero():
    x = np.random.default_rng(0).normal(size=(600, 16))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_a_shifted_set_is_the_squared_shift():
    x = np.random.default_rng(1).normal(size=(600, 8))
    shift = np.full(8, 0.5)
    # Same covariance, mean moved by `shift`: FID = ||shift||^2 = 8 * 0.25 = 2.
    assert fid(x, x + shift) == pytest.approx(2.0, rel=1e-6)
    assert fid(x, x * 1.5) > 0.1


def test_frechet_distance_matches_the_sqrtm_formula():
    rng = np.random.default_rng(2)
    c1, c2 = _random_spd(rng, 6), _random_spd(rng, 6)
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    cross = scipy.linalg.sqrtm(c1 @ c2).real
    expected = float((m1 - m2) @ (m1 - m2) + np.trace(c1 + c2 - 2 * cross))
    assert frechet_distance(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-8)


def test_gaussian_stats_rejects_a_single_row():
    with pytest.raises(ValueError, match="at least 2"):
        gaussian_stats(np.zeros((1, 4)))


def test_kl_is_zero_for_matching_histograms_and_positive_otherwise():
    pi = np.array([0.5, 0.3, 0.2] + [0.0] * 7)
    assert kl_divergence(pi, pi) == pytest.approx(0.0, abs=1e-12)
    other = np.array([0.2, 0.3, 0.5] + [0.0] * 7)
    exact = 0.2 * np.log(0.2 / 0.5) + 0.5 * np.log(0.5 / 0.2)
    assert kl_divergence(other, pi, floor=1e-12) == pytest.approx(exact, rel=1e-6)


def test_class_histogram_counts_argmax_predictions():
    probs = np.zeros((4, 10))
    probs[[0, 1, 2, 3], [3, 3, 7, 0]] = 1.0
    hist = class_histogram(probs)
    assert hist[3] == 0.5 and hist[7] == 0.25 and hist[0] == 0.25 and hist.sum() == 1.0


def test_feature_net_shapes_and_probabilities():
    import torch
    from training.features import FEATURE_DIM, FeatureNet, embed
    torch.manual_seed(0)
    net = FeatureNet().eval()
    feats, logits = net(torch.zeros(3, 1, 28, 28))
    assert feats.shape == (3, FEATURE_DIM) and logits.shape == (3, 10)
    f, p = embed(net, torch.rand(5, 1, 28, 28) * 2 - 1, batch=2)
    assert f.shape == (5, FEATURE_DIM) and np.allclose(p.sum(1), 1.0)

"""training/data.py: IDX loading, public split, mixtures and dataset sampling."""
import numpy as np
import torch

from training.data import load_fmnist, public_split, sample_dataset, sample_mixture, to_tensor


def test_load_shapes_and_label_balance():
    x, y = load_fmnist("train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [6000] * 10
    xt, yt = load_fmnist("test")
    assert xt.shape == (10000, 28, 28) and np.bincount(yt).tolist() == [1000] * 10


def test_public_split_is_a_disjoint_cover_of_train_and_deterministic():
    tr, va = public_split(0)
    assert len(va) == 5000 and len(tr) == 55000
    assert len(np.intersect1d(tr, va)) == 0
    assert np.array_equal(np.union1d(tr, va), np.arange(60000))
    assert np.array_equal(public_split(0)[1], va)
    assert not np.array_equal(public_split(1)[1], va)


def test_mixture_and_dataset_sampling():
    rng = np.random.default_rng(3)
    pi = sample_mixture(rng, 0.3)
    assert pi.shape == (10,) and abs(pi.sum() - 1) < 1e-12 and (pi >= 0).all()
    _, labels = load_fmnist("test")
    one_class = np.eye(10)[7]
    idx = sample_dataset(labels, one_class, 200, rng)
    assert len(idx) == 200 and len(set(idx.tolist())) == 200
    assert (labels[idx] == 7).all()
    _, val = public_split(0)
    _, tl = load_fmnist("train")
    idx = sample_dataset(tl, pi, 128, rng, val)
    assert np.isin(idx, val).all() and len(idx) == 128


def test_to_tensor_range_matches_pack_normalisation():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    t = to_tensor(x)
    assert t.shape == (1, 1, 2, 2) and t.dtype == torch.float32
    assert torch.allclose(t.flatten(), torch.tensor([-1.0, 1.0, 51 / 255 * 2 - 1, 102 / 255 * 2 - 1]))

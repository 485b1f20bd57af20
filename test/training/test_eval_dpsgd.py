"""DP-SGD baseline: exact per-sample gradients, clipping, noise scale and accounting."""
import math

import pytest
import torch

from training.dp_accounting import dpsgd_sigma, epsilon_for_delta
from training.dpsgd import (clip_rows, dpsgd_lora, flatten, per_sample_grads, per_sample_grads_vmap, privatize,
                            unflatten)
from training.unet import TinyUNet, make_lora_init


def _tiny_unet():
    torch.manual_seed(0)
    unet = TinyUNet((8, 16), temb_dim=16, heads=2)
    unet.eval()
    for p in unet.parameters():
        p.requires_grad_(False)
    return unet


def _nonzero_lora(unet, gen):
    lora = make_lora_init(unet, 2, gen)
    return {k: (d, 0.1 * torch.randn(u.shape, generator=gen)) for k, (d, u) in lora.items()}


def test_per_sample_grads_equal_functorch_vmap_grad():
    unet, gen = _tiny_unet(), torch.Generator().manual_seed(1)
    lora = _nonzero_lora(unet, gen)
    x = torch.rand((5, 1, 28, 28), generator=gen) * 2 - 1
    t = torch.randint(0, 1000, (5,), generator=gen)
    noise = torch.randn(x.shape, generator=gen)
    fast, losses = per_sample_grads(unet, lora, x, t, noise, 1.0)
    ref = per_sample_grads_vmap(unet, lora, x, t, noise, 1.0)
    assert fast.shape == (5, flatten(lora).numel())
    assert losses.shape == (5,)
    assert torch.allclose(fast, ref, atol=1e-6, rtol=1e-4)
    # Each row is that example's own gradient, not the batch's.
    assert not torch.allclose(fast[0], fast[1])


def test_clipping_bounds_every_example_and_keeps_small_ones():
    g = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    clipped = clip_rows(g, 1.0)
    assert torch.allclose(clipped[0], torch.tensor([0.6, 0.8]))
    assert torch.equal(clipped[1], g[1])
    assert torch.equal(clipped[2], g[2])
    big = torch.randn(64, 300) * 10
    assert float(clip_rows(big, 0.5).norm(dim=1).max()) <= 0.5 + 1e-6


def test_clipped_sum_changes_by_at_most_c_when_one_example_is_removed():
    g = torch.randn(32, 50) * 5
    full = privatize(g, 0.7, 0.0, 1, None)
    for i in (0, 13, 31):
        without = privatize(torch.cat([g[:i], g[i + 1:]]), 0.7, 0.0, 1, None)
        assert float((full - without).norm()) <= 0.7 + 1e-5


def test_privatize_adds_noise_of_std_z_c_over_n():
    zeros = torch.zeros(4, 200_000)
    out = privatize(zeros, 0.5, 3.0, 128, torch.Generator().manual_seed(3))
    assert float(out.std()) == pytest.approx(3.0 * 0.5 / 128, rel=0.01)


def test_dpsgd_accounting_matches_dpsgd_sigma():
    unet, gen = _tiny_unet(), torch.Generator().manual_seed(4)
    x = torch.rand((6, 1, 28, 28), generator=gen) * 2 - 1
    lora, info = dpsgd_lora(unet, x, 2.0, 1e-5, {"clip": 0.1, "steps": 3, "lr": 0.01}, gen)
    assert info["noise_multiplier"] == dpsgd_sigma(2.0, 1e-5, 3)
    assert info["mu"] == pytest.approx(math.sqrt(3) / dpsgd_sigma(2.0, 1e-5, 3))
    assert info["epsilon_check"] == pytest.approx(2.0, rel=1e-6)
    assert epsilon_for_delta(1e-5, info["mu"]) <= 2.0 * (1 + 1e-9)
    # The LoRA moved away from its init (up factors start at zero).
    assert any(float(u.abs().sum()) > 0 for _, u in lora.values())


def test_flatten_roundtrip():
    unet, gen = _tiny_unet(), torch.Generator().manual_seed(5)
    lora = _nonzero_lora(unet, gen)
    back = unflatten(flatten(lora), lora)
    assert all(torch.equal(back[k][0], lora[k][0]) and torch.equal(back[k][1], lora[k][1]) for k in lora)

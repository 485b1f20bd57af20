"""training/diffusion.py: schedule numbers, DDIM spacing, loss shapes, determinism."""
import torch

from training.diffusion import Schedule, ddim_sample, ddim_timesteps, diffusion_loss
from training.unet import TinyUNet


def test_schedule_and_manifest():
    s = Schedule()
    assert s.manifest() == {"kind": "linear", "betaStart": 0.0001, "betaEnd": 0.02}
    assert abs(float(s.alpha_bar[0]) - (1 - 1e-4)) < 1e-7
    assert float(s.alpha_bar[-1]) < 1e-4 and s.alpha_bar.shape == (1000,)


def test_ddim_timesteps_spacing():
    assert ddim_timesteps(50)[:3] == [980, 960, 940] and ddim_timesteps(50)[-1] == 0
    assert ddim_timesteps(4, 1000) == [750, 500, 250, 0]


def test_loss_shapes_and_sampler_determinism():
    torch.manual_seed(0)
    m = TinyUNet().eval()
    x0 = torch.rand(4, 1, 28, 28) * 2 - 1
    per = diffusion_loss(m, x0, generator=torch.Generator().manual_seed(0), reduce=False)
    assert per.shape == (4,)
    mean = diffusion_loss(m, x0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(mean, per.mean())
    a = ddim_sample(m, 3, 3, generator=torch.Generator().manual_seed(5), batch=2)
    b = ddim_sample(m, 3, 3, generator=torch.Generator().manual_seed(5), batch=2)
    assert a.shape == (3, 1, 28, 28) and torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1

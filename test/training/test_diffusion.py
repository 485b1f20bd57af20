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


class _ShiftModel(torch.nn.Module):
    """eps = 0.1 x + scale * c: a LoRA whose effect is linear in its scale, so guidance has a closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.1))
        self.calls = 0

    def forward(self, x, t, lora=None, lora_scale=1.0):
        self.calls += 1
        return self.w * x + (lora_scale * lora["c"] if lora else 0.0)


def test_lora_guidance_extrapolates_from_the_base_towards_the_lora():
    m = _ShiftModel()
    lora = {"c": torch.full((1, 1, 28, 28), 0.3)}

    def sample(**kw):
        return ddim_sample(m, 2, 4, generator=torch.Generator().manual_seed(3), **kw)

    base = sample()
    plain = sample(lora=lora)
    m.calls = 0
    assert torch.equal(sample(lora=lora, guidance=1.0), plain) and m.calls == 4   # w = 1: one forward per step
    m.calls = 0
    guided = sample(lora=lora, guidance=2.5)
    assert m.calls == 8                                                           # base + LoRA per step
    # eps_base + w (eps_lora - eps_base) = 0.1 x + w c: the same as the LoRA at scale w here.
    assert torch.allclose(guided, sample(lora=lora, lora_scale=2.5), atol=1e-6)
    assert torch.allclose(sample(lora=lora, guidance=0.0), base, atol=1e-6)
    assert not torch.allclose(guided, plain, atol=1e-3)

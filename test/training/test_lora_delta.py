"""training/lora_delta.py (merged-weight LoRA on any Linear/Conv2d) and training/sdmini.py (SD in miniature)."""
import pytest
import torch
import torch.nn.functional as F

from training.base import build_unet
from training.ceiling_probe import TARGETS
from training.diffusion import diffusion_loss
from training.lora_delta import DeltaLoraModel, lora_layout, lora_param_count, make_delta_lora
from training.sdmini import SDMINI_CONFIG, SDMiniUNet
from training.unet import LoraLinear, TinyUNet


def _tiny():
    torch.manual_seed(0)
    return TinyUNet().eval()


def test_pack2_preset_is_the_functional_lora_of_unet_py():
    m = _tiny()
    layout = lora_layout(m, TARGETS["pack2"])
    key_of = {f"{n}.weight": mod.key for n, mod in m.named_modules() if isinstance(mod, LoraLinear) and mod.key}
    assert sorted(name for name, *_ in layout) == sorted(key_of)
    g = torch.Generator().manual_seed(1)
    delta = {name: (torch.randn(4, fan_in, generator=g) * 0.2, torch.randn(o, 4, generator=g) * 0.2)
             for name, o, fan_in, _ in layout}
    functional = {key_of[name]: pair for name, pair in delta.items()}
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([10.0, 800.0])
    want = m(x, t, lora=functional, lora_scale=0.7)
    got = DeltaLoraModel(m, layout)(x, t, lora=delta, lora_scale=0.7)
    assert not torch.allclose(want, m(x, t), atol=1e-3)
    assert torch.allclose(got, want, atol=1e-5)


def test_conv_delta_is_kohya_locon_down_kxk_then_up_1x1():
    m = _tiny()
    layout = lora_layout(m, [r"^down0\.conv1\.weight$"])
    assert layout == [("down0.conv1.weight", 32, 32 * 9, (32, 32, 3, 3))]
    g = torch.Generator().manual_seed(3)
    down, up = torch.randn(8, 288, generator=g), torch.randn(32, 8, generator=g)
    conv = m.down0.conv1
    h = torch.randn(2, 32, 14, 14)
    merged = F.conv2d(h, conv.weight + 0.5 * (up @ down).reshape(32, 32, 3, 3), conv.bias, padding=1)
    locon = conv(h) + 0.5 * F.conv2d(F.conv2d(h, down.reshape(8, 32, 3, 3), padding=1), up[:, :, None, None])
    assert torch.allclose(merged, locon, atol=1e-4)


def test_init_starts_at_the_base_and_only_factors_get_gradients():
    m = _tiny()
    for p in m.parameters():
        p.requires_grad_(False)
    layout = lora_layout(m, TARGETS["pack2+conv"])
    lora = make_delta_lora(layout, 8, torch.Generator().manual_seed(0))
    wrapped = DeltaLoraModel(m, layout)
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([5.0, 500.0])
    assert torch.equal(wrapped(x, t, lora=lora), m(x, t))
    for d, u in lora.values():
        d.requires_grad_(True)
        u.requires_grad_(True)
    diffusion_loss(wrapped, torch.rand(4, 1, 28, 28) * 2 - 1, lora=lora, generator=torch.Generator().manual_seed(0),
                   min_snr_gamma=1.0).backward()
    assert all(u.grad is not None and float(u.grad.abs().sum()) > 0 for _, u in lora.values())
    assert all(p.grad is None for p in m.parameters())
    assert lora_param_count(lora) == sum(8 * (fan_in + o) for _, o, fan_in, _ in layout)


def test_layout_without_a_match_says_what_to_do():
    with pytest.raises(ValueError, match="named_parameters"):
        lora_layout(_tiny(), [r"no_such_layer"])


def test_sdmini_reads_its_context_and_has_sd_targets():
    torch.manual_seed(0)
    m = build_unet(SDMINI_CONFIG).eval()
    assert isinstance(m, SDMiniUNet)
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([100.0, 900.0])
    y = m(x, t)
    assert y.shape == (2, 1, 28, 28)
    with torch.no_grad():
        m.context.add_(1.0)
    assert not torch.allclose(m(x, t), y, atol=1e-4)
    names = [name for name, *_ in lora_layout(m, TARGETS["sd"])]
    # 3 transformer blocks x (attn1 q/k/v/out + attn2 q/k/v/out + ff 0/2) + 5 time_emb_proj.
    assert len(names) == 35
    assert "mid_tf.attn2.to_k.weight" in names and "up1.temb.weight" in names
    with pytest.raises(ValueError, match="DeltaLoraModel"):
        m(x, t, lora={"a": (torch.zeros(1), torch.zeros(1))})

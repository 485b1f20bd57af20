"""training/sdpack for SDXL bases: an SDXL-shaped mini UNet (ComfyUI's calling convention, with the vector
conditioning y) trains through the same interface as SD1.5 (conditioning.ConditionedUNet → lora_delta → MetaTrainer →
diffusion_loss), and the export says sdxl; the base detection refuses other bases by name."""
import json

import pytest
import torch

from training.diffusion import DEFAULT_SCHEDULE
from training.sdmini import SDXLMiniUNet
from training.sdpack.conditioning import ConditionedUNet, UNetConditioning, base_from_config, call_unet
from training.sdpack.errors import SdPackError
from training.sdpack.export import export_sdpack
from training.sdpack.layout import model_layout
from training.sdpack.meta_train import FINAL, MetaTrainer, load_trained

from sdpack_world import ATTN, CFG, CLIP_DIM, delta_model, public_sets

ADM = 20


def _xl_world(seed=0, sets=3, per_set=6):
    """A frozen random SDXL-mini under a fixed (context, y), and public sets that differ by set."""
    torch.manual_seed(seed)
    unet = SDXLMiniUNet(ch=(16, 32), temb_dim=32, heads=2, ctx_dim=16, adm_channels=ADM).eval().requires_grad_(False)
    g = torch.Generator().manual_seed(seed + 1)
    cond = UNetConditioning(torch.randn(1, 5, 16, generator=g), torch.randn(1, ADM, generator=g))
    sets_ = public_sets(g, sets, per_set)
    base = ConditionedUNet(unet, cond)
    layout = model_layout(base, ATTN)
    return delta_model(base, layout), layout, sets_, unet, cond


def test_the_sdxl_mini_reads_y_and_the_context_through_comfyuis_calling_convention():
    _, _, _, unet, cond = _xl_world()
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([10.0, 500.0])
    eps = call_unet(unet, x, t, cond)
    assert eps.shape == x.shape
    other_y = UNetConditioning(cond.context, cond.y + 1.0)
    other_ctx = UNetConditioning(cond.context + 1.0, cond.y)
    assert not torch.allclose(call_unet(unet, x, t, other_y), eps)        # y reaches the UNet
    assert not torch.allclose(call_unet(unet, x, t, other_ctx), eps)      # so does the context
    # The same fixed conditioning for every batch row: row i equals a batch of one.
    assert torch.allclose(call_unet(unet, x[1:], t[1:], cond), eps[1:], atol=1e-5)
    with pytest.raises(SdPackError, match=r"y has shape \[2, 20\], expected \[1, channels\]"):
        UNetConditioning(cond.context, torch.zeros(2, ADM))
    with pytest.raises(SdPackError, match=r"context has shape \[77, 768\], expected \[1, tokens, width\]"):
        UNetConditioning(torch.zeros(77, 768))


def test_sdxl_overfit_the_loss_falls_gradients_reach_rho_and_the_head_and_the_export_says_sdxl(tmp_path):
    den, layout, sets, unet, _ = _xl_world()
    base0 = {k: v.clone() for k, v in unet.state_dict().items()}
    tr = MetaTrainer(den, layout, sets, CFG, tmp_path / "run", DEFAULT_SCHEDULE)
    before = tr.fixed_batch_loss()
    assert before["ours"] == pytest.approx(before["base"], rel=1e-3)
    tr.train_step()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in tr.head.parameters())
    assert float(tr.hyper.ups[0].grad.abs().sum()) > 0 and float(tr.hyper.mix.weight.grad.abs().sum()) > 0
    tr.run()
    after = tr.fixed_batch_loss()
    assert after["base"] == pytest.approx(before["base"])
    assert after["ours"] < 0.9 * before["ours"], (before, after)
    assert all(torch.equal(v, unet.state_dict()[k]) for k, v in base0.items())   # the base stays frozen

    # Export of a run that also trained with release noise (a pack must have a noise range).
    noisy = MetaTrainer(den, layout, sets, dict(CFG, steps=2, p_no_noise=0.5), tmp_path / "run2", DEFAULT_SCHEDULE)
    noisy.run()
    m = export_sdpack(load_trained(tmp_path / "run2" / FINAL), layout, tmp_path / "pack", pack_id="tiny-sdxl",
                      version="0.1.0", target="sdxl", clip_vision={"family": "clip-vision-24d", "dim": CLIP_DIM},
                      base={"unetSha256": "0" * 64, "name": "tiny sdxl-mini"}, training={"data": "synthetic"},
                      licenses={"code": "MIT", "weights": "MIT", "data": "synthetic"})
    on_disk = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert on_disk == m and m["target"] == "sdxl" and m["lora"]["layout"] == "sdxl"
    assert m["description"].startswith("DP-DeepSets pack for sdxl")
    assert [x["key"] for x in m["lora"]["modules"]] == [x.key for x in layout]


@pytest.mark.parametrize("name, model_type, target", [("SD15", "EPS", "sd15"), ("SDXL", "EPS", "sdxl")])
def test_the_supported_bases(name, model_type, target):
    assert base_from_config(name, model_type) == target


@pytest.mark.parametrize("name", ["SD20", "SD21UnclipH", "SDXLRefiner", "SSD1B", "SD3", "Flux", "AuraFlow"])
def test_other_bases_are_refused_by_name(name):
    with pytest.raises(SdPackError, match=rf"is a {name} model \(ComfyUI's comfy\.supported_models\.{name}\); this "
                                          r"trainer makes packs for SD1\.5 and SDXL checkpoints only"):
        base_from_config(name, "EPS")


def test_a_v_prediction_sdxl_is_refused():
    with pytest.raises(SdPackError, match="SDXL MODEL predicts V_PREDICTION.*ε-prediction"):
        base_from_config("SDXL", "V_PREDICTION")

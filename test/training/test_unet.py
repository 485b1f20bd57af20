"""training/unet.py: shapes, LoRA semantics (W + scale * up @ down), per-sample LoRA, functorch per-sample grads."""
import torch
import torch.nn.functional as F

from training.unet import TinyUNet, lora_from_flat, lora_to_flat, make_lora_init, make_lora_zeros


def _model():
    torch.manual_seed(0)
    return TinyUNet().eval()


def test_shapes_and_lora_modules():
    m = _model()
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([0.0, 500.0, 999.0])
    assert m(x, t).shape == (3, 1, 28, 28)
    keys = [k for k, _, _ in m.lora_modules]
    assert keys[3:7] == ["lora_unet_mid_attn_to_q", "lora_unet_mid_attn_to_k", "lora_unet_mid_attn_to_v",
                         "lora_unet_mid_attn_to_out"]
    assert ("lora_unet_mid_ff_net_0", 64, 128) in m.lora_modules
    # Every ResBlock's time-embedding projection is a target too (SD's resnets_N_time_emb_proj).
    assert [k for k in keys if k.endswith("_time_emb_proj")] == [
        "lora_unet_down_0_time_emb_proj", "lora_unet_down_1_time_emb_proj", "lora_unet_mid_time_emb_proj",
        "lora_unet_up_1_time_emb_proj", "lora_unet_up_0_time_emb_proj"]
    assert ("lora_unet_down_0_time_emb_proj", 64, 32) in m.lora_modules
    assert len(keys) == len(set(keys)) == 15


def test_zero_lora_is_the_base_and_init_lora_too():
    m = _model()
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([3.0, 700.0])
    base = m(x, t)
    assert torch.equal(m(x, t, lora=make_lora_zeros(m, 4)), base)
    assert torch.allclose(m(x, t, lora=make_lora_init(m, 4, torch.Generator().manual_seed(1))), base)


def test_lora_equals_merged_weight():
    m = _model()
    g = torch.Generator().manual_seed(2)
    lora = {k: (torch.randn(4, i, generator=g) * 0.2, torch.randn(o, 4, generator=g) * 0.2)
            for k, i, o in m.lora_modules}
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([10.0, 400.0])
    got = m(x, t, lora=lora, lora_scale=0.7)
    merged = _model()
    with torch.no_grad():
        for mod in merged.modules():
            if hasattr(mod, "key") and mod.key in lora:
                down, up = lora[mod.key]
                mod.weight.add_(0.7 * up @ down)
    assert torch.allclose(got, merged(x, t), atol=1e-5)
    assert not torch.allclose(got, m(x, t), atol=1e-3)


def test_per_sample_lora_matches_shared_lora_rowwise():
    m = _model()
    g = torch.Generator().manual_seed(3)
    loras = [{k: (torch.randn(4, i, generator=g) * 0.2, torch.randn(o, 4, generator=g) * 0.2)
              for k, i, o in m.lora_modules} for _ in range(2)]
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([10.0, 400.0])
    stacked = {k: (torch.stack([loras[0][k][0], loras[1][k][0]]), torch.stack([loras[0][k][1], loras[1][k][1]]))
               for k in loras[0]}
    both = m(x, t, lora=stacked)
    for i in range(2):
        assert torch.allclose(both[i:i + 1], m(x[i:i + 1], t[i:i + 1], lora=loras[i]), atol=1e-5)


def test_functorch_per_sample_gradients_through_lora_factors():
    from functorch import grad, vmap
    m = _model()
    lora = make_lora_init(m, 2, torch.Generator().manual_seed(4))
    flat = lora_to_flat(lora)
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([1.0, 2.0, 3.0])

    def loss(params, xi, ti):
        out = m(xi.unsqueeze(0), ti.unsqueeze(0), lora=lora_from_flat(params))
        return F.mse_loss(out, xi.unsqueeze(0))

    per = vmap(grad(loss), in_dims=(None, 0, 0))(flat, x, t)
    name = "lora_unet_mid_attn_to_q.lora_up.weight"
    assert per[name].shape == (3, 64, 2)
    single = grad(loss)(flat, x[1], t[1])
    assert torch.allclose(per[name][1], single[name], atol=1e-6)
    assert per[name].abs().sum() > 0

"""training/sdpack: the SD pack trainer's pieces on tiny models (SD-mini through lora_delta's interface), resumable
checkpoints, clear errors, and the export (ONNX + manifest in the format src/pack reads)."""
import json
import math

import numpy as np
import onnx
import pytest
import torch

from training.diffusion import DEFAULT_SCHEDULE
from training.sdmini import SDMiniUNet
from training.sdpack.errors import SdPackError
from training.sdpack.export import export_sdpack
from training.sdpack.layout import check_layout, fixed_layout, model_layout
from training.sdpack.meta_train import CKPT, FINAL, MetaTrainer, PublicSets, load_trained
from training.sdpack.schedules import schedule_from_sigmas, sd_schedule

from sdpack_world import ATTN, CFG, CLIP_DIM, delta_model, public_sets


def _world(seed=0, sets=3, per_set=6):
    """A frozen random SD-mini and public sets whose CLIP-like embeddings and images differ by set."""
    torch.manual_seed(seed)
    unet = SDMiniUNet(ch=(16, 32), temb_dim=32, heads=2, ctx_tokens=4, ctx_dim=16).eval().requires_grad_(False)
    g = torch.Generator().manual_seed(seed + 1)
    sets_ = public_sets(g, sets, per_set)
    layout = model_layout(unet, ATTN)
    return delta_model(unet, layout), layout, sets_


def test_overfit_on_a_fixed_batch_the_loss_falls_and_gradients_reach_rho_and_the_head(tmp_path):
    den, layout, sets = _world()
    tr = MetaTrainer(den, layout, sets, CFG, tmp_path, DEFAULT_SCHEDULE)
    head0 = [p.clone() for p in tr.head.parameters()]
    before = tr.fixed_batch_loss()
    assert before["ours"] == pytest.approx(before["base"], rel=1e-3)   # ρ starts (almost) at the base model
    tr.train_step()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in tr.head.parameters())
    assert float(tr.hyper.ups[0].grad.abs().sum()) > 0 and float(tr.hyper.mix.weight.grad.abs().sum()) > 0
    stats = tr.run()
    after = tr.fixed_batch_loss()
    assert after["base"] == pytest.approx(before["base"])             # the base stays frozen
    assert after["ours"] < 0.9 * before["ours"], (before, after)
    assert any(not torch.equal(a, b) for a, b in zip(head0, tr.head.parameters()))
    assert stats["steps"] == 25 and (tmp_path / FINAL).exists()
    assert stats["trained_noise"] == {"min": 0.0, "max": 0.0}           # noiseless training only


def test_a_resumed_run_continues_exactly_where_the_checkpoint_left_off(tmp_path):
    den, layout, sets = _world()
    cfg = dict(CFG, steps=6, ckpt_every=3, p_no_noise=0.5)
    full = MetaTrainer(den, layout, sets, cfg, tmp_path / "a", DEFAULT_SCHEDULE)
    full.run()

    class Stop(Exception):
        pass

    def stop_at_4():
        if part.step == 4:
            raise Stop()
    part = MetaTrainer(den, layout, sets, cfg, tmp_path / "b", DEFAULT_SCHEDULE)
    with pytest.raises(Stop):
        part.run(check_interrupt=stop_at_4)
    assert torch.load(tmp_path / "b" / CKPT)["step"] == 4                # saved on interruption
    resumed = MetaTrainer(den, layout, sets, cfg, tmp_path / "b", DEFAULT_SCHEDULE)
    assert resumed.step == 4
    resumed.run()
    assert resumed.losses == pytest.approx(full.losses, rel=1e-5)
    for a, b in zip(full.hyper.parameters(), resumed.hyper.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(SdPackError, match="other settings.*rank"):
        MetaTrainer(den, layout, sets, dict(cfg, rank=3), tmp_path / "b", DEFAULT_SCHEDULE)


def test_clear_errors_for_no_sets_and_a_base_that_does_not_fit_the_layout():
    with pytest.raises(SdPackError, match="no public sets"):
        PublicSets([], [], [])
    sd15 = fixed_layout("sd15")
    assert len(sd15) == 128 and sd15[0].weight == "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight"
    shapes = {m.weight: (m.out, m.fan_in) for m in sd15}
    check_layout(sd15, shapes, "the UNet")
    shapes[sd15[5].weight] = (640, 2048)
    del shapes[sd15[0].weight]
    with pytest.raises(SdPackError, match=r"2 of 128 targets.*attn1\.to_q\.weight is missing.*Load the checkpoint"):
        check_layout(sd15, shapes, "the UNet")


def test_sd_schedule_matches_comfyuis_sigmas_form():
    sch = sd_schedule()
    assert sch.T == 1000 and float(sch.alpha_bar[0]) == pytest.approx(1 - 0.00085, rel=1e-6)
    sigmas = ((1 - sch.alpha_bar) / sch.alpha_bar).sqrt()
    assert torch.allclose(schedule_from_sigmas(sigmas).alpha_bar, sch.alpha_bar, atol=1e-6)


def test_export_writes_onnx_and_a_manifest_src_pack_reads(tmp_path):
    den, layout, sets = _world()
    tr = MetaTrainer(den, layout, sets, dict(CFG, steps=2, p_no_noise=0.5), tmp_path / "run", DEFAULT_SCHEDULE)
    tr.run()
    trained = load_trained(tmp_path / "run" / FINAL)
    m = export_sdpack(trained, layout, tmp_path / "pack", pack_id="tiny-sd15", version="0.1.0", target="sd15",
                      clip_vision={"family": "clip-vision-24d", "dim": CLIP_DIM},
                      base={"unetSha256": "0" * 64, "name": "tiny"}, training={"data": "synthetic"},
                      licenses={"code": "MIT", "weights": "MIT", "data": "synthetic"})
    files = sorted(p.name for p in (tmp_path / "pack").iterdir())
    assert files == ["encoder.onnx", "hypernet.onnx", "manifest.json"]
    assert json.loads((tmp_path / "pack" / "manifest.json").read_text()) == m
    assert m["clipVision"] == {"family": "clip-vision-24d", "dim": CLIP_DIM, "field": "image_embeds"}
    assert m["lora"]["modules"][0] == {"key": layout[0].key, "in": layout[0].fan_in, "out": layout[0].out}
    assert m["training"]["steps"] == 2 and m["training"]["epsilon"] == {"min": 0.5, "max": 16.0}
    enc = onnx.load(str(tmp_path / "pack" / "encoder.onnx"))
    assert enc.opset_import[0].version == 17
    assert [i.name for i in enc.graph.input] == ["clip_embeds"]
    hyp = onnx.load(str(tmp_path / "pack" / "hypernet.onnx"))
    assert len(hyp.graph.output) == 2 * len(layout)
    import hashlib
    assert m["files"]["encoder.onnx"]["sha256"] == hashlib.sha256((tmp_path / "pack" / "encoder.onnx").read_bytes()).hexdigest()
    noise = m["dp"]["trainedNoise"]
    assert noise["min"] == 0.0 and noise["max"] == pytest.approx(float(tr.sig_sum.max()) / 6, rel=1e-5)
    with pytest.raises(SdPackError, match="sd15 or sdxl"):
        export_sdpack(trained, layout, tmp_path / "p2", pack_id="x", version="0.1.0", target="reference-fmnist",
                      clip_vision={"family": "f", "dim": CLIP_DIM}, base={}, training={}, licenses={})


def test_public_folder_sets_are_subfolders_else_kmeans_pseudo_sets_and_an_empty_folder_is_a_clear_error(tmp_path):
    from PIL import Image
    from training.sdpack.sets import build_public_sets, list_public_sets

    from training.sdpack.sets import load_images

    def encode(images, clip_images):
        # A stand-in encoder for the test: the CLIP images' mean colour as the "embedding", a 2x2 subsample as the
        # "latent" (the VAE images are at the training size; the CLIP images come from clip_images, in order).
        assert images.shape[1:] == (8, 8, 3) and 0 <= float(images.min()) and float(images.max()) <= 1
        assert clip_images.shape[1:] == (4, 4, 3) and clip_images.shape[0] == images.shape[0]
        return clip_images.mean((1, 2)) - 0.5, images.permute(0, 3, 1, 2)[:, :, ::4, ::4]

    def clip_images(paths):
        return load_images(paths, 4)

    def write(folder, colour, count):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            Image.new("RGB", (12, 10), tuple(min(255, c + 3 * i) for c in colour)).save(folder / f"{i}.png")

    with pytest.raises(SdPackError, match="does not exist"):
        list_public_sets(tmp_path / "missing")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(SdPackError, match="holds no images"):
        list_public_sets(tmp_path / "empty")
    write(tmp_path / "sets" / "red", (200, 0, 0), 3)
    write(tmp_path / "sets" / "blue", (0, 0, 200), 4)
    write(tmp_path / "sets" / "lonely", (0, 200, 0), 1)
    notes = []
    sets = build_public_sets(tmp_path / "sets", encode, clip_images, size=8, batch=2, log=notes.append)
    assert sets.names == ["blue", "red"] and [e.shape[0] for e in sets.embeds] == [4, 3]
    assert sets.latents[0].shape == (4, 3, 2, 2) and "lonely" in notes[0]
    write(tmp_path / "flat", (220, 0, 0), 5)
    for i in range(5):
        Image.new("RGB", (9, 9), (0, 0, 210 + i)).save(tmp_path / "flat" / f"b{i}.png")
    flat = build_public_sets(tmp_path / "flat", encode, clip_images, size=8, pseudo_sets=2, seed=0, log=notes.append)
    assert sorted(e.shape[0] for e in flat.embeds) == [5, 5] and flat.names == ["cluster00", "cluster01"]
    for e in flat.embeds:   # each pseudo-set is one colour
        assert float(e.std(0).max()) < 0.05


def test_a_non_finite_step_is_skipped_without_touching_the_weights_and_repeated_ones_stop_training(tmp_path):
    den, layout, sets = _world()

    class Flaky(torch.nn.Module):
        """The real SD-mini denoiser, except that it returns inf on the calls listed in `bad`."""

        def __init__(self, bad):
            super().__init__()
            self.calls, self.bad = 0, bad

        def forward(self, x, t, lora=None, lora_scale=1.0):
            self.calls += 1
            out = den(x, t, lora=lora, lora_scale=lora_scale)
            return out * float("inf") if self.calls in self.bad else out

    cfg = dict(CFG, steps=3, groups=1, max_skipped_in_a_row=2)
    tr = MetaTrainer(Flaky({2}), layout, sets, cfg, tmp_path / "a", DEFAULT_SCHEDULE)
    tr.train_step()                                                    # call 1 (+ base loss call 2 is no_grad)
    before = [p.clone() for p in tr.hyper.parameters()]
    tr.denoiser.bad = {tr.denoiser.calls + 1}
    tr.train_step()
    assert tr.skipped == 1 and not math.isfinite(tr.losses[-1])
    assert all(torch.equal(a, b) for a, b in zip(before, tr.hyper.parameters()))
    tr.train_step()
    assert tr.skipped_in_a_row == 0 and all(torch.isfinite(p).all() for p in tr.hyper.parameters())
    always = MetaTrainer(Flaky(set(range(1, 100))), layout, sets, cfg, tmp_path / "b", DEFAULT_SCHEDULE)
    with pytest.raises(SdPackError, match="2 steps in a row gave a non-finite loss"):
        always.run()

"""The base-checkpoint check where a generated LoRA meets a MODEL (bridge/base_check.py) and the identity it shares
with the trainer (training/unet_identity.py): match → silent, mismatch → a warning naming both, computed once per
loaded model object, the same under a lossless dtype change. Through the REAL bridge and worker in the stand-in."""
import importlib
import json
import logging
import os
import shutil

import pytest
import torch

from comfy_standin import FakeModel, TinyModel, model_source
from workflows_api import dp_chain

SECRET = "secret_holiday_"


@pytest.fixture(scope="module")
def mods(host):
    name = host.plugin.__name__
    return (importlib.import_module(f"{name}.training.unet_identity"), importlib.import_module(f"{name}.bridge.base_check"))


def _pack(identity, scheme):
    return {"id": "sd15-x", "version": "1.0.0", "base": {"unetSha256": identity, "hashOf": scheme}}


OP = {"packInput": "pack", "modelInput": "model"}
SPEC = {"id": "DPHyperLoRA_HypernetworkLoRA"}


def test_identity_is_the_same_for_fp16_and_fp32_copies_of_fp16_weights_and_differs_for_other_weights(mods):
    ident, _ = mods
    fp16 = TinyModel(seed=1, dtype=torch.float16)
    as_fp32 = TinyModel(seed=1, dtype=torch.float16)
    as_fp32.model.diffusion_model.float()
    assert next(as_fp32.model.diffusion_model.parameters()).dtype == torch.float32
    h16, how = ident.unet_sha256(fp16)
    assert len(h16) == 64 and how.startswith(ident.SCHEME)
    assert ident.unet_sha256(as_fp32)[0] == h16
    # An fp32 model and its fp16 load (the cast ComfyUI makes) agree as well.
    fp32 = TinyModel(seed=2)
    halved = TinyModel(seed=2, dtype=torch.float16)
    assert ident.unet_sha256(fp32)[0] == ident.unet_sha256(halved)[0]
    assert ident.unet_sha256(TinyModel(seed=3))[0] != ident.unet_sha256(fp32)[0]
    # A lossy bf16 load is another identity (docs/packs.md says so).
    assert ident.unet_sha256(TinyModel(seed=2, dtype=torch.bfloat16))[0] != ident.unet_sha256(fp32)[0]


def test_identity_is_computed_once_per_loaded_model_object(mods):
    ident, _ = mods
    model = TinyModel(seed=4)
    first = ident.cached_unet_sha256(model)
    with torch.no_grad():
        for p in model.model.diffusion_model.parameters():
            p.add_(1.0)   # changed in place, behind ComfyUI's back: only a fresh computation can see it
    assert ident.unet_sha256(model.clone())[0] != first
    assert ident.cached_unet_sha256(model.clone()) == first   # a clone shares .model: the cached value
    assert ident.cached_unet_sha256(TinyModel(seed=4)) == first   # another object with the original weights


def test_check_is_silent_on_a_match_and_without_a_base_or_a_model(mods, caplog):
    ident, check = mods
    model = TinyModel(seed=5)
    h, how = ident.unet_sha256(model)
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        assert check.check_base(OP, SPEC, {"pack": _pack(h, how), "model": model}, []) is None
        assert check.check_base(OP, SPEC, {"pack": {"id": "ref", "version": "1.0.0"}, "model": model}, []) is None
        assert check.check_base(OP, SPEC, {"pack": _pack("0" * 64, how), "model": None}, []) is None
    assert caplog.records == []


def test_a_mismatch_warns_naming_both_identities_and_what_to_do(mods, caplog):
    ident, check = mods
    trained_for, how = ident.unet_sha256(TinyModel(seed=6))
    other = TinyModel(seed=7)
    found = ident.cached_unet_sha256(other)
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        added = check.check_base(OP, SPEC, {"pack": _pack(trained_for, how), "model": other}, [])
    line = added["text"][0]
    assert line == (f"⚠ base checkpoint mismatch: pack sd15-x 1.0.0 was trained for the UNet {trained_for[:12]}, but the "
                    f"connected MODEL's UNet is {found[:12]}. The LoRA is applied anyway; train a pack for this checkpoint "
                    "with Train SD Pack, or ignore this if the MODEL is a close fine-tune of the pack's base (or the same "
                    "file loaded in bf16/fp8).")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, f"{SPEC['id']}: {line}")]


def test_another_identity_scheme_or_unreadable_weights_are_not_compared(mods, caplog):
    _, check = mods
    old = _pack("ab" * 32, "sha256 over the UNet state dict (model.diffusion_model) as loaded: raw bytes")
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        assert check.check_base(OP, SPEC, {"pack": old, "model": TinyModel(seed=8)}, []) is None
        assert check.check_base(OP, SPEC, {"pack": _pack("ab" * 32, mods[0].DESCRIPTION), "model": FakeModel("sd15")}, []) is None
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [lvl for lvl, _ in messages] == [logging.INFO, logging.INFO]
    assert "another identity scheme" in messages[0][1] and "meta tensors" in messages[1][1]



class _OddModel:
    """A MODEL-like object whose weights cannot be walked (an unusual custom MODEL)."""
    @property
    def model(self):
        raise RuntimeError("this MODEL has no torch module")


def test_an_unexpected_error_while_reading_the_model_warns_and_never_fails_the_node(mods, caplog):
    _, check = mods
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        assert check.check_base(OP, SPEC, {"pack": _pack("ab" * 32, mods[0].DESCRIPTION), "model": _OddModel()}, []) is None
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "not compared (RuntimeError: this MODEL has no torch module); the LoRA is applied anyway" in record.getMessage()

@pytest.fixture
def based_pack(comfy_root):
    """Makes a copy of the sd15 test pack whose manifest names the base UNet it was trained for; removes it after the
    test (other tests list the session's packs exactly)."""
    made = []

    def make(name, identity, scheme):
        made.append(os.path.join(comfy_root, "models", "dp_hyperlora", name))
        return _based_pack(comfy_root, name, identity, scheme)
    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


def _based_pack(comfy_root, name, identity, scheme):
    src = os.path.join(comfy_root, "models", "dp_hyperlora", "sd15-test")
    dst = os.path.join(comfy_root, "models", "dp_hyperlora", name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    path = os.path.join(dst, "manifest.json")
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["base"] = {"unetSha256": identity, "name": "stand-in", "hashOf": scheme}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    return name


def _model_node(fill):
    return model_source(lambda: FakeModel("sd15", fill=fill))


def test_hypernetwork_lora_warns_only_when_the_model_is_not_the_packs_base(host, based_pack, mods, caplog):
    ident, _ = mods
    identity, how = ident.unet_sha256(FakeModel("sd15", fill=0.25))
    pack = based_pack("sd15-based", identity, how)
    texts = {}
    for fill in (0.25, 0.5):
        host.mappings["StandinModel"] = _model_node(fill)
        prompt = dp_chain(pack, release=151)
        prompt["9"] = {"class_type": "StandinModel", "inputs": {}}
        prompt["4"]["inputs"]["model"] = ["9", 0]
        with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
            results = host.executor().run(prompt)
        texts[fill] = results["4"]["ui"]["text"]
    assert len(texts[0.25]) == 1 and texts[0.25][0].startswith("LoRA sd15 · 128 modules")
    found = ident.unet_sha256(FakeModel("sd15", fill=0.5))[0]
    assert texts[0.5][0] == texts[0.25][0] and len(texts[0.5]) == 2
    warning = texts[0.5][1]
    assert warning.startswith(f"⚠ base checkpoint mismatch: pack sd15-test ") and identity[:12] in warning and found[:12] in warning
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "base checkpoint" in r.getMessage()]
    assert logged == [f"DPHyperLoRA_HypernetworkLoRA: {warning}"]
    assert "private-set" not in warning and SECRET not in warning and "images" not in warning


def test_the_trainer_writes_the_identity_with_the_same_function_the_check_uses(host, mods):
    trainer = importlib.import_module(f"{host.plugin.__name__}.training.sdpack.pipeline")
    assert trainer.unet_sha256 is mods[0].unet_sha256

"""Load Private Images through the REAL bridge and worker in the ComfyUI stand-in: a private folder under
models/dp_private_sets/ becomes an IMAGE batch [B, size, size, 3] that feeds CLIPVisionEncode and DP Embed (CLIP Vision);
its ui, progress and logs are the same for sets of 2 and 5 images and name no file; unreadable files fail or are skipped."""
import json
import logging
import os
import shutil

import pytest

from comfy_standin import PROGRESS_HOOKS

PACK = "lpi-cond-vit-h"
NODE = "DPHyperLoRA_LoadPrivateImages"
TEXT = "private images loaded in the worker; their number stays private"


def _write_set(root, name, count, bad=False):
    """`count` PNGs of varied sizes (named secret_lpi_*), plus one undecodable .png when `bad`."""
    from PIL import Image
    folder = os.path.join(root, "models", "dp_private_sets", name)
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        w, h = (40 + 7 * i, 30 + 3 * i) if i % 2 == 0 else (30 + 5 * i, 44)
        img = Image.new("RGB", (w, h), (20 * i % 256, 100, 200))
        img.putpixel((0, 0), (255, 0, 0))
        img.save(os.path.join(folder, f"secret_lpi_{i}.png"))
    if bad:
        with open(os.path.join(folder, "secret_lpi_broken.png"), "wb") as fh:
            fh.write(b"\x89PNG\r\n\x1a\nthis is not an image")
    return folder


@pytest.fixture(scope="module")
def sets(host, comfy_root):
    made = [_write_set(comfy_root, "lpi-two", 2), _write_set(comfy_root, "lpi-five", 5), _write_set(comfy_root, "lpi-bad", 2, bad=True)]
    host.executor().run({
        "1": {"class_type": "RandomImages", "inputs": {"count": 40, "size": 32, "seed": 1}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": "vit-h"}},
        "3": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["1", 0], "crop": "center"}},
        "4": {"class_type": "DPHyperLoRA_BuildConditioningPack", "inputs": {
            "public_clip_vision_output": ["3", 0], "k": 8, "field": "image_embeds", "name": PACK, "whose": "stand-in public images"}},
    })
    yield
    for folder in made:
        shutil.rmtree(folder)
    shutil.rmtree(os.path.join(comfy_root, "models", "dp_hyperlora", PACK))


def _route(folder, size=224, on_unreadable="fail"):
    """Load Private Images → CLIPVisionEncode → DP Embed (CLIP Vision), both fed by the same IMAGE."""
    return {
        "1": {"class_type": NODE, "inputs": {"folder": folder, "on_unreadable": on_unreadable, "size": size}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": "vit-h"}},
        "3": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["1", 0], "crop": "center"}},
        "4": {"class_type": "DPHyperLoRA_EmbedClipVision", "inputs": {"pack": PACK, "clip_vision_output": ["3", 0], "images": ["1", 0]}},
        "5": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
            "embeddings": ["4", 0], "epsilon": 1.0, "delta": 1e-5, "relation": "add-remove", "n_public": 0, "release": 1,
            "too_few_images": "make the LoRA anyway"}},
        "6": {"class_type": "DPHyperLoRA_Conditioning", "inputs": {"pack": PACK, "dp_embedding": ["5", 0]}},
        "7": {"class_type": "ConditioningSink", "inputs": {"clip_vision_output": ["6", 0], "pos": ["6", 1], "neg": ["6", 2]}},
    }


def _load(host, folder, size=64, on_unreadable="fail"):
    """Runs the node alone, as ComfyUI calls its function: {"ui", "result"}."""
    return host.plugin.NODE_CLASS_MAPPINGS[NODE]().run(folder=folder, on_unreadable=on_unreadable, size=size)


def test_the_folder_choice_is_dp_embeds_own(host, sets):
    spec = host.plugin.NODE_CLASS_MAPPINGS[NODE].INPUT_TYPES()["required"]
    embed = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"].INPUT_TYPES()["required"]
    assert spec["folder"][0] == embed["folder"][0] and "lpi-five" in spec["folder"][0]
    assert spec["on_unreadable"][0] == ["fail", "skip"]
    assert spec["size"][1]["default"] == 224
    assert host.plugin.NODE_CLASS_MAPPINGS[NODE].RETURN_TYPES == ("IMAGE",)


def test_a_private_folder_becomes_an_image_batch_that_feeds_dp_embed_clip_vision(host, sets):
    import torch
    results = host.executor().run(_route("lpi-five"))
    image = results["1"]["result"][0]
    assert image.shape == (5, 224, 224, 3) and image.dtype == torch.float32
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    # The colour of image 2 (uniform (40, 100, 200) but for one red pixel) survives the centre crop.
    centre = image[2, 112, 112]
    assert torch.allclose(centre, torch.tensor([40, 100, 200], dtype=torch.float32) / 255, atol=1 / 255)
    assert results["4"]["ui"]["text"][0].startswith("private set held in the worker (its size stays private)")
    assert results["6"]["ui"]["text"][0].startswith("clip-vit-h-14 · image_embeds [1, 1024]")
    assert results["1"]["ui"]["text"] == [TEXT]
    small = _load(host, "lpi-two", size=32)["result"][0]
    assert small.shape == (2, 32, 32, 3)


def _capture(host, caplog, folder):
    progress = []
    hook = lambda value, total: progress.append((value, total))  # noqa: E731
    PROGRESS_HOOKS.append(hook)
    caplog.clear()
    try:
        with caplog.at_level(logging.DEBUG):
            out = _load(host, folder)
    finally:
        PROGRESS_HOOKS.remove(hook)
    return out["ui"], progress, [r.getMessage() for r in caplog.records]


def test_ui_progress_and_logs_are_the_same_for_2_and_5_images(host, sets, caplog):
    ui2, progress2, log2 = _capture(host, caplog, "lpi-two")
    ui5, progress5, log5 = _capture(host, caplog, "lpi-five")
    assert ui2 == ui5 == {"text": [TEXT]}
    assert progress2 == progress5
    everything = json.dumps([ui2, ui5, progress2, progress5]) + "\n".join(log2 + log5)
    assert "secret_lpi" not in everything and "lpi-two" not in everything and "lpi-five" not in everything


def test_an_unreadable_file_fails_without_its_name_or_is_skipped(host, sets):
    with pytest.raises(Exception) as err:
        _load(host, "lpi-bad")
    msg = str(err.value)
    assert msg.startswith("[IMAGE_UNREADABLE] a file in the private folder could not be decoded as an image")
    assert "secret_lpi" not in msg and "lpi-bad" not in msg and "2" not in msg
    out = _load(host, "lpi-bad", on_unreadable="skip")
    assert out["result"][0].shape == (2, 64, 64, 3)
    assert out["ui"]["text"] == [TEXT]


def test_a_folder_under_input_works_with_the_served_warning(host, sets):
    out = _load(host, "input/served-set", size=20)
    assert out["result"][0].shape == (3, 20, 20, 3)
    text = out["ui"]["text"]
    assert text[0] == TEXT and text[1].startswith("warning: this folder is in ComfyUI's input/")

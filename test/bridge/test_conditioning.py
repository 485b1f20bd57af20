"""The Stable Diffusion route through the REAL bridge and worker in the ComfyUI stand-in: CLIP_VISION_OUTPUT and
EMBEDS converters, Build DP Conditioning Pack, DP Embed (CLIP Vision) → Noisy Aggregate → DP Conditioning, the family
and batch checks, and the n canary (nothing about the private set's size in ui, history, errors or logs)."""
import json
import logging
import os
import re
import shutil
import sys

import pytest

from comfy_standin import ConditioningSink

PACK = "cond-vit-h"
N_CANARY = 37  # an unusual private n, searched for everywhere afterwards


def _build_pack(host, name=PACK, model="vit-h", count=40, k=8):
    return host.executor().run({
        "1": {"class_type": "RandomImages", "inputs": {"count": count, "size": 32, "seed": 1}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": model}},
        "3": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["1", 0], "crop": "center"}},
        "4": {"class_type": "DPHyperLoRA_BuildConditioningPack", "inputs": {
            "public_clip_vision_output": ["3", 0], "k": k, "field": "image_embeds", "name": name, "whose": "stand-in public images"}},
    })


def _private_chain(pack=PACK, model="vit-h", count=N_CANARY, image_count=None, release=1, relation="add-remove",
                   too_few="make the LoRA anyway"):
    return {
        "1": {"class_type": "RandomImages", "inputs": {"count": count, "size": 32, "seed": 2}},
        "5": {"class_type": "RandomImages", "inputs": {"count": image_count or count, "size": 32, "seed": 2}},
        "2": {"class_type": "CLIPVisionLoader", "inputs": {"clip_name": model}},
        "3": {"class_type": "CLIPVisionEncode", "inputs": {"clip_vision": ["2", 0], "image": ["1", 0], "crop": "center"}},
        "4": {"class_type": "DPHyperLoRA_EmbedClipVision", "inputs": {"pack": pack, "clip_vision_output": ["3", 0], "images": ["5", 0]}},
        "6": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
            "embeddings": ["4", 0], "epsilon": 4.0, "delta": 1e-5, "relation": relation, "n_public": count if relation == "replace-one" else 0, "release": release,
            "too_few_images": too_few}},
        "7": {"class_type": "DPHyperLoRA_Conditioning", "inputs": {"pack": pack, "dp_embedding": ["6", 0]}},
        "8": {"class_type": "ConditioningSink", "inputs": {"clip_vision_output": ["7", 0], "pos": ["7", 1], "neg": ["7", 2]}},
    }


@pytest.fixture(scope="module")
def pack_dir(host, comfy_root):
    results = _build_pack(host)
    text = results["4"]["ui"]["text"]
    assert text[0] == f"wrote models/dp_hyperlora/{PACK}/ from 40 public images (stand-in public images)"
    assert text[1].startswith("clip-vit-h-14 · image_embeds 1024-d → k = 8 directions")
    path = os.path.join(comfy_root, "models", "dp_hyperlora", PACK)
    yield path
    shutil.rmtree(path)  # the host is shared by the session: leave its pack dropdown as the other tests expect


def test_build_pack_writes_manifest_and_basis_from_public_images(pack_dir):
    with open(os.path.join(pack_dir, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    assert manifest["builtFrom"]["data"] == "public" and manifest["builtFrom"]["whose"] == "stand-in public images"
    assert manifest["model"] == {"family": "clip-vit-h-14", "dim": 1024}
    assert manifest["basis"]["k"] == 8 and manifest["field"] == "image_embeds"
    assert os.path.getsize(os.path.join(pack_dir, "basis.safetensors")) > 8 * 1024 * 4


def test_rebuilding_the_same_pack_is_idempotent_and_another_is_refused(host, pack_dir):
    _build_pack(host)  # same content: fine
    with pytest.raises(Exception, match=r"^\[OUTPUT_EXISTS\] models/dp_hyperlora/cond-vit-h/basis.safetensors exists"):
        _build_pack(host, count=41)


def test_a_vit_h_pack_is_refused_for_a_bigg_model_naming_both(host, pack_dir):
    with pytest.raises(Exception) as err:
        host.executor().run(_private_chain(model="vit-g"))
    msg = str(err.value)
    assert msg.startswith("[PACK_INCOMPATIBLE] the conditioning pack \"cond-vit-h\" was built for clip-vit-h-14 (image_embeds of 1024 dimensions), "
                          "but the connected CLIP-vision model is clip-vit-bigg-14 (1280 dimensions)")


def test_batch_sizes_must_match_and_the_error_names_no_size(host, pack_dir):
    with pytest.raises(Exception) as err:
        host.executor().run(_private_chain(image_count=N_CANARY + 1))
    msg = str(err.value)
    assert msg.startswith("[INVALID_INPUT_DATA] DPHyperLoRA_EmbedClipVision: the IMAGE batch and the CLIP_VISION_OUTPUT batch differ in size")
    assert str(N_CANARY) not in msg and str(N_CANARY + 1) not in msg


def test_full_route_outputs_a_real_output_and_embeds_and_the_n_canary_stays_private(host, pack_dir, caplog):
    import torch
    before = len(ConditioningSink.SEEN)
    with caplog.at_level(logging.DEBUG):
        results = host.executor().run(_private_chain(release=201))
        again = host.executor().run(_private_chain(release=201))  # re-queue: cached, nothing new spent
    cvo, pos, neg = ConditioningSink.SEEN[before]
    assert type(cvo) is sys.modules["comfy.clip_vision"].Output  # the host's own class, built by the bridge
    assert cvo["image_embeds"].shape == (1, 1024) and cvo.image_embeds.dtype == torch.float32
    assert cvo.last_hidden_state is None and cvo.penultimate_hidden_states is None and cvo.mm_projected is None
    assert torch.equal(pos, cvo.image_embeds) and pos.dtype == torch.float32
    assert neg.shape == (1, 1024) and not neg.any()
    with open(os.path.join(pack_dir, "manifest.json"), encoding="utf-8") as fh:
        out_norm = json.load(fh)["output"]["norm"]
    assert abs(float(pos.norm()) - out_norm) < 1e-3 * out_norm
    agg = results["6"]["ui"]["text"]
    assert agg[0].startswith("privacy cost ε = 3.99 of your 10 per image")
    assert any(t.startswith("details: add-remove · ε = 3.99") for t in agg)
    assert results["6"]["ui"]["dp_release"][0]["count"]["treatment"] == "noisy-count"
    cond = results["7"]["ui"]["text"]
    assert cond[0] == "clip-vit-h-14 · image_embeds [1, 1024] from k = 8 public directions (pack cond-vit-h)"
    sigma = results["6"]["ui"]["dp_release"][0]["sigmaSum"]
    assert f"σ_sum = {float(f'{sigma:.4g}'):g}" in cond[1]  # the release's own σ, not a re-plan
    assert [t for t in cond if t.startswith("⚠")] == [t for t in agg if t.startswith("⚠")]
    # Everything ComfyUI got (ui of every node, both runs, the logs, the handle's text) has no trace of n.
    handle = results["4"]["result"][0]
    # The noisy count is a DP output, shown on purpose (and often close to n): it is left out of the search.
    uis = json.loads(json.dumps([r["ui"] for r in list(results.values()) + list(again.values())]))
    for ui in uis:
        ui["text"] = [t for t in ui.get("text", []) if not t.startswith("number of images: kept private; only a noisy count was released")]
        for summary in ui.get("dp_release", []):
            summary["count"].pop("noisyCount")
    everything = json.dumps(uis, ensure_ascii=False)
    everything += "\n".join(caplog.messages) + repr(handle) + str(handle)
    assert repr(handle) == "<DP_EMBEDDINGS: opaque; the data stays in the DP HyperLoRA worker>"
    leak = re.search(rf"(?<![\d.]){N_CANARY}(?![\d.])", everything)
    assert not leak, f"the private n leaked: ...{everything[max(0, leak.start() - 80):leak.end() + 40]}..."


def test_too_few_images_warn_on_both_nodes_naming_the_n_that_fits(host, pack_dir):
    # replace-one with a declared (public) n = 2: the public count is exact, so the warning is certain.
    results = host.executor().run(_private_chain(count=2, release=203, relation="replace-one"))
    warn = [t for t in results["6"]["ui"]["text"] if t.startswith("⚠")]
    assert len(warn) == 1 and "above half the clip norm" in warn[0] and re.search(r"needs about n ≥ \d+ images", warn[0])
    assert [t for t in results["7"]["ui"]["text"] if t.startswith("⚠")] == warn


def test_too_few_images_stop_the_conditioning_route_before_any_charge_under_replace_one(host, pack_dir):
    # The same threshold as the warning (expected noise norm above C/2), applied by Noisy Aggregate's gate.
    with pytest.raises(Exception, match=r"^\[TOO_FEW_IMAGES\] refused before any privacy budget was spent"):
        host.executor().run(_private_chain(count=2, release=204, relation="replace-one", too_few="stop after the count"))


def test_a_conditioning_release_is_refused_by_hypernetwork_lora(host, pack_dir):
    prompt = _private_chain(release=202)
    del prompt["7"], prompt["8"]
    prompt["9"] = {"class_type": "DPHyperLoRA_LoadHypernetwork", "inputs": {"pack": "sd15-test"}}
    prompt["10"] = {"class_type": "DPHyperLoRA_HypernetworkLoRA", "inputs": {
        "pack": ["9", 0], "dataset_embedding": ["6", 0], "strength_model": 1.0, "strength_clip": 1.0}}
    prompt["11"] = {"class_type": "LoraSink", "inputs": {"lora": ["10", 2]}}
    with pytest.raises(Exception, match=r"^\[PACK_INCOMPATIBLE\] DPHyperLoRA_HypernetworkLoRA: this DP dataset embedding was released by the conditioning route"):
        host.executor().run(prompt)


def test_the_bridge_writes_only_the_two_pack_files_into_a_plain_pack_folder(host):
    write = host.plugin.bridge.paths.write_model_file
    for folder, name, sub in [("dp_hyperlora", "manifest.json", "../escape"), ("dp_hyperlora", "other.bin", "ok"),
                              ("dp_hyperlora", "manifest.json", None), ("loras", "x.safetensors", "sub")]:
        with pytest.raises(Exception, match=r"^\[PATH_TRAVERSAL\]"):
            write(folder, name, b"{}", sub)

"""End to end through the REAL bridge and the REAL TypeScript worker, inside the ComfyUI stand-in."""
import json
import re
import logging
import os
import signal
import struct
import time

import pytest

from comfy_standin import LORA_CALLS, PROGRESS_HOOKS, FakeModel, ModelSink, PreviewImage, model_source
from workflows_api import dp_chain, reference_demo, with_save

SECRET = "secret_holiday_"


REPEAT = "privacy cost now: 0 (release #N was already made; repeats are free)"


def _texts(results):
    return [t for r in results.values() for t in r["ui"].get("text", [])]


def _charged(results, nid="3"):
    line = next(t for t in results[nid]["ui"]["text"] if t.startswith("privacy cost"))
    # A repeat reads "privacy cost now: 0 (release #N was already made; repeats are free) · about K more …";
    # normalise N away and drop the releases-left tail.
    return re.sub(r"release #\d+", "release #N", line.split(" · about ")[0])


def test_dp_nodes_with_an_sd15_pack_patch_the_model_and_every_key_maps(host):
    ex = host.executor()
    prompt = dp_chain("sd15-test", release=101)
    prompt["4"]["inputs"]["model"] = ["9", 0]
    prompt["9"] = {"class_type": "StandinModel", "inputs": {}}
    host.mappings["StandinModel"] = _model_node("sd15")
    prompt["8"] = {"class_type": "ModelSink", "inputs": {"model": ["4", 0]}}
    before = len(LORA_CALLS)
    results = ex.run(prompt)
    assert ex.executed == ["1", "2", "3", "9", "4", "8", "11"]
    call = LORA_CALLS[before]
    assert call["unused"] == [] and call["shape_errors"] == []
    assert call["modules"] == 128  # 16 blocks × 8 projections (comfyui.md §3.4)
    assert len(call["lora"]) == 128 * 3 and call["strength_model"] == 1.0
    assert type(call["lora"]).__name__ == "LoraTensors" and isinstance(call["lora"], dict)
    patched = ModelSink.SEEN[-1]
    assert patched.arch == "sd15" and len(patched.patches) == 128
    _assert_matches_real_unet(call, patched, "sd15")
    lines = results["3"]["ui"]["text"]
    assert re.fullmatch(r"privacy cost ε = 0\.9995 of your 10 per image · about \d+ more releases like this", lines[0])
    assert lines[1].startswith("release #101: re-running it is free")
    assert lines[3].startswith("number of images: kept private; only a noisy count was released (≈ ")
    assert lines[4].startswith("details: add-remove · ε = 0.9995, δ = 0.00001 · σ_sum = ")
    assert _charged(results) != REPEAT
    summary = results["3"]["ui"]["dp_release"][0]
    assert summary["schema"] == "dp-hyperlora.release-summary/1" and summary["releaseNumber"] == 101
    assert summary["charged"] is True and summary["count"]["treatment"] == "noisy-count"
    assert set(summary) == {"schema", "releaseNumber", "relation", "epsilon", "delta", "count", "sigmaSum", "clipNorm",
                            "charged", "epsilonCharged", "budgetLeftEpsilon", "warnings", "budgetEpsilon", "releasesLeft", "rho"}


_REAL_ATTENTION = re.compile(r"\.transformer_blocks\.\d+\.attn[12]\.to_(q|k|v|out\.0)\.weight$")


def _assert_matches_real_unet(call, patched, arch):
    """Checks the LoRA against the UNet keys and shapes that real ComfyUI 0.3.64 built (test/fixtures/lora/,
    recorded on the meta device), not against the stand-in's table or src/lora/layouts: the patched weights
    are exactly the real model's attention projections, and every factor's shape fits its real weight."""
    import gzip
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "lora", f"unet-keys-{arch}.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        real = json.load(fh)
    assert real["comfyui"] == "0.3.64" and real["base"] == arch
    attention = {k for k in real["keys"] if _REAL_ATTENTION.search(k)}
    assert set(patched.patches) == attention, sorted(set(patched.patches) ^ attention)[:5]
    rank = None
    for key, tensor in call["lora"].items():
        out_dim, in_dim = real["shapes"][call["targets"][key]]
        shape = list(tensor.shape)
        if key.endswith(".lora_down.weight"):
            rank = rank or shape[0]
            assert shape == [rank, in_dim], (key, shape, in_dim)
        elif key.endswith(".lora_up.weight"):
            assert shape[0] == out_dim, (key, shape, out_dim)
        else:
            assert key.endswith(".alpha") and shape == [], (key, shape)


def _model_node(arch):
    return model_source(lambda: FakeModel(arch))


def test_save_dp_lora_writes_a_content_addressed_file_with_dp_metadata(host, comfy_root):
    ex = host.executor()
    results = ex.run(with_save(dp_chain("sd15-test", release=102), prefix="mystyle"))
    text = results["5"]["ui"]["text"][0]
    assert text.startswith("saved models/loras/mystyle_sd15-test_eps1_r102_") and text.endswith(".safetensors")
    name = text[len("saved models/loras/"):]
    path = os.path.join(comfy_root, "models", "loras", name)
    with open(path, "rb") as fh:
        (hlen,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(hlen))
    meta = header.pop("__metadata__")
    assert meta["dp_hyperlora.relation"] == "add-remove" and meta["dp_hyperlora.packId"] == "sd15-test"
    assert meta["dp_hyperlora.releaseNumber"] == "102" and "dp_hyperlora.sigmaSum" in meta
    assert len(header) == 128 * 3
    assert header["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight"]["shape"] == [4, 768]
    assert header["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight"]["shape"] == [320, 4]
    assert SECRET not in json.dumps(meta)
    # Saving again (a fresh executor, as after a restart) gives the same file, not a second one.
    again = host.executor().run(with_save(dp_chain("sd15-test", release=102), prefix="mystyle"))
    assert again["5"]["ui"]["text"][0] == text
    assert sorted(os.listdir(os.path.join(comfy_root, "models", "loras"))).count(name) == 1


def test_requeue_and_restart_never_spend_budget_again(host):
    prompt = dp_chain("sd15-test", release=103)
    ex = host.executor()
    first = ex.run(prompt)
    assert _charged(first) != REPEAT
    second = ex.run(prompt)  # re-queue: ComfyUI's cache serves every node
    assert ex.executed == [] and ex.cached == ["1", "2", "3", "4", "11"]
    host.hub.restart("test: simulated ComfyUI restart")
    third = host.executor().run(prompt)  # new cache and a new worker: the ledger's stored release is reused
    assert _charged(third) == REPEAT
    assert first["3"]["result"][0]["embedding"] == third["3"]["result"][0]["embedding"]
    assert second["3"]["result"][0] is first["3"]["result"][0]
    bumped = host.executor().run(dp_chain("sd15-test", release=104))
    assert _charged(bumped) != REPEAT
    assert bumped["3"]["result"][0]["embedding"] != first["3"]["result"][0]["embedding"]


def test_changed_folder_content_re_embeds(host, comfy_root):
    import shutil
    src = os.path.join(comfy_root, "models", "dp_private_sets", "private-set")
    dst = os.path.join(comfy_root, "models", "dp_private_sets", "growing-set")
    shutil.copytree(src, dst)
    ex = host.executor()
    prompt = dp_chain("sd15-test", folder="growing-set", release=105)
    ex.run(prompt)
    ex.run(prompt)
    assert ex.executed == []
    from PIL import Image
    Image.new("RGB", (20, 20), (200, 30, 90)).save(os.path.join(dst, "extra.png"))
    after = ex.run(prompt)
    assert ex.executed == ["2", "3", "4", "11"]  # the folder hash changed: a new set, a new release
    assert _charged(after) != REPEAT


def test_image_batch_input_and_both_sources_refused(host):
    ex = host.executor()
    prompt = dp_chain("sd15-test", folder="(none: use the images input)", release=106)
    prompt["2"]["inputs"]["images"] = ["10", 0]
    prompt["10"] = {"class_type": "RandomImages", "inputs": {"count": 5, "size": 24, "seed": 3}}
    results = ex.run(prompt)
    assert results["3"]["ui"]["text"][1].startswith("release #106:")
    both = dp_chain("sd15-test", folder="private-set", release=106)
    both["2"]["inputs"]["images"] = ["10", 0]
    both["10"] = prompt["10"]
    with pytest.raises(Exception) as err:
        host.executor().run(both)
    assert "[INVALID_ARGUMENT]" in str(err.value) and "choose one" in str(err.value)


def test_pack_and_model_mismatch_is_a_clear_error(host):
    host.mappings["StandinModelXL"] = _model_node("sdxl")
    prompt = dp_chain("sd15-test", release=107)
    prompt["4"]["inputs"]["model"] = ["9", 0]
    prompt["9"] = {"class_type": "StandinModelXL", "inputs": {}}
    prompt["8"] = {"class_type": "ModelSink", "inputs": {"model": ["4", 0]}}
    with pytest.raises(Exception) as err:
        host.executor().run(prompt)
    msg = str(err.value)
    assert msg.startswith("[PACK_INCOMPATIBLE] DPHyperLoRA_HypernetworkLoRA: pack sd15-test makes sd15 LoRAs but the connected MODEL is sdxl")
    ref = dp_chain("ref-test", release=107)
    ref["4"]["inputs"]["model"] = ["9", 0]
    ref["9"] = {"class_type": "StandinModel", "inputs": {}}
    host.mappings["StandinModel"] = _model_node("sd15")
    ref["8"] = {"class_type": "ModelSink", "inputs": {"model": ["4", 0]}}
    with pytest.raises(Exception) as err:
        host.executor().run(ref)
    assert "targets its own reference-fmnist model" in str(err.value)


def test_interrupt_cancels_the_worker_job_before_any_budget_is_spent(host):
    import comfy.model_management as mm
    prompt = dp_chain("sd15-test", folder="(none: use the images input)", release=108)
    prompt["2"]["inputs"]["images"] = ["10", 0]
    prompt["10"] = {"class_type": "RandomImages", "inputs": {"count": 4000, "size": 16, "seed": 5}}
    hook = lambda value, total: mm.interrupt_current_processing(True)  # noqa: E731 - the user presses Cancel
    PROGRESS_HOOKS.append(hook)
    ex = host.executor()
    t0 = time.monotonic()
    try:
        with pytest.raises(mm.InterruptProcessingException):
            ex.run(prompt)
    finally:
        PROGRESS_HOOKS.remove(hook)
        mm.interrupt_current_processing(False)
    assert time.monotonic() - t0 < 15
    results = ex.run(prompt)  # the worker is still usable, and nothing was charged by the cancelled run
    assert _charged(results) != REPEAT


def test_killed_worker_is_an_error_in_bounded_time_then_recovers(host):
    prompt = dp_chain("sd15-test", folder="(none: use the images input)", release=109)
    prompt["2"]["inputs"]["images"] = ["10", 0]
    prompt["10"] = {"class_type": "RandomImages", "inputs": {"count": 3000, "size": 16, "seed": 6}}
    host.executor().run(dp_chain("sd15-test", release=109))  # make sure a worker is running
    pid = host.hub._proc.pid
    killed = []

    def kill(value, total):
        if not killed:
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)
    PROGRESS_HOOKS.append(kill)
    t0 = time.monotonic()
    try:
        with pytest.raises(Exception) as err:
            host.executor().run(prompt)
    finally:
        PROGRESS_HOOKS.remove(kill)
    assert time.monotonic() - t0 < 15
    assert "[WORKER_UNAVAILABLE] the worker went away while running this node" in str(err.value)
    results = host.executor().run(dp_chain("sd15-test", release=109))
    assert host.hub._proc.pid != pid
    assert _charged(results) == REPEAT


def test_bad_or_missing_token_is_refused_and_not_logged(host, caplog):
    import aiohttp
    import asyncio

    async def attempt(headers):
        async with aiohttp.ClientSession() as s:
            try:
                async with s.ws_connect(f"http://127.0.0.1:{host.port}/dp_hyperlora/worker", headers=headers):
                    return 101
            except aiohttp.WSServerHandshakeError as e:
                return e.status
    wrong = "not-the-token-0123456789abcdef"
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        assert asyncio.run(attempt({"Authorization": f"Bearer {wrong}"})) == 401
        assert asyncio.run(attempt({})) == 401
    refusals = [r.getMessage() for r in caplog.records if "refused a worker connection" in r.getMessage()]
    assert len(refusals) == 2
    assert all(wrong not in m and host.hub._token not in m for m in caplog.messages)


def test_path_traversal_in_pack_and_folder_names_is_refused(host):
    ex = host.executor()
    bad = dp_chain("../../etc")
    with pytest.raises(ValueError, match="1.pack: value_not_in_list"):
        ex.run(bad)
    load = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_LoadHypernetwork"]()
    for name in ("../sd15-test", "/etc", "..", "a/../../b"):
        with pytest.raises(Exception, match=r"^\[PATH_TRAVERSAL\] the pack must be one plain folder name"):
            load.run(pack=name)
    embed = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"]()
    pack = ex.run(with_save(dp_chain("sd15-test", release=110)))["1"]["result"][0]
    with pytest.raises(Exception, match=r"^\[PATH_TRAVERSAL\] the folder must be one plain folder name"):
        embed.run(pack=pack, folder="../input/private-set", on_unreadable="fail")


def test_missing_nodejs_still_registers_and_says_what_to_install(host, monkeypatch):
    host.hub.restart("test: no node")
    monkeypatch.setenv("DP_HYPERLORA_NODE", "/nonexistent/node")
    with pytest.raises(Exception) as err:
        host.executor().run(dp_chain("sd15-test", release=111))
    assert "[WORKER_UNAVAILABLE] Node.js at /nonexistent/node does not run" in str(err.value)
    assert "install Node.js 20 or newer" in str(err.value)
    monkeypatch.delenv("DP_HYPERLORA_NODE")
    host.executor().run(dp_chain("sd15-test", release=111))


def test_reference_demo_workflow_produces_images(host):
    before = len(PreviewImage.SEEN)
    results = host.executor().run(reference_demo(count=3, steps=3))
    images = PreviewImage.SEEN[before]
    assert tuple(images.shape) == (3, 56, 56, 3)
    assert str(images.dtype) == "torch.float32" and float(images.min()) >= 0 and float(images.max()) <= 1
    assert len(results["7"]["ui"]["images"]) == 3


def test_the_committed_reference_demo_workflow_runs_on_the_bundled_pack_and_sample_set(host):
    ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    if not os.path.isfile(os.path.join(ROOT, "models", "reference", "manifest.json")):
        pytest.skip("the bundled reference pack (models/reference) is not in this checkout")
    with open(os.path.join(ROOT, "workflows", "api", "0-reference-demo.json"), encoding="utf-8") as fh:
        prompt = json.load(fh)
    for sampler in ("5", "8"):  # keep CI fast; the graph is the committed one
        prompt[sampler]["inputs"].update({"count": 4, "steps": 10})
    before = len(PreviewImage.SEEN)
    ex = host.executor()
    results = ex.run(prompt)
    assert sorted(ex.executed, key=int) == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    shown = PreviewImage.SEEN[before:]  # two previews (base model, DP LoRA) and the saved DP-LoRA images
    assert [tuple(s.shape) for s in shown] == [(4, 112, 112, 3)] * 3
    distinct = {s.numpy().tobytes() for s in shown}
    assert len(distinct) == 2  # strength 0 vs 1 from the same seed: the LoRA changes something
    assert results["1"]["ui"]["text"][0].startswith("pack reference-fmnist ")
    assert results["3"]["ui"]["text"][0].startswith("privacy cost ε = 0.9995 of your 10 per image · about ")
    assert len(results["7"]["ui"]["images"]) == 4


def test_no_private_value_reaches_ui_errors_or_logs(host, caplog):
    handle = None
    with caplog.at_level(logging.DEBUG):
        results = host.executor().run(dp_chain("sd15-test", release=112))
        handle = results["2"]["result"][0]
        try:
            host.executor().run(dp_chain("sd15-test", relation="replace-one", n_public=5, release=112))
        except Exception as e:  # noqa: BLE001 - the message is what we check
            err = str(e)
    assert "no longer holds" not in err and SECRET not in err
    assert err.startswith("[INVALID_ARGUMENT] under replace-one the declared n (--n on the command line, n_public on Noisy Aggregate) must equal")
    everything = "\n".join(_texts(results) + caplog.messages + [err, repr(handle), str(handle)])
    assert SECRET not in everything
    assert repr(handle) == "<DP_EMBEDDINGS: opaque; the data stays in the DP HyperLoRA worker>"
    assert "6 images" not in everything and "n = 6" not in everything


def test_a_hung_worker_is_a_timeout_error_then_a_fresh_worker(host, monkeypatch):
    prompt = dp_chain("sd15-test", folder="(none: use the images input)", release=113)
    prompt["2"]["inputs"]["images"] = ["10", 0]
    prompt["10"] = {"class_type": "RandomImages", "inputs": {"count": 3000, "size": 16, "seed": 8}}
    host.executor().run(dp_chain("sd15-test", release=113))  # a running worker
    pid = host.hub._proc.pid
    monkeypatch.setattr(host.hub.settings, "idle_timeout", 3.0)
    stopped = []

    def hang(value, total):
        if not stopped:
            stopped.append(pid)
            os.kill(pid, signal.SIGSTOP)  # alive, connected, silent: no progress, no heartbeat
    PROGRESS_HOOKS.append(hang)
    t0 = time.monotonic()
    try:
        with pytest.raises(Exception) as err:
            host.executor().run(prompt)
    finally:
        PROGRESS_HOOKS.remove(hang)
    assert time.monotonic() - t0 < 15
    assert str(err.value).startswith("[TIMEOUT] the worker sent nothing for 3 s (no progress, no heartbeat); it was stopped")
    monkeypatch.undo()
    results = host.executor().run(dp_chain("sd15-test", release=113))
    assert host.hub._proc.pid != pid
    assert _charged(results) == REPEAT


def test_a_cached_handle_lost_by_a_restarted_worker_is_recreated_transparently(host, caplog):
    ex = host.executor()
    ex.run(dp_chain("sd15-test", release=121))
    host.hub.restart("test: the worker restarts between two prompts")
    with caplog.at_level(logging.INFO, logger="dp_hyperlora"):
        results = ex.run(dp_chain("sd15-test", release=122))  # DP Embed's handle comes from ComfyUI's cache
    assert ex.cached == ["1", "2"] and ex.executed == ["3", "4", "11"]
    assert results["3"]["ui"]["text"][1].startswith("release #122:")
    assert any("recomputing it once" in m for m in caplog.messages)


@pytest.mark.parametrize("name,pack,arch,modules", [
    ("1-sd15-not-yet-needs-an-sd15-pack", "sd15-test", "sd15", 128),
    ("2-sdxl-not-yet-needs-an-sdxl-pack", "sdxl-test", "sdxl", 560),
])
def test_the_committed_sd_workflows_patch_the_model_that_reaches_ksampler(host, name, pack, arch, modules):
    from comfy_standin import KSampler
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    with open(os.path.join(root, "workflows", "api", f"{name}.json"), encoding="utf-8") as fh:
        prompt = json.load(fh)
    prompt["1"]["inputs"]["pack"] = pack  # the placeholders name packs and folders the user installs
    prompt["2"]["inputs"]["folder"] = "private-set"
    prompt["3"]["inputs"]["release"] = 130
    prompt["3"]["inputs"]["too_few_images"] = "make the LoRA anyway"  # 6 test images: test_noise_gate.py checks the stop
    before = len(LORA_CALLS)
    ex = host.executor()
    ex.run(prompt)
    assert sorted(ex.executed, key=int) == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "20"]
    call = LORA_CALLS[before]
    assert (call["modules"], call["unused"], call["shape_errors"], len(call["lora"])) == (modules, [], [], modules * 3)
    sampled = KSampler.SEEN[-1]
    assert sampled.arch == arch and len(sampled.patches) == modules
    _assert_matches_real_unet(call, sampled, arch)

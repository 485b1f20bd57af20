"""Private-set roots: the default root and configured roots are offered in DP Embed's dropdown, ComfyUI's HTTP routes
neither serve nor list them, and a folder under input/ still works but is flagged as served."""
import json
import logging
import os
import urllib.error
import urllib.request

import pytest

from workflows_api import dp_chain


def _get(host, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{host.port}{path}", timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _folder_choices(host):
    return host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"].INPUT_TYPES()["required"]["folder"][0]


def test_default_root_is_offered_and_input_folders_are_marked(host, comfy_root):
    import folder_paths
    assert os.path.isdir(os.path.join(comfy_root, "models", "dp_private_sets"))
    choices = _folder_choices(host)
    assert choices[:2] == ["demo-data/private-set (bundled)", "(none: use the images input)"]
    assert "private-set" in choices and "input/served-set" in choices and "served-set" not in choices
    assert "dp_private_sets" not in folder_paths.folder_names_and_paths


def test_view_cannot_fetch_a_private_image_from_the_default_root(host, comfy_root):
    private = os.path.join(comfy_root, "models", "dp_private_sets", "private-set")
    files = sorted(os.listdir(private))
    assert len(files) == 6
    for f in files:
        for kind in ("input", "output", "temp"):
            assert _get(host, f"/view?filename={f}&type={kind}&subfolder=private-set")[0] == 404
        assert _get(host, f"/view?filename={f}&type=input&subfolder=../models/dp_private_sets/private-set")[0] == 403
        assert _get(host, f"/view?filename=../models/dp_private_sets/private-set/{f}&type=input")[0] == 400
    for route in ("/models/dp_private_sets", "/experiment/models/dp_private_sets"):
        assert _get(host, route)[0] == 404
    # The same request for a folder under input/ is served: ComfyUI's /view is exactly what the default root avoids.
    served = sorted(os.listdir(os.path.join(comfy_root, "input", "served-set")))[0]
    status, body = _get(host, f"/view?filename={served}&type=input&subfolder=served-set")
    assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"


def test_configured_roots_from_extra_model_paths_and_the_environment(host, tmp_path, monkeypatch):
    import folder_paths
    from importlib import import_module
    private_sets = import_module("dp_hyperlora_plugin.bridge.private_sets")
    yaml_root, env_root = tmp_path / "yaml-root", tmp_path / "env-root"
    (yaml_root / "portraits-2024").mkdir(parents=True)
    (env_root / "sketches").mkdir(parents=True)
    folder_paths.add_model_folder_path("dp_private_sets", str(yaml_root))  # what an extra_model_paths.yaml entry does
    monkeypatch.setenv("DP_HYPERLORA_PRIVATE_SETS", str(env_root))
    before = list(private_sets._claimed)
    try:
        private_sets.claim_roots()
        assert "dp_private_sets" not in folder_paths.folder_names_and_paths  # no ComfyUI route lists it
        assert _get(host, "/models/dp_private_sets")[0] == 404
        choices = _folder_choices(host)
        assert "portraits-2024" in choices and "sketches" in choices
        assert choices.index("private-set") < choices.index("portraits-2024") < choices.index("sketches")
        assert private_sets.resolve("sketches") == str(env_root / "sketches")
    finally:
        private_sets._claimed[:] = before


def test_an_input_folder_works_with_a_warning_and_names_stay_private(host, caplog):
    embed = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"]()
    pack = host.executor().run(dp_chain("sd15-test", release=140))["1"]["result"][0]
    with caplog.at_level(logging.WARNING, logger="dp_hyperlora"):
        out = embed.run(pack=pack, folder="input/served-set", on_unreadable="fail")
    text = out["ui"]["text"]
    assert text[0] == "private set held in the worker (its size stays private)"
    assert text[1].startswith("warning: this folder is in ComfyUI's input/, which ComfyUI serves to anyone")
    assert any("ComfyUI serves to any client" in m for m in caplog.messages)
    assert "secret_served_" not in json.dumps(text) + " ".join(caplog.messages)
    quiet = embed.run(pack=pack, folder="private-set", on_unreadable="fail")
    assert quiet["ui"]["text"] == ["private set held in the worker (its size stays private)"]


@pytest.mark.parametrize("label", ["input/../private-set", "input/", "input/a/b", "../models/dp_private_sets/private-set"])
def test_labels_that_climb_out_are_refused(host, label):
    embed = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"]()
    pack = host.executor().run(dp_chain("sd15-test", release=140))["1"]["result"][0]
    with pytest.raises(Exception, match=r"^\[PATH_TRAVERSAL\] the folder must be one plain folder name"):
        embed.run(pack=pack, folder=label, on_unreadable="fail")

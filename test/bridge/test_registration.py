"""Registration: the V1 node classes built from nodes/manifest.json, as ComfyUI sees them."""
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

MANIFEST = json.load(open(os.path.join(ROOT, "nodes", "manifest.json"), encoding="utf-8"))


def test_every_manifest_node_is_registered_with_display_name(host):
    ids = [n["id"] for n in MANIFEST["nodes"]]
    assert ids == ["DPHyperLoRA_LoadHypernetwork", "DPHyperLoRA_Embed", "DPHyperLoRA_NoisyAggregate",
                   "DPHyperLoRA_HypernetworkLoRA", "DPHyperLoRA_SaveLoRA", "DPHyperLoRA_ReferenceSampler",
                   "DPHyperLoRA_BuildConditioningPack", "DPHyperLoRA_LoadPrivateImages", "DPHyperLoRA_EmbedClipVision",
                   "DPHyperLoRA_Conditioning", "DPHyperLoRA_EmbedClipVisionPack"]
    # The pack trainer is the one Python node (training/sdpack/comfy_node.py), merged in by __init__.py.
    assert list(host.plugin.NODE_CLASS_MAPPINGS) == ids + ["DPHyperLoRA_TrainSDPack"]
    assert host.plugin.NODE_DISPLAY_NAME_MAPPINGS["DPHyperLoRA_TrainSDPack"] == "Train SD Pack (public images)"
    assert host.plugin.NODE_DISPLAY_NAME_MAPPINGS["DPHyperLoRA_NoisyAggregate"] == "Noisy Aggregate"
    assert host.plugin.WEB_DIRECTORY == "./web/js"


def test_classes_follow_the_v1_contract(host):
    for spec in MANIFEST["nodes"]:
        cls = host.plugin.NODE_CLASS_MAPPINGS[spec["id"]]
        assert cls.CATEGORY == "DP HyperLoRA"
        assert cls.FUNCTION == "run" and callable(getattr(cls, "run"))
        assert cls.DESCRIPTION == spec["description"]
        assert cls.RETURN_TYPES == tuple(o["type"] for o in spec["outputs"])
        assert all(t.strip() for t in cls.OUTPUT_TOOLTIPS)
        types_ = cls.INPUT_TYPES()
        names = list(types_["required"]) + list(types_["optional"])
        assert names == [i["name"] for i in spec["inputs"]]
        for group in ("required", "optional"):
            for name, (kind, opts) in types_[group].items():
                assert opts["tooltip"].strip(), f"{spec['id']}.{name} has no tooltip"


def test_widgets_become_comfy_input_types(host):
    agg = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_NoisyAggregate"].INPUT_TYPES()["required"]
    assert agg["embeddings"][0] == "DP_EMBEDDINGS"
    assert agg["epsilon"][0] == "FLOAT" and agg["epsilon"][1]["default"] == 1 and agg["epsilon"][1]["min"] == 0.01
    assert agg["relation"][0] == ["add-remove", "replace-one"]
    assert agg["release"][0] == "INT" and agg["release"][1]["min"] == 1
    assert "seed" not in agg and not any(o.get("control_after_generate") for _, o in agg.values())
    sampler = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_ReferenceSampler"].INPUT_TYPES()["required"]
    assert sampler["seed"][1]["control_after_generate"] is True
    lora = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_HypernetworkLoRA"].INPUT_TYPES()
    assert lora["optional"]["model"][0] == "MODEL" and lora["optional"]["clip"][0] == "CLIP"
    assert host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_SaveLoRA"].OUTPUT_NODE is True


def test_pack_and_folder_dropdowns_list_folders(host):
    load = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_LoadHypernetwork"].INPUT_TYPES()["required"]["pack"]
    assert load[0] == ["reference (bundled)", "ref-test", "sd15-test", "sdxl-test", "strict-test"]
    assert load[1]["default"] == "reference (bundled)"
    folder = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_Embed"].INPUT_TYPES()["required"]["folder"]
    assert folder[0][:2] == ["demo-data/private-set (bundled)", "(none: use the images input)"]
    assert "private-set" in folder[0][2:]


def test_model_folder_is_registered_with_folder_paths(host, comfy_root):
    import folder_paths
    assert folder_paths.get_folder_paths("dp_hyperlora") == [os.path.join(comfy_root, "models", "dp_hyperlora")]


def test_extra_model_paths_entries_are_listed(host, tmp_path):
    import folder_paths
    extra = tmp_path / "elsewhere"
    (extra / "my-style-pack").mkdir(parents=True)
    folder_paths.add_model_folder_path("dp_hyperlora", str(extra))
    try:
        load = host.plugin.NODE_CLASS_MAPPINGS["DPHyperLoRA_LoadHypernetwork"].INPUT_TYPES()["required"]["pack"]
        assert load[0][-1] == "my-style-pack"
    finally:
        folder_paths.folder_names_and_paths["dp_hyperlora"][0].remove(str(extra))

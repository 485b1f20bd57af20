"""Builds ComfyUI's classic (V1) node classes from nodes/manifest.json, the node schemas exported by the
TypeScript side. Nothing about individual nodes is written here: schemas live once, in nodes/*.ts."""
from __future__ import annotations

import json
import os

from . import paths
from .errors import DPHyperLoRAError
from .execution import run_node

MANIFEST_PATH = os.path.join(paths.PLUGIN_DIR, "nodes", "manifest.json")
_CHOICES = {"packs": paths.list_packs, "input_folders": paths.list_input_folders}


def load_manifest(path: str = MANIFEST_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("format") != "dp-hyperlora-nodes" or manifest.get("formatVersion") != 1:
        raise DPHyperLoRAError("PROTOCOL", f"{path} is not a version-1 node manifest; reinstall the plugin.")
    return manifest


def _input_type(inp: dict):
    kind = inp["kind"]
    opts = {"tooltip": inp["tooltip"]}
    if kind in ("INT", "FLOAT"):
        opts.update({k: inp[k] for k in ("default", "min", "max", "step", "round") if k in inp})
        if inp.get("controlAfterGenerate"):
            opts["control_after_generate"] = True
        return (kind, opts)
    if kind == "STRING":
        opts.update({"default": inp["default"], "multiline": bool(inp.get("multiline", False))})
        return ("STRING", opts)
    if kind == "COMBO":
        opts["default"] = inp["default"]
        return (list(inp["options"]), opts)
    if kind == "CHOICE":
        options = _CHOICES[inp["source"]]()
        if inp.get("default") in options:
            opts["default"] = inp["default"]
        return (options, opts)
    return (inp["type"], opts)


def input_types(spec: dict) -> dict:
    """ComfyUI's INPUT_TYPES dict for one node (required and optional, in schema order)."""
    out = {"required": {}, "optional": {}}
    for inp in spec["inputs"]:
        out["optional" if inp.get("optional") else "required"][inp["name"]] = _input_type(inp)
    return out


def _is_changed(spec: dict):
    key = spec.get("host", {}).get("cacheKey", {"kind": "inputs"})
    if key["kind"] == "folder_content":
        def changed(cls, **kw):
            try:
                return paths.folder_content_hash(paths.resolve_input_folder(kw.get(key["input"])))
            except DPHyperLoRAError:
                return float("nan")  # let execution report the problem
        return classmethod(changed)
    if key["kind"] == "pack_manifest":
        def changed(cls, **kw):
            try:
                return paths.file_hash(os.path.join(paths.resolve_pack(kw.get(key["input"])), "manifest.json"))
            except DPHyperLoRAError:
                return float("nan")
        return classmethod(changed)
    return None


def make_node_class(spec: dict, hub_getter):
    """One V1 node class for `spec`; execution goes through the hub returned by `hub_getter()`."""
    def run(self, **kwargs):
        return run_node(hub_getter(), spec, kwargs)

    attrs = {
        "INPUT_TYPES": classmethod(lambda cls: input_types(spec)),
        "RETURN_TYPES": tuple(o["type"] for o in spec["outputs"]),
        "RETURN_NAMES": tuple(o["name"] for o in spec["outputs"]),
        "OUTPUT_TOOLTIPS": tuple(o["tooltip"] for o in spec["outputs"]),
        "FUNCTION": "run",
        "CATEGORY": spec["category"],
        "DESCRIPTION": spec["description"],
        "OUTPUT_NODE": bool(spec.get("outputNode", False)),
        "run": run,
        "SPEC": spec,
    }
    changed = _is_changed(spec)
    if changed is not None:
        attrs["IS_CHANGED"] = changed
    return type(spec["id"], (), attrs)


def build_mappings(hub_getter, manifest: dict | None = None):
    """(NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS) for ComfyUI."""
    manifest = manifest or load_manifest()
    classes = {n["id"]: make_node_class(n, hub_getter) for n in manifest["nodes"]}
    names = {n["id"]: n["displayName"] for n in manifest["nodes"]}
    return classes, names

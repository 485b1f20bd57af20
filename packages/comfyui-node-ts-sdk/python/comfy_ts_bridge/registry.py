"""Builds ComfyUI's classic (V1) node classes from a pack's node manifest, the node schemas exported by the
TypeScript side. Nothing about individual nodes is written here: schemas live once, in TypeScript."""
from __future__ import annotations

import json

from .errors import BridgeError, fail


def load_manifest(path: str, format_tag: str) -> dict:
    """The manifest at `path`; refuses another format or version."""
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("format") != format_tag or manifest.get("formatVersion") != 1:
        raise fail("PROTOCOL", f"{path} is not a version-1 node manifest; reinstall the plugin.")
    return manifest


def _input_type(inp: dict, choices: dict):
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
        options = list(choices[inp["source"]].options())
        if inp.get("default") in options:
            opts["default"] = inp["default"]
        return (options, opts)
    return (inp["type"], opts)


def input_types(spec: dict, choices: dict | None = None) -> dict:
    """ComfyUI's INPUT_TYPES dict for one node (required and optional, in schema order); `choices`: the pack's
    {source: Choice} for CHOICE inputs."""
    out = {"required": {}, "optional": {}}
    for inp in spec["inputs"]:
        out["optional" if inp.get("optional") else "required"][inp["name"]] = _input_type(inp, choices or {})
    return out


def _is_changed(spec: dict, cache_keys: dict):
    key = spec.get("host", {}).get("cacheKey", {"kind": "inputs"})
    if key["kind"] == "inputs":
        return None
    fn = cache_keys.get(key["kind"])
    if fn is None:
        raise fail("PROTOCOL", f"{spec['id']}: the pack's bridge has no cache key {key['kind']!r}; reinstall the plugin.")

    def changed(cls, **kw):
        try:
            return fn(kw.get(key["input"]))
        except BridgeError:
            return float("nan")  # never equal: the node runs, and execution reports the problem
    return classmethod(changed)


def make_node_class(spec: dict, runner):
    """One V1 node class for `spec`; execution goes through `runner` (./execution.py Runner)."""
    def run(self, **kwargs):
        return runner.run(spec, kwargs)

    attrs = {
        "INPUT_TYPES": classmethod(lambda cls: input_types(spec, runner.config.choices)),
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
    changed = _is_changed(spec, runner.config.cache_keys)
    if changed is not None:
        attrs["IS_CHANGED"] = changed
    return type(spec["id"], (), attrs)


def build_mappings(runner, manifest: dict):
    """(NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS) for ComfyUI; refuses ids and categories that are not the
    pack's (they would collide with other packs, or scatter its nodes in the menu)."""
    config = runner.config
    wrong = [n["id"] for n in manifest["nodes"] if not n["id"].startswith(config.node_prefix) or n["category"] != config.category]
    if wrong:
        raise fail("PROTOCOL", f"nodes {wrong} do not have the pack's id prefix {config.node_prefix!r} and category {config.category!r}; rebuild the manifest.")
    classes = {n["id"]: make_node_class(n, runner) for n in manifest["nodes"]}
    names = {n["id"]: n["displayName"] for n in manifest["nodes"]}
    return classes, names

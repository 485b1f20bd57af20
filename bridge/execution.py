"""Runs one node: encode its inputs, call the worker, decode its outputs, do the declared host operations."""
from __future__ import annotations

import logging

from . import paths
from .errors import DPHyperLoRAError
from .values import FrameSink, OpaqueHandle, decode_output, encode_input

log = logging.getLogger("dp_hyperlora")


def _interrupted() -> bool:
    import comfy.model_management as mm
    return bool(mm.processing_interrupted())


def _raise_interrupt() -> None:
    import comfy.model_management as mm
    mm.throw_exception_if_processing_interrupted()
    raise mm.InterruptProcessingException()


class _Progress:
    """Drives comfy.utils.ProgressBar from worker progress (on the prompt thread, where ComfyUI's hook
    knows the prompt and node ids)."""

    def __init__(self):
        self.bar = None

    def __call__(self, value, maximum):
        import comfy.utils
        total = max(1, int(maximum))
        if self.bar is None:
            self.bar = comfy.utils.ProgressBar(total)
        self.bar.update_absolute(min(int(value), total), total)


def _resolve_choices(spec: dict, kwargs: dict) -> dict:
    resolved = {}
    for inp in spec["inputs"]:
        if inp["kind"] == "CHOICE" and kwargs.get(inp["name"]) is not None:
            value = kwargs[inp["name"]]
            resolved[inp["name"]] = paths.resolve_pack(value) if inp["source"] == "packs" else paths.resolve_input_folder(value)
    return resolved


def _call(hub, spec: dict, kwargs: dict):
    resolved = _resolve_choices(spec, kwargs)
    describe = bool(spec.get("host", {}).get("describeModels"))

    def build(call_id, shm=None):
        sink = FrameSink(call_id)
        sink.shm = shm  # large tensors through shared memory when the worker is local (bridge/shm.py)
        wire = {}
        for inp in spec["inputs"]:
            value = kwargs.get(inp["name"])
            if inp["kind"] == "SOCKET" and inp["type"] in ("MODEL", "CLIP") and not describe:
                value = None
            wire[inp["name"]] = encode_input(inp, value, sink, resolved.get(inp["name"]))
        return wire, sink.frames

    return hub.call(spec["id"], build, _Progress(), _interrupted, _raise_interrupt)


def _replay_handles(hub, kwargs: dict) -> None:
    """Re-creates expired opaque handles by running their producing node again (same inputs)."""
    for value in kwargs.values():
        if isinstance(value, OpaqueHandle) and value.replay is not None:
            producer_spec, producer_kwargs = value.replay
            fresh = run_node(hub, producer_spec, producer_kwargs)["result"]
            for out in fresh:
                if isinstance(out, OpaqueHandle) and out.type_name == value.type_name:
                    value.handle = out.handle


def _apply_lora(op: dict, spec: dict, kwargs: dict, outputs: list) -> None:
    names = [o["name"] for o in spec["outputs"]]
    model, clip = kwargs.get(op["modelInput"]), kwargs.get(op["clipInput"])
    lora = outputs[names.index(op["loraOutput"])]
    patched_model, patched_clip = model, clip
    if lora is not None and (model is not None or clip is not None):
        import comfy.sd
        patched_model, patched_clip = comfy.sd.load_lora_for_models(
            model, clip, lora, float(kwargs.get(op["strengthModelInput"], 1.0)), float(kwargs.get(op["strengthClipInput"], 1.0)))
    outputs[names.index(op["modelOutput"])] = patched_model
    outputs[names.index(op["clipOutput"])] = patched_clip


def run_node(hub, spec: dict, kwargs: dict) -> dict:
    """Executes node `spec` with ComfyUI's keyword arguments; returns {"result": tuple, "ui": {...}}."""
    try:
        message, blobs = _call(hub, spec, kwargs)
    except DPHyperLoRAError as e:
        if getattr(e, "reason", None) != "handle_expired":
            raise
        log.info("DP HyperLoRA: the worker lost an intermediate result; recomputing it once")
        _replay_handles(hub, kwargs)
        message, blobs = _call(hub, spec, kwargs)
    replay = (spec, dict(kwargs))
    outputs = [decode_output(o["type"], message["outputs"].get(o["name"], {"kind": "none"}), blobs, replay) for o in spec["outputs"]]
    for f in message.get("files", []):
        paths.write_model_file(f["folder"], f["name"], blobs[f["data"]["ref"]], f.get("subfolder"))
    op = spec.get("host", {}).get("applyLora")
    if op:
        _apply_lora(op, spec, kwargs, outputs)
    ui = message.get("ui")
    return {"ui": {k: list(v) for k, v in ui.items()} if ui else {}, "result": tuple(outputs)}

"""Runs one node: encode its inputs, call the worker, decode its outputs, do the pack's host operations."""
from __future__ import annotations

from .errors import BridgeError, fail
from .logs import logger
from .values import FrameSink, OpaqueHandle

#: Keys of a node's `host` that this bridge handles itself; every other key is one of the pack's `host_ops`.
BUILTIN_HOST_KEYS = ("describeModels", "cacheKey")


def _interrupted() -> bool:
    import comfy.model_management as mm
    return bool(mm.processing_interrupted())


def _raise_interrupt() -> None:
    import comfy.model_management as mm
    mm.throw_exception_if_processing_interrupted()
    raise mm.InterruptProcessingException()


class _Progress:
    """Drives comfy.utils.ProgressBar from worker progress (on the prompt thread, where ComfyUI's hook knows the
    prompt and node ids)."""

    def __init__(self):
        self.bar = None

    def __call__(self, value, maximum):
        import comfy.utils
        total = max(1, int(maximum))
        if self.bar is None:
            self.bar = comfy.utils.ProgressBar(total)
        self.bar.update_absolute(min(int(value), total), total)


class Runner:
    """Runs nodes of one pack: its config (choices, host operations, files), its codec and its hub."""

    def __init__(self, config, codec, hub_getter):
        self.config = config
        self.codec = codec
        self.hub_getter = hub_getter

    def _resolve_choices(self, spec: dict, kwargs: dict) -> dict:
        resolved = {}
        for inp in spec["inputs"]:
            if inp["kind"] == "CHOICE" and kwargs.get(inp["name"]) is not None:
                choice = self.config.choices.get(inp["source"])
                if choice is None:
                    raise fail("PROTOCOL", f"{spec['id']}.{inp['name']}: the pack's bridge has no choice list {inp['source']!r}; reinstall the plugin.")
                resolved[inp["name"]] = choice.resolve(kwargs[inp["name"]])
        return resolved

    def _call(self, spec: dict, kwargs: dict):
        resolved = self._resolve_choices(spec, kwargs)
        describe = bool(spec.get("host", {}).get("describeModels"))

        def build(call_id, shm=None):
            sink = FrameSink(call_id, shm)  # large tensors through shared memory when the worker is local
            wire = {inp["name"]: self.codec.encode_input(inp, kwargs.get(inp["name"]), sink, resolved.get(inp["name"]), describe)
                    for inp in spec["inputs"]}
            return wire, sink.frames

        return self.hub_getter().call(spec["id"], build, _Progress(), _interrupted, _raise_interrupt)

    def _replay_handles(self, kwargs: dict) -> None:
        """Re-creates expired opaque handles by running their producing node again (same inputs)."""
        for value in kwargs.values():
            if isinstance(value, OpaqueHandle) and value.replay is not None:
                producer_spec, producer_kwargs = value.replay
                fresh = self.run(producer_spec, producer_kwargs)["result"]
                for out in fresh:
                    if isinstance(out, OpaqueHandle) and out.type_name == value.type_name:
                        value.handle = out.handle

    def run(self, spec: dict, kwargs: dict) -> dict:
        """Executes node `spec` with ComfyUI's keyword arguments; returns {"result": tuple, "ui": {...}}."""
        try:
            message, blobs = self._call(spec, kwargs)
        except BridgeError as e:
            if getattr(e, "reason", None) != "handle_expired":
                raise
            logger().info("%s: the worker lost an intermediate result; recomputing it once", self.config.name)
            self._replay_handles(kwargs)
            message, blobs = self._call(spec, kwargs)
        replay = (spec, dict(kwargs))
        outputs = [self.codec.decode_output(o["type"], message["outputs"].get(o["name"], {"kind": "none"}), blobs, replay) for o in spec["outputs"]]
        for f in message.get("files", []):
            if self.config.write_file is None:
                raise fail("PROTOCOL", f"{spec['id']} returned a file, but this pack's bridge writes none; reinstall the plugin.")
            self.config.write_file(f["folder"], f["name"], blobs[f["data"]["ref"]], f.get("subfolder"))
        ui = {k: list(v) for k, v in (message.get("ui") or {}).items()}
        for key, op in spec.get("host", {}).items():
            if key in BUILTIN_HOST_KEYS:
                continue
            fn = self.config.host_ops.get(key)
            if fn is None:
                raise fail("PROTOCOL", f"{spec['id']} asks for the host operation {key!r}, which this pack's bridge lacks; reinstall the plugin.")
            added = fn(op, spec, kwargs, outputs)
            if added and added.get("text"):
                ui.setdefault("text", []).extend(added["text"])
        return {"ui": ui, "result": tuple(outputs)}

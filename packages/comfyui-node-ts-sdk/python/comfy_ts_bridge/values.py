"""Converters between ComfyUI's Python values and the bridge's wire values (src/values.ts is the TypeScript side).

Core types:
- IMAGE: float32 [B, H, W, C] in 0..1 here, uint8 on the wire (4× fewer bytes; exact on the 1/255 grid).
- MASK: float32 [B, H, W] (or [H, W]) in 0..1, float32 on the wire, bit for bit.
- LATENT: {"samples": [B, C, H, W], optionally "noise_mask" and "batch_index"} ↔ a tensor dict with entries
  `samples` (and `noise_mask`), metadata `batch_index` = "0,1,…"; any other key is dropped (listed in `dropped`).
- CONDITIONING: [[cond [B, T, D], {…}], …] ↔ a tensor dict: entry `c<i>` is item i's tensor, `c<i>.<key>` a tensor
  entry of its dict (e.g. pooled_output); metadata `count`, `c<i>.<key>` = JSON of a number, bool or list of
  numbers, and `c<i>.dropped` = the keys of entries that are neither (control nets, hooks, models: live objects a
  worker cannot use) — they do not come back.
- CLIP_VISION_OUTPUT: in, the tensor fields the input declares (`fields`), float32, as a tensor dict whose metadata
  gives every field's shape (`shape:<field>`); out, a comfy.clip_vision.Output with the fields the worker sent.
- MODEL / CLIP: described to the worker by their weights' names and shapes (with `describeModels`), never sent.
- Opaque handles: any other socket type whose value is an OpaqueHandle (data that stays in the worker).
A pack adds or replaces converters for its own types through `Codec(converters=…)`."""
from __future__ import annotations

from .converters import CORE_CONVERTERS
from .errors import fail
from .wire import (DTYPE_BYTES, FrameSink, OpaqueHandle, is_tensor, wire_tensor, byte_size, describe_model,  # noqa: F401
                   pack_blob, tensor_dict, tensor_refs, unpack_blob)


class Codec:
    """Encodes node inputs and decodes node outputs: the core converters above plus the pack's own
    (`converters`: {socket type: (encode(value, sink, spec) -> wire, decode(wire, blobs) -> value)}).
    `owner` names the pack in an OpaqueHandle's repr."""

    def __init__(self, owner: str = "node pack", converters: dict | None = None):
        self.owner = owner
        self.converters = {**CORE_CONVERTERS, **(converters or {})}

    def encode_input(self, spec: dict, value, sink: FrameSink, resolved=None, describe_models: bool = True) -> dict:
        """One input → its wire value. `resolved` is the path a CHOICE input resolved to."""
        kind = spec["kind"]
        if value is None:
            return {"kind": "none"}
        if kind == "CHOICE":
            return {"kind": "json", "value": {"name": value, "path": resolved}}
        if kind != "SOCKET":
            return {"kind": "json", "value": value}
        t = spec["type"]
        if t in ("MODEL", "CLIP"):
            if not describe_models:
                return {"kind": "none"}
            return {"kind": "model", "targets": describe_model(value, "model" if t == "MODEL" else "cond_stage_model")}
        if isinstance(value, OpaqueHandle):
            return {"kind": "handle", "type": value.type_name, "handle": value.handle}
        conv = self.converters.get(t)
        if conv is not None:
            return conv[0](value, sink, spec)
        if isinstance(value, dict) and value and all(is_tensor(v) for v in value.values()):
            return tensor_dict(sink, value, {})
        return {"kind": "json", "value": value}

    def decode_output(self, out_type: str, wire: dict, blobs: dict, replay=None):
        """One wire output → the Python value ComfyUI passes on."""
        kind = wire["kind"]
        if kind == "none":
            return None
        if kind == "handle":
            return OpaqueHandle(wire["type"], wire["handle"], replay, self.owner)
        conv = self.converters.get(out_type)
        if conv is not None:
            return conv[1](wire, blobs)
        if kind == "json":
            return wire["value"]
        if kind == "tensor":
            return wire_tensor(wire["tensor"], blobs)
        if kind == "tensors":
            return {k: v.float() for k, v in unpack_blob(wire, blobs).items()}
        raise fail("PROTOCOL", f"the worker sent an output of kind {kind!r} that the bridge does not know; reinstall the plugin.")

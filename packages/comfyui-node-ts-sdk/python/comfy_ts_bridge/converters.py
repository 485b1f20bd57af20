"""Converters for ComfyUI's core types (see ./values.py for the list and what each keeps)."""
from __future__ import annotations

import json

from .errors import fail
from .wire import FrameSink, is_tensor, wire_tensor, tensor_dict, unpack_blob

CLIP_VISION_FIELDS = ("image_embeds", "last_hidden_state", "penultimate_hidden_states", "mm_projected")


# ---- LATENT -----------------------------------------------------------------------------------------------------
def encode_latent(value, sink: FrameSink, spec: dict) -> dict:
    if not isinstance(value, dict) or not is_tensor(value.get("samples")):
        raise fail("INVALID_INPUT_DATA", f"the {spec.get('name', 'latent')} input must be a LATENT (a dict with \"samples\"); connect a VAE Encode or Empty Latent Image node.")
    tensors = {"samples": value["samples"]}
    metadata = {}
    if is_tensor(value.get("noise_mask")):
        tensors["noise_mask"] = value["noise_mask"]
    if value.get("batch_index") is not None:
        metadata["batch_index"] = ",".join(str(int(i)) for i in value["batch_index"])
    dropped = sorted(k for k in value if k not in ("samples", "noise_mask", "batch_index"))
    if dropped:
        metadata["dropped"] = ",".join(dropped)
    return tensor_dict(sink, tensors, metadata)


def decode_latent(wire: dict, blobs: dict) -> dict:
    tensors = unpack_blob(wire, blobs)
    if "samples" not in tensors:
        raise fail("PROTOCOL", "a LATENT output has no \"samples\" tensor; this is a bug in the node pack's worker.")
    out = {"samples": tensors["samples"].float().clone()}
    if "noise_mask" in tensors:
        out["noise_mask"] = tensors["noise_mask"].float().clone()
    index = wire.get("metadata", {}).get("batch_index")
    if index:
        out["batch_index"] = [int(i) for i in index.split(",")]
    return out


# ---- CONDITIONING -----------------------------------------------------------------------------------------------
def _numeric(v) -> bool:
    if isinstance(v, bool) or isinstance(v, (int, float)):
        return True
    return isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)


def encode_conditioning(value, sink: FrameSink, spec: dict) -> dict:
    if not isinstance(value, list) or not all(isinstance(c, (list, tuple)) and len(c) == 2 and is_tensor(c[0]) and isinstance(c[1], dict) for c in value):
        raise fail("INVALID_INPUT_DATA", f"the {spec.get('name', 'conditioning')} input must be a CONDITIONING (a list of [tensor, dict]); connect a CLIP Text Encode node.")
    tensors, metadata = {}, {"count": str(len(value))}
    for i, (cond, extra) in enumerate(value):
        tensors[f"c{i}"] = cond
        dropped = []
        for key, v in extra.items():
            if is_tensor(v):
                tensors[f"c{i}.{key}"] = v
            elif _numeric(v):
                metadata[f"c{i}.{key}"] = json.dumps(list(v) if isinstance(v, tuple) else v)
            else:
                dropped.append(key)
        if dropped:
            metadata[f"c{i}.dropped"] = ",".join(sorted(dropped))
    return tensor_dict(sink, tensors, metadata)


def decode_conditioning(wire: dict, blobs: dict) -> list:
    tensors = unpack_blob(wire, blobs)
    metadata = wire.get("metadata", {})
    out = []
    for i in range(int(metadata.get("count", "0"))):
        if f"c{i}" not in tensors:
            raise fail("PROTOCOL", f"a CONDITIONING output lacks item {i}'s tensor; this is a bug in the node pack's worker.")
        extra = {}
        prefix = f"c{i}."
        for name, t in tensors.items():
            if name.startswith(prefix):
                extra[name[len(prefix):]] = t.clone()
        for name, text in metadata.items():
            if name.startswith(prefix) and name != prefix + "dropped":
                extra[name[len(prefix):]] = json.loads(text)
        out.append([tensors[f"c{i}"].clone(), extra])
    return out


# ---- CLIP_VISION_OUTPUT -----------------------------------------------------------------------------------------
def encode_clip_vision(value, sink: FrameSink, spec: dict) -> dict:
    if not is_tensor(getattr(value, "image_embeds", None)):
        raise fail("INVALID_INPUT_DATA", "the clip_vision_output input must be a CLIP_VISION_OUTPUT (connect CLIPVisionEncode).")
    wanted = spec.get("fields") or list(CLIP_VISION_FIELDS)
    tensors, metadata = {}, {}
    for name in CLIP_VISION_FIELDS:
        t = getattr(value, name, None)
        if is_tensor(t):
            metadata[f"shape:{name}"] = ",".join(str(d) for d in t.shape)
            if name in wanted:
                tensors[name] = t.float()
    return tensor_dict(sink, tensors, metadata)


def decode_clip_vision(wire: dict, blobs: dict):
    import comfy.clip_vision
    tensors = unpack_blob(wire, blobs)
    out = comfy.clip_vision.Output()
    for name in CLIP_VISION_FIELDS:
        t = tensors.get(name)
        out[name] = None if t is None else t.float().clone()
    return out


# ---- IMAGE, MASK ------------------------------------------------------------------------------------------------
def encode_image(value, sink: FrameSink, spec: dict) -> dict:
    return {"kind": "tensor", "tensor": sink.add_image(value)}


def decode_image(wire: dict, blobs: dict):
    if wire["kind"] != "tensor":
        raise fail("PROTOCOL", "an IMAGE output must be one tensor; this is a bug in the node pack's worker.")
    t = wire_tensor(wire["tensor"], blobs)
    return t.float().div_(255.0) if wire["tensor"]["dtype"] == "uint8" else t.float().clone()


def encode_mask(value, sink: FrameSink, spec: dict) -> dict:
    if not is_tensor(value) or value.dim() not in (2, 3):
        raise fail("INVALID_INPUT_DATA", f"the {spec.get('name', 'mask')} input must be a MASK [B, H, W]; connect a Load Image (mask) or similar node.")
    return {"kind": "tensor", "tensor": sink.add(value.float(), "float32")}


def decode_float_tensor(wire: dict, blobs: dict):
    if wire["kind"] != "tensor":
        raise fail("PROTOCOL", "a tensor output must be one tensor; this is a bug in the node pack's worker.")
    return wire_tensor(wire["tensor"], blobs).float().clone()


def encode_float_tensor(value, sink: FrameSink, spec: dict) -> dict:
    if not is_tensor(value):
        raise fail("INVALID_INPUT_DATA", f"the {spec.get('name', 'tensor')} input must be a tensor.")
    return {"kind": "tensor", "tensor": sink.add(value.float(), "float32")}


CORE_CONVERTERS = {
    "IMAGE": (encode_image, decode_image),
    "MASK": (encode_mask, decode_float_tensor),
    "LATENT": (encode_latent, decode_latent),
    "CONDITIONING": (encode_conditioning, decode_conditioning),
    "CLIP_VISION_OUTPUT": (encode_clip_vision, decode_clip_vision),
}



"""Python-side values that cross the bridge (src/worker/values.ts is the TypeScript side).

- IMAGE: float32 [B, H, W, 3] in 0..1 here, uint8 on the wire (what the worker needs; 4× fewer bytes).
- LORA_MODEL: a plain dict of tensors (the core type), as a dict subclass that also carries the DP metadata.
- DP_EMBEDDINGS: an opaque handle; the data stays in the worker, and the handle's repr says only that.
- DP_PACK, DP_DATASET_EMBEDDING: public JSON values.
- MODEL / CLIP: described to the worker by their weights' names and shapes, never sent.
- CLIP_VISION_OUTPUT: in, the tensor fields the node's input declares (`fields`), float32, as a tensor dict whose
  metadata gives every tensor field's shape; out, a real comfy.clip_vision.Output with every field set.
- EMBEDS (ComfyUI_IPAdapter_plus): a plain float32 tensor."""
from __future__ import annotations

from .errors import DPHyperLoRAError
from .frames import encode_frames

DTYPE_BYTES = {"uint8": 1, "float32": 4, "float16": 2}


class LoraTensors(dict):
    """LORA_MODEL: a dict[str, Tensor] usable by core nodes, plus the DP metadata of its release."""

    def __init__(self, tensors, metadata=None):
        super().__init__(tensors)
        self.dp_metadata = dict(metadata or {})


class OpaqueHandle:
    """A reference to data that stays in the worker. `replay` re-creates it if the worker lost it."""

    def __init__(self, type_name: str, handle: str, replay=None):
        self.type_name = type_name
        self.handle = handle
        self.replay = replay

    def __repr__(self) -> str:
        return f"<{self.type_name}: opaque; the data stays in the DP HyperLoRA worker>"

    __str__ = __repr__


class FrameSink:
    """Collects the binary frames of one outgoing message."""

    def __init__(self, call_id: str):
        self.call_id = call_id
        self.frames: list[bytes] = []
        self._next = 0
        self.shm = None  # set by the caller when shared memory was agreed (bridge/shm.py)

    def add(self, tensor, dtype: str) -> dict:
        import torch
        want = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[dtype]
        t = tensor.detach().to("cpu", want).contiguous()
        ref = f"p{self._next}"
        self._next += 1
        self.frames.extend(encode_frames(self.call_id, ref, t.numpy() if t.dim() > 0 else t.reshape(1).numpy(), shm=self.shm))
        return {"ref": ref, "dtype": dtype, "shape": list(t.shape)}


def image_to_uint8(image):
    """IMAGE float [B,H,W,C] in 0..1 → uint8 (what the worker decodes and hashes for the ledger)."""
    import torch
    if not isinstance(image, torch.Tensor) or image.dim() != 4:
        raise DPHyperLoRAError("INVALID_INPUT_DATA", "the images input must be an IMAGE batch [B, H, W, C]; connect a Load Image (or similar) node.")
    # x*255 + 0.5, clamped, truncated: rounds half up like the worker's Math.round(x * 255), in one temporary.
    return torch.mul(image.detach().float(), 255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)


def describe_model(obj, attr: str) -> dict:
    """MODEL/CLIP → {weight name: shape} for the weights a LoRA could target (never the weights)."""
    inner = getattr(obj, attr, None)
    if inner is None:
        raise DPHyperLoRAError("INVALID_INPUT_DATA", f"the connected input is not a ComfyUI {'MODEL' if attr == 'model' else 'CLIP'} object.")
    return {k: list(v.shape) for k, v in inner.state_dict().items() if getattr(v, "dim", lambda: 0)() >= 2}


def pack_blob(tensors: dict):
    """A tensor dict → (one uint8 tensor holding every tensor at an 8-byte aligned offset, their entries).

    One blob instead of one frame set per tensor: a LoRA has hundreds of small tensors (1,680 for SDXL)."""
    import torch
    entries, parts, size = {}, [], 0
    for name, v in tensors.items():
        t = v.detach().to("cpu")
        t = t.to(torch.float16 if t.dtype == torch.float16 else torch.float32).contiguous()
        raw = t.reshape(-1).view(torch.uint8)
        entries[name] = {"dtype": "float16" if t.dtype == torch.float16 else "float32", "shape": list(t.shape), "offset": size}
        parts.append((size, raw))
        size += -(-raw.numel() // 8) * 8
    blob = torch.zeros(size, dtype=torch.uint8)
    for offset, raw in parts:
        blob[offset:offset + raw.numel()] = raw
    return blob, entries


CLIP_VISION_FIELDS = ("image_embeds", "last_hidden_state", "penultimate_hidden_states", "mm_projected")


def encode_clip_vision(spec: dict, value, sink: FrameSink) -> dict:
    """CLIP_VISION_OUTPUT → a tensor dict of the declared fields (float32), with every field's shape in metadata."""
    import torch
    if not isinstance(getattr(value, "image_embeds", None), torch.Tensor):
        raise DPHyperLoRAError("INVALID_INPUT_DATA", "the clip_vision_output input must be a CLIP_VISION_OUTPUT (connect CLIPVisionEncode).")
    wanted = spec.get("fields") or list(CLIP_VISION_FIELDS)
    tensors, metadata = {}, {}
    for name in CLIP_VISION_FIELDS:
        t = getattr(value, name, None)
        if isinstance(t, torch.Tensor):
            metadata[f"shape:{name}"] = ",".join(str(d) for d in t.shape)
            if name in wanted:
                tensors[name] = t.detach().to("cpu", torch.float32)
    blob, entries = pack_blob(tensors)
    return {"kind": "tensors", "blob": sink.add(blob, "uint8"), "entries": entries, "metadata": metadata}


def decode_clip_vision(tensors: dict):
    """A tensor dict from the worker → comfy.clip_vision.Output; fields the worker did not send are None."""
    import comfy.clip_vision
    out = comfy.clip_vision.Output()
    for name in CLIP_VISION_FIELDS:
        t = tensors.get(name)
        out[name] = None if t is None else t.float().clone()
    return out


def encode_input(spec: dict, value, sink: FrameSink, resolved) -> dict:
    """One input → its wire value. `resolved` is the path a CHOICE input resolved to."""
    kind = spec["kind"]
    if value is None:
        return {"kind": "none"}
    if kind == "CHOICE":
        return {"kind": "json", "value": {"name": value, "path": resolved}}
    if kind != "SOCKET":
        return {"kind": "json", "value": value}
    t = spec["type"]
    if t == "IMAGE":
        return {"kind": "tensor", "tensor": sink.add(image_to_uint8(value), "uint8")}
    if t == "MODEL":
        return {"kind": "model", "targets": describe_model(value, "model")}
    if t == "CLIP":
        return {"kind": "model", "targets": describe_model(value, "cond_stage_model")}
    if t == "CLIP_VISION_OUTPUT":
        return encode_clip_vision(spec, value, sink)
    if t == "EMBEDS":
        import torch
        if not isinstance(value, torch.Tensor):
            raise DPHyperLoRAError("INVALID_INPUT_DATA", "the EMBEDS input must be a tensor (connect IPAdapterEncoder or DP Conditioning).")
        return {"kind": "tensor", "tensor": sink.add(value.float(), "float32")}
    if t == "LORA_MODEL":
        if not isinstance(value, dict):
            raise DPHyperLoRAError("INVALID_INPUT_DATA", "the lora input must be a LORA_MODEL (a dict of tensors).")
        blob, entries = pack_blob(value)
        return {"kind": "tensors", "blob": sink.add(blob, "uint8"), "entries": entries, "metadata": dict(getattr(value, "dp_metadata", {}))}
    if isinstance(value, OpaqueHandle):
        return {"kind": "handle", "type": value.type_name, "handle": value.handle}
    return {"kind": "json", "value": value}


def _tensor(ref: dict, blobs: dict):
    import torch
    dt = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[ref["dtype"]]
    buf = blobs[ref["ref"]]
    if len(buf) == 0:
        return torch.zeros(ref["shape"], dtype=dt)
    return torch.frombuffer(buf, dtype=dt).reshape(ref["shape"])


def decode_output(out_type: str, wire: dict, blobs: dict, replay=None):
    """One wire output → the Python value ComfyUI passes on."""
    kind = wire["kind"]
    if kind == "none":
        return None
    if kind == "json":
        return wire["value"]
    if kind == "handle":
        return OpaqueHandle(wire["type"], wire["handle"], replay)
    if kind == "tensor":
        t = _tensor(wire["tensor"], blobs)
        if out_type == "IMAGE":
            return t.float().div_(255.0)
        if out_type == "EMBEDS":
            return t.float().clone()
        return t
    if kind == "tensors":
        import torch
        blob = blobs[wire["blob"]["ref"]]
        tensors = {}
        for name, e in wire["entries"].items():
            dt = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[e["dtype"]]
            count = 1
            for d in e["shape"]:
                count *= d
            if e["offset"] + count * DTYPE_BYTES[e["dtype"]] > len(blob):
                raise DPHyperLoRAError("PROTOCOL", "a tensor runs past the end of its blob; reinstall the plugin so the bridge and worker match.")
            t = torch.frombuffer(blob, dtype=dt, count=count, offset=e["offset"]) if count else torch.zeros(0, dtype=dt)
            tensors[name] = t.reshape(e["shape"]).float()
        if out_type == "CLIP_VISION_OUTPUT":
            return decode_clip_vision(tensors)
        return LoraTensors(tensors, wire.get("metadata"))
    raise DPHyperLoRAError("PROTOCOL", f"the worker sent an output of kind {kind!r} that the bridge does not know; reinstall the plugin.")


def tensor_refs(message: dict) -> list[dict]:
    """Every tensor reference in a result message (outputs and files)."""
    refs = []
    for w in message.get("outputs", {}).values():
        if w.get("kind") == "tensor":
            refs.append(w["tensor"])
        elif w.get("kind") == "tensors":
            refs.append(w["blob"])
    refs.extend(f["data"] for f in message.get("files", []))
    return refs


def byte_size(ref: dict) -> int:
    n = DTYPE_BYTES[ref["dtype"]]
    for d in ref["shape"]:
        n *= d
    return n

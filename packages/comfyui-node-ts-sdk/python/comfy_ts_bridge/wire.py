"""The wire forms the converters share: frame sinks, tensor dicts packed into one blob, opaque handles."""
from __future__ import annotations

from .errors import fail

DTYPE_BYTES = {"uint8": 1, "float32": 4, "float16": 2}


class OpaqueHandle:
    """A reference to data that stays in the worker. `replay` re-creates it if the worker lost it."""

    def __init__(self, type_name: str, handle: str, replay=None, owner: str = "node pack"):
        self.type_name = type_name
        self.handle = handle
        self.replay = replay
        self.owner = owner

    def __repr__(self) -> str:
        return f"<{self.type_name}: opaque; the data stays in the {self.owner} worker>"

    __str__ = __repr__


class FrameSink:
    """Collects the binary frames of one outgoing message."""

    def __init__(self, call_id: str, shm=None):
        from .frames import encode_frames
        self._encode = encode_frames
        self.call_id = call_id
        self.frames: list[bytes] = []
        self._next = 0
        self.shm = shm  # a ./shm.py SharedMemory when shared memory was agreed

    def add(self, tensor, dtype: str) -> dict:
        import torch
        want = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[dtype]
        t = tensor.detach().to("cpu", want).contiguous()
        ref = f"p{self._next}"
        self._next += 1
        self.frames.extend(self._encode(self.call_id, ref, t.numpy() if t.dim() > 0 else t.reshape(1).numpy(), shm=self.shm))
        return {"ref": ref, "dtype": dtype, "shape": list(t.shape)}

    def add_image(self, image) -> dict:
        """IMAGE float [B,H,W,C] in 0..1 → uint8 on the wire (rounded as `image_to_uint8`). With shared memory
        the conversion feeds the file in cache-sized pieces: no batch-sized float temporary and no whole uint8
        copy in this process."""
        from .frames import FILE_MIN_BYTES, file_frame
        _check_image(image)
        nbytes = image.numel()
        if self.shm is None or nbytes < FILE_MIN_BYTES:
            return self.add(image_to_uint8(image), "uint8")
        ref = f"p{self._next}"
        self._next += 1
        name = self.shm.write_parts(self.call_id, _uint8_pieces(image))
        self.frames.append(file_frame(self.call_id, ref, nbytes, name))
        return {"ref": ref, "dtype": "uint8", "shape": list(image.shape)}


def is_tensor(v) -> bool:
    import torch
    return isinstance(v, torch.Tensor)


def _check_image(image) -> None:
    if not is_tensor(image) or image.dim() != 4:
        raise fail("INVALID_INPUT_DATA", "the images input must be an IMAGE batch [B, H, W, C]; connect a Load Image (or similar) node.")


CONVERT_CHUNK = 64 * 1024  # values per step: the float scratch (256 KiB) stays in cache between the passes


def _converted_pieces(image):
    """(start, uint8 tensor) for successive CONVERT_CHUNK-value pieces of `image`: round-half-up(clamp(x·255, 0,
    255)). Cache-sized pieces make the four elementwise passes run over cached data (about 3x faster here than
    whole-batch tensors). The yielded tensor is scratch reused by the next piece: consume it first."""
    import torch
    flat = image.detach().reshape(-1)
    size = min(CONVERT_CHUNK, flat.numel())
    scratch, out = torch.empty(size, dtype=torch.float32), torch.empty(size, dtype=torch.uint8)
    for start in range(0, flat.numel(), CONVERT_CHUNK):
        end = min(flat.numel(), start + CONVERT_CHUNK)
        part, piece = scratch[:end - start], out[:end - start]
        part.copy_(flat[start:end])
        part.mul_(255.0).add_(0.5).clamp_(0.0, 255.0)
        piece.copy_(part)  # truncation of x + 0.5: rounds half up
        yield start, piece


def _uint8_pieces(image):
    for _, piece in _converted_pieces(image):
        yield piece.numpy()


def image_to_uint8(image):
    """IMAGE float [B,H,W,C] in 0..1 → uint8, rounding half up like the worker's Math.round(x * 255)."""
    import torch
    _check_image(image)
    out = torch.empty(tuple(image.shape), dtype=torch.uint8)
    flat = out.view(-1)
    for start, piece in _converted_pieces(image):
        flat[start:start + piece.numel()] = piece
    return out


def describe_model(obj, attr: str) -> dict:
    """MODEL/CLIP → {weight name: shape} for the weights of rank ≥ 2 (never the weights)."""
    inner = getattr(obj, attr, None)
    if inner is None:
        raise fail("INVALID_INPUT_DATA", f"the connected input is not a ComfyUI {'MODEL' if attr == 'model' else 'CLIP'} object.")
    return {k: list(v.shape) for k, v in inner.state_dict().items() if getattr(v, "dim", lambda: 0)() >= 2}


def pack_blob(tensors: dict):
    """A tensor dict → (one uint8 tensor holding every tensor at an 8-byte aligned offset, their entries).
    float16 stays float16, every other dtype becomes float32. One blob instead of one frame set per tensor."""
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


def tensor_dict(sink: FrameSink, tensors: dict, metadata: dict) -> dict:
    """The wire form of a tensor dict with string metadata."""
    blob, entries = pack_blob(tensors)
    return {"kind": "tensors", "blob": sink.add(blob, "uint8"), "entries": entries, "metadata": {k: str(v) for k, v in metadata.items()}}


def unpack_blob(wire: dict, blobs: dict) -> dict:
    """A `tensors` wire value → {name: tensor} viewing the received blob (dtypes as sent)."""
    import torch
    blob = blobs[wire["blob"]["ref"]]
    tensors = {}
    for name, e in wire["entries"].items():
        dt = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[e["dtype"]]
        count = 1
        for d in e["shape"]:
            count *= d
        if e["offset"] + count * DTYPE_BYTES[e["dtype"]] > len(blob):
            raise fail("PROTOCOL", "a tensor runs past the end of its blob; reinstall the plugin so the bridge and worker match.")
        t = torch.frombuffer(blob, dtype=dt, count=count, offset=e["offset"]) if count else torch.zeros(0, dtype=dt)
        tensors[name] = t.reshape(e["shape"])
    return tensors


def wire_tensor(ref: dict, blobs: dict):
    import torch
    dt = {"uint8": torch.uint8, "float32": torch.float32, "float16": torch.float16}[ref["dtype"]]
    buf = blobs[ref["ref"]]
    if len(buf) == 0:
        return torch.zeros(ref["shape"], dtype=dt)
    return torch.frombuffer(buf, dtype=dt).reshape(ref["shape"])


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

"""Tensor frames (protocol v1; src/worker/tensor-frames.ts is the TypeScript side).

A frame is: uint32 big-endian header length, the UTF-8 JSON header {"id","ref","offset","total"}, then a
chunk of the tensor's bytes starting at offset. Tensors larger than the chunk size span several frames.
The control message that refers to a tensor is sent after all of its frames."""
from __future__ import annotations

import json
import struct

from .errors import DPHyperLoRAError

CHUNK_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 4096


def encode_frames(call_id: str, ref: str, data, chunk_bytes: int = CHUNK_BYTES) -> list[bytes]:
    """Splits `data` (any buffer) into frames; at least one frame, even for an empty tensor."""
    view = memoryview(data).cast("B")
    total = view.nbytes
    frames = []
    offset = 0
    while True:
        end = min(total, offset + chunk_bytes)
        header = json.dumps({"id": call_id, "ref": ref, "offset": offset, "total": total}, separators=(",", ":")).encode()
        frames.append(b"".join((struct.pack(">I", len(header)), header, view[offset:end])))
        offset = end
        if offset >= total:
            return frames


def _bad(message: str) -> DPHyperLoRAError:
    return DPHyperLoRAError("PROTOCOL", f"tensor frame: {message}. The bridge and worker disagree; reinstall the plugin so both are the same version.")


class Reassembler:
    """Collects frames into whole tensors keyed by (call id, ref)."""

    def __init__(self, max_bytes_held: int = 8 * 1024 ** 3):
        self._pending: dict[tuple[str, str], list] = {}
        self._held = 0
        self._max = max_bytes_held

    def push(self, frame: bytes) -> None:
        if len(frame) < 4:
            raise _bad("frame shorter than its header length")
        (hlen,) = struct.unpack_from(">I", frame, 0)
        if hlen > MAX_HEADER_BYTES or 4 + hlen > len(frame):
            raise _bad(f"header length {hlen} out of range")
        try:
            header = json.loads(frame[4:4 + hlen])
            call_id, ref, offset, total = header["id"], header["ref"], int(header["offset"]), int(header["total"])
        except (ValueError, KeyError, TypeError) as e:
            raise _bad(f"bad header ({type(e).__name__})") from None
        payload = memoryview(frame)[4 + hlen:]
        if offset < 0 or offset + payload.nbytes > total:
            raise _bad("chunk runs past the tensor end")
        key = (call_id, ref)
        entry = self._pending.get(key)
        if entry is None:
            if self._held + total > self._max:
                raise _bad("too many tensor bytes in flight")
            entry = [bytearray(total), 0]
            self._pending[key] = entry
            self._held += total
        elif len(entry[0]) != total:
            raise _bad("tensor changed size between chunks")
        entry[0][offset:offset + payload.nbytes] = payload
        entry[1] += payload.nbytes

    def take(self, call_id: str, ref: str, expected: int) -> bytearray:
        entry = self._pending.pop((call_id, ref), None)
        if entry is None:
            if expected == 0:
                return bytearray()
            raise _bad(f"tensor {ref!r} was referenced but never sent")
        self._held -= len(entry[0])
        if entry[1] != len(entry[0]) or len(entry[0]) != expected:
            raise _bad(f"tensor {ref!r} has {entry[1]} of {expected} bytes")
        return entry[0]

    def drop_call(self, call_id: str) -> None:
        for key in [k for k in self._pending if k[0] == call_id]:
            self._held -= len(self._pending.pop(key)[0])

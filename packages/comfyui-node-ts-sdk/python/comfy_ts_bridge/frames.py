"""Tensor frames (protocol v1; src/tensor-frames.ts is the TypeScript side): the one definition of the format.

A frame is: uint32 big-endian header length, the UTF-8 JSON header {"id","ref","offset","total"}, then a chunk of
the tensor's bytes starting at offset. Tensors larger than the chunk size span several frames. The control
message that refers to a tensor is sent after all of its frames.

With shared memory agreed (./shm.py), a tensor of at least FILE_MIN_BYTES is written to a file named like
FILE_PATTERN instead and travels as one frame with an empty payload whose header adds "file": NAME; the receiver
reads and deletes it."""
from __future__ import annotations

import json
import re
import struct

from .errors import fail

CHUNK_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 4096
FILE_MIN_BYTES = 64 * 1024
FILE_PATTERN = re.compile(r"^[0-9a-f]{32}\.t$")


def _frame(header: dict, payload=b"") -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    return b"".join((struct.pack(">I", len(raw)), raw, payload))


def file_frame(call_id: str, ref: str, total: int, name: str) -> bytes:
    """The one header-only frame that names shared-memory file `name` holding the tensor's `total` bytes."""
    return _frame({"id": call_id, "ref": ref, "offset": 0, "total": total, "file": name})


def encode_frames(call_id: str, ref: str, data, chunk_bytes: int = CHUNK_BYTES, shm=None) -> list[bytes]:
    """Splits `data` (any buffer) into frames; at least one frame, even for an empty tensor. With `shm` (a
    ./shm.py SharedMemory), a large tensor goes into a file and one header-only frame names it."""
    view = memoryview(data).cast("B")
    total = view.nbytes
    if shm is not None and total >= FILE_MIN_BYTES:
        return [file_frame(call_id, ref, total, shm.write(call_id, view))]
    frames = []
    offset = 0
    while True:
        end = min(total, offset + chunk_bytes)
        frames.append(_frame({"id": call_id, "ref": ref, "offset": offset, "total": total}, view[offset:end]))
        offset = end
        if offset >= total:
            return frames


def _bad(message: str):
    return fail("PROTOCOL", f"tensor frame: {message}. The bridge and worker disagree; reinstall the plugin so both are the same version.")


class Reassembler:
    """Collects frames into whole tensors keyed by (call id, ref)."""

    def __init__(self, max_bytes_held: int = 8 * 1024 ** 3, shm=None):
        self.shm = shm  # a ./shm.py SharedMemory once agreed in the handshake
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
        key = (call_id, ref)
        if "file" in header:
            if self.shm is None:
                raise _bad("a shared-memory frame arrived, but shared memory was not agreed")
            if offset != 0 or payload.nbytes or key in self._pending or total < 0:
                raise _bad("a shared-memory frame must carry the whole tensor")
            if self._held + total > self._max:
                raise _bad("too many tensor bytes in flight")
            self._pending[key] = [self.shm.read(header["file"], total), total]
            self._held += total
            return
        if offset < 0 or offset + payload.nbytes > total:
            raise _bad("chunk runs past the tensor end")
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

"""The Python half of the tensor-frame codec (src/worker/tensor-frames.ts is the other half; the e2e tests
cross both). Frames are fed as bytes, ws style."""
import json
import struct

import pytest



def _frames():
    """the SDK bridge's frames.py as the plugin package imported it (the `host` fixture loads the plugin)."""
    import sys
    return sys.modules["dp_hyperlora_plugin.bridge.comfy_ts_bridge.frames"]


def test_frame_layout_and_chunked_round_trip(host):
    frames = _frames()
    data = bytes((i * 31 + 7) & 0xFF for i in range(10_001))
    out = frames.encode_frames("call", "img", data, chunk_bytes=4096)
    assert len(out) == 3
    (hlen,) = struct.unpack(">I", out[0][:4])
    assert json.loads(out[0][4:4 + hlen]) == {"id": "call", "ref": "img", "offset": 0, "total": 10001}
    r = frames.Reassembler()
    for f in reversed(out):
        r.push(f)
    assert bytes(r.take("call", "img", 10_001)) == data


def test_empty_missing_partial_and_damaged_frames(host):
    frames = _frames()
    errors = host.plugin.bridge.errors
    r = frames.Reassembler(max_bytes_held=100)
    r.push(frames.encode_frames("c", "e", b"")[0])
    assert bytes(r.take("c", "e", 0)) == b""
    with pytest.raises(errors.DPHyperLoRAError, match=r"^\[PROTOCOL\] tensor frame: tensor 'x' was referenced but never sent"):
        r.take("c", "x", 4)
    r.push(frames.encode_frames("c", "p", b"\x01" * 64, chunk_bytes=32)[0])
    with pytest.raises(errors.DPHyperLoRAError, match=r"has 32 of 64 bytes"):
        r.take("c", "p", 64)
    for bad in (b"\x00\x00", b"\x00\x00\x10\x00", b"\x00\x00\x00\x02{x", frames.encode_frames("c", "big", b"\x00" * 101)[0]):
        with pytest.raises(errors.DPHyperLoRAError, match=r"^\[PROTOCOL\]"):
            frames.Reassembler(max_bytes_held=100).push(bad)


def test_drop_call_frees_partial_tensors(host):
    frames = _frames()
    r = frames.Reassembler(max_bytes_held=64)
    r.push(frames.encode_frames("gone", "a", b"\x00" * 64, chunk_bytes=16)[0])
    r.drop_call("gone")
    r.push(frames.encode_frames("next", "a", b"\x02" * 64)[0])
    assert bytes(r.take("next", "a", 64)) == b"\x02" * 64

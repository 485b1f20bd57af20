"""Round trips of our converters (bridge/values.py: LORA_MODEL with its metadata, EMBEDS, our opaque handles) through
the SDK's codec: a Python value is encoded to its wire form and tensor frames, the frames are reassembled byte for
byte as the receiving side does, and the wire value is decoded back into what ComfyUI passes on. The core types'
round trips are the SDK's (packages/comfyui-node-ts-sdk/test/test_core_converters.py); the TypeScript half of the
same frames is crossed by the e2e tests."""
import sys


def _mods():
    """bridge/values.py and the SDK bridge's frames.py as the plugin package imported them (the `host` fixture loads it)."""
    return sys.modules["dp_hyperlora_plugin.bridge.values"], sys.modules["dp_hyperlora_plugin.bridge.comfy_ts_bridge.frames"]


def _round_trip(out_type, spec, value):
    values, frames = _mods()
    sink = values.FrameSink("call-1")
    wire = values.encode_input(spec, value, sink, None)
    r = frames.Reassembler()
    for f in sink.frames:
        r.push(f)
    blobs = {ref["ref"]: r.take("call-1", ref["ref"], values.byte_size(ref)) for ref in values.tensor_refs({"outputs": {"x": wire}})}
    return wire, values.decode_output(out_type, wire, blobs)


def test_a_tensor_dict_round_trips_with_its_metadata_and_dtypes_as_float32(host):
    import torch
    values, _ = _mods()
    tensors = {"a.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7, "b": torch.tensor([1.5, -2.0]), "empty": torch.zeros(0)}
    wire, back = _round_trip("LORA_MODEL", {"kind": "SOCKET", "type": "LORA_MODEL"}, values.LoraTensors(tensors, {"dp_epsilon": "1.5"}))
    assert wire["kind"] == "tensors" and wire["metadata"] == {"dp_epsilon": "1.5"}
    assert isinstance(back, values.LoraTensors) and back.dp_metadata == {"dp_epsilon": "1.5"}
    assert set(back) == set(tensors)
    for name, t in tensors.items():
        assert torch.equal(back[name], t), name


def test_a_plain_float_tensor_type_round_trips_bit_for_bit(host):
    import torch
    embeds = torch.randn((1, 4, 8), generator=torch.Generator().manual_seed(5))
    wire, back = _round_trip("EMBEDS", {"kind": "SOCKET", "type": "EMBEDS"}, embeds)
    assert wire["tensor"]["dtype"] == "float32"
    assert torch.equal(back, embeds) and back.data_ptr() != embeds.data_ptr()


def test_an_opaque_handle_round_trips_by_reference_and_its_repr_shows_no_data(host):
    values, _ = _mods()
    h = values.OpaqueHandle("SOME_HANDLE", "h-0123", replay=None)
    wire, back = _round_trip("SOME_HANDLE", {"kind": "SOCKET", "type": "SOME_HANDLE"}, h)
    assert wire == {"kind": "handle", "type": "SOME_HANDLE", "handle": "h-0123"}
    assert isinstance(back, values.OpaqueHandle) and (back.type_name, back.handle) == ("SOME_HANDLE", "h-0123")
    assert "h-0123" not in repr(back)


def test_an_unconnected_optional_input_is_none_both_ways(host):
    wire, back = _round_trip("IMAGE", {"kind": "SOCKET", "type": "IMAGE"}, None)
    assert wire == {"kind": "none"} and back is None

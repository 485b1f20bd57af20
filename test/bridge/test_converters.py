"""Round trips of the bridge's value converters for ComfyUI's core types (bridge/values.py): a Python value is
encoded to its wire form and tensor frames, the frames are reassembled byte for byte as the receiving side does,
and the wire value is decoded back into what ComfyUI passes on. The TypeScript half of the same frames is crossed
by the e2e tests; this checks that each converter loses nothing it should keep."""
import sys


def _mods():
    """bridge/values.py and bridge/frames.py as the plugin package imported them (the `host` fixture loads it)."""
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


def test_image_round_trips_through_uint8_exactly_on_the_255_grid(host):
    import torch
    levels = torch.arange(0, 256, dtype=torch.float32).reshape(1, 4, 64, 1).expand(1, 4, 64, 3) / 255.0
    image = torch.cat([levels, levels.flip(2)], dim=0).contiguous()
    wire, back = _round_trip("IMAGE", {"kind": "SOCKET", "type": "IMAGE"}, image)
    assert wire["kind"] == "tensor" and wire["tensor"]["dtype"] == "uint8" and wire["tensor"]["shape"] == [2, 4, 64, 3]
    assert back.dtype == torch.float32 and tuple(back.shape) == (2, 4, 64, 3)
    assert torch.equal(back, image)


def test_image_off_the_grid_comes_back_within_half_a_level(host):
    import torch
    g = torch.Generator().manual_seed(11)
    image = torch.rand((1, 5, 7, 3), generator=g)
    _, back = _round_trip("IMAGE", {"kind": "SOCKET", "type": "IMAGE"}, image)
    assert float((back - image).abs().max()) <= 0.5 / 255 + 1e-6


def test_clip_vision_output_keeps_the_declared_fields_bit_for_bit_and_every_shape(host):
    import torch
    import comfy.clip_vision
    g = torch.Generator().manual_seed(3)
    out = comfy.clip_vision.Output()
    out["image_embeds"] = torch.randn((2, 16), generator=g)
    out["last_hidden_state"] = torch.randn((2, 5, 8), generator=g)
    out["penultimate_hidden_states"] = torch.randn((2, 5, 8), generator=g)
    out["mm_projected"] = torch.randn((2, 5, 4), generator=g)
    spec = {"kind": "SOCKET", "type": "CLIP_VISION_OUTPUT", "fields": ["image_embeds", "penultimate_hidden_states"]}
    wire, back = _round_trip("CLIP_VISION_OUTPUT", spec, out)
    assert sorted(wire["entries"]) == ["image_embeds", "penultimate_hidden_states"]
    assert wire["metadata"] == {"shape:image_embeds": "2,16", "shape:last_hidden_state": "2,5,8",
                                "shape:penultimate_hidden_states": "2,5,8", "shape:mm_projected": "2,5,4"}
    assert isinstance(back, comfy.clip_vision.Output)
    assert torch.equal(back["image_embeds"], out["image_embeds"])
    assert torch.equal(back["penultimate_hidden_states"], out["penultimate_hidden_states"])
    assert back["last_hidden_state"] is None and back["mm_projected"] is None


def test_a_tensor_dict_round_trips_with_its_metadata_and_dtypes_as_float32(host):
    import torch
    tensors = {"a.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7, "b": torch.tensor([1.5, -2.0]), "empty": torch.zeros(0)}
    wire, back = _round_trip("LORA_MODEL", {"kind": "SOCKET", "type": "LORA_MODEL"}, tensors)
    assert wire["kind"] == "tensors"
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

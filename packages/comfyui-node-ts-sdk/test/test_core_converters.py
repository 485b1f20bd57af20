"""Round trips of the bridge's converters for ComfyUI's core types (python/comfy_ts_bridge): a Python value is
encoded to its wire form and tensor frames, the frames are reassembled byte for byte as the receiving side does,
and the wire value is decoded back into what ComfyUI passes on. ComfyUI's own modules (comfy.clip_vision) come
from the project's stand-in (test/bridge/comfy_standin.py)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "test", "bridge"))

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    from comfy_standin import install_modules
    install_modules(str(tmp_path_factory.mktemp("comfy")))
    import comfy_ts_bridge.values as values
    return values


def _round_trip(values, out_type, spec, value, codec=None):
    from comfy_ts_bridge.frames import Reassembler
    codec = codec or values.Codec("Test Pack")
    sink = values.FrameSink("call-1")
    wire = codec.encode_input(spec, value, sink, None)
    r = Reassembler()
    for f in sink.frames:
        r.push(f)
    blobs = {ref["ref"]: r.take("call-1", ref["ref"], values.byte_size(ref)) for ref in values.tensor_refs({"outputs": {"x": wire}})}
    return wire, codec.decode_output(out_type, wire, blobs)


def _socket(t, name="x", **extra):
    return {"kind": "SOCKET", "type": t, "name": name, "tooltip": "t", **extra}


def test_image_round_trips_through_uint8_exactly_on_the_255_grid(bridge):
    levels = torch.arange(0, 256, dtype=torch.float32).reshape(1, 4, 64, 1).expand(1, 4, 64, 3) / 255.0
    image = torch.cat([levels, levels.flip(2)], dim=0).contiguous()
    wire, back = _round_trip(bridge, "IMAGE", _socket("IMAGE"), image)
    assert wire["kind"] == "tensor" and wire["tensor"]["dtype"] == "uint8" and wire["tensor"]["shape"] == [2, 4, 64, 3]
    assert back.dtype == torch.float32 and torch.equal(back, image)


def test_mask_round_trips_bit_for_bit_as_float32_in_both_layouts(bridge):
    g = torch.Generator().manual_seed(2)
    for mask in (torch.rand((3, 17, 9), generator=g), torch.rand((64, 64), generator=g)):
        wire, back = _round_trip(bridge, "MASK", _socket("MASK"), mask)
        assert wire["tensor"]["dtype"] == "float32" and wire["tensor"]["shape"] == list(mask.shape)
        assert torch.equal(back, mask)
    with pytest.raises(Exception, match=r"\[INVALID_INPUT_DATA\] the x input must be a MASK"):
        _round_trip(bridge, "MASK", _socket("MASK"), torch.zeros(1, 2, 3, 4))


def test_latent_keeps_samples_noise_mask_and_batch_index_and_lists_what_it_drops(bridge):
    g = torch.Generator().manual_seed(4)
    latent = {"samples": torch.randn((2, 4, 8, 8), generator=g), "noise_mask": torch.rand((2, 1, 64, 64), generator=g),
              "batch_index": [3, 7], "type": "audio"}
    wire, back = _round_trip(bridge, "LATENT", _socket("LATENT"), latent)
    assert sorted(wire["entries"]) == ["noise_mask", "samples"]
    assert wire["metadata"] == {"batch_index": "3,7", "dropped": "type"}
    assert sorted(back) == ["batch_index", "noise_mask", "samples"]
    assert torch.equal(back["samples"], latent["samples"]) and torch.equal(back["noise_mask"], latent["noise_mask"])
    assert back["batch_index"] == [3, 7]
    _, plain = _round_trip(bridge, "LATENT", _socket("LATENT"), {"samples": torch.zeros(1, 4, 2, 2)})
    assert list(plain) == ["samples"] and torch.equal(plain["samples"], torch.zeros(1, 4, 2, 2))


def test_conditioning_keeps_tensors_and_numbers_and_names_what_it_drops(bridge):
    g = torch.Generator().manual_seed(6)
    cond = [
        [torch.randn((1, 77, 16), generator=g), {"pooled_output": torch.randn((1, 8), generator=g), "strength": 0.5,
                                                  "area": (64, 64, 0, 0), "set_area_to_bounds": False, "control": object()}],
        [torch.randn((1, 154, 16), generator=g).half(), {}],
    ]
    wire, back = _round_trip(bridge, "CONDITIONING", _socket("CONDITIONING"), cond)
    assert sorted(wire["entries"]) == ["c0", "c0.pooled_output", "c1"]
    assert wire["entries"]["c1"]["dtype"] == "float16"
    assert wire["metadata"] == {"count": "2", "c0.strength": "0.5", "c0.area": "[64, 64, 0, 0]",
                                "c0.set_area_to_bounds": "false", "c0.dropped": "control"}
    assert len(back) == 2
    assert torch.equal(back[0][0], cond[0][0]) and torch.equal(back[1][0], cond[1][0])
    assert sorted(back[0][1]) == ["area", "pooled_output", "set_area_to_bounds", "strength"]
    assert torch.equal(back[0][1]["pooled_output"], cond[0][1]["pooled_output"])
    assert (back[0][1]["strength"], back[0][1]["area"], back[0][1]["set_area_to_bounds"]) == (0.5, [64, 64, 0, 0], False)
    assert back[1][1] == {}


def test_clip_vision_output_keeps_the_declared_fields_bit_for_bit_and_every_shape(bridge):
    import comfy.clip_vision
    g = torch.Generator().manual_seed(3)
    out = comfy.clip_vision.Output()
    out["image_embeds"] = torch.randn((2, 16), generator=g)
    out["last_hidden_state"] = torch.randn((2, 5, 8), generator=g)
    out["penultimate_hidden_states"] = torch.randn((2, 5, 8), generator=g)
    out["mm_projected"] = None
    wire, back = _round_trip(bridge, "CLIP_VISION_OUTPUT", _socket("CLIP_VISION_OUTPUT", fields=["image_embeds"]), out)
    assert sorted(wire["entries"]) == ["image_embeds"]
    assert wire["metadata"] == {"shape:image_embeds": "2,16", "shape:last_hidden_state": "2,5,8", "shape:penultimate_hidden_states": "2,5,8"}
    assert isinstance(back, comfy.clip_vision.Output) and torch.equal(back["image_embeds"], out["image_embeds"])
    assert back["last_hidden_state"] is None and back["mm_projected"] is None


def test_model_and_clip_travel_as_weight_shapes_only_and_only_when_the_node_asks(bridge):
    from comfy_standin import FakeClip, FakeModel
    codec = bridge.Codec("Test Pack")
    sink = bridge.FrameSink("c")
    fake = FakeModel("sd15")
    model = codec.encode_input(_socket("MODEL"), fake, sink, None)
    expected = {k: list(v.shape) for k, v in fake.model.state_dict().items() if v.dim() >= 2}
    assert model == {"kind": "model", "targets": expected} and len(expected) > 0
    assert codec.encode_input(_socket("CLIP"), FakeClip(), sink, None)["kind"] == "model"
    assert codec.encode_input(_socket("MODEL"), FakeModel("sd15"), sink, None, describe_models=False) == {"kind": "none"}
    assert sink.frames == []


def test_an_opaque_handle_round_trips_by_reference_and_its_repr_shows_no_data(bridge):
    h = bridge.OpaqueHandle("SOME_HANDLE", "h-0123", replay=None, owner="Test Pack")
    wire, back = _round_trip(bridge, "SOME_HANDLE", _socket("SOME_HANDLE"), h)
    assert wire == {"kind": "handle", "type": "SOME_HANDLE", "handle": "h-0123"}
    assert isinstance(back, bridge.OpaqueHandle) and (back.type_name, back.handle) == ("SOME_HANDLE", "h-0123")
    assert "h-0123" not in repr(back) and repr(back) == "<SOME_HANDLE: opaque; the data stays in the Test Pack worker>"


def test_a_pack_converter_replaces_the_default_and_unknown_tensor_dicts_stay_dicts(bridge):
    calls = []

    def enc(value, sink, spec):
        calls.append("enc")
        return {"kind": "json", "value": value["n"]}

    codec = bridge.Codec("Test Pack", {"COUNTER": (enc, lambda wire, blobs: {"n": wire["value"]})})
    assert _round_trip(bridge, "COUNTER", _socket("COUNTER"), {"n": 3}, codec)[1] == {"n": 3} and calls == ["enc"]
    weights = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3)}
    wire, back = _round_trip(bridge, "WEIGHTS", _socket("WEIGHTS"), weights)
    assert wire["kind"] == "tensors" and torch.equal(back["a"], weights["a"])

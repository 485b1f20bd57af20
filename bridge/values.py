"""Converters of our socket types (the core types are comfyui-node-ts-sdk's, bridge/comfy_ts_bridge/values.py):

- LORA_MODEL: a plain dict of tensors (the core type), as a dict subclass that also carries the DP metadata.
- EMBEDS (ComfyUI_IPAdapter_plus): a plain float32 tensor.
- DP_EMBEDDINGS: an opaque handle; the data stays in the worker, and the handle's repr says only that.
- DP_PACK, DP_DATASET_EMBEDDING: public JSON values."""
from __future__ import annotations

from .comfy_ts_bridge.converters import decode_float_tensor, encode_float_tensor
from .comfy_ts_bridge.errors import fail
from .comfy_ts_bridge.values import Codec
from .comfy_ts_bridge.wire import (DTYPE_BYTES, FrameSink, OpaqueHandle, byte_size, image_to_uint8,  # noqa: F401 - the bridge's value API in one place
                                   pack_blob, tensor_dict, tensor_refs, unpack_blob)

DISPLAY_NAME = "DP HyperLoRA"


class LoraTensors(dict):
    """LORA_MODEL: a dict[str, Tensor] usable by core nodes, plus the DP metadata of its release."""

    def __init__(self, tensors, metadata=None):
        super().__init__(tensors)
        self.dp_metadata = dict(metadata or {})


def encode_lora(value, sink: FrameSink, spec: dict) -> dict:
    if not isinstance(value, dict):
        raise fail("INVALID_INPUT_DATA", "the lora input must be a LORA_MODEL (a dict of tensors).")
    return tensor_dict(sink, value, dict(getattr(value, "dp_metadata", {})))


def decode_lora(wire: dict, blobs: dict) -> LoraTensors:
    return LoraTensors({k: v.float() for k, v in unpack_blob(wire, blobs).items()}, wire.get("metadata"))


def encode_embeds(value, sink: FrameSink, spec: dict) -> dict:
    import torch
    if not isinstance(value, torch.Tensor):
        raise fail("INVALID_INPUT_DATA", "the EMBEDS input must be a tensor (connect IPAdapterEncoder or DP Conditioning).")
    return encode_float_tensor(value, sink, spec)


CONVERTERS = {"LORA_MODEL": (encode_lora, decode_lora), "EMBEDS": (encode_embeds, decode_float_tensor)}
CODEC = Codec(DISPLAY_NAME, CONVERTERS)
encode_input = CODEC.encode_input
decode_output = CODEC.decode_output

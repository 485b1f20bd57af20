"""dp-hyperlora for ComfyUI: differentially private LoRA from a private image set.

The nodes are defined once, in TypeScript (nodes/*.ts), and run in a Node.js worker that ComfyUI starts on first
use; comfyui-node-ts-sdk's generic bridge registers them (classic V1 API) from the committed nodes/manifest.json, so
they appear even where Node.js is missing. At start-up it checks that the worker can start (Node.js 20+, a built
worker): when it cannot, ComfyUI's log says what to install, and the frontend extension shows the same line (it
reads GET /dp_hyperlora/status). bridge/pack.py holds what is ours. See docs/comfyui.md."""
from .bridge.comfy_ts_bridge import load_pack
from .bridge.pack import CONFIG

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, WEB_DIRECTORY = _loaded = load_pack(__file__, CONFIG)
_hub = _loaded.hub

# The pack trainer is the one Python node (it needs autodiff): training/sdpack/comfy_node.py.
from .training.sdpack.comfy_node import NODE_CLASS_MAPPINGS as _TRAIN, NODE_DISPLAY_NAME_MAPPINGS as _TRAIN_NAMES  # noqa: E402
NODE_CLASS_MAPPINGS.update(_TRAIN)
NODE_DISPLAY_NAME_MAPPINGS.update(_TRAIN_NAMES)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]

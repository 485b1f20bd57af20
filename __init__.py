"""dp-hyperlora for ComfyUI: differentially private LoRA from a private image set.

The nodes are defined once, in TypeScript (nodes/*.ts), and run in a Node.js worker that ComfyUI starts on
first use; this file registers them (classic V1 API) from the committed nodes/manifest.json, so they appear
even where Node.js is missing (executing them then says what to install). See docs/comfyui.md."""
import atexit
import logging

from .bridge import paths, private_sets
from .bridge.hub import WORKER_ROUTE, WorkerHub
from .bridge.launcher import spawn_worker
from .bridge.registry import build_mappings

WEB_DIRECTORY = "./web/js"

log = logging.getLogger("dp_hyperlora")


def _server():
    from server import PromptServer
    return PromptServer.instance


def _port() -> int:
    port = getattr(_server(), "port", None)
    if port:
        return int(port)
    from comfy.cli_args import args
    return int(args.port)


_hub = WorkerHub(loop_getter=lambda: _server().loop, port_getter=_port, spawn=spawn_worker)
paths.register_model_folder()
private_sets.claim_roots()
_server().routes.get(WORKER_ROUTE)(_hub.handle)
atexit.register(_hub.shutdown)

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = build_mappings(lambda: _hub)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]

"""dp-hyperlora for ComfyUI: differentially private LoRA from a private image set.

The nodes are defined once, in TypeScript (nodes/*.ts), and run in a Node.js worker that ComfyUI starts on
first use; this file registers them (classic V1 API) from the committed nodes/manifest.json, so they appear
even where Node.js is missing. At start-up it checks that the worker can start (Node.js 20+, a built worker):
when it cannot, ComfyUI's log says what to install, and the frontend extension shows the same line (it reads
GET /dp_hyperlora/status). See docs/comfyui.md."""
import atexit
import logging

from .bridge import paths, private_sets
from .bridge.hub import WORKER_ROUTE, WorkerHub
from .bridge.launcher import spawn_worker, startup_problem
from .bridge.queries import QueryRoute
from .bridge.registry import build_mappings
from .bridge.startup import StartupCheck

WEB_DIRECTORY = "./web/js"
STATUS_ROUTE = "/dp_hyperlora/status"
COST_ROUTE = "/dp_hyperlora/cost"

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
# A remote worker (DP_HYPERLORA_WORKER=remote) is started by the user elsewhere: nothing to check here.
_startup = StartupCheck("DP HyperLoRA", (lambda: None) if _hub.settings.remote else startup_problem)
_server().routes.get(STATUS_ROUTE)(_startup.handle)
# What a Noisy Aggregate release will cost, shown by the frontend before a run (public values only).
_cost = QueryRoute(lambda: _hub, "DPHyperLoRA_CostQuery",
                   {"pack": "packs", "epsilon": "json", "delta": "json", "relation": "json", "n_public": "json"})
_server().routes.post(COST_ROUTE)(_cost.handle)
atexit.register(_hub.shutdown)

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = build_mappings(lambda: _hub)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]

# The pack trainer is the one Python node (it needs autodiff): training/sdpack/comfy_node.py.
from .training.sdpack.comfy_node import NODE_CLASS_MAPPINGS as _TRAIN, NODE_DISPLAY_NAME_MAPPINGS as _TRAIN_NAMES  # noqa: E402
NODE_CLASS_MAPPINGS.update(_TRAIN)
NODE_DISPLAY_NAME_MAPPINGS.update(_TRAIN_NAMES)

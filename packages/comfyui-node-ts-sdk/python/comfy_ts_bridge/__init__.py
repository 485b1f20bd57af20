"""comfy_ts_bridge: the generic Python half of comfyui-node-ts-sdk.

It registers a node pack's TypeScript nodes in ComfyUI from the pack's committed node manifest (classic V1 node
classes, so they appear even where Node.js is missing), starts the pack's Node.js worker on first use, and moves
values to and from it over a WebSocket (tensor frames, shared memory on the same machine). A pack's `__init__.py`:

    NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, WEB_DIRECTORY = load_pack(__file__, CONFIG)

(see the package README for how the pack reaches this folder)."""
from __future__ import annotations

import atexit
import os

from .config import Choice, PackConfig
from .errors import BridgeError, fail, set_error_class
from .execution import Runner
from .hub import WorkerHub
from .launcher import spawn_worker, startup_problem
from .logs import set_logger
from .registry import build_mappings, load_manifest
from .startup import StartupCheck
from .values import Codec, OpaqueHandle

__all__ = ["BridgeError", "Choice", "Codec", "LOADED", "LoadedPack", "OpaqueHandle", "PackConfig", "fail", "load_pack"]


class LoadedPack(tuple):
    """(NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, WEB_DIRECTORY), with the pack's `hub`, `runner` and
    `startup` check as attributes (for the pack's own routes and for tests)."""
    hub: WorkerHub
    runner: Runner
    startup: StartupCheck | None


#: Every pack this copy of the bridge loaded (one, normally), for hosts and tests that need its hub.
LOADED: list = []


def _server():
    from server import PromptServer
    return PromptServer.instance


def _port() -> int:
    port = getattr(_server(), "port", None)
    if port:
        return int(port)
    from comfy.cli_args import args
    return int(args.port)


def load_pack(init_file: str, config: PackConfig) -> LoadedPack:
    """Registers the pack whose `__init__.py` is `init_file`: its worker route (and status route), its node classes.
    Call once, at the pack's import inside ComfyUI."""
    pack_dir = os.path.dirname(os.path.abspath(init_file))
    set_error_class(config.error_class)
    set_logger(config.logger_name)
    manifest = load_manifest(os.path.join(pack_dir, config.manifest), config.manifest_format)
    hub = WorkerHub(config, loop_getter=lambda: _server().loop, port_getter=_port,
                    spawn=lambda url, token, extra: spawn_worker(config, pack_dir, url, token, extra))
    runner = Runner(config, Codec(config.name, config.converters), lambda: hub)
    server = _server()
    if config.on_load is not None:
        config.on_load(hub, server)
    server.routes.get(config.route)(hub.handle)
    startup = None
    if config.status_route is not None:
        # A remote worker is started by the user elsewhere: nothing to check here.
        startup = StartupCheck(config.name, (lambda: None) if hub.settings.remote else (lambda: startup_problem(config, pack_dir)))
        server.routes.get(config.status_route)(startup.handle)
    atexit.register(hub.shutdown)
    classes, names = build_mappings(runner, manifest)
    loaded = LoadedPack((classes, names, config.web_directory))
    loaded.hub, loaded.runner, loaded.startup = hub, runner, startup
    LOADED.append(loaded)
    return loaded

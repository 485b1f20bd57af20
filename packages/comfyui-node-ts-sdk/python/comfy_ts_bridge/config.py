"""What a node pack tells the generic bridge about itself: one PackConfig, passed to `load_pack`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Choice:
    """A dynamic dropdown (a CHOICE input's `source`): `options()` lists the names, `resolve(name)` turns the chosen
    one into the value the worker gets as `path` (usually an absolute folder; raise the pack's error to refuse)."""
    options: Callable[[], list]
    resolve: Callable[[str], Any]


@dataclass(frozen=True)
class PackConfig:
    """One node pack's settings.

    - `name`: shown in log lines and errors ("My Pack: the worker connected …").
    - `node_prefix`, `category`: every node id starts with the prefix; every node sits in the category.
    - `route`: the worker's WebSocket route on ComfyUI's server, e.g. "/my_pack/worker".
    - `env_prefix`: environment variables are `<prefix>WORKER` (`remote` for a worker started elsewhere),
      `<prefix>TOKEN_FILE`, `<prefix>WORKER_TOKEN` (what a spawned worker reads), `<prefix>START_TIMEOUT`,
      `<prefix>IDLE_TIMEOUT`, `<prefix>CANCEL_GRACE`, `<prefix>HEARTBEAT`, `<prefix>BRIDGE_URL`,
      `<prefix>WORKER_ARGS`, `<prefix>SHM` (`off`), `<prefix>NODE` (the Node.js binary).
    - `data_folder`: the pack's folder under ComfyUI's user directory (the remote worker's token file).
    - `error_class`: the exception class (a BridgeError subclass) or the name of one to create.
    - `worker_command`: the worker's arguments after `node`, relative to the pack folder; "{url}" becomes the
      bridge's URL. The worker must read its token from `<prefix>WORKER_TOKEN` and exit when the connection closes.
    - `remote_command`: how a user starts the worker by hand on another machine (named in the timeout error of
      remote mode, followed by `--comfy URL --token-file FILE`).
    - `worker_files`: files or folders (relative to the pack folder) that must exist before the worker can start,
      e.g. the built entry point and node_modules; missing ones make the start-up check say "run npm ci".
    - `shm_prefix`: the worker's shared-memory folder prefix (the TypeScript ShmNaming.prefix).
    - `manifest`, `manifest_format`: the committed node manifest (relative path) and its format tag.
    - `web_directory`: the pack's WEB_DIRECTORY, or None.
    - `status_route`: where a GET answers whether the worker can start ({"ok", "name", "problem"}), or None.
    - `choices`: {source: Choice} for CHOICE inputs.
    - `cache_keys`: {kind: function(value of the named input) -> key} for `host.cacheKey` kinds other than `inputs`.
    - `host_ops`: {key of `host`: function(op, spec, kwargs, outputs)} run after the worker call, in order; they may
      replace entries of `outputs` (a list, in output order), and may return {"text": [line, …]}: lines appended to
      the node's `ui.text` (None adds nothing).
    - `converters`: {socket type: (encode, decode)} for the pack's own types (./values.py Codec).
    - `write_file`: function(folder, name, data, subfolder) for files a node returns, or None to refuse them.
    - `on_load`: function(hub, server) run once at import, for the pack's own routes and folders.
    - `logger_name`: the logging logger this bridge writes to.
    """
    name: str
    node_prefix: str
    category: str
    route: str
    env_prefix: str
    data_folder: str
    error_class: Any
    worker_command: tuple
    worker_files: tuple = ()
    remote_command: str = "the worker"
    shm_prefix: str = ""
    manifest: str = "nodes/manifest.json"
    manifest_format: str = "comfyui-node-ts-sdk/nodes"
    web_directory: str | None = None
    status_route: str | None = None
    choices: dict = field(default_factory=dict)
    cache_keys: dict = field(default_factory=dict)
    host_ops: dict = field(default_factory=dict)
    converters: dict = field(default_factory=dict)
    write_file: Callable | None = None
    on_load: Callable | None = None
    logger_name: str = "comfy_ts_bridge"

    def __post_init__(self):
        problems = []
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*_", self.node_prefix):
            problems.append("node_prefix must be letters and digits ending in '_'")
        if not re.fullmatch(r"/[a-z0-9_]+(/[a-z0-9_]+)*", self.route):
            problems.append("route must look like /my_pack/worker")
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*_", self.env_prefix):
            problems.append("env_prefix must be upper-case letters, digits and '_', ending in '_'")
        if self.shm_prefix and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", self.shm_prefix):
            problems.append("shm_prefix must be 1-32 lower-case letters, digits or '-'")
        if not self.worker_command:
            problems.append("worker_command is empty")
        if problems:
            raise ValueError(f"PackConfig for {self.name!r}: " + "; ".join(problems))

    def env(self, suffix: str) -> str:
        """The name of this pack's environment variable `suffix` (e.g. "SHM" → "MY_PACK_SHM")."""
        return self.env_prefix + suffix

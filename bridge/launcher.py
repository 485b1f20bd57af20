"""Finding Node.js and starting the local worker process."""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading

from .errors import DPHyperLoRAError
from .paths import PLUGIN_DIR

log = logging.getLogger("dp_hyperlora")
MIN_NODE_MAJOR = 20
TOKEN_ENV = "DP_HYPERLORA_WORKER_TOKEN"

INSTALL_HINT = (
    "DP HyperLoRA runs its nodes in a Node.js worker: install Node.js 20 or newer (https://nodejs.org LTS installer; "
    "Windows: `winget install OpenJS.NodeJS.LTS`; Linux: your package manager or NodeSource), then run `npm ci` in "
    "{plugin} and restart ComfyUI. If node is installed somewhere unusual, set DP_HYPERLORA_NODE to its path."
)


def find_node() -> str:
    """The path of a Node.js 20+ binary, or a WORKER_UNAVAILABLE error saying exactly what to install."""
    node = os.environ.get("DP_HYPERLORA_NODE") or shutil.which("node")
    hint = INSTALL_HINT.format(plugin=PLUGIN_DIR)
    if not node:
        raise DPHyperLoRAError("WORKER_UNAVAILABLE", f"Node.js was not found. {hint}")
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise DPHyperLoRAError("WORKER_UNAVAILABLE", f"Node.js at {node} does not run ({type(e).__name__}). {hint}") from None
    m = re.match(r"v(\d+)\.", out)
    if not m or int(m.group(1)) < MIN_NODE_MAJOR:
        raise DPHyperLoRAError("WORKER_UNAVAILABLE", f"Node.js at {node} is {out or 'unknown'}; version {MIN_NODE_MAJOR} or newer is needed. {hint}")
    return node


def worker_entry() -> str:
    """The worker's launcher script; refuses when the TypeScript build is missing."""
    entry = os.path.join(PLUGIN_DIR, "bin", "dp-hyperlora.js")
    built = os.path.join(PLUGIN_DIR, "dist", "src", "cli", "main.js")
    if not os.path.isfile(built) or not os.path.isdir(os.path.join(PLUGIN_DIR, "node_modules")):
        raise DPHyperLoRAError("WORKER_UNAVAILABLE", f"the worker is not built: run `npm ci` in {PLUGIN_DIR} (it installs and builds it; install.py does this for ComfyUI-Manager) and restart ComfyUI.")
    return entry


def startup_problem() -> str | None:
    """Why the local worker cannot start (Node.js missing or too old, or the worker not built), or None when it can.
    Checked once at ComfyUI start-up so that the log and the frontend say so before anyone queues a prompt."""
    try:
        find_node()
        worker_entry()
    except DPHyperLoRAError as e:
        return e.message
    return None


def _forward(stream, prefix: str) -> None:
    # The worker's log lines follow the project's rule (no private data), so they are safe to forward.
    for raw in iter(stream.readline, b""):
        log.info("%s%s", prefix, raw.decode("utf-8", "replace").rstrip())
    stream.close()


def spawn_worker(url: str, token: str, extra_args: list[str]) -> subprocess.Popen:
    """Starts `node bin/dp-hyperlora.js worker --comfy URL --once` with the token in its environment."""
    node = find_node()
    entry = worker_entry()
    env = dict(os.environ)
    env[TOKEN_ENV] = token
    proc = subprocess.Popen([node, entry, "worker", "--comfy", url, "--once", *extra_args], cwd=PLUGIN_DIR, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    threading.Thread(target=_forward, args=(proc.stderr, "[worker] "), daemon=True, name="dp-hyperlora-worker-log").start()
    log.info("DP HyperLoRA: started the worker (pid %d)", proc.pid)
    return proc

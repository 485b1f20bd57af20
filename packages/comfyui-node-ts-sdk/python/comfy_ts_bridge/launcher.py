"""Finding Node.js and starting the local worker process."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading

from .errors import BridgeError, fail
from .logs import logger

MIN_NODE_MAJOR = 20


def install_hint(config, pack_dir: str) -> str:
    """What to install, and where to run `npm ci`: the text every Node.js problem ends with."""
    return (
        f"{config.name} runs its nodes in a Node.js worker: install Node.js {MIN_NODE_MAJOR} or newer (https://nodejs.org LTS "
        "installer; Windows: `winget install OpenJS.NodeJS.LTS`; Linux: your package manager or NodeSource), then run `npm ci` in "
        f"{pack_dir} and restart ComfyUI. If node is installed somewhere unusual, set {config.env('NODE')} to its path."
    )


def find_node(config, pack_dir: str) -> str:
    """The path of a Node.js 20+ binary, or a WORKER_UNAVAILABLE error saying exactly what to install."""
    node = os.environ.get(config.env("NODE")) or shutil.which("node")
    hint = install_hint(config, pack_dir)
    if not node:
        raise fail("WORKER_UNAVAILABLE", f"Node.js was not found. {hint}")
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise fail("WORKER_UNAVAILABLE", f"Node.js at {node} does not run ({type(e).__name__}). {hint}") from None
    m = re.match(r"v(\d+)\.", out)
    if not m or int(m.group(1)) < MIN_NODE_MAJOR:
        raise fail("WORKER_UNAVAILABLE", f"Node.js at {node} is {out or 'unknown'}; version {MIN_NODE_MAJOR} or newer is needed. {hint}")
    return node


def check_worker_files(config, pack_dir: str) -> None:
    """Refuses when a file the worker needs (config `worker_files`: the build, node_modules) is missing."""
    missing = [f for f in config.worker_files if not os.path.exists(os.path.join(pack_dir, f))]
    if missing:
        raise fail("WORKER_UNAVAILABLE", f"the worker is not built: run `npm ci` in {pack_dir} (it installs and builds it; install.py does this for ComfyUI-Manager) and restart ComfyUI.")


def startup_problem(config, pack_dir: str) -> str | None:
    """Why the local worker cannot start (Node.js missing or too old, or the worker not built), or None when it can.
    Checked once at ComfyUI start-up so that the log and the frontend say so before anyone queues a prompt."""
    try:
        find_node(config, pack_dir)
        check_worker_files(config, pack_dir)
    except BridgeError as e:
        return e.message
    return None


def _forward(stream, prefix: str) -> None:
    # A worker's log lines follow its pack's rules about what it may log; they are forwarded as they are.
    for raw in iter(stream.readline, b""):
        logger().info("%s%s", prefix, raw.decode("utf-8", "replace").rstrip())
    stream.close()


def spawn_worker(config, pack_dir: str, url: str, token: str, extra_args: list[str]) -> subprocess.Popen:
    """Starts `node <worker_command> <extra args>` in the pack folder with the token in `<prefix>WORKER_TOKEN`."""
    node = find_node(config, pack_dir)
    check_worker_files(config, pack_dir)
    env = dict(os.environ)
    env[config.env("WORKER_TOKEN")] = token
    argv = [node, *(a.replace("{url}", url) for a in config.worker_command), *extra_args]
    proc = subprocess.Popen(argv, cwd=pack_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    threading.Thread(target=_forward, args=(proc.stderr, "[worker] "), daemon=True, name=f"{config.data_folder}-worker-log").start()
    logger().info("%s: started the worker (pid %d)", config.name, proc.pid)
    return proc

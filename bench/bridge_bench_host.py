"""Shared setup of the bridge benchmarks: the ComfyUI stand-in (test/bridge/comfy_standin.py) with the real
bridge and the real built worker, test packs from test/helpers/test-packs.ts, and a hook that records the
worker-side compute time (computeMs) of each result, so that transport and compute are told apart."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "bridge"))


def start_host():
    """A running stand-in host; returns (host, compute_ms list that fills with each result's computeMs)."""
    if not os.path.isfile(os.path.join(ROOT, "dist", "src", "cli", "main.js")):
        sys.exit("build first: npx tsc -p tsconfig.build.json")
    root = tempfile.mkdtemp(prefix="dphl-bench-")
    subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "test", "bridge", "make-fixtures.ts"), root], cwd=ROOT, check=True, capture_output=True)
    os.environ["DP_HYPERLORA_WORKER_ARGS"] = f"--ledger {os.path.join(root, 'user', 'ledger.sqlite')}"
    os.environ.setdefault("DP_HYPERLORA_LOG", "warn")
    from comfy_standin import Host
    host = Host(root)
    compute_ms = []
    original = host.hub.call

    def recording_call(*args, **kwargs):
        message, blobs = original(*args, **kwargs)
        compute_ms.append(float(message.get("computeMs", 0.0)))
        return message, blobs
    host.hub.call = recording_call
    return host, compute_ms

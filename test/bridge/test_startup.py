"""The start-up check: ComfyUI's log and GET /dp_hyperlora/status say at start-up (not at first run) when the worker
cannot start, and what to install. The failing case loads the plugin into a fresh stand-in ComfyUI in a child
process (one import of the plugin per process, as in ComfyUI) with Node.js pointed at a path that does not exist."""
import json
import os
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import json, sys, urllib.request
sys.path.insert(0, {here!r})
from comfy_standin import Host
h = Host({root!r})
with urllib.request.urlopen(f"http://127.0.0.1:{{h.port}}/dp_hyperlora/status", timeout=10) as r:
    print(json.dumps(json.loads(r.read())))
h.close()
"""


def test_status_route_says_ok_when_the_worker_can_start(host):
    with urllib.request.urlopen(f"http://127.0.0.1:{host.port}/dp_hyperlora/status", timeout=10) as r:
        assert json.loads(r.read()) == {"ok": True, "name": "DP HyperLoRA", "problem": None}


def test_missing_nodejs_is_reported_at_start_up_in_the_log_and_the_status_route(tmp_path):
    env = {**os.environ, "DP_HYPERLORA_NODE": str(tmp_path / "no-such-node")}
    r = subprocess.run([sys.executable, "-c", CHILD.format(here=HERE, root=str(tmp_path / "comfy"))], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout.strip().splitlines()[-1])
    assert status["ok"] is False and status["name"] == "DP HyperLoRA"
    assert status["problem"].startswith(f"Node.js at {tmp_path / 'no-such-node'} does not run")
    assert "install Node.js 20 or newer" in status["problem"]
    logged = [line for line in r.stderr.splitlines() if "the worker cannot start" in line]
    assert logged == [f"DP HyperLoRA: the worker cannot start, so its nodes will fail until this is fixed: {status['problem']}"]

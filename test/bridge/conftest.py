"""Session fixtures of the bridge tests: test packs and a private set (written by make-fixtures.ts), the
built worker (dist/, as `npm test` builds it), and one stand-in ComfyUI host with the plugin loaded."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)


def _ensure_built():
    # The worker imports the comfyui-node-ts-sdk workspace package, built into its own dist/ by `npm run build`.
    sdk = os.path.join(ROOT, "packages", "comfyui-node-ts-sdk", "dist", "index.js")
    if not (os.path.isfile(os.path.join(ROOT, "dist", "src", "cli", "main.js")) and os.path.isfile(sdk)):
        subprocess.run(["npm", "run", "build"], cwd=ROOT, check=False)


@pytest.fixture(scope="session")
def comfy_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("comfy"))
    out = subprocess.run([
        "node", "--import", "tsx", os.path.join(HERE, "make-fixtures.ts"), root,
    ], cwd=ROOT, check=True, capture_output=True, text=True)
    fixtures = json.loads(out.stdout)
    assert fixtures["packs"] == ["ref-test", "sd15-test", "sdxl-test", "strict-test"]
    return root


@pytest.fixture(scope="session")
def host(comfy_root):
    _ensure_built()
    os.environ["DP_HYPERLORA_WORKER_ARGS"] = f"--ledger {os.path.join(comfy_root, 'user', 'ledger.sqlite')}"
    os.environ["DP_HYPERLORA_IDLE_TIMEOUT"] = "20"
    os.environ["DP_HYPERLORA_START_TIMEOUT"] = "30"
    os.environ.setdefault("DP_HYPERLORA_LOG", "info")
    from comfy_standin import Host
    h = Host(comfy_root)
    yield h
    h.close()

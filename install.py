"""ComfyUI-Manager install hook: builds the Node.js worker (`npm ci`, which also compiles the TypeScript).

Without Node.js 20+ nothing fails here: the nodes still register in ComfyUI, and running one says exactly
what to install. Nothing is downloaded when ComfyUI starts; only this install step uses the network."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    sys.path.insert(0, HERE)
    from bridge.errors import DPHyperLoRAError
    from bridge.launcher import find_node
    try:
        find_node()
    except DPHyperLoRAError as e:
        print(f"dp-hyperlora: {e.message}")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("dp-hyperlora: npm was not found next to Node.js; install npm, then run `npm ci` in", HERE)
        return 0
    print("dp-hyperlora: installing and building the worker (npm ci) ...")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE)
    if result.returncode != 0:
        print(f"dp-hyperlora: `npm ci` failed (exit {result.returncode}); run it by hand in {HERE} and restart ComfyUI.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

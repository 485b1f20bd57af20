"""ComfyUI-Manager install hook: builds the Node.js worker (`npm ci`, which also compiles the TypeScript).

It fails loudly: when Node.js 20+ or npm is missing, or `npm ci` fails, it prints one line saying what to do
and exits non-zero (1: Node.js/npm missing or too old; 2: `npm ci` failed), so that ComfyUI-Manager reports the
install as failed instead of leaving nodes that break on first use. Nothing is downloaded when ComfyUI starts;
only this install step uses the network."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_NO_NODE = 1
EXIT_NPM_CI_FAILED = 2


def _fail(code: int, line: str) -> int:
    print(f"dp-hyperlora install FAILED: {line}", file=sys.stderr, flush=True)
    return code


def main() -> int:
    sys.path.insert(0, HERE)
    from bridge.comfy_ts_bridge.launcher import find_node
    from bridge.errors import DPHyperLoRAError
    from bridge.pack import CONFIG
    try:
        node = find_node(CONFIG, HERE)
    except DPHyperLoRAError as e:
        return _fail(EXIT_NO_NODE, e.message)
    npm = shutil.which("npm", path=os.pathsep.join([os.path.dirname(node), os.environ.get("PATH", "")]))
    if npm is None:
        return _fail(EXIT_NO_NODE, f"npm was not found next to Node.js ({node}); install Node.js 20+ with npm "
                     f"(https://nodejs.org), then run `npm ci` in {HERE} and restart ComfyUI.")
    print("dp-hyperlora: installing and building the worker (npm ci) ...", flush=True)
    try:
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE)
    except OSError as e:
        return _fail(EXIT_NPM_CI_FAILED, f"could not run npm ({type(e).__name__}: {e}); run `npm ci` by hand in {HERE} and restart ComfyUI.")
    if result.returncode != 0:
        return _fail(EXIT_NPM_CI_FAILED, f"`npm ci` exited with {result.returncode} (its messages are above); fix that "
                     f"(often: no network, or no C++ build tools for better-sqlite3), run `npm ci` in {HERE}, restart ComfyUI.")
    print("dp-hyperlora: worker installed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""install.py (ComfyUI-Manager's install hook) fails loudly: non-zero exit and one clear line when Node.js is missing
or `npm ci` fails. Runs the real script in a copy of the plugin's Python files (bridge/ and the SDK's python folder), with a PATH that lacks node, or
with a package.json that `npm ci` refuses (no lockfile: npm fails at once, without the network)."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _plugin_copy(tmp_path):
    dst = tmp_path / "dp-hyperlora"
    dst.mkdir()
    shutil.copy(os.path.join(ROOT, "install.py"), dst)
    shutil.copytree(os.path.join(ROOT, "bridge"), dst / "bridge", ignore=shutil.ignore_patterns("__pycache__"))
    sdk_python = os.path.join("packages", "comfyui-node-ts-sdk", "python")  # the generic bridge ships in the checkout
    shutil.copytree(os.path.join(ROOT, sdk_python), dst / sdk_python, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _run(plugin, env):
    return subprocess.run([sys.executable, str(plugin / "install.py")], cwd=str(plugin), env=env,
                          capture_output=True, text=True, timeout=120)


def _failure_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("dp-hyperlora install FAILED:")]


def test_missing_nodejs_exits_1_with_one_line(tmp_path):
    plugin = _plugin_copy(tmp_path)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DP_HYPERLORA_NODE"}
    env["PATH"] = str(empty_bin)
    r = _run(plugin, env)
    assert r.returncode == 1
    lines = _failure_lines(r.stderr)
    assert len(lines) == 1
    assert "Node.js was not found" in lines[0] and "install Node.js 20 or newer" in lines[0]
    assert "winget install OpenJS.NodeJS.LTS" in lines[0] and str(plugin) in lines[0]


def test_too_old_nodejs_exits_1(tmp_path):
    plugin = _plugin_copy(tmp_path)
    old = tmp_path / "old-node"
    old.write_text("#!/bin/sh\necho v16.20.2\n")
    old.chmod(0o755)
    r = _run(plugin, {**os.environ, "DP_HYPERLORA_NODE": str(old)})
    assert r.returncode == 1
    lines = _failure_lines(r.stderr)
    assert len(lines) == 1 and "is v16.20.2; version 20 or newer is needed" in lines[0]


@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="needs node and npm")
def test_failing_npm_ci_exits_2_with_one_line(tmp_path):
    plugin = _plugin_copy(tmp_path)
    (plugin / "package.json").write_text('{"name": "dp-hyperlora-install-test", "version": "0.0.0", "private": true}\n')
    env = {k: v for k, v in os.environ.items() if k != "DP_HYPERLORA_NODE"}
    r = _run(plugin, env)
    assert r.returncode == 2
    lines = _failure_lines(r.stderr)
    assert len(lines) == 1
    assert lines[0].startswith("dp-hyperlora install FAILED: `npm ci` exited with ")
    assert f"run `npm ci` in {plugin}" in lines[0]
    assert "npm ci" in r.stderr.split("dp-hyperlora install FAILED")[0]  # npm's own reason is printed above it

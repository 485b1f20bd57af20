"""The README's "hello" pack, exactly as written there: its two files are taken from the README's code blocks, put in
a fresh pack folder whose node_modules holds this package (and tsx), the manifest is exported with the README's
command, and the pack is loaded and queued in the repository's ComfyUI stand-in with its real worker."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.abspath(os.path.join(HERE, ".."))
ROOT = os.path.abspath(os.path.join(PKG, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "bridge"))


def _readme_files() -> dict:
    with open(os.path.join(PKG, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    return {name: body for name, body in re.findall(r"```(?:ts|python) (\S+)\n(.*?)```", text, re.S)}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    if not os.path.isfile(os.path.join(PKG, "dist", "index.js")):
        subprocess.run(["npm", "run", "build", "--workspace", "comfyui-node-ts-sdk"], cwd=ROOT, check=True, capture_output=True)
    d = tmp_path_factory.mktemp("custom_nodes") / "hello-ts"
    (d / "node_modules").mkdir(parents=True)
    os.symlink(PKG, d / "node_modules" / "comfyui-node-ts-sdk")
    os.symlink(os.path.join(ROOT, "node_modules", "tsx"), d / "node_modules" / "tsx")
    (d / "package.json").write_text('{"name": "hello-ts", "version": "0.1.0", "type": "module"}\n')
    files = _readme_files()
    assert sorted(files) == ["__init__.py", "hello.ts"]
    for name, body in files.items():
        (d / name).write_text(body)
    (d / "nodes").mkdir()
    manifest = subprocess.run(["node", "--import", "tsx", "hello.ts", "--manifest"], cwd=d, check=True, capture_output=True, text=True).stdout
    (d / "nodes" / "manifest.json").write_text(manifest)
    return str(d)


@pytest.fixture(scope="module")
def host(pack, tmp_path_factory):
    from comfy_standin import Host
    h = Host(str(tmp_path_factory.mktemp("comfy-hello")), plugin_dir=pack, module_name=pack.replace(".", "_x_"))
    yield h
    h.close()


def test_the_hello_pack_from_the_readme_registers_and_greets(host):
    cls = host.plugin.NODE_CLASS_MAPPINGS["Hello_Greet"]
    assert cls.INPUT_TYPES() == {"required": {"name": ("STRING", {"tooltip": "Who to greet.", "default": "world", "multiline": False})}, "optional": {}}
    assert (cls.CATEGORY, cls.RETURN_TYPES, cls.OUTPUT_NODE) == ("Hello", ("STRING",), True)
    executor = host.executor()
    executor.mappings.update(host.plugin.NODE_CLASS_MAPPINGS)
    results = executor.run({"1": {"class_type": "Hello_Greet", "inputs": {"name": "ComfyUI"}}})
    assert results["1"]["result"] == ("hello, ComfyUI",) and results["1"]["ui"] == {"text": ["hello, ComfyUI"]}

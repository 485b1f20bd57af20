"""The example pack (test/example-pack: one TypeScript node, Invert Image) loaded the way ComfyUI loads a custom node,
in the project's ComfyUI stand-in (test/bridge/comfy_standin.py, written from the reference of ComfyUI 0.3.64), with
its real worker: a RandomImages → Invert Image → SaveImage prompt gives 1 − x on the 1/255 grid, the node is
registered from the pack's committed manifest, and the manifest is what the TypeScript definitions export."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACK = os.path.join(HERE, "example-pack")
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "bridge"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    from comfy_standin import Host
    os.environ["EXAMPLE_INVERT_IDLE_TIMEOUT"] = "20"
    os.environ["EXAMPLE_INVERT_START_TIMEOUT"] = "30"
    h = Host(str(tmp_path_factory.mktemp("comfy-example")), plugin_dir=PACK, module_name=PACK.replace(".", "_x_"))
    yield h
    h.close()


def test_the_committed_manifest_is_what_the_typescript_nodes_export():
    out = subprocess.run(["node", "--import", "tsx", os.path.join(PACK, "worker.ts"), "--manifest"], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    with open(os.path.join(PACK, "nodes", "manifest.json"), encoding="utf-8") as fh:
        assert fh.read() == out, "run: node --import tsx packages/comfyui-node-ts-sdk/test/example-pack/worker.ts --manifest > …/nodes/manifest.json"


def test_the_node_is_registered_with_its_schema(host):
    cls = host.plugin.NODE_CLASS_MAPPINGS["ExampleInvert_InvertImage"]
    assert host.plugin.NODE_DISPLAY_NAME_MAPPINGS == {"ExampleInvert_InvertImage": "Invert Image (TypeScript)"}
    assert cls.INPUT_TYPES() == {"required": {"image": ("IMAGE", {"tooltip": "The images to invert."})}, "optional": {}}
    assert (cls.RETURN_TYPES, cls.CATEGORY, cls.OUTPUT_NODE) == (("IMAGE",), "Example Invert", False)
    assert host.plugin.WEB_DIRECTORY is None


def test_invert_through_the_worker_gives_255_minus_the_input(host):
    import torch
    from comfy_standin import PreviewImage
    executor = host.executor()
    executor.mappings.update(host.plugin.NODE_CLASS_MAPPINGS)
    prompt = {
        "1": {"class_type": "RandomImages", "inputs": {"count": 2, "size": 300, "seed": 5}},
        "2": {"class_type": "ExampleInvert_InvertImage", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inverted"}},
    }
    PreviewImage.SEEN.clear()
    executor.run(prompt)
    (saved,) = PreviewImage.SEEN
    source = torch.rand(2, 300, 300, 3, generator=torch.Generator().manual_seed(5))
    as_uint8 = torch.mul(source, 255.0).add_(0.5).clamp_(0, 255).to(torch.uint8)  # what crosses the bridge
    assert saved.dtype == torch.float32 and tuple(saved.shape) == (2, 300, 300, 3)
    assert torch.equal(torch.round(saved * 255).to(torch.uint8), 255 - as_uint8)
    # 2×300×300×3 bytes is above the file threshold: the pack's worker is on shared memory like any local worker.
    assert host.hub._conn is not None and host.hub._conn.shm is not None
    assert os.path.basename(host.hub._conn.shm.dir).startswith("example-invert-")

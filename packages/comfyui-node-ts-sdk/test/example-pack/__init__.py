"""Example node pack: one TypeScript node (Invert Image) registered in ComfyUI by comfyui-node-ts-sdk's bridge.

A pack installed from npm points its search path at node_modules/comfyui-node-ts-sdk/python instead of ../../python."""
import os

__path__.append(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))  # noqa: F821
from .comfy_ts_bridge import PackConfig, load_pack  # noqa: E402

CONFIG = PackConfig(name="Example Invert", node_prefix="ExampleInvert_", category="Example Invert", route="/example_invert/worker",
                    env_prefix="EXAMPLE_INVERT_", data_folder="example_invert", error_class="ExampleInvertError",
                    worker_command=("--import", "tsx", "worker.ts", "{url}"), shm_prefix="example-invert")
NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, WEB_DIRECTORY = load_pack(__file__, CONFIG)

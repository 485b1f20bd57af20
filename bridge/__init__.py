"""The ComfyUI side of dp-hyperlora: what is ours on top of comfyui-node-ts-sdk's generic bridge.

The generic bridge (packages/comfyui-node-ts-sdk/python/comfy_ts_bridge: node classes from nodes/manifest.json,
the worker hub, tensor frames, shared memory, core-type converters) is reached as the sub-package
`bridge.comfy_ts_bridge`: this package's search path includes the SDK's python folder, which ships in this
repository. Ours, and free of DP logic all the same: the pack's configuration (./pack.py), where packs and private
sets are found (./paths.py, ./private_sets.py), the host operations (./host_ops.py applies the LoRA, ./base_check.py
warns when an SD pack meets another base UNet) and the converters of our
socket types (./values.py). See docs/comfyui.md."""
import os

__path__.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # noqa: F821 - a package's own __path__
                             "packages", "comfyui-node-ts-sdk", "python"))

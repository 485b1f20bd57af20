"""The ComfyUI side of dp-hyperlora: generic, small, and free of DP logic.

It registers the nodes described in nodes/manifest.json (written by the TypeScript side), moves values to
and from the TypeScript worker over a WebSocket, and performs a few host operations (apply a LoRA to
MODEL/CLIP, write a file into models/loras, hash a folder for ComfyUI's cache). See docs/comfyui.md.
"""

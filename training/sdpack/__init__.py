"""Stable Diffusion packs: train a DP-DeepSets pack (φ head + ρ) for a user's SD checkpoint on public images.

One idea per module:
- ``layout``: the LoRA targets (the sd15/sdxl kohya layouts the product writes, from layouts.json; or any model's
  Linear weights by name, for the tiny CI world).
- ``phi_head``: φ's trained part, CLIP-vision image_embeds -> d, unit norm.
- ``schedules``: the SD noise schedule as training/diffusion.py's Schedule interface.
- ``meta_train``: the meta-training loop (the product's clip, sum, noise on sum and count, mean; ε over the
  trained range; min-SNR diffusion loss of base + generated LoRA), resumable checkpoints.
- ``sets``: a public folder -> sets (sub-folders, or pseudo-sets by k-means over CLIP-vision embeddings).
- ``export``: φ head and ρ to ONNX, manifest.json in the format src/pack reads.
- ``comfy_backend``: the ComfyUI side (weight-wrapper seam, CLIP-vision / VAE / text-encoder calls, UNet hash).
- ``comfy_node``: the training node registered by the plugin's __init__.py; ``__main__``: the CLI twin.

ρ is training/hyper.py's HyperNet (a mixture of component LoRAs over a shared down factor, HyperLoRA-style), the LoRA
is applied through training/lora_delta.py's interface, the loss is training/diffusion.py's diffusion_loss with
min-SNR weighting, and the release noise is training/dp_accounting.py's release_sigmas: nothing here forks them.
"""

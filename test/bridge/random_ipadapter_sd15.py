#!/usr/bin/env python3
"""Write an IP-Adapter SD1.5 (non-plus, ViT-H image encoder) file with the real key names and shapes and random
weights, for the real-ComfyUI check of docs/comfyui.md (ComfyUI_IPAdapter_plus's IPAdapterEmbeds on a
random-weight SD1.5 UNet). Nothing it writes is a real model: never commit or ship the file.

  PYTHONPATH=<shims> /usr/bin/python3 test/bridge/random_ipadapter_sd15.py OUT.safetensors

Layout (the published ip-adapter_sd15 file): image_proj.proj [4·768, 1024] + bias, image_proj.norm [768]
(4 extra context tokens of SD1.5's 768-wide cross-attention), and to_k_ip / to_v_ip [width, 768] for the 16
cross-attention layers, numbered 1, 3, ..., 31 in diffusers' attention-processor order (down 0-2, up 1-3, mid)."""
import sys

import torch
from safetensors.torch import save_file

WIDTHS = [320, 320, 640, 640, 1280, 1280, 1280, 1280, 1280, 640, 640, 640, 320, 320, 320, 1280]


def main(out: str) -> None:
    g = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return (torch.randn(*shape, generator=g) * 0.02).to(torch.float16)
    sd = {"image_proj.proj.weight": rnd(4 * 768, 1024), "image_proj.proj.bias": rnd(4 * 768),
          "image_proj.norm.weight": torch.ones(768, dtype=torch.float16), "image_proj.norm.bias": torch.zeros(768, dtype=torch.float16)}
    for i, width in enumerate(WIDTHS):
        idx = 2 * i + 1
        sd[f"ip_adapter.{idx}.to_k_ip.weight"] = rnd(width, 768)
        sd[f"ip_adapter.{idx}.to_v_ip.weight"] = rnd(width, 768)
    save_file(sd, out)
    print(f"wrote {out}: {len(sd)} tensors, {sum(v.numel() for v in sd.values())} parameters (random)")


if __name__ == "__main__":
    main(sys.argv[1])

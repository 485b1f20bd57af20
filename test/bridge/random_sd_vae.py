#!/usr/bin/env python3
"""Write an SD1.x VAE (AutoencoderKL, the ddconfig ComfyUI uses for SD1.x files) with random weights, built with
ComfyUI's own class, for the real-ComfyUI check of the SD pack trainer (docs/packs.md). Nothing it writes is a real
model: never commit or ship the file.

  PYTHONPATH=<shims> /usr/bin/python3 test/bridge/random_sd_vae.py COMFY_SRC OUT.safetensors
"""
import os
import sys

src, out = sys.argv[1], sys.argv[2]
os.chdir(src)
sys.path.insert(0, src)
sys.argv = [sys.argv[0], "--cpu"]
import torch  # noqa: E402
import comfy.options  # noqa: E402
comfy.options.enable_args_parsing()
from comfy.ldm.models.autoencoder import AutoencoderKL  # noqa: E402

DDCONFIG = {"double_z": True, "z_channels": 4, "resolution": 256, "in_channels": 3, "out_ch": 3, "ch": 128,
            "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0}
model = AutoencoderKL(ddconfig=DDCONFIG, embed_dim=4)
gen = torch.Generator().manual_seed(0)
sd = {k: (torch.randn(v.shape, generator=gen) * 0.02).to(torch.float16) if v.dtype.is_floating_point else v
      for k, v in model.state_dict().items()}
from safetensors.torch import save_file  # noqa: E402  (the shims' writer)
save_file(sd, out)
print(f"{out}: SD1.x VAE, {sum(v.numel() for v in sd.values()) / 1e6:.0f}M random parameters")
os._exit(0)

#!/usr/bin/env python3
"""Local check (not CI): the SD pack trainer on a random-weight SDXL UNet of the real architecture, built in-process
with ComfyUI's own SDXL model config (comfy.supported_models.SDXL through model_detection), weights bf16 and computed
in bf16 on the CPU, in a ComfyUI 0.3.64 source tree used as a library (as the CLI twin uses it). It checks that the
base is detected as sdxl, that y is what SDXL.encode_adm makes from the pooled output at the training resolution,
that a few training steps run through the weight-wrapper seam with y, and that the exported manifest says sdxl.

  PYTHONPATH=<real-comfyui shims> /usr/bin/python3 test/bridge/real_comfyui_sdxl_train_check.py COMFY_SRC CLIP_VISION \\
      VAE PUBLIC_DIR OUT_DIR [--steps 2] [--resolution 32] [--threads 2]

Why not a file through UNETLoader: a 2.6 B-parameter UNet loaded from a file through the environment's pure-Python
safetensors stand-in holds the file's bytes and the tensors at once, and ComfyUI computes fp16/bf16 weights in fp32
on the CPU (unet_manual_cast), whose casts autograd keeps for the backward pass: ~15 GB, more than this shared machine
has. Built in-process in bf16, with a ViT-L/14 CLIP-vision model, the run peaked at 11.6 GiB RSS (with ViT-H it was
killed for memory in its second step). Nothing is written but the pack and its run folder in OUT_DIR (random
weights: never commit them).
"""
import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The SDXL UNet config as ComfyUI's detect_unet_config reads it from an SDXL base checkpoint.
SDXL = dict(use_checkpoint=False, image_size=32, out_channels=4, use_spatial_transformer=True, legacy=False,
            num_classes="sequential", adm_in_channels=2816, in_channels=4, model_channels=320,
            num_res_blocks=[2, 2, 2], transformer_depth=[0, 0, 2, 2, 10, 10], channel_mult=[1, 2, 4],
            transformer_depth_middle=10, use_linear_in_transformer=True, context_dim=2048, num_head_channels=64,
            transformer_depth_output=[0, 0, 0, 2, 2, 2, 10, 10, 10], use_temporal_attention=False,
            use_temporal_resblock=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("comfy", "clip_vision", "vae", "public", "out"):
        ap.add_argument(name)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    sys.path.insert(0, str(Path(a.comfy).resolve()))
    sys.path.insert(0, str(ROOT))
    sys.argv = [sys.argv[0], "--cpu"]
    import comfy.options
    comfy.options.enable_args_parsing()
    import torch
    import comfy.clip_vision
    import comfy.model_detection
    import comfy.model_patcher
    import comfy.sd
    import comfy.utils
    from training.sdpack.comfy_backend import detect_base, empty_prompt_conditioning, zero_conditioning
    from training.sdpack.pipeline import TrainOptions, train_pack

    torch.set_num_threads(a.threads)
    t0 = time.time()
    config = comfy.model_detection.model_config_from_unet_config(dict(SDXL, dtype=torch.bfloat16))
    print(f"model config: {type(config).__module__}.{type(config).__name__}")
    config.set_inference_dtype(torch.bfloat16, None)
    model = config.get_model({}, "", device=torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.diffusion_model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.02)
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=torch.device("cpu"), offload_device=torch.device("cpu"))
    n_params = sum(p.numel() for p in model.diffusion_model.parameters())
    print(f"random SDXL UNet: {n_params / 1e9:.2f} B parameters, bf16, built in {time.time() - t0:.0f} s")

    base = detect_base(patcher)
    cond = zero_conditioning(patcher)
    cond[0][1]["pooled_output"] = torch.randn(1, 1280, generator=gen)   # a non-zero pooled output, to see it in y
    unet_cond = empty_prompt_conditioning(patcher, cond, a.resolution)
    r = float(a.resolution)
    expected = torch.cat([cond[0][1]["pooled_output"],
                          torch.flatten(torch.cat([model.embedder(torch.Tensor([v])) for v in (r, r, 0, 0, r, r)]))[None]], 1)
    print(f"base {base}; context {list(unet_cond.context.shape)}; y {list(unet_cond.y.shape)}; "
          f"y == pooled ⊕ Timestep(256)(h, w, 0, 0, h, w) at {a.resolution} px: {bool(torch.equal(unet_cond.y, expected))}")

    clip_vision = comfy.clip_vision.load(a.clip_vision)
    vae = comfy.sd.VAE(sd=comfy.utils.load_torch_file(a.vae))
    out = Path(a.out)
    o = TrainOptions(public_folder=Path(a.public), run_dir=out / "random-sdxl-check.run", pack_dir=out / "random-sdxl-check",
                     pack_id="random-sdxl-check", steps=a.steps, resolution=a.resolution, loss_images=1,
                     base_name="random SDXL UNet (bf16, in-process)", extra={"zeroContext": True})
    t1 = time.time()
    result = train_pack(patcher, clip_vision, vae, cond, o,
                        on_step=lambda s, n, loss: print(f"step {s}/{n} loss {loss:.5f} ({time.time() - t1:.0f} s)", flush=True),
                        log=lambda s: print(s, flush=True))
    manifest = json.loads((out / "random-sdxl-check" / "manifest.json").read_text())
    print(json.dumps({"target": result["target"], "stats": result["stats"], "fixed_batch_loss": result["fixed_batch_loss"],
                      "manifest": {"target": manifest["target"], "layout": manifest["lora"]["layout"],
                                   "modules": len(manifest["lora"]["modules"]), "clipVision": manifest["clipVision"],
                                   "files": {k: v["bytes"] for k, v in manifest["files"].items()}}}, indent=1))
    print(f"train_pack {time.time() - t1:.0f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB")
    sys.stdout.flush()
    os._exit(0)   # skip ComfyUI's ModelPatcher teardown at interpreter exit


if __name__ == "__main__":
    main()

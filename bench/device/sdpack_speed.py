#!/usr/bin/env python3
"""The SD pack trainer's speed and peak memory on a base UNet, for bench/device/gpu-figures.sh.

  PYTHONPATH=<real-comfyui shims> python3 bench/device/sdpack_speed.py --comfy COMFY_SRC --unet UNET.safetensors \\
      [--steps 20] [--warmup 2] [--resolution 512] [--groups 4] [--loss-images 4] [--cpu] [--out FILE.json]

The UNet is loaded by ComfyUI's own loader (comfy.sd.load_diffusion_model, what UNETLoader calls; a random-weight
SD1.5 UNet from ../shared/tools/real-comfyui/random_sd15_unet.py here), the LoRA goes through the trainer's
weight-wrapper denoiser, and the steps are training/sdpack's MetaTrainer.train_step: per step ``groups`` sets, each
with ``loss_images`` latents at resolution/8, forward and backward through the UNet, plus a no-LoRA loss every 10
steps. The public data is synthetic (seeded random CLIP embeddings [32, 1024] and latents per set): encoding a real
public folder is a one-off cost measured elsewhere, and the step time does not depend on the pixel values. Prints and
writes (``--out``) the device, steps/s, seconds per step, peak GPU memory (allocated and reserved, from PyTorch) and
peak process RSS, and the wall time a ``--pack-steps`` run (default 2000) would take at this speed. Seeded; nothing is
written but the JSON and a temporary run folder.
"""
import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comfy", required=True)
    ap.add_argument("--unet", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--resolution", type=int, default=512)
    ap.add_argument("--groups", type=int, default=4)
    ap.add_argument("--loss-images", type=int, default=4)
    ap.add_argument("--pack-steps", type=int, default=2000)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out")
    a = ap.parse_args()
    sys.path.insert(0, str(Path(a.comfy).resolve()))
    sys.path.insert(0, str(ROOT))
    sys.argv = [sys.argv[0]] + (["--cpu"] if a.cpu else [])
    import comfy.options
    comfy.options.enable_args_parsing()
    import torch
    import comfy.sd
    from training.sdpack.comfy_backend import (WeightWrapperDenoiser, auto_loss_images, detect_base,
                                               empty_prompt_conditioning, zero_conditioning)
    from training.sdpack.layout import fixed_layout
    from training.sdpack.meta_train import MetaTrainer, PublicSets
    from training.sdpack.schedules import schedule_from_sigmas

    if a.threads:
        torch.set_num_threads(a.threads)
    t0 = time.time()
    patcher = comfy.sd.load_diffusion_model(a.unet)
    load_s = time.time() - t0
    target = detect_base(patcher)
    cond = empty_prompt_conditioning(patcher, zero_conditioning(patcher), a.resolution)
    g = torch.Generator().manual_seed(0)
    h = a.resolution // 8
    sets = PublicSets([torch.randn(32, 1024, generator=g) for _ in range(8)],
                      [torch.randn(32, 4, h, h, generator=g) for _ in range(8)], [f"set{i}" for i in range(8)])
    with torch.inference_mode(False), torch.enable_grad():
        den = WeightWrapperDenoiser(patcher, fixed_layout(target), cond)
        loss_images = auto_loss_images(den.patcher, (h, h), a.loss_images)
        schedule = schedule_from_sigmas(patcher.get_model_object("model_sampling").sigmas)
        schedule.alpha_bar = schedule.alpha_bar.to(den.device)
        cuda = den.device.type == "cuda"
        with tempfile.TemporaryDirectory(prefix="sdpack-speed-") as run_dir:
            tr = MetaTrainer(den, fixed_layout(target), sets,
                             {"steps": a.warmup + a.steps, "groups": a.groups, "loss_images": loss_images,
                              "ckpt_every": 10 ** 9}, Path(run_dir), schedule, den.device)
            for _ in range(a.warmup):
                tr.train_step()
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t1 = time.time()
            for _ in range(a.steps):
                tr.train_step()
            if cuda:
                torch.cuda.synchronize()
            seconds = time.time() - t1
    per_step = seconds / max(1, a.steps)
    result = {
        "device": torch.cuda.get_device_name(den.device) if cuda else "cpu",
        "torch": torch.__version__, "base": target, "unetDtype": str(patcher.model.get_dtype()),
        "resolution": a.resolution, "latent": [4, h, h], "groupsPerStep": a.groups,
        "lossImagesPerSet": loss_images, "unetPassesPerStep": a.groups * loss_images,
        "steps": a.steps, "warmupSteps": a.warmup, "secondsPerStep": per_step, "stepsPerSecond": 1 / per_step,
        "losses": [round(x, 5) for x in tr.losses],
        "peakGpuAllocatedGiB": torch.cuda.max_memory_allocated() / 2 ** 30 if cuda else None,
        "peakGpuReservedGiB": torch.cuda.max_memory_reserved() / 2 ** 30 if cuda else None,
        "peakRssGiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20,
        "unetLoadSeconds": load_s,
        "packSteps": a.pack_steps, "packHoursAtThisSpeed": a.pack_steps * per_step / 3600,
    }
    text = json.dumps(result, indent=1)
    print(text, flush=True)
    if a.out:
        Path(a.out).write_text(text + "\n")
    sys.stdout.flush()
    os._exit(0)   # skip ComfyUI's ModelPatcher teardown at interpreter exit


if __name__ == "__main__":
    main()

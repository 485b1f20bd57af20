"""CLI twin of the training node, for headless GPU boxes: ComfyUI's own loaders and the same pipeline.

  /usr/bin/python3 -m training.sdpack --comfy COMFY_SRC --checkpoint SD15.safetensors --clip-vision CV.safetensors \\
      --data PUBLIC_DIR --pack-id my-sd15-pack --pack-dir COMFY/models/dp_hyperlora/my-sd15-pack [--steps 2000]

``--checkpoint`` loads MODEL, CLIP and VAE from one file and encodes the empty prompt with its CLIP. Without a full
checkpoint, ``--unet`` and ``--vae`` load the parts; the empty-prompt conditioning then comes from ``--zero-context``
(zeros shaped for the base: context [1, 77, 768] for SD1.5; context [1, 77, 2048] and a pooled output [1, 1280] for
SDXL, from which ComfyUI builds y; for pipeline checks with random-weight models only: a real pack needs the real
empty prompt). The base (SD1.5 or SDXL) is read from the model itself.
The run folder (``--run``, default PACK_DIR.run) holds the resumable checkpoint: the same command resumes. Prints the
summary as JSON on stdout; progress on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _parse(argv):
    ap = argparse.ArgumentParser(prog="python3 -m training.sdpack", description=__doc__.split("\n\n")[0])
    ap.add_argument("--comfy", required=True, help="a ComfyUI source tree (0.3.64 tested); its loaders are used")
    ap.add_argument("--checkpoint", help="SD1.5 or SDXL checkpoint (UNet + CLIP + VAE)")
    ap.add_argument("--unet", help="SD1.5 or SDXL UNet alone (diffusion_models/) when there is no full checkpoint")
    ap.add_argument("--vae", help="the VAE, with --unet")
    ap.add_argument("--zero-context", action="store_true", help="zeros as the empty-prompt context (checks only)")
    ap.add_argument("--clip-vision", required=True, help="the CLIP-vision model DP Embed (CLIP Vision) will use")
    ap.add_argument("--data", required=True, help="folder of PUBLIC images (sub-folders = sets)")
    ap.add_argument("--pack-id", required=True)
    ap.add_argument("--pack-dir", required=True)
    ap.add_argument("--run", help="run folder for checkpoints (default PACK_DIR.run)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--resolution", type=int, default=512)
    ap.add_argument("--loss-images", type=int, default=4)
    ap.add_argument("--pseudo-sets", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--data-description", default="public images")
    ap.add_argument("--data-license", default="see the data description")
    ap.add_argument("--cpu", action="store_true", help="run ComfyUI's model management on the CPU")
    return ap.parse_args(argv)


def _load(a):
    from .errors import SdPackError
    for flag, path in (("--checkpoint", a.checkpoint), ("--unet", a.unet), ("--vae", a.vae), ("--clip-vision", a.clip_vision)):
        if path is not None and not Path(path).is_file():
            raise SdPackError(f"{flag} {path}: no such file; give the path of the model file")
    src = str(Path(a.comfy).resolve())
    if not Path(src, "comfy", "sd.py").is_file():
        raise SdPackError(f"--comfy {a.comfy} is not a ComfyUI source tree (no comfy/sd.py)")
    sys.path.insert(0, src)
    sys.argv = [sys.argv[0]] + (["--cpu"] if a.cpu else [])
    import comfy.options
    comfy.options.enable_args_parsing()
    import comfy.clip_vision
    import comfy.sd
    import comfy.utils
    clip_vision = comfy.clip_vision.load(a.clip_vision)
    if clip_vision is None:
        raise SdPackError(f"--clip-vision {a.clip_vision} is not a CLIP-vision model ComfyUI recognises")
    if a.checkpoint:
        model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(a.checkpoint, output_vae=True, output_clip=True)
        cond = clip.encode_from_tokens_scheduled(clip.tokenize(""))
        return model, clip_vision, vae, cond, Path(a.checkpoint).name
    if not (a.unet and a.vae and a.zero_context):
        raise SdPackError("give --checkpoint, or --unet with --vae and --zero-context (checks without a text encoder)")
    model = comfy.sd.load_diffusion_model(a.unet)
    vae = comfy.sd.VAE(sd=comfy.utils.load_torch_file(a.vae))
    from .comfy_backend import zero_conditioning
    return model, clip_vision, vae, zero_conditioning(model), Path(a.unet).name


def main(argv=None) -> int:
    a = _parse(argv if argv is not None else sys.argv[1:])
    from ..common import log
    from .errors import SdPackError
    try:
        model, clip_vision, vae, cond, base_name = _load(a)
        import torch
        if a.threads:
            torch.set_num_threads(a.threads)
        from .pipeline import TrainOptions, train_pack
        pack_dir = Path(a.pack_dir)
        o = TrainOptions(public_folder=Path(a.data), run_dir=Path(a.run) if a.run else pack_dir.with_name(pack_dir.name + ".run"),
                         pack_dir=pack_dir, pack_id=a.pack_id, steps=a.steps, resolution=a.resolution,
                         loss_images=a.loss_images, pseudo_sets=a.pseudo_sets, seed=a.seed,
                         data_description=a.data_description, data_license=a.data_license, base_name=base_name,
                         extra={"zeroContext": True} if a.zero_context else {})

        def on_step(step, total, loss):
            if step == 1 or step % 10 == 0 or step == total:
                log(f"step {step}/{total} loss {loss:.5f}")
        result = train_pack(model, clip_vision, vae, cond, o, on_step=on_step, log=log)
    except SdPackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    os._exit(0)  # skip ComfyUI's ModelPatcher teardown noise at interpreter exit


if __name__ == "__main__":
    sys.exit(main())

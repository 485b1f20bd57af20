"""How long the base-checkpoint identity takes on a real-architecture SD1.5 UNet, side by side with hashing every
byte in the same canonical form (float16, sorted names): why training/unet_identity.py samples.

    PYTHONPATH=../shared/tools/real-comfyui/shims /usr/bin/python3 bench/unet-identity.py COMFY UNET.safetensors [--repeats 3]

COMFY: a ComfyUI 0.3.64 source tree (run from there, CPU); UNET: e.g. random_sd15_unet.safetensors from
random_sd15_unet.py (1.7 GB, fp16 on disk, loaded as fp32 on the CPU). Prints the median seconds of each and the ratio.
No randomness: both hashes are deterministic functions of the file.
"""
import hashlib
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def full_sha256(patcher) -> str:
    """Every element of every tensor (float16, sorted names): the expensive alternative."""
    import torch
    h = hashlib.sha256()
    sd = patcher.model.diffusion_model.state_dict()
    for name in sorted(sd):
        t = sd[name].detach().to("cpu")
        h.update(f"{name}|{list(t.shape)}\n".encode())
        canon = t.to(torch.float16) if t.is_floating_point() else t.to(torch.int64)
        h.update(canon.contiguous().numpy().tobytes())
    return h.hexdigest()


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    if len(sys.argv) < 3 or sys.argv[1].startswith("--"):
        # `dp-hyperlora bench` runs every script without arguments: this one needs ComfyUI and a UNet file.
        print("skipped: needs a ComfyUI source tree and an SD UNet file: bench/unet-identity.py COMFY UNET [--repeats N]")
        return
    comfy, unet = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    sys.path.insert(0, ROOT)
    os.chdir(comfy)
    sys.path.insert(0, comfy)
    sys.argv = [sys.argv[0], "--cpu"]
    import comfy.options
    comfy.options.enable_args_parsing()
    import comfy.sd
    import torch
    from training.unet_identity import unet_sha256
    torch.set_num_threads(2)
    patcher = comfy.sd.load_diffusion_model(unet)
    n = sum(t.numel() for t in patcher.model.diffusion_model.state_dict().values())
    dtype = patcher.model.diffusion_model.state_dict()[sorted(patcher.model.diffusion_model.state_dict())[0]].dtype
    sampled = median_seconds(lambda: unet_sha256(patcher), repeats)
    full = median_seconds(lambda: full_sha256(patcher), repeats)
    print(f"UNet: {n / 1e6:.1f} M values loaded as {dtype}; torch threads {torch.get_num_threads()}; median of {repeats}")
    print(f"sampled identity (training/unet_identity.py): {sampled:.3f} s")
    print(f"every byte, same canonical form:             {full:.3f} s")
    print(f"ratio full / sampled: {full / sampled:.0f}x")


if __name__ == "__main__":
    main()

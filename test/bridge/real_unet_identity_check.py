"""Local check of the base-checkpoint identity (training/unet_identity.py) with REAL ComfyUI 0.3.64 objects on the CPU
(not CI: it needs ComfyUI's source and an SD1.5 UNet file; docs/packs.md records what it printed).

    PYTHONPATH=../shared/tools/real-comfyui/shims /usr/bin/python3 test/bridge/real_unet_identity_check.py COMFY UNET

COMFY: a ComfyUI 0.3.64 tree; UNET: e.g. models/diffusion_models/random_sd15_unet.safetensors (random_sd15_unet.py).
1. UNETLoader's path (comfy.sd.load_diffusion_model), default dtype (fp32 on the CPU): identity A.
2. The same file with weight_dtype fp16 (UNETLoader's model_options): the same A.
3. A kohya LoRA on one attention weight through comfy.sd.load_lora_for_models, the patched clone loaded by
   comfy.model_management.load_models_gpu (ComfyUI writes the patched weight into the module and keeps a backup):
   the module's weight changed, and the patched clone's identity (computed afresh, no cache) is still A.
4. After unloading, the same; cached_unet_sha256 computes once per model object (a clone reuses it).
Exits 1 on the first failed expectation."""
import os
import sys
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY = "input_blocks.1.1.transformer_blocks.0.attn1.to_q"


def expect(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)


def main():
    comfy_dir, unet = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sys.path.insert(0, ROOT)
    os.chdir(comfy_dir)
    sys.path.insert(0, comfy_dir)
    sys.argv = [sys.argv[0], "--cpu"]
    import comfy.options
    comfy.options.enable_args_parsing()
    import comfy.model_management as mm
    import comfy.sd
    import torch
    from training.unet_identity import cached_unet_sha256, unet_sha256

    base = comfy.sd.load_diffusion_model(unet)
    weight = base.model.diffusion_model.state_dict()[KEY + ".weight"]
    t0 = time.perf_counter()
    a, how = unet_sha256(base)
    print(f"loaded as {weight.dtype}: identity {a} ({time.perf_counter() - t0:.2f} s)")
    half = comfy.sd.load_diffusion_model(unet, model_options={"dtype": torch.float16})
    h = unet_sha256(half)[0]
    dtype16 = half.model.diffusion_model.state_dict()[KEY + ".weight"].dtype
    expect(dtype16 == torch.float16 and h == a, f"the same file loaded as {dtype16}: {h[:12]} == {a[:12]}")
    del half

    g = torch.Generator().manual_seed(0)
    lora = {f"lora_unet_{KEY.replace('.', '_')}.lora_up.weight": torch.randn(320, 4, generator=g),
            f"lora_unet_{KEY.replace('.', '_')}.lora_down.weight": torch.randn(4, 320, generator=g)}
    patched, _ = comfy.sd.load_lora_for_models(base, None, lora, 1.0, 0.0)
    before = weight.clone()
    mm.load_models_gpu([patched], force_full_load=True)
    now = patched.model.diffusion_model.state_dict()[KEY + ".weight"]
    changed = float((now.float() - before.float()).abs().max())
    expect(changed > 0 and len(patched.backup) == 1, f"the LoRA was written into the weight (max change {changed:.3f}; "
                                                     f"{len(patched.backup)} backup)")
    p = unet_sha256(patched)[0]
    expect(p == a, f"identity of the patched, loaded clone (fresh): {p[:12]} == {a[:12]}")
    as_is = unet_sha256(types.SimpleNamespace(model=patched.model, model_state_dict=patched.model_state_dict))[0]
    expect(as_is != a, f"(the weights as they are now, ignoring the backup, would give {as_is[:12]})")
    mm.unload_all_models()
    expect(unet_sha256(base)[0] == a and len(base.backup) == 0, "after unloading: the same identity, no backup")
    t0 = time.perf_counter()
    c1 = cached_unet_sha256(base)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    c2 = cached_unet_sha256(patched)
    second = time.perf_counter() - t0
    expect(c1 == c2 == a, f"cached: first {first:.3f} s, a clone {second * 1e6:.0f} µs")
    print(how)


if __name__ == "__main__":
    main()

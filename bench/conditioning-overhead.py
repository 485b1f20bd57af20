"""The Stable Diffusion route's cost per image in the worker, against CLIPVisionEncode's own cost per image, in one run.

    npx tsc -p tsconfig.build.json && /usr/bin/python3 bench/conditioning-overhead.py COMFY_SRC CLIP_VISION_FILE [--n 1024] [--size 224] [--encode 4]

1. Encoder (a subprocess, REAL ComfyUI code): comfy.clip_vision.load(CLIP_VISION_FILE) (e.g. the random-weight ViT-H
   of /work/shared/tools/real-comfyui/random_clip_vision.py) and encode_image, as core CLIPVisionEncode does, on
   `--encode` images of size×size (after one warm-up image); seconds per image.
2. Worker (the ComfyUI stand-in with the real bridge and the real built worker): n images' CLIP_VISION_OUTPUT of
   1024-d image_embeds (ViT-H shapes) and their IMAGE batch through DP Embed (CLIP Vision) → Noisy Aggregate → DP
   Conditioning: bridge transfer both ways, ledger identities (HMAC of the pixels), projection, the release (ledger
   charge included) and mapping back; wall time of the three nodes (warm worker, fresh release number), per image.
Prints both and the ratio (target: <= 5%). Seeded; same machine, one run."""
import json
import os
import subprocess
import sys
import time

from bridge_bench_host import ROOT, start_host

ARGS = sys.argv[1:]


def opt(name, default):
    return int(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


N, SIZE, ENCODE = opt("--n", 1024), opt("--size", 224), opt("--encode", 4)

ENCODER = r"""
import json, os, sys, time
src, path, size, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.chdir(src); sys.path.insert(0, src); sys.argv = [sys.argv[0], '--cpu']
import torch, comfy.options
comfy.options.enable_args_parsing()
import comfy.clip_vision
torch.manual_seed(0)
model = comfy.clip_vision.load(path)
images = torch.rand(count + 1, size, size, 3)
model.encode_image(images[:1])
t = time.perf_counter()
for i in range(1, count + 1):
    out = model.encode_image(images[i:i + 1])
print(json.dumps({"per_image_s": (time.perf_counter() - t) / count, "image_embeds": list(out.image_embeds.shape), "threads": torch.get_num_threads()}))
"""


def encoder_seconds(comfy_src, clip_file):
    shims = "/work/shared/tools/real-comfyui/shims"
    env = {**os.environ, "PYTHONPATH": f"{shims}:{comfy_src}"}
    r = subprocess.run([sys.executable, "-c", ENCODER, comfy_src, os.path.abspath(clip_file), str(SIZE), str(ENCODE)],
                       capture_output=True, text=True, env=env, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def worker_seconds():
    import torch
    from comfy_standin import ClipVisionOutput, StandinCLIPVision
    host, _ = start_host()
    try:
        g = torch.Generator().manual_seed(1)
        model = StandinCLIPVision("vit-h")
        public = model.encode_image(torch.rand(256, 32, 32, 3, generator=g))

        class Given:
            RETURN_TYPES = ("CLIP_VISION_OUTPUT", "IMAGE")
            FUNCTION = "run"
            VALUE = None

            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {"which": ("STRING", {})}}

            def run(self, which):
                return Given.VALUE[which]

        class Sink:
            RETURN_TYPES = ()
            FUNCTION = "run"
            OUTPUT_NODE = True

            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {"c": ("CLIP_VISION_OUTPUT", {}), "e": ("EMBEDS", {})}}

            def run(self, c, e):
                return {"ui": {"text": [f"{list(c.image_embeds.shape)}"]}}
        host.mappings.update({"BenchGiven": Given, "BenchSink": Sink})
        images = torch.rand(N, SIZE, SIZE, 3, generator=g)
        private = ClipVisionOutput()
        private["image_embeds"] = torch.randn(N, 1024, generator=g)
        private["last_hidden_state"] = torch.zeros(N, 257, 1280)
        private["penultimate_hidden_states"] = torch.zeros(N, 257, 1280)
        private["mm_projected"] = None
        Given.VALUE = {"public": (public, images[:1]), "private": (private, images)}
        host.executor().run({
            "1": {"class_type": "BenchGiven", "inputs": {"which": "public"}},
            "2": {"class_type": "DPHyperLoRA_BuildConditioningPack", "inputs": {
                "public_clip_vision_output": ["1", 0], "k": 32, "field": "image_embeds", "name": "bench-vit-h", "whose": "bench (random)"}},
        })
        times = []
        for release in (1, 2):  # the first warms the worker; the second is timed
            ex = host.executor()
            prompt = {
                "1": {"class_type": "BenchGiven", "inputs": {"which": "private"}},
                "2": {"class_type": "DPHyperLoRA_EmbedClipVision", "inputs": {"pack": "bench-vit-h", "clip_vision_output": ["1", 0], "images": ["1", 1]}},
                "3": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
                    "embeddings": ["2", 0], "epsilon": 1.0, "delta": 1e-5, "relation": "add-remove", "n_public": 0, "release": release}},
                "4": {"class_type": "DPHyperLoRA_Conditioning", "inputs": {"pack": "bench-vit-h", "dp_embedding": ["3", 0]}},
                "5": {"class_type": "BenchSink", "inputs": {"c": ["4", 0], "e": ["4", 1]}},
            }
            t = time.perf_counter()
            ex.run(prompt)
            times.append(time.perf_counter() - t)
        return times[-1] / N
    finally:
        host.close()


def main():
    if len(ARGS) < 2 or ARGS[0].startswith("--"):
        sys.exit(__doc__)
    enc = encoder_seconds(ARGS[0], ARGS[1])
    per_image = worker_seconds()
    print(f"CLIPVisionEncode (real ComfyUI, {os.path.basename(ARGS[1])}, {SIZE}x{SIZE}, {ENCODE} images, {enc['threads']} torch threads): "
          f"{enc['per_image_s'] * 1000:.1f} ms per image; image_embeds {enc['image_embeds']}")
    print(f"worker route (stand-in host, real bridge + worker; n = {N}, d = 1024, k = 32, IMAGE {SIZE}x{SIZE}): {per_image * 1000:.3f} ms per image")
    print(f"ratio worker / encoder: {100 * per_image / enc['per_image_s']:.3f}% (target <= 5%)")


if __name__ == "__main__":
    main()

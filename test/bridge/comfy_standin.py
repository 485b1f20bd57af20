"""A ComfyUI stand-in for the bridge tests, written from /work/shared/reference/comfyui.md (no ComfyUI code).

It provides the modules the plugin imports (`folder_paths`, `comfy.utils`, `comfy.sd`,
`comfy.model_management`, `server`), a REAL aiohttp server on port 0 with the plugin's routes, and an
executor that validates an API-format prompt, calls each node's FUNCTION and caches outputs by input
signature the way ComfyUI's classic cache does (comfyui.md §2): a node re-runs only when a widget value, its
IS_CHANGED value or something upstream changed; NaN from IS_CHANGED never matches.

Fake MODELs carry SD1.5 or SDXL attention weights (meta tensors, or real ones of one repeated value) laid out from the tables of comfyui.md
§3.4-3.5, and `comfy.sd.load_lora_for_models` maps kohya keys to those module names independently of the
project's own layout code, recording what it loaded and what it could not. TinyModel is a small MODEL with real
weights through the same interface."""
from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import sys
import threading
import types
import uuid

PLUGIN_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ---- SD1.5 / SDXL attention tables (comfyui.md §3.4, §3.5) -------------------------------------------------
def _sd15_blocks():
    rows = [("down_blocks.0.attentions.{a}", "input_blocks.{i}.1", [(0, 1), (1, 2)], 320),
            ("down_blocks.1.attentions.{a}", "input_blocks.{i}.1", [(0, 4), (1, 5)], 640),
            ("down_blocks.2.attentions.{a}", "input_blocks.{i}.1", [(0, 7), (1, 8)], 1280),
            ("mid_block.attentions.{a}", "middle_block.1", [(0, None)], 1280),
            ("up_blocks.1.attentions.{a}", "output_blocks.{i}.1", [(0, 3), (1, 4), (2, 5)], 1280),
            ("up_blocks.2.attentions.{a}", "output_blocks.{i}.1", [(0, 6), (1, 7), (2, 8)], 640),
            ("up_blocks.3.attentions.{a}", "output_blocks.{i}.1", [(0, 9), (1, 10), (2, 11)], 320)]
    for diff, ldm, pairs, c in rows:
        for a, i in pairs:
            yield diff.format(a=a), ldm.format(i=i), c, 1


def _sdxl_blocks():
    rows = [("down_blocks.1.attentions.{a}", "input_blocks.{i}.1", [(0, 4), (1, 5)], 640, 2),
            ("down_blocks.2.attentions.{a}", "input_blocks.{i}.1", [(0, 7), (1, 8)], 1280, 10),
            ("mid_block.attentions.{a}", "middle_block.1", [(0, None)], 1280, 10),
            ("up_blocks.0.attentions.{a}", "output_blocks.{i}.1", [(0, 0), (1, 1), (2, 2)], 1280, 10),
            ("up_blocks.1.attentions.{a}", "output_blocks.{i}.1", [(0, 3), (1, 4), (2, 5)], 640, 2)]
    for diff, ldm, pairs, c, depth in rows:
        for a, i in pairs:
            yield diff.format(a=a), ldm.format(i=i), c, depth


def attention_table(arch: str):
    """{kohya key prefix: (ldm weight key, [out, in])} for every attention projection of `arch`."""
    context = 768 if arch == "sd15" else 2048
    table = {}
    for diff, ldm, c, depth in (_sd15_blocks() if arch == "sd15" else _sdxl_blocks()):
        for b in range(depth):
            for attn in ("attn1", "attn2"):
                for proj, ldm_proj in (("to_q", "to_q"), ("to_k", "to_k"), ("to_v", "to_v"), ("to_out.0", "to_out.0")):
                    cross = attn == "attn2" and proj in ("to_k", "to_v")
                    d = f"{diff}.transformer_blocks.{b}.{attn}.{proj}"
                    key = "lora_unet_" + d.replace(".", "_")
                    table[key] = (f"diffusion_model.{ldm}.transformer_blocks.{b}.{attn}.{ldm_proj}.weight", [c, context if cross else c])
    return table


class _Inner:
    def __init__(self, sd):
        self._sd = sd

    def state_dict(self):
        return dict(self._sd)


class FakeModel:
    """A MODEL (ModelPatcher-like, comfyui.md §3.2): `.model.state_dict()` holds the UNet's attention weights, as meta
    tensors, or, with `fill`, as real weights of SD shapes that cost no memory: views of one shared element `.fill`
    (expanded; the bridge reads them as it reads any weight). `clone()` shares the weights (and `.model`)."""

    def __init__(self, arch: str, patches=None, fill=None, _model=None):
        import torch
        self.arch = arch
        self.fill = None if fill is None else torch.tensor([float(fill)])
        if _model is None:
            shapes = dict(attention_table(arch).values())
            shapes["diffusion_model.input_blocks.0.0.weight"] = [320, 4, 3, 3]
            _model = _Inner({w: torch.empty(shape, device="meta") if fill is None else self.fill.expand(shape)
                             for w, shape in shapes.items()})
        self.model = _model
        self.patches = patches or {}

    def clone(self):
        twin = FakeModel(self.arch, dict(self.patches), _model=self.model)
        twin.fill = self.fill
        return twin

    def model_state_dict(self, filter_prefix=None):
        return {k: v for k, v in self.model.state_dict().items() if filter_prefix is None or k.startswith(filter_prefix)}


class TinyModel:
    """A small MODEL through a ModelPatcher's interface (comfyui.md §3.2): `.model.diffusion_model` is a torch module
    with real weights drawn from `seed` (one of them larger than the base check's per-tensor sample), in `dtype`;
    `clone()` shares `.model` and the weights; `model_state_dict(filter_prefix)`."""

    def __init__(self, seed: int = 0, dtype=None, _model=None):
        import torch
        if _model is None:
            g = torch.Generator().manual_seed(seed)
            unet = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3), torch.nn.Linear(128, 96), torch.nn.GroupNorm(2, 8))
            with torch.no_grad():
                for p in unet.parameters():
                    p.copy_(torch.randn(p.shape, generator=g))
            _model = torch.nn.Module()
            _model.diffusion_model = unet.to(dtype or torch.float32)
        self.model = _model

    def clone(self):
        return TinyModel(_model=self.model)

    def model_state_dict(self, filter_prefix=None):
        return {k: v for k, v in self.model.state_dict().items() if filter_prefix is None or k.startswith(filter_prefix)}


LORA_CALLS: list[dict] = []


def _load_lora_for_models(model, clip, lora, strength_model, strength_clip):
    """Records the call and maps every kohya key to the fake model's modules (comfyui.md §3.3)."""
    table = attention_table(model.arch) if model is not None else {}
    used, unused, shape_errors, loaded, targets = set(), [], [], {}, {}
    for key in lora:
        prefix = key.rsplit(".lora_down.weight", 1)[0].rsplit(".lora_up.weight", 1)[0].rsplit(".alpha", 1)[0]
        if prefix not in table:
            unused.append(key)
            continue
        used.add(key)
        target, (out_dim, in_dim) = table[prefix]
        t = lora[key]
        if key.endswith(".lora_down.weight") and list(t.shape)[1:] != [in_dim]:
            shape_errors.append(key)
        if key.endswith(".lora_up.weight") and list(t.shape)[:1] != [out_dim]:
            shape_errors.append(key)
        loaded[target] = True
        targets[key] = target
    LORA_CALLS.append({"lora": lora, "strength_model": strength_model, "strength_clip": strength_clip,
                       "unused": unused, "shape_errors": shape_errors, "modules": len(loaded), "targets": targets})
    patched = None
    if model is not None:
        patched = model.clone()
        patched.patches.update({k: strength_model for k in loaded})
    return patched, clip


# ---- fake modules ------------------------------------------------------------------------------------------
class _MM(types.ModuleType):
    class InterruptProcessingException(Exception):
        pass

    def __init__(self):
        super().__init__("comfy.model_management")
        self.interrupt_processing = False

    def interrupt_current_processing(self, value=True):
        self.interrupt_processing = value

    def processing_interrupted(self):
        return self.interrupt_processing

    def throw_exception_if_processing_interrupted(self):
        if self.interrupt_processing:
            self.interrupt_processing = False
            raise self.InterruptProcessingException()


PROGRESS: list[tuple[int, int]] = []
PROGRESS_HOOKS: list = []


class ProgressBar:
    """comfy.utils.ProgressBar with ComfyUI's global hook behaviour: each update checks the interrupt flag."""

    def __init__(self, total, node_id=None):
        self.total = total
        self.current = 0

    def update_absolute(self, value, total=None, preview=None):
        if total is not None:
            self.total = total
        self.current = value
        sys.modules["comfy.model_management"].throw_exception_if_processing_interrupted()
        PROGRESS.append((value, self.total))
        for hook in list(PROGRESS_HOOKS):
            hook(value, self.total)

    def update(self, value):
        self.update_absolute(self.current + value, self.total)


class ClipVisionOutput:
    """comfy.clip_vision.Output of ComfyUI 0.3.64, exactly: a plain object with item access to its attributes."""

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, item):
        setattr(self, key, item)


# (image_embeds dim, tokens, width) of the CLIP-vision models ComfyUI 0.3.64 ships configs for.
CLIP_VISION_SHAPES = {"vit-h": (1024, 257, 1280), "vit-g": (1280, 257, 1664)}


class StandinCLIPVision:
    """A CLIP_VISION stand-in: a fixed seeded projection of 8×8-pooled pixels to the model's shapes."""

    def __init__(self, name: str):
        import torch
        self.name = name
        dim, tokens, width = CLIP_VISION_SHAPES[name]
        g = torch.Generator().manual_seed(dim)
        self.proj = torch.randn(8 * 8 * 3, dim, generator=g) / 8.0
        self.tokens, self.width = tokens, width

    def encode_image(self, image, crop=True):
        """Like comfy.clip_vision.ClipVisionModel.encode_image: an Output with the four fields, float32."""
        import torch
        x = torch.nn.functional.adaptive_avg_pool2d(image.movedim(-1, 1)[:, :3].float(), 8).reshape(image.shape[0], -1)
        b = image.shape[0]
        out = ClipVisionOutput()
        out["last_hidden_state"] = torch.zeros(b, self.tokens, self.width)
        out["image_embeds"] = (x - 0.5) @ self.proj
        out["penultimate_hidden_states"] = torch.zeros(b, self.tokens, self.width)
        out["mm_projected"] = None
        return out


class CLIPVisionLoader:
    """Core CLIPVisionLoader's interface: a clip_name widget → CLIP_VISION."""
    RETURN_TYPES = ("CLIP_VISION",)
    FUNCTION = "load_clip"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip_name": (list(CLIP_VISION_SHAPES), {})}}

    def load_clip(self, clip_name):
        return (StandinCLIPVision(clip_name),)


class CLIPVisionEncode:
    """Core CLIPVisionEncode's interface (0.3.64): clip_vision, image, crop → CLIP_VISION_OUTPUT."""
    RETURN_TYPES = ("CLIP_VISION_OUTPUT",)
    FUNCTION = "encode"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip_vision": ("CLIP_VISION", {}), "image": ("IMAGE", {}), "crop": (["center", "none"], {})}}

    def encode(self, clip_vision, image, crop):
        return (clip_vision.encode_image(image, crop=(crop == "center")),)


class ConditioningSink:
    """Test-only consumer: records what unCLIPConditioning / IPAdapterEmbeds would read."""
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    SEEN: list = []

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip_vision_output": ("CLIP_VISION_OUTPUT", {}), "pos": ("EMBEDS", {}), "neg": ("EMBEDS", {})}}

    def run(self, clip_vision_output, pos, neg):
        ConditioningSink.SEEN.append((clip_vision_output, pos, neg))
        return {"ui": {"text": ["seen"]}}


def install_modules(root: str) -> None:
    """Puts the fake ComfyUI modules into sys.modules, with their folders under `root`."""
    from aiohttp import web
    fp = types.ModuleType("folder_paths")
    fp.base_path = root
    fp.models_dir = os.path.join(root, "models")
    fp.folder_names_and_paths = {"loras": ([os.path.join(root, "models", "loras")], {".safetensors"})}
    fp.get_folder_paths = lambda name: list(fp.folder_names_and_paths[name][0])
    fp.get_input_directory = lambda: os.path.join(root, "input")
    fp.get_output_directory = lambda: os.path.join(root, "output")
    fp.get_temp_directory = lambda: os.path.join(root, "temp")
    fp.get_user_directory = lambda: os.path.join(root, "user")
    fp.get_directory_by_type = lambda kind: {"input": fp.get_input_directory(), "output": fp.get_output_directory(),
                                             "temp": fp.get_temp_directory()}.get(kind)

    def add_model_folder_path(name, path, is_default=False):
        paths, exts = fp.folder_names_and_paths.setdefault(name, ([], set()))
        if path not in paths:
            paths.insert(0, path) if is_default else paths.append(path)
    fp.add_model_folder_path = add_model_folder_path
    comfy = types.ModuleType("comfy")
    comfy.__path__ = []
    utils = types.ModuleType("comfy.utils")
    utils.ProgressBar = ProgressBar
    sd = types.ModuleType("comfy.sd")
    sd.load_lora_for_models = _load_lora_for_models
    mm = _MM()
    clip_vision = types.ModuleType("comfy.clip_vision")
    clip_vision.Output = ClipVisionOutput
    comfy.utils, comfy.sd, comfy.model_management, comfy.clip_vision = utils, sd, mm, clip_vision
    server = types.ModuleType("server")

    class PromptServer:
        instance = None

        def __init__(self, loop):
            self.loop = loop
            self.routes = web.RouteTableDef()
            self.port = None
            PromptServer.instance = self
    server.PromptServer = PromptServer
    sys.modules.update({"folder_paths": fp, "comfy": comfy, "comfy.utils": utils, "comfy.sd": sd,
                        "comfy.model_management": mm, "comfy.clip_vision": clip_vision, "server": server})


# ---- core nodes the tests use -------------------------------------------------------------------------------
class PreviewImage:
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    SEEN: list = []

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {})}}

    def run(self, images):
        PreviewImage.SEEN.append(images)
        return {"ui": {"images": [{"filename": f"preview_{i}.png", "subfolder": "", "type": "temp"} for i in range(images.shape[0])]}}


class SaveImage(PreviewImage):
    """Core SaveImage's interface (images, filename_prefix); records instead of writing PNGs."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {}), "filename_prefix": ("STRING", {"default": "ComfyUI"})}}

    def run(self, images, filename_prefix="ComfyUI"):
        PreviewImage.SEEN.append(images)
        return {"ui": {"images": [{"filename": f"{filename_prefix}_{i:05}_.png", "subfolder": "", "type": "output"} for i in range(images.shape[0])]}}


class FakeClip:
    """A CLIP (comfy.sd.CLIP-like): `.cond_stage_model.state_dict()` holds one text-encoder weight (meta)."""

    def __init__(self):
        import torch
        self.cond_stage_model = _Inner({"clip_l.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight": torch.empty([768, 768], device="meta")})


class CheckpointLoaderSimple:
    """Core CheckpointLoaderSimple's interface; "sdxl" in the name gives an SDXL-shaped MODEL."""
    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"ckpt_name": (["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"], {})}}

    def run(self, ckpt_name):
        return (FakeModel("sdxl" if "xl" in ckpt_name else "sd15"), FakeClip(), "VAE")


class CLIPTextEncode:
    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"multiline": True}), "clip": ("CLIP", {})}}

    def run(self, text, clip):
        return ([["cond", {"clip": clip}]],)


class EmptyLatentImage:
    RETURN_TYPES = ("LATENT",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"width": ("INT", {"min": 16}), "height": ("INT", {"min": 16}), "batch_size": ("INT", {"min": 1})}}

    def run(self, width, height, batch_size):
        import torch
        return ({"samples": torch.zeros(batch_size, 4, height // 8, width // 8)},)


class KSampler:
    """Core KSampler's interface; records the MODEL it would sample (no sampling in the stand-in)."""
    RETURN_TYPES = ("LATENT",)
    FUNCTION = "run"
    SEEN: list = []

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL", {}), "seed": ("INT", {"min": 0}), "steps": ("INT", {"min": 1}), "cfg": ("FLOAT", {}),
                             "sampler_name": ("STRING", {}), "scheduler": ("STRING", {}), "positive": ("CONDITIONING", {}),
                             "negative": ("CONDITIONING", {}), "latent_image": ("LATENT", {}), "denoise": ("FLOAT", {})}}

    def run(self, model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise):
        KSampler.SEEN.append(model)
        return (latent_image,)


class VAEDecode:
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT", {}), "vae": ("VAE", {})}}

    def run(self, samples, vae):
        import torch
        b, _, h, w = samples["samples"].shape
        return (torch.zeros(b, h * 8, w * 8, 3),)


def model_source(make_model):
    """A node class with no inputs that outputs ``make_model()`` as MODEL (stands in for a checkpoint loader)."""
    class StandinModel:
        RETURN_TYPES = ("MODEL",)
        FUNCTION = "run"

        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {}}

        def run(self):
            return (make_model(),)
    return StandinModel


class ModelSink:
    """Stands in for KSampler: an output node that consumes MODEL and CLIP."""
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    SEEN: list = []

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL", {})}, "optional": {"clip": ("CLIP", {})}}

    def run(self, model, clip=None):
        ModelSink.SEEN.append(model)
        return {"ui": {"text": ["sampled"]}}


class LoraSink:
    """An output node that consumes a LORA_MODEL (like core Save LoRA, without writing)."""
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"lora": ("LORA_MODEL", {})}}

    def run(self, lora):
        return {"ui": {"text": [f"{len(lora)} tensors"]}}


class RandomImages:
    """Stands in for LoadImage with a batch: seeded random pixels, IMAGE float [B, H, W, 3] in 0..1."""
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"count": ("INT", {"min": 1}), "size": ("INT", {"min": 1}), "seed": ("INT", {"min": 0})}}

    def run(self, count, size, seed):
        import torch
        g = torch.Generator().manual_seed(seed)
        return (torch.rand(count, size, size, 3, generator=g),)


class Executor:
    """Validates and runs API-format prompts with ComfyUI's classic caching semantics."""

    mappings_for_order: dict = {}

    def __init__(self, mappings: dict):
        self.mappings = mappings
        Executor.mappings_for_order = mappings
        self.cache: dict = {}
        self.objects: dict = {}
        self.executed: list[str] = []
        self.cached: list[str] = []

    def validate(self, prompt: dict) -> list[str]:
        problems = []
        for nid, node in prompt.items():
            cls = self.mappings.get(node.get("class_type"))
            if cls is None:
                problems.append(f"{nid}: unknown node type {node.get('class_type')!r}")
                continue
            types_ = cls.INPUT_TYPES()
            declared = {**types_.get("required", {}), **types_.get("optional", {})}
            for name in types_.get("required", {}):
                if name not in node["inputs"]:
                    problems.append(f"{nid}.{name}: required_input_missing")
            for name, value in node["inputs"].items():
                if name not in declared:
                    continue
                t, opts = declared[name]
                if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                    src = prompt.get(value[0])
                    if src is None:
                        problems.append(f"{nid}.{name}: bad_linked_input")
                        continue
                    out_t = self.mappings[src["class_type"]].RETURN_TYPES[value[1]]
                    if t != "*" and out_t != t:
                        problems.append(f"{nid}.{name}: return_type_mismatch {out_t} -> {t}")
                elif isinstance(t, list):
                    if value not in t:
                        problems.append(f"{nid}.{name}: value_not_in_list")
                elif t in ("INT", "FLOAT"):
                    if "min" in opts and value < opts["min"]:
                        problems.append(f"{nid}.{name}: value_smaller_than_min")
                    if "max" in opts and value > opts["max"]:
                        problems.append(f"{nid}.{name}: value_bigger_than_max")
        if not any(getattr(self.mappings.get(n.get("class_type")), "OUTPUT_NODE", False) for n in prompt.values()):
            problems.append("prompt_no_outputs")
        return problems

    def _signature(self, prompt, nid, is_changed, memo):
        if nid in memo:
            return memo[nid]
        node = prompt[nid]
        parts = []
        for name, value in sorted(node["inputs"].items()):
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                parts.append((name, ("ANCESTOR", self._signature(prompt, value[0], is_changed, memo), value[1])))
            else:
                parts.append((name, repr(value)))
        sig = (node["class_type"], is_changed[nid], tuple(parts))
        memo[nid] = sig
        return sig

    def run(self, prompt: dict) -> dict:
        problems = self.validate(prompt)
        if problems:
            raise ValueError("prompt_outputs_failed_validation: " + "; ".join(problems))
        self.executed, self.cached = [], []
        is_changed = {}
        for nid, node in prompt.items():
            cls = self.mappings[node["class_type"]]
            value = ""
            if hasattr(cls, "IS_CHANGED"):
                consts = {k: (None if isinstance(v, list) else v) for k, v in node["inputs"].items()}
                try:
                    value = cls.IS_CHANGED(**consts)
                except Exception:  # noqa: BLE001 - ComfyUI turns a failing IS_CHANGED into NaN
                    value = float("nan")
            if isinstance(value, float) and math.isnan(value):
                value = ("nan", uuid.uuid4().hex)  # NaN never equals itself: always re-run
            is_changed[nid] = value
        memo: dict = {}
        sigs = {nid: self._signature(prompt, nid, is_changed, memo) for nid in prompt}
        results = {}
        for nid in self._order(prompt):
            node = prompt[nid]
            if sigs[nid] in self.cache:
                results[nid] = self.cache[sigs[nid]]
                self.cached.append(nid)
                continue
            cls = self.mappings[node["class_type"]]
            obj = self.objects.setdefault((nid, node["class_type"]), cls())
            kwargs = {}
            for name, value in node["inputs"].items():
                if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                    kwargs[name] = results[value[0]]["result"][value[1]]
                else:
                    kwargs[name] = value
            out = getattr(obj, cls.FUNCTION)(**kwargs)
            if isinstance(out, dict):
                entry = {"result": tuple(out.get("result", ())), "ui": out.get("ui", {})}
            else:
                entry = {"result": tuple(out), "ui": {}}
            for key, val in entry["ui"].items():
                assert isinstance(val, (list, tuple)), f"ui value {key} of {nid} must be a list"
            self.cache[sigs[nid]] = entry
            results[nid] = entry
            self.executed.append(nid)
        live = set(sigs.values())
        for key in [k for k in self.cache if k not in live]:
            del self.cache[key]  # classic clean_unused
        return results

    @staticmethod
    def _order(prompt):
        seen, order = set(), []

        def visit(nid):
            if nid in seen:
                return
            seen.add(nid)
            for v in prompt[nid]["inputs"].values():
                if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
                    visit(v[0])
            order.append(nid)
        outputs = [n for n in prompt if getattr(Executor.mappings_for_order.get(prompt[n]["class_type"]), "OUTPUT_NODE", False)]
        for nid in sorted(outputs, key=lambda x: int(x) if x.isdigit() else x):
            visit(nid)
        return order


def file_routes():
    """ComfyUI's own file routes that expose folders (comfyui.md §4): `/view` serves a file of input/, output/ or
    temp/ (`type`, default output) from `subfolder`, refusing a subfolder that climbs out of that directory (403)
    and a filename with '..' or a leading '/' (400); `/models/{folder}` and `/experiment/models/{folder}` list the
    files of any name in folder_paths.folder_names_and_paths and answer 404 for any other name."""
    from aiohttp import web
    import folder_paths as fp
    routes = web.RouteTableDef()

    @routes.get("/view")
    async def view(request):
        q = request.rel_url.query
        name = q.get("filename", "")
        if not name or name.startswith("/") or ".." in name:
            return web.Response(status=400)
        base = fp.get_directory_by_type(q.get("type", "output"))
        if base is None:
            return web.Response(status=400)
        folder = os.path.abspath(os.path.join(base, q.get("subfolder", "")))
        if os.path.commonpath((folder, os.path.abspath(base))) != os.path.abspath(base):
            return web.Response(status=403)
        path = os.path.join(folder, os.path.basename(name))
        return web.FileResponse(path) if os.path.isfile(path) else web.Response(status=404)

    async def listing(request):
        name = request.match_info["folder"]
        if name not in fp.folder_names_and_paths:
            return web.Response(status=404)
        dirs, exts = fp.folder_names_and_paths[name]
        files = sorted(os.path.relpath(os.path.join(d, f), top) for top in dirs if os.path.isdir(top)
                       for d, _, fs in os.walk(top) for f in fs if not exts or os.path.splitext(f)[1].lower() in exts)
        return web.json_response(files)
    routes.get("/models/{folder}")(listing)
    routes.get("/experiment/models/{folder}")(listing)
    return routes


class Host:
    """The stand-in ComfyUI: fake modules, the plugin imported as a custom node, and a real server."""

    def __init__(self, root: str, plugin_dir: str = PLUGIN_DIR, module_name: str = "dp_hyperlora_plugin"):
        """`plugin_dir`: the custom-node package to load (this project by default); `module_name`: its name in
        sys.modules (ComfyUI uses the folder's full path with "." replaced by "_x_", comfyui.md §1.1)."""
        from aiohttp import web
        for sub in ("models/loras", "input", "output", "temp", "user"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        install_modules(root)
        self.loop = asyncio.new_event_loop()
        server = sys.modules["server"].PromptServer(self.loop)
        spec = importlib.util.spec_from_file_location(module_name, os.path.join(plugin_dir, "__init__.py"),
                                                      submodule_search_locations=[plugin_dir])
        self.plugin = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = self.plugin
        spec.loader.exec_module(self.plugin)
        app = web.Application(client_max_size=1024 ** 3)
        app.add_routes(file_routes())
        app.add_routes(server.routes)  # after the custom nodes, as in ComfyUI
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        server.port = site._server.sockets[0].getsockname()[1]
        self.port = server.port
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="standin-server")
        self.thread.start()
        self.mappings = {**self.plugin.NODE_CLASS_MAPPINGS, "PreviewImage": PreviewImage, "ModelSink": ModelSink,
                         "RandomImages": RandomImages, "LoraSink": LoraSink,
                         "SaveImage": SaveImage, "CheckpointLoaderSimple": CheckpointLoaderSimple,
                         "CLIPTextEncode": CLIPTextEncode, "EmptyLatentImage": EmptyLatentImage, "KSampler": KSampler,
                         "VAEDecode": VAEDecode, "CLIPVisionLoader": CLIPVisionLoader,
                         "CLIPVisionEncode": CLIPVisionEncode, "ConditioningSink": ConditioningSink}
        self.module_name = module_name
        # The plugin keeps its hub as `_hub`; a pack that only unpacks load_pack's tuple is found through the SDK's list.
        self.hub = getattr(self.plugin, "_hub", None) or next(
            (p.hub for name, m in list(sys.modules.items()) if name.startswith(module_name + ".") and name.endswith("comfy_ts_bridge")
             for p in getattr(m, "LOADED", [])), None)

    def executor(self) -> Executor:
        return Executor(self.mappings)

    def close(self):
        if self.hub is not None:
            self.hub.shutdown()
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)

"""Test-only helper nodes for the real-ComfyUI conditioning check (docs/comfyui.md). Copied by hand into
COMFY/custom_nodes/dp_h12_helpers/__init__.py; never part of the plugin. Text encoders cannot run in the check's
environment (no transformers), so ZeroConditioning supplies an SD1.5-shaped zero conditioning; the two report nodes
are output nodes that say what a consumer received."""
import torch


class ZeroConditioning:
    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "run"
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"width": ("INT", {"default": 768, "min": 1, "max": 4096})}}

    def run(self, width):
        return ([[torch.zeros(1, 77, width), {}]],)


class ConditioningReport:
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"conditioning": ("CONDITIONING",)}}

    def run(self, conditioning):
        lines = []
        for cond, extra in conditioning:
            for u in extra.get("unclip_conditioning", []):
                o = u["clip_vision_output"]
                e = o.image_embeds
                lines.append(f"unclip_conditioning: {type(o).__module__}.{type(o).__name__} image_embeds {list(e.shape)} {e.dtype} "
                              f"norm {float(e.norm()):.3f}; last_hidden_state {o['last_hidden_state']}; strength {u['strength']}")
        return {"ui": {"text": lines or ["no unclip_conditioning"]}}


class LatentReport:
    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True
    CATEGORY = "testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",)}}

    def run(self, samples):
        s = samples["samples"]
        return {"ui": {"text": [f"latent {list(s.shape)} {s.dtype} finite {bool(torch.isfinite(s).all())} std {float(s.std()):.4f}"]}}


NODE_CLASS_MAPPINGS = {"ZeroConditioning": ZeroConditioning, "ConditioningReport": ConditioningReport, "LatentReport": LatentReport}

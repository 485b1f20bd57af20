"""Our host operation: applying a LORA_MODEL output to the MODEL and CLIP inputs with ComfyUI's own loader."""
from __future__ import annotations


def apply_lora(op: dict, spec: dict, kwargs: dict, outputs: list) -> None:
    """`host.applyLora` (src/worker/node-definition.ts): passes the LoRA output to
    `comfy.sd.load_lora_for_models(model, clip, lora, strength_model, strength_clip)` and fills the MODEL and CLIP
    outputs with the patched objects (or the inputs unchanged when there is no LoRA or nothing to patch)."""
    names = [o["name"] for o in spec["outputs"]]
    model, clip = kwargs.get(op["modelInput"]), kwargs.get(op["clipInput"])
    lora = outputs[names.index(op["loraOutput"])]
    patched_model, patched_clip = model, clip
    if lora is not None and (model is not None or clip is not None):
        import comfy.sd
        patched_model, patched_clip = comfy.sd.load_lora_for_models(
            model, clip, lora, float(kwargs.get(op["strengthModelInput"], 1.0)), float(kwargs.get(op["strengthClipInput"], 1.0)))
    outputs[names.index(op["modelOutput"])] = patched_model
    outputs[names.index(op["clipOutput"])] = patched_clip

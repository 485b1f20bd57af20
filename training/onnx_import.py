"""Rebuild a TinyUNet base.pt from a pack's unet.onnx (no retraining), for experiments on the shipped base.

torch's ONNX export keeps most weights under their parameter names (``unet.down0.conv1.weight``) but folds the
rest into anonymous initializers (``onnx::MatMul_818``: a Linear weight, transposed; ``onnx::Mul_816`` /
``onnx::Add_817``: a GroupNorm weight and bias as [C,1,1]). Those appear in the order the forward pass uses
them, so they are matched to the model's remaining parameters in execution order (recorded with forward hooks),
each match checked by shape; ``test/training/test_onnx_import.py`` checks the result against the pack's
committed parity fixture.

API: ``state_dict_from_unet_onnx(path, model) -> dict``; ``base_from_pack(pack_dir, out_path) -> TinyUNet``
(writes a base.pt that training/base.load_base reads).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from .unet import LoraLinear, TinyUNet


def _execution_order(model: nn.Module) -> List[nn.Module]:
    order: List[nn.Module] = []
    hooks = [m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
             for m in model.modules() if not list(m.children())]
    # LoraLinear layers run through forward_lora (not __call__), which forward hooks do not see.
    for m in model.modules():
        if isinstance(m, LoraLinear):
            m.forward_lora = _recording(m, order)  # type: ignore[method-assign]
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28), torch.zeros(1))
    for h in hooks:
        h.remove()
    for m in model.modules():
        if isinstance(m, LoraLinear):
            del m.forward_lora
    return order


def _recording(mod: LoraLinear, order: List[nn.Module]):
    inner = mod.forward_lora

    def run(*args, **kwargs):
        order.append(mod)
        return inner(*args, **kwargs)
    return run


def state_dict_from_unet_onnx(path: Path, model: nn.Module) -> Dict[str, torch.Tensor]:
    """The state dict of ``model``'s architecture holding the weights stored in the ONNX file at ``path``."""
    inits = onnx.load(str(path)).graph.initializer
    named = {i.name[len("unet."):]: torch.from_numpy(numpy_helper.to_array(i).copy())
             for i in inits if i.name.startswith("unet.")}
    anon = [torch.from_numpy(numpy_helper.to_array(i).copy()) for i in inits if i.name.startswith("onnx::")]
    names = {id(p): n for n, p in model.named_parameters()}
    out: Dict[str, torch.Tensor] = {}
    queue = iter(anon)
    for mod in _execution_order(model):
        for p in mod.parameters(recurse=False):
            name = names[id(p)]
            if name in named or name in out:
                continue
            arr = next(queue)
            value = arr.t() if isinstance(mod, nn.Linear) and p.dim() == 2 else arr.reshape(p.shape)
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError(f"{path}: initializer for {name} has shape {tuple(arr.shape)}, the model needs "
                                 f"{tuple(p.shape)}; the ONNX file is not this architecture's export")
            out[name] = value.contiguous()
    out.update({n: v for n, v in named.items()})
    missing = set(dict(model.named_parameters())) - set(out)
    if missing:
        raise ValueError(f"{path}: no weights found for {sorted(missing)[:5]}")
    return out


def base_from_pack(pack_dir: Path, out_path: Path) -> TinyUNet:
    """Write ``out_path`` (base.pt format) from ``pack_dir``/unet.onnx and its manifest's architecture."""
    manifest = json.loads((Path(pack_dir) / "manifest.json").read_text())
    arch = manifest.get("unet", {}).get("config") or {"ch": [32, 64], "temb_dim": 64, "heads": 4}
    model = TinyUNet(tuple(arch["ch"]), temb_dim=arch["temb_dim"], heads=arch["heads"])
    model.load_state_dict(state_dict_from_unet_onnx(Path(pack_dir) / "unet.onnx", model))
    cfg = {"ch": list(arch["ch"]), "temb_dim": arch["temb_dim"], "heads": arch["heads"]}
    torch.save({"config": cfg, "state_dict": model.state_dict(), "stats": {"from": str(pack_dir)}}, out_path)
    return model

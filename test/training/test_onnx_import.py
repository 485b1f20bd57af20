"""training/onnx_import.py: the shipped pack's unet.onnx rebuilt as a TinyUNet reproduces the parity fixture."""
import json
from pathlib import Path

import torch

from training.base import load_base
from training.common import REPO_ROOT
from training.onnx_import import base_from_pack
from training.unet import lora_from_flat

FIXTURE = REPO_ROOT / "test" / "fixtures" / "reference-parity" / "unet.json"


def _tensor(v):
    return torch.tensor(v["data"], dtype=torch.float32).reshape(v["dims"])


def test_rebuilt_base_matches_the_pack_parity_fixture(tmp_path: Path):
    base_from_pack(REPO_ROOT / "models" / "reference", tmp_path / "base.pt")
    model = load_base(tmp_path / "base.pt")
    fx = json.loads(FIXTURE.read_text())
    ins = {k: _tensor(v) for k, v in fx["inputs"].items()}
    lora = lora_from_flat({k: v for k, v in ins.items() if ".lora_" in k})
    with torch.no_grad():
        got = model(ins["x"], ins["t"], lora=lora, lora_scale=ins["lora_scale"].reshape(()))
        base_only = model(ins["x"], ins["t"])
    want = _tensor(next(iter(fx["outputs"].values())))
    assert torch.allclose(got, want, atol=fx["atol"], rtol=fx["rtol"])
    # The fixture's LoRA is non-zero, so the match covers the LoRA path, not only the base weights.
    assert not torch.allclose(base_only, want, atol=1e-2)

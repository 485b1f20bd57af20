"""Test helper (not a test): write a tiny SD1.5 pack (random weights, made at test time, never committed) with
training/sdpack's exporter, plus parity.json (fixed inputs and the PyTorch outputs) for test/pack/sd-pack.int.test.ts.

  /usr/bin/python3 test/training/make_tiny_sdpack.py OUT_DIR [sd15|sdxl]
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from training.hyper import HyperNet  # noqa: E402
from training.sdpack.export import export_sdpack  # noqa: E402
from training.sdpack.layout import fixed_layout, hyper_modules  # noqa: E402
from training.sdpack.meta_train import SDPACK_CONFIG  # noqa: E402
from training.sdpack.phi_head import PhiHead  # noqa: E402


def main(out: Path, target: str = "sd15") -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layout = fixed_layout(target)
    cfg = dict(SDPACK_CONFIG, dim=8, rank=1, alpha=1.0, components=2)
    head = PhiHead(1024, cfg["dim"], 32).eval()
    hyper = HyperNet(hyper_modules(layout), cfg["rank"], cfg["dim"], 8, cfg["components"]).eval()
    with torch.no_grad():
        for up in hyper.ups:
            up.normal_(0.0, 0.05)   # non-zero components, so parity covers the mixture
    trained = {"head": head, "hyper": hyper, "config": cfg, "layout_keys": [m.key for m in layout],
               "stats": {"steps": 1, "trained_noise": {"min": 0.0, "max": 0.5}}}
    manifest = export_sdpack(trained, layout, out / "pack", pack_id=f"tiny-{target}-test", version="0.0.1", target=target,
                             clip_vision={"family": "clip-vit-h-14", "dim": 1024},
                             base={"unetSha256": "ab" * 32, "name": "none (test pack)"},
                             training={"data": "none: random weights made by a test"},
                             licenses={"code": "MIT", "weights": "MIT", "data": "none"})
    g = torch.Generator().manual_seed(3)
    clip = torch.randn(5, 1024, generator=g) * 2
    emb = torch.randn(1, cfg["dim"], generator=g) * 0.3
    with torch.no_grad():
        rows = head(clip)
        flat = hyper(emb)
    first, last = layout[0].key, layout[-1].key
    names = [f"{first}.lora_down.weight", f"{first}.lora_up.weight", f"{last}.lora_up.weight"]
    parity = {"clipEmbeds": clip.flatten().tolist(), "embeddings": rows.flatten().tolist(),
              "embedding": emb.flatten().tolist(),
              "hypernet": {n: {"dims": list(flat[n][0].shape), "data": flat[n][0].flatten().tolist()} for n in names},
              "modules": len(manifest["lora"]["modules"])}
    (out / "parity.json").write_text(json.dumps(parity))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "sd15")

"""Reference world 3.0, step 1 (issue 13): how far can a NON-private LoRA fitted to one private set move the
class mix? Measures the ceiling's mean class KL on the first K evaluation sets for one LoRA configuration.

Research tool, not a run_all stage: it reads a finished run folder (base.pt or another denoiser checkpoint,
features.pt) and appends one JSON line per configuration to ``<run>/probe/results.jsonl``.

The protocol is the evaluation's (training/evaluate.py) except for the knobs on the command line: the same
private sets (training/eval_seeds.json, test split), the same per-set generator seeds, DDIM with common random
numbers per set, KL(predicted class histogram || pi) with the feature classifier.

Usage::

    nice -n 19 /usr/bin/python3 -m training.ceiling_probe --run training/runs/full --sets 3 \
        --targets pack2 --rank 4 --steps 60 --lr 1e-2

``--targets`` is a preset name (``TARGETS``) or a comma-separated list of regular expressions over parameter
names; ``--full`` fine-tunes every base weight instead (an upper bound, not a LoRA).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

from .common import log, setup_torch
from .data import load_fmnist, to_tensor
from .diffusion import LORA_MIN_SNR_GAMMA, ddim_sample, diffusion_loss
from .evaluate import SEEDS_FILE, load_eval_sets
from .features import FEATURES_FILE, embed, load_features
from .fid import class_histogram, kl_divergence
from .lora_delta import DeltaLoraModel, lora_layout, lora_param_count, make_delta_lora

# Presets over TinyUNet / SDMiniUNet parameter names.
TARGETS: Dict[str, List[str]] = {
    # Pack 2.0.0's 15 targets: attention q/k/v/out, feed-forward, time_emb_proj.
    "pack2": [r"\.temb\.weight$", r"attn\.to_", r"\.ff_"],
    # ... plus every ResBlock convolution (kohya LoCon).
    "pack2+conv": [r"\.temb\.weight$", r"attn\.to_", r"\.ff_", r"\.conv[12]\.weight$", r"skip\.weight$"],
    # Every Linear/Conv2d weight of the denoiser.
    "all": [r"weight$"],
    # SD-mini: self- and cross-attention q/k/v/out, feed-forward, time_emb_proj (the suggestion).
    "sd": [r"\.temb\.weight$", r"attn[12]?\.to_", r"\.ff_"],
    "sd+conv": [r"\.temb\.weight$", r"attn[12]?\.to_", r"\.ff_", r"\.conv[12]\.weight$", r"skip\.weight$"],
}


def load_denoiser(path: Path) -> torch.nn.Module:
    """base.pt of training/base.py (TinyUNet) or of training/sdmini.py (SDMiniUNet), frozen."""
    state = torch.load(path)
    if state["config"].get("arch") == "sdmini":
        from .sdmini import load_sdmini
        return load_sdmini(path)
    from .base import load_base
    return load_base(path)


def fit(model: DeltaLoraModel, x: torch.Tensor, args: argparse.Namespace, gen: torch.Generator):
    """Adam on the (min-SNR weighted) diffusion loss, full set or random minibatches per step; returns
    (lora or None, final loss, saved base weights when fine-tuning them)."""
    gamma = None if args.gamma <= 0 else args.gamma
    if args.full:
        params = [p for p in model.base.parameters()]
        saved = [p.detach().clone() for p in params]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.Adam(params, lr=args.lr)
        lora, scale = None, 1.0
    else:
        lora = make_delta_lora(model.layout, args.rank, gen)
        for d, u in lora.values():
            d.requires_grad_(True)
            u.requires_grad_(True)
        opt = torch.optim.Adam([t for pair in lora.values() for t in pair], lr=args.lr)
        scale = args.alpha / args.rank
    loss = torch.tensor(0.0)
    for _ in range(args.steps):
        xb = x if args.batch <= 0 or args.batch >= len(x) else x[torch.randperm(len(x), generator=gen)[:args.batch]]
        loss = diffusion_loss(model, xb, lora=lora, lora_scale=scale, generator=gen, min_snr_gamma=gamma)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if args.full:
        for p in model.base.parameters():
            p.requires_grad_(False)
        return None, float(loss), saved
    return {k: (d.detach(), u.detach()) for k, (d, u) in lora.items()}, float(loss), None


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.ceiling_probe", description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, default=Path("training/runs/full"))
    ap.add_argument("--base", type=Path, default=None, help="denoiser checkpoint (default <run>/base.pt)")
    ap.add_argument("--features", type=Path, default=None, help="feature classifier (default <run>/features.pt)")
    ap.add_argument("--sets", type=int, default=3)
    ap.add_argument("--seeds", default="", help="comma-separated eval-set seeds instead of the first --sets")
    ap.add_argument("--targets", default="pack2")
    ap.add_argument("--rank", type=int, default=4)
    ap.add_argument("--alpha", type=float, default=None, help="default = rank (scale 1)")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--batch", type=int, default=0, help="images per step (a random subset); 0: the full set")
    ap.add_argument("--gamma", type=float, default=LORA_MIN_SNR_GAMMA, help="min-SNR gamma; <= 0: unweighted")
    ap.add_argument("--full", action="store_true", help="fine-tune every base weight (upper bound)")
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--ddim", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tag", default="")
    ap.add_argument("--sample-scales", default="1",
                    help="comma-separated LoRA strengths to sample each fitted LoRA at (a user's LoRA strength "
                         "slider; 1 = as fitted); one result line per strength")
    ap.add_argument("--guidance", default="1",
                    help="comma-separated LoRA-guidance weights w (eps_base + w (eps_lora - eps_base)); 1 = none; "
                         "one result line per strength and weight")
    a = ap.parse_args(argv)
    a.alpha = float(a.rank if a.alpha is None else a.alpha)
    setup_torch(a.threads)
    base_path = a.base or a.run / "base.pt"
    base = load_denoiser(base_path)
    layout = lora_layout(base, TARGETS.get(a.targets, a.targets.split(",")))
    model = DeltaLoraModel(base, layout)
    fnet = load_features(a.features or a.run / FEATURES_FILE)
    ev = load_eval_sets(SEEDS_FILE)
    test_images, _ = load_fmnist("test")
    t_all = time.time()
    base_imgs = ddim_sample(model, a.samples, a.ddim, generator=torch.Generator().manual_seed(4242))
    base_hist = class_histogram(embed(fnet, base_imgs)[1])
    combos = [(float(sc), float(w)) for sc in a.sample_scales.split(",") for w in a.guidance.split(",")]
    rows: Dict[tuple, List[Dict[str, Any]]] = {c: [] for c in combos}
    out_dir = a.run / "probe"
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [int(s) for s in a.seeds.split(",")] if a.seeds else None
    for st in [s for s in ev["sets"] if s["seed"] in chosen] if chosen else ev["sets"][:a.sets]:
        x = to_tensor(test_images[st["private"]])
        t0 = time.time()
        gen = torch.Generator().manual_seed(st["seed"] * 7919 + 10)
        lora, loss, saved = fit(model, x, a, gen)
        fit_s = time.time() - t0
        for sc, w in combos:
            # Common random numbers: the same generator seed for every strength and weight of one set.
            imgs = ddim_sample(model, a.samples, a.ddim, lora=lora, lora_scale=sc * a.alpha / a.rank,
                               generator=torch.Generator().manual_seed(st["seed"]), guidance=w)
            hist = class_histogram(embed(fnet, imgs)[1])
            row = {"seed": st["seed"], "sample_scale": sc, "guidance": w, "kl": kl_divergence(hist, st["pi"]),
                   "histogram": hist.round(4).tolist(), "pi": np.round(st["pi"], 4).tolist(),
                   "base_histogram": base_hist.round(4).tolist(), "kl_base": kl_divergence(base_hist, st["pi"]),
                   "fit_seconds": fit_s, "final_loss": loss}
            rows[(sc, w)].append(row)
            # One line per finished set and strength, so a run killed part-way keeps what it measured.
            with (out_dir / "per_set.jsonl").open("a") as f:
                f.write(json.dumps(dict(row, tag=a.tag, base=str(base_path))) + "\n")
            log(f"probe set {st['seed']} strength {sc:g} guidance {w:g}: KL {row['kl']:.3f} "
                f"(base {row['kl_base']:.3f}), "
                f"fit {fit_s:.0f}s")
        if saved is not None:
            with torch.no_grad():
                for p, s in zip(base.parameters(), saved):
                    p.copy_(s)
    for sc, w in combos:
        done = rows[(sc, w)]
        result = {"tag": a.tag, "base": str(base_path), "targets": a.targets, "n_targets": len(layout),
                  "rank": a.rank, "alpha": a.alpha, "steps": a.steps, "lr": a.lr, "batch": a.batch,
                  "gamma": a.gamma, "full": a.full, "sample_scale": sc, "guidance": w,
                  "lora_params": None if a.full else lora_param_count(make_delta_lora(layout, a.rank)),
                  "samples": a.samples, "ddim": a.ddim, "sets": len(done),
                  "kl_mean": float(np.mean([r["kl"] for r in done])),
                  "kl_base_mean": float(np.mean([r["kl_base"] for r in done])),
                  "seconds": time.time() - t_all, "per_set": done}
        with (out_dir / "results.jsonl").open("a") as f:
            f.write(json.dumps(result) + "\n")
        what = "full fine-tune" if a.full else f"{a.targets} r{a.rank}"
        log(f"probe {what} {a.steps} steps lr {a.lr} strength {sc:g} guidance {w:g}: mean KL {result['kl_mean']:.3f} "
            f"(base {result['kl_base_mean']:.3f}) over {len(done)} sets in {result['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

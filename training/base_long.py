"""Reference world 3.0 research (issue 13, step 2): continue a base model for many more steps.

Research tool, not a run_all stage (run_all's base stage and the shipped pack are unchanged). It warm-starts
``training/base.train_base`` from an existing base (default: pack 2.0.0's, rebuilt from
``models/reference/unet.onnx``) and runs ``LONG_BASE_CONFIG``: 1,000-step cosine cycles at peak lr 1e-3 (warm
restarts), so every multiple of 1,000 steps is an annealed model, kept as ``<out>/base_step<N>.pt``. The schedule
of the first k cycles does not depend on how many follow, so a run stopped after N steps (kill it; it resumes
from ``base_ckpt.pt``) gives the same base_step<N>.pt as a longer one.

Usage::

    nice -n 19 /usr/bin/python3 -m training.base_long --out /work/r13-runs/long --threads 1

then measure a checkpoint with ``training.base_quality --base <out>/base_step<N>.pt``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from .base import BASE_CONFIG, train_base
from .common import REPO_ROOT, log, setup_torch

# Same architecture, batch, EMA and clipping as BASE_CONFIG; 12 cycles of 1,000 steps (~19 epochs at 96 images).
LONG_BASE_CONFIG = dict(BASE_CONFIG, steps=1000, lr=1e-3, warmup=50, ckpt_every=100, keep_every=1000,
                        extra_cycles=[[1000, 1e-3, 50]] * 11)
LONG_BASE_SEED = 13


def main(argv: List[str] | None = None) -> int:
    """CLI: warm-start and train; returns 0 when the whole schedule ran."""
    ap = argparse.ArgumentParser(prog="python3 -m training.base_long", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, base_step<N>.pt)")
    ap.add_argument("--init", type=Path, default=None,
                    help="base.pt to start from (default: pack 2.0.0's base rebuilt from models/reference)")
    ap.add_argument("--seed", type=int, default=LONG_BASE_SEED)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cycles", type=int, default=12,
                    help="1,000-step cycles in all (default 12); a finished run resumes from base_ckpt.pt when given more")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                    help="auto: CUDA when torch sees a GPU, else the CPU (checkpoints move between the two)")
    a = ap.parse_args(argv)
    setup_torch(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    init = a.init
    if init is None:
        from .onnx_import import base_from_pack
        init = a.out / "init_pack2.pt"
        if not init.exists():
            base_from_pack(REPO_ROOT / "models" / "reference", init)
            log(f"base_long: pack 2.0.0's base rebuilt from ONNX -> {init}")
    if a.cycles < 1:
        ap.error("--cycles must be at least 1")
    cfg = dict(LONG_BASE_CONFIG, extra_cycles=[[1000, 1e-3, 50]] * (a.cycles - 1))
    stats = train_base(a.out, cfg, seed=a.seed, init=init, device=a.device)
    log(f"base_long: done {stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

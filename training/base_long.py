"""Reference world 3.0 research (issue 13, step 2): continue a base model for many more steps.

Research tool: run_all's base stage runs the same continuation (training/base.py, ``LONG_BASE_CONFIG``) for
pack 3.0.0. This CLI warm-starts ``training/base.train_base`` from an existing base (``--init``; a research run
folder that holds ``init_pack2.pt``, pack 2.0.0's base rebuilt from its unet.onnx, uses that) and runs
1,000-step cosine cycles at peak lr 1e-3 (warm restarts), so every multiple of 1,000 steps is an annealed model,
kept as ``<out>/base_step<N>.pt``. The schedule
of the first k cycles does not depend on how many follow, so a run stopped after N steps (kill it; it resumes
from ``base_ckpt.pt``) gives the same base_step<N>.pt as a longer one.

Usage::

    nice -n 19 /usr/bin/python3 -m training.base_long --out RUNS/long --init training/runs/full/base_pre/base.pt

then measure a checkpoint with ``training.base_quality --base <out>/base_step<N>.pt``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from .base import LONG_BASE_SEED, LONG_CYCLES, long_base_config, train_base
from .common import log, setup_torch


def main(argv: List[str] | None = None) -> int:
    """CLI: warm-start and train; returns 0 when the whole schedule ran."""
    ap = argparse.ArgumentParser(prog="python3 -m training.base_long", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, base_step<N>.pt)")
    ap.add_argument("--init", type=Path, default=None,
                    help="base.pt to start from (default: <out>/init_pack2.pt when it exists)")
    ap.add_argument("--seed", type=int, default=LONG_BASE_SEED)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cycles", type=int, default=LONG_CYCLES,
                    help=f"1,000-step cycles in all (default {LONG_CYCLES}, pack 3.0.0's); a finished run resumes "
                         "from base_ckpt.pt when given more")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                    help="auto: CUDA when torch sees a GPU, else the CPU (checkpoints move between the two)")
    a = ap.parse_args(argv)
    setup_torch(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    init = a.init or a.out / "init_pack2.pt"
    if not init.exists():
        ap.error(f"no base to continue: {init} does not exist. Pass --init with a base.pt (run_all's short base is "
                 "<run>/base_pre/base.pt; `python3 -m training.run_all --only base` makes it)")
    if a.cycles < 1:
        ap.error("--cycles must be at least 1")
    stats = train_base(a.out, long_base_config(a.cycles), seed=a.seed, init=init, device=a.device)
    log(f"base_long: done {stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

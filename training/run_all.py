"""THE one command: ``/usr/bin/python3 -m training.run_all [--smoke] [--out DIR] [--redo STAGE]``.

Stages, in order (each writes into --out and is recorded in <out>/stages.json, so a re-run resumes after the
last finished stage; ``--redo STAGE`` forgets that stage and every later one):
  base      training/base.py      TinyUNet on the whole train split                -> base.pt
  features  training/features.py  FID feature classifier (train split)             -> features.pt
  deepsets  training/deepsets.py  DP-DeepSets phi + rho meta-training (public sets) -> deepsets_part1.pt, deepsets.pt
  export    training/export.py    the pack + parity fixtures                        -> models/reference (full)
  examples  training/export.py    the demo private set (test split)                 -> demo-data/private-set (full)
  evaluate  training/evaluate.py  FID/KL/time table over the private sets (eval helper)
  linreg    training/linreg.py    synthetic linear-regression comparison (eval helper)
--smoke runs the same code paths with tiny sizes into a temporary folder (or --out), never over
models/reference or examples/. Timings per stage go to <out>/timings.json.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

from .common import REPO_ROOT, RunContext, log, setup_torch

STAGES = [
    ("base", "training.base", "stage_base"),
    ("features", "training.features", "stage_features"),
    ("deepsets", "training.deepsets", "stage_deepsets"),
    ("export", "training.export", "stage_export"),
    ("examples", "training.export", "stage_examples"),
    ("evaluate", "training.evaluate", "stage_evaluate"),
    ("linreg", "training.linreg", "stage_linreg"),
]


def _load_stage(module: str, name: str):
    # Imported lazily: the evaluation stages live in modules written separately and may import heavy code.
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name == module:
            return None
        raise
    return getattr(mod, name, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.run_all", description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, same code paths (<= 3 min)")
    ap.add_argument("--out", type=Path, default=None,
                    help="run folder (default training/runs/full, or a fresh temp folder with --smoke)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--redo", choices=[s[0] for s in STAGES], help="re-run this stage and every later one")
    ap.add_argument("--only", choices=[s[0] for s in STAGES], action="append",
                    help="run only these stages (repeatable); the others must be cached")
    a = ap.parse_args(argv)
    out = a.out or (Path(tempfile.mkdtemp(prefix="dphl-smoke-")) if a.smoke else REPO_ROOT / "training/runs/full")
    out.mkdir(parents=True, exist_ok=True)
    setup_torch()
    ctx = RunContext(out, smoke=a.smoke, seed=a.seed)
    record_path = out / "stages.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    if record and record.get("_smoke", a.smoke) != a.smoke:
        log(f"{out} holds a {'smoke' if record['_smoke'] else 'full'} run; use another --out")
        return 2
    record["_smoke"] = a.smoke
    if a.redo:
        names = [s[0] for s in STAGES]
        for name in names[names.index(a.redo):]:
            record.pop(name, None)
    t_all = time.time()
    log(f"run_all: {'smoke' if a.smoke else 'full'} run in {out}")
    for i, (name, module, fn) in enumerate(STAGES, 1):
        if a.only and name not in a.only:
            continue
        if name in record:
            log(f"[{i}/{len(STAGES)}] {name}: cached ({record[name]['seconds']:.0f}s when run)")
            continue
        stage = _load_stage(module, fn)
        if stage is None:
            log(f"[{i}/{len(STAGES)}] {name}: {module}.{fn} is not available yet; skipped")
            continue
        log(f"[{i}/{len(STAGES)}] {name} ...")
        t0 = time.time()
        result = stage(ctx)
        seconds = time.time() - t0
        record[name] = {"seconds": seconds, "result": result}
        record_path.write_text(json.dumps(record, indent=2, default=str) + "\n")
        log(f"[{i}/{len(STAGES)}] {name}: done in {seconds:.0f}s")
    timings = {k: v["seconds"] for k, v in record.items() if isinstance(v, dict)}
    timings["total_this_invocation"] = time.time() - t_all
    (out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    log(f"run_all: finished in {timings['total_this_invocation']:.0f}s; per stage: "
        + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items() if k != "total_this_invocation"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The comparison on private sets: base, DP-SGD LoRA, ours (DP-DeepSets), non-private LoRA; FID, KL, time.

Protocol (docs/evaluation.md):
- Private sets: n = 128 TEST-split images per set, mixtures fixed by the seeds in training/eval_seeds.json
  (written before any result). Each set has a held-out reference sample of the same mixture from the test
  split, disjoint from the private images.
- Every method makes one LoRA per (set, epsilon) and we draw ``samples`` images with DDIM from the same
  initial noise for every method (common random numbers: differences between methods are not sampling luck).
- FID: Fréchet distance of FeatureNet features, generated vs reference. FID noise floor: FID between two
  disjoint samples of the same mixture and size from the TRAIN split (the metric's resolution).
- KL(predicted class histogram of the generated images || pi). KL floor: the same for the reference sample.
- Time: wall seconds to produce the LoRA (for ours: embed + release + hypernetwork; for DP-SGD: training).
- Operational knobs (never change results, only which jobs run): DPHL_EVAL_DEADLINE (unix seconds) and
  DPHL_EVAL_STOP_FILE (a path) stop starting new (set, method) jobs; the summary covers what finished.
- DP-SGD and non-private hyperparameters come from bench/results/dpsgd-tuning.json, tuned on PUBLIC
  validation sets only (computed here when that file is missing or ``DPHL_RETUNE=1``).
Results are cached per (set, method) in <out>/eval_cache so that an interrupted run resumes.

API: ``stage_evaluate(ctx)``; ``load_eval_sets(path, smoke)``; ``summarise(records, ...)``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from .base import load_base
from .common import REPO_ROOT, Progress, log, setup_torch
from .data import load_fmnist, sample_dataset, sample_mixture, to_tensor
from .diffusion import LORA_GUIDANCE, ddim_sample
from .dp_accounting import release_sigmas
from .dpsgd import TUNING_GRID as DPSGD_GRID, dpsgd_lora, tune_dpsgd, tuning_sets
from .features import FEATURES_FILE, embed, load_features
from .fid import class_histogram, fid, kl_divergence
from .finetune import TUNING_GRID as FT_GRID, finetune_lora, tune_finetune
from .hyper import dp_embedding, load_pack_modules, lora_from_embedding

SEEDS_FILE = REPO_ROOT / "training" / "eval_seeds.json"
# Pack 3.0.0's protocol: 50 DDIM steps (the issue's FID protocol; 10 cost the fine-tuned models a lot), every
# method's samples with the pack's LoRA guidance, DP-SGD and the non-private LoRA tuned by FID on public sets
# (tune_fid.py) per tuned epsilon. 300 samples per LoRA against the 500-image reference of each set.
FULL = {"samples": 300, "ddim_steps": 50, "guidance": LORA_GUIDANCE, "tune_metric": "fid", "tune_sets": 2,
        "tune_eps": [1.0, 8.0], "tune_reference": 300, "samples_tune": 200}
SMOKE = {"samples": 24, "ddim_steps": 2, "tune_metric": "loss", "tune_sets": 1, "tune_eps": [1.0], "sets": 2, "n": 16,
         "reference_size": 24, "epsilons": [1.0],
         "dpsgd_grid": {"clip": (0.03,), "schedule": ((2, 0.03),)}, "ft_grid": {"steps": (2,), "lr": (0.03,)}}


def load_eval_sets(path: Path = SEEDS_FILE, smoke: bool = False, n: Optional[int] = None) -> Dict[str, Any]:
    """The committed evaluation protocol and its private/reference index sets (test split); ``n`` replaces the
    protocol's set size (the same seeds and mixtures, other draws)."""
    spec = json.loads(Path(path).read_text())
    if n is not None:
        spec = dict(spec, n=int(n))
    if smoke:
        spec = dict(spec, seeds=spec["seeds"][:SMOKE["sets"]], n=SMOKE["n"], reference_size=SMOKE["reference_size"],
                    epsilons=SMOKE["epsilons"])
    _, labels = load_fmnist(spec["split"])
    sets = []
    for s in spec["seeds"]:
        rng = np.random.default_rng([20261128, s])
        pi = sample_mixture(rng, spec["concentration"])
        private = sample_dataset(labels, pi, spec["n"], rng)
        pool = np.setdiff1d(np.arange(len(labels)), private)
        reference = sample_dataset(labels, pi, spec["reference_size"], rng, pool)
        sets.append({"seed": s, "pi": pi, "private": private, "reference": reference})
    return {"spec": spec, "sets": sets}


def _floor_features(fnet, pi: np.ndarray, size: int, seed: int) -> tuple:
    """Two disjoint TRAIN-split samples of the same mixture (public) for the FID noise floor."""
    images, labels = load_fmnist("train")
    rng = np.random.default_rng([31337, seed])
    a = sample_dataset(labels, pi, size, rng)
    b = sample_dataset(labels, pi, size, rng, np.setdiff1d(np.arange(len(labels)), a))
    return embed(fnet, to_tensor(images[a]))[0], embed(fnet, to_tensor(images[b]))[0]


def _file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _tuning_plan(plan: Dict[str, Any]) -> Dict[str, Any]:
    """What the tuned values depend on besides the base (a change re-tunes)."""
    keys = ("tune_metric", "tune_eps", "tune_sets", "tune_reference", "samples_tune", "ddim_steps", "guidance")
    return {k: plan[k] for k in keys if k in plan}


def _current_fid_grids() -> Dict[str, Any]:
    from .tune_fid import fid_grids
    return fid_grids()


def _fid_grids_of(tuned: Dict[str, Any]) -> Dict[str, Any]:
    return {"dpsgd": (tuned.get("dpsgd") or {}).get("configs"), "finetune": (tuned.get("finetune") or {}).get("configs")}


def _row_count(tuned: Dict[str, Any]) -> int:
    dp = sum(len(v.get("rows", [])) for v in ((tuned.get("dpsgd") or {}).get("per_eps") or {}).values())
    return dp + len((tuned.get("finetune") or {}).get("rows", []))


def get_tuning(unet, run_dir: Path, plan: Dict[str, Any], smoke: bool, base_hash: str,
               path: Optional[Path] = None, fnet: Any = None) -> Dict[str, Any]:
    """DP-SGD and fine-tuning hyperparameters, tuned on PUBLIC validation sets (cached in bench/results, or
    in ``path``)."""
    if path is None:
        path = (Path(run_dir) / "dpsgd-tuning.json") if smoke else REPO_ROOT / "bench" / "results" / "dpsgd-tuning.json"
    known: Dict[str, Any] = {}
    if path.exists() and os.environ.get("DPHL_RETUNE") != "1":
        tuned = json.loads(path.read_text())
        # Hyperparameters tuned on another base model are not this base's tuned baselines: redo them.
        if tuned.get("base_hash") == base_hash and tuned.get("plan") == _tuning_plan(plan):
            grids = _fid_grids_of(tuned) if plan.get("tune_metric") == "fid" else None
            if grids is None or grids == _current_fid_grids():
                log(f"evaluate: reusing tuning from {path} (same base {base_hash}; DPHL_RETUNE=1 redoes it)")
                return tuned
            # Same base, sets and plan, other grids: keep the rows measured, fit only the new configurations.
            log(f"evaluate: {path} was tuned on other grids: widening it (its {_row_count(tuned)} rows are reused)")
            known = tuned
        else:
            log(f"evaluate: {path} was tuned on base {tuned.get('base_hash')} with {tuned.get('plan')}; this run is "
                f"base {base_hash} with {_tuning_plan(plan)}: re-tuning")
    t0 = time.time()
    if plan.get("tune_metric") == "fid":
        from .tune_fid import fid_tuning_jobs, tune_dpsgd_fid, tune_finetune_fid
        sets = tuning_sets(seed=1, count=plan["tune_sets"], n=128, held_out=plan["tune_reference"])
        bar = Progress(fid_tuning_jobs(len(plan["tune_eps"]), len(sets)), "tune dpsgd/finetune by FID (public sets)")
        dp = tune_dpsgd_fid(unet, fnet, plan["tune_eps"], sets, plan, seed=1, progress=bar, known=known.get("dpsgd"))
        ft = tune_finetune_fid(unet, fnet, sets, plan, seed=1, progress=bar, known=known.get("finetune"))
        bar.close()
    else:
        sets = tuning_sets(seed=1, count=plan["tune_sets"], n=SMOKE["n"] if smoke else 128,
                           held_out=16 if smoke else 64)
        dgrid = SMOKE["dpsgd_grid"] if smoke else DPSGD_GRID
        fgrid = SMOKE["ft_grid"] if smoke else FT_GRID
        count = len(plan["tune_eps"]) * int(np.prod([len(v) for v in dgrid.values()])) * len(sets)
        count += int(np.prod([len(v) for v in fgrid.values()])) * len(sets)
        bar = Progress(count, "tune dpsgd/finetune (public sets)")
        dp = tune_dpsgd(unet, plan["tune_eps"], dgrid, sets, seed=1, progress=bar)
        ft = tune_finetune(unet, fgrid, sets, seed=1, progress=bar)
        bar.close()
    tuned = {"base_hash": base_hash, "plan": _tuning_plan(plan), "tune_sets": len(sets),
             "tune_eps": plan["tune_eps"], "dpsgd": dp,
             "finetune": ft, "seconds": time.time() - t0,
             "rule": "each eval epsilon uses the configuration tuned at the nearest tuned epsilon (log scale)"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tuned, indent=1) + "\n")
    return tuned


def dpsgd_cfg_for(tuned: Dict[str, Any], eps: float) -> Dict[str, float]:
    """The tuned configuration at the tuned epsilon nearest to eps on a log scale."""
    tuned_eps = [float(e) for e in tuned["dpsgd"]["per_eps"]]
    near = min(tuned_eps, key=lambda e: abs(math.log(e) - math.log(eps)))
    cfg = dict(tuned["dpsgd"]["per_eps"][str(near)]["best"])
    if "schedule" in cfg:
        cfg["steps"], cfg["lr"] = cfg.pop("schedule")
    return cfg


PRIORITY = ["dpsgd_eps1", "dpsgd_eps8", "ours_eps1", "ours_eps8", "ours_epsinf", "nonprivate", "ours_eps0.5",
            "ours_eps2", "ours_eps4", "dpsgd_eps2", "dpsgd_eps0.5", "dpsgd_eps4"]


def method_jobs(epsilons: List[float]) -> List[Dict[str, Any]]:
    """Every (method, epsilon) that makes a LoRA from a private set, in report order."""
    jobs = [{"key": f"dpsgd_eps{e:g}", "method": "dpsgd", "epsilon": e} for e in epsilons]
    jobs += [{"key": f"ours_eps{e:g}", "method": "ours", "epsilon": e} for e in epsilons]
    jobs.append({"key": "ours_epsinf", "method": "ours", "epsilon": math.inf})
    jobs.append({"key": "nonprivate", "method": "nonprivate", "epsilon": math.inf})
    return jobs


def job_guidance(job: Dict[str, Any], tuned: Dict[str, Any], table_guidance: float) -> float:
    """The LoRA-guidance weight a job samples with: the baselines' own tuned choice (tune_fid.py), ours the table's
    (the pack's sampler.loraGuidance)."""
    if job["method"] == "dpsgd":
        return float(dpsgd_cfg_for(tuned, job["epsilon"]).get("guidance", table_guidance))
    if job["method"] == "nonprivate":
        return float((tuned["finetune"]["best"] or {}).get("guidance", table_guidance))
    return table_guidance


def make_lora(job: Dict[str, Any], x: torch.Tensor, unet, pack: Optional[dict], tuned: Dict[str, Any],
              delta: float, gen: torch.Generator):
    """(lora, lora_scale, seconds, info) for one job on private images x."""
    t0 = time.time()
    if job["method"] == "dpsgd":
        cfg = dpsgd_cfg_for(tuned, job["epsilon"])
        lora, info = dpsgd_lora(unet, x, job["epsilon"], delta, cfg, gen)
        return lora, 1.0, time.time() - t0, info
    if job["method"] == "nonprivate":
        lora, info = finetune_lora(unet, x, tuned["finetune"]["best"], gen)
        return lora, 1.0, time.time() - t0, info
    cfg = pack["config"]
    clip = float(cfg["clip_norm"])
    if math.isinf(job["epsilon"]):
        s_sum, s_count = 0.0, 0.0
    else:
        s_sum, s_count = release_sigmas(job["epsilon"], delta, clip)
    with torch.no_grad():
        emb = dp_embedding(pack["encoder"], x, clip, s_sum, s_count, gen)
        lora = lora_from_embedding(pack["hyper"], emb)
    info = {"sigma_sum": s_sum, "sigma_count": s_count, "clip_norm": clip, "accounting": "zCDP (release_sigmas)"}
    return lora, float(cfg["alpha"]) / float(cfg["rank"]), time.time() - t0, info


def _metrics(fnet, images: torch.Tensor, ref_feats: np.ndarray, pi: np.ndarray) -> Dict[str, Any]:
    feats, probs = embed(fnet, images)
    hist = class_histogram(probs)
    return {"fid": fid(feats, ref_feats), "kl": kl_divergence(hist, pi), "histogram": hist.tolist()}


def evaluate(run_dir: Path, results_dir: Path, smoke: bool, methods: Optional[List[str]] = None,
             max_sets: Optional[int] = None, plan_overrides: Optional[Dict[str, Any]] = None,
             epsilons: Optional[List[float]] = None, tuning_path: Optional[Path] = None,
             command: Optional[str] = None, n: Optional[int] = None) -> Dict[str, Any]:
    """Run (or resume) the comparison; returns the summary and writes JSON + markdown to results_dir."""
    plan = dict(FULL, **(SMOKE if smoke else {}), **(plan_overrides or {}))
    run_dir = Path(run_dir)
    cache = run_dir / "eval_cache"
    cache.mkdir(parents=True, exist_ok=True)
    unet = load_base(run_dir / "base.pt")
    base_hash = _file_hash(run_dir / "base.pt")
    fnet = load_features(run_dir / FEATURES_FILE)
    pack = load_pack_modules(run_dir) if (run_dir / "deepsets.pt").exists() else None
    pack_hash = _file_hash(run_dir / "deepsets.pt") if pack else None
    ev = load_eval_sets(SEEDS_FILE, smoke, n)
    spec, sets = ev["spec"], ev["sets"][:max_sets]
    # A set size other than the protocol's makes other sets: their results are cached apart.
    n_key = {} if n is None else {"n": int(n)}
    if epsilons:
        spec = dict(spec, epsilons=[e for e in spec["epsilons"] if float(e) in epsilons])
    delta = float(spec["delta"])
    jobs = [j for j in method_jobs([float(e) for e in spec["epsilons"]]) if not methods or j["method"] in methods]
    needs_tuning = any(j["method"] in ("dpsgd", "nonprivate") for j in jobs)
    tuned = get_tuning(unet, run_dir, plan, smoke, base_hash, tuning_path, fnet) if needs_tuning else \
        {"dpsgd": {"per_eps": {}}, "finetune": {"best": None}}
    if pack is None:
        jobs = [j for j in jobs if j["method"] != "ours"]
        log("evaluate: no deepsets.pt in the run folder; 'ours' is skipped")
    test_images, _ = load_fmnist("test")
    n_samp, steps, guidance = plan["samples"], plan["ddim_steps"], float(plan["guidance"])

    # The base model ignores the private data: one sample set, compared with every set's reference.
    base_path = cache / f"base_{base_hash}_{n_samp}_{steps}.npz"
    if base_path.exists():
        base_imgs = torch.from_numpy(np.load(base_path)["images"])
    else:
        base_imgs = ddim_sample(unet, n_samp, steps, generator=torch.Generator().manual_seed(4242))
        np.savez_compressed(base_path, images=base_imgs.numpy())
    records: List[Dict[str, Any]] = []
    private_x = []
    for st in sets:
        ref_feats, ref_probs = embed(fnet, to_tensor(test_images[st["reference"]]))
        fa, fb = _floor_features(fnet, st["pi"], len(st["reference"]), st["seed"])
        private_x.append(to_tensor(test_images[st["private"]]))
        records.append({"seed": st["seed"], "pi": st["pi"].tolist(), "fid_floor": fid(fa, fb),
                        "kl_floor": kl_divergence(class_histogram(ref_probs), st["pi"]),
                        "base": _metrics(fnet, base_imgs, ref_feats, st["pi"]), "methods": {},
                        "_ref": ref_feats})
    # Job-major order, most informative first (eps 1 and 8 of both methods), so that a run cut short by
    # DPHL_EVAL_DEADLINE (unix seconds) still reports complete rows for the headline comparison.
    report_jobs = jobs
    jobs = sorted(jobs, key=lambda j: PRIORITY.index(j["key"]) if j["key"] in PRIORITY else len(PRIORITY))
    deadline = float(os.environ.get("DPHL_EVAL_DEADLINE", "inf"))
    stop_file = os.environ.get("DPHL_EVAL_STOP_FILE")
    bar = Progress(len(sets) * len(jobs), "evaluate (method x set)")
    for job in jobs:
        for st, rec, x in zip(sets, records, private_x):
            w = job_guidance(job, tuned, guidance)
            ident = {"job": job["key"], "base": base_hash, "samples": n_samp, "ddim": steps, **n_key,
                     **({"guidance": w} if w != 1.0 else {}),
                     "pack": pack_hash if job["method"] == "ours" else None,
                     "cfg": dpsgd_cfg_for(tuned, job["epsilon"]) if job["method"] == "dpsgd" else
                     (tuned["finetune"]["best"] if job["method"] == "nonprivate" else None)}
            h = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:12]
            path = cache / f"set{st['seed']}_{job['key']}_{h}.json"
            if path.exists():
                rec["methods"][job["key"]] = json.loads(path.read_text())
                bar.update(1)
                continue
            if time.time() > deadline or (stop_file and Path(stop_file).exists()):
                bar.update(1)
                continue
            gen = torch.Generator().manual_seed(st["seed"] * 7919 + len(job["key"]))
            lora, scale, seconds, info = make_lora(job, x, unet, pack, tuned, delta, gen)
            # Common random numbers: the same initial noise for every method on this set.
            imgs = ddim_sample(unet, n_samp, steps, lora=lora, lora_scale=scale,
                               generator=torch.Generator().manual_seed(st["seed"]), guidance=w)
            res = {**_metrics(fnet, imgs, rec["_ref"], st["pi"]), "lora_seconds": seconds, "info": info,
                   "method": job["method"], "epsilon": job["epsilon"], "guidance": w}
            path.write_text(json.dumps(res, default=float) + "\n")
            rec["methods"][job["key"]] = res
            bar.update(1, fid=res["fid"])
    for rec in records:
        rec.pop("_ref")
    bar.close()
    summary = summarise(records, report_jobs, spec, plan, tuned)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "reference-comparison.json").write_text(json.dumps(summary, indent=1, default=float) + "\n")
    cmd = command or ("/usr/bin/python3 -m training.run_all" + (" --smoke" if smoke else ""))
    tuning_file = str(tuning_path) if tuning_path is not None else "bench/results/dpsgd-tuning.json"
    (results_dir / "reference-comparison.md").write_text(write_markdown(summary, cmd, tuning_file) + "\n")
    return summary


def _stats(values: List[float]) -> Dict[str, float]:
    a = np.asarray(values, dtype=np.float64)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0, "median": float(med),
            "q1": float(q1), "q3": float(q3), "n": int(len(a))}


def summarise(records: List[Dict[str, Any]], jobs: List[Dict[str, Any]], spec: Dict[str, Any],
              plan: Dict[str, Any], tuned: Dict[str, Any]) -> Dict[str, Any]:
    """Mean and spread over sets per method, ratios ours / DP-SGD per epsilon, floors."""
    rows = [{"key": "base", "method": "base", "epsilon": None,
             "fid": _stats([r["base"]["fid"] for r in records]), "kl": _stats([r["base"]["kl"] for r in records]),
             "lora_seconds": None}]
    for job in jobs:
        done = [r["methods"][job["key"]] for r in records if job["key"] in r["methods"]]
        if not done:
            continue
        rows.append({"key": job["key"], "method": job["method"], "epsilon": job["epsilon"],
                     "fid": _stats([d["fid"] for d in done]), "kl": _stats([d["kl"] for d in done]),
                     "lora_seconds": _stats([d["lora_seconds"] for d in done])})
    ratios = []
    for e in spec["epsilons"]:
        ko, kd = f"ours_eps{float(e):g}", f"dpsgd_eps{float(e):g}"
        pairs = [(r["methods"][ko]["fid"], r["methods"][kd]["fid"]) for r in records
                 if ko in r["methods"] and kd in r["methods"]]
        if pairs:
            o, d = np.array(pairs).T
            ratios.append({"epsilon": float(e), "fid_ratio_of_means": float(o.mean() / d.mean()),
                           "fid_ratio_median_per_set": float(np.median(o / d)),
                           "ours_better_sets": int((o < d).sum()), "sets": len(pairs)})
    return {"protocol": {**{k: v for k, v in spec.items() if k != "about"}, "samples": plan["samples"],
                         "ddim_steps": plan["ddim_steps"], "guidance": plan.get("guidance", 1.0),
                         "features": "FeatureNet (train split), 64-d",
                         "sets_evaluated": len(records)},
            "fid_floor": _stats([r["fid_floor"] for r in records]),
            "kl_floor": _stats([r["kl_floor"] for r in records]),
            "rows": rows, "ratios": ratios, "tuning": {"dpsgd": {e: v["best"] for e, v in
                                                                 tuned["dpsgd"]["per_eps"].items()},
                                                       "finetune": tuned["finetune"]["best"]},
            "per_set": records}


LABEL = {"base": "Base model (no private data)", "dpsgd": "DP-SGD LoRA", "ours": "DP-DeepSets (ours)",
         "nonprivate": "Non-private LoRA (ceiling)"}


def write_markdown(summary: Dict[str, Any], command: str, tuning_file: str = "bench/results/dpsgd-tuning.json") -> str:
    """The README table: FID and KL mean ± std [median, IQR] over the private sets, LoRA time, ratios."""
    p = summary["protocol"]
    fl = summary["fid_floor"]
    lines = [f"Private sets: {p['sets_evaluated']} x n = {p['n']} test-split images, Dirichlet({p['concentration']}) "
             f"mixtures fixed in training/eval_seeds.json; delta = {p['delta']:g}; {p['samples']} DDIM samples "
             f"({p['ddim_steps']} steps) per LoRA vs a held-out reference of {p['reference_size']} test images "
             f"of the same mixture. FID noise floor (two disjoint real samples of that size): "
             f"{fl['mean']:.2f} ± {fl['std']:.2f}. KL floor (reference sample's predicted histogram vs pi): "
             f"{summary['kl_floor']['mean']:.3f}.", "",
             "| method | eps | sets | FID mean ± std | FID median [IQR] | KL mean ± std | LoRA time (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in summary["rows"]:
        eps = "-" if r["epsilon"] is None else ("inf" if math.isinf(r["epsilon"]) else f"{r['epsilon']:g}")
        f, k = r["fid"], r["kl"]
        t = "-" if r["lora_seconds"] is None else f"{r['lora_seconds']['mean']:.2f}"
        lines.append(f"| {LABEL[r['method']]} | {eps} | {f['n']} | {f['mean']:.2f} ± {f['std']:.2f} | {f['median']:.2f} "
                     f"[{f['q1']:.2f}, {f['q3']:.2f}] | {k['mean']:.3f} ± {k['std']:.3f} | {t} |")
    lines += ["", "| eps | FID ours / DP-SGD (ratio of means) | median per-set ratio | sets where ours is better |",
              "|---:|---:|---:|---:|"]
    for r in summary["ratios"]:
        lines.append(f"| {r['epsilon']:g} | {r['fid_ratio_of_means']:.3f} | {r['fid_ratio_median_per_set']:.3f} | "
                     f"{r['ours_better_sets']}/{r['sets']} |")
    lines += ["", f"Reproduce: `{command}` (DP-SGD and ceiling tuning on public sets in {tuning_file}, "
              "redone with `DPHL_RETUNE=1`)."]
    return "\n".join(lines)


def stage_evaluate(ctx: Any) -> Dict[str, Any]:
    """run_all stage: writes bench/results/reference-comparison.{json,md} (smoke: ctx.out/bench-results)."""
    setup_torch(2)
    smoke = bool(getattr(ctx, "smoke", False))
    out = Path(ctx.out)
    results = out / "bench-results" if smoke else REPO_ROOT / "bench" / "results"
    t0 = time.time()
    summary = evaluate(out, results, smoke)
    seconds = time.time() - t0
    ratios = {str(r["epsilon"]): round(r["fid_ratio_of_means"], 4) for r in summary["ratios"]}
    log(f"evaluate: {summary['protocol']['sets_evaluated']} sets in {seconds:.0f}s; FID ours/DP-SGD {ratios}; "
        f"FID floor {summary['fid_floor']['mean']:.2f}")
    return {"path": str(results / "reference-comparison.json"), "seconds": seconds, "fid_ratios": ratios,
            "fid_floor": summary["fid_floor"]["mean"]}


def main(argv: Optional[List[str]] = None) -> int:
    """Research entry point: the comparison on a run folder with protocol overrides (not a run_all stage)."""
    import argparse
    import shlex
    import sys
    ap = argparse.ArgumentParser(prog="python3 -m training.evaluate", description=main.__doc__)
    ap.add_argument("--run", type=Path, required=True, help="run folder with base.pt, features.pt [, deepsets.pt]")
    ap.add_argument("--results", type=Path, required=True, help="folder for reference-comparison.{json,md}")
    ap.add_argument("--samples", type=int, default=FULL["samples"])
    ap.add_argument("--ddim", type=int, default=FULL["ddim_steps"])
    ap.add_argument("--guidance", type=float, default=FULL["guidance"])
    ap.add_argument("--methods", default="", help="comma-separated: base is always; dpsgd, ours, nonprivate")
    ap.add_argument("--epsilons", default="", help="comma-separated subset of the protocol's epsilons")
    ap.add_argument("--sets", type=int, default=None)
    ap.add_argument("--n", type=int, default=None, help="private set size instead of the protocol's (128)")
    ap.add_argument("--tune-metric", choices=["loss", "fid"], default=FULL["tune_metric"],
                    help="how DP-SGD and the non-private LoRA are tuned on public sets")
    ap.add_argument("--tune-eps", default=",".join(f"{e:g}" for e in FULL["tune_eps"]),
                    help="epsilons DP-SGD is tuned at (others use the nearest)")
    ap.add_argument("--tune-sets", type=int, default=FULL["tune_sets"])
    ap.add_argument("--tune-reference", type=int, default=FULL["tune_reference"],
                    help="held-out public images per tuning set (FID)")
    ap.add_argument("--tune-samples", type=int, default=FULL["samples_tune"],
                    help="samples per configuration and set (FID)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    setup_torch(a.threads)
    evaluate(a.run, a.results, False, methods=[m for m in a.methods.split(",") if m] or None, max_sets=a.sets,
             plan_overrides={"samples": a.samples, "ddim_steps": a.ddim, "guidance": a.guidance,
                             "tune_metric": a.tune_metric, "tune_eps": [float(e) for e in a.tune_eps.split(",")],
                             "tune_sets": a.tune_sets, "tune_reference": a.tune_reference,
                             "samples_tune": a.tune_samples},
             epsilons=[float(e) for e in a.epsilons.split(",") if e] or None,
             tuning_path=a.run / "dpsgd-tuning.json",
             command="/usr/bin/python3 -m training.evaluate " + shlex.join(sys.argv[1:] if argv is None else argv),
             n=a.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

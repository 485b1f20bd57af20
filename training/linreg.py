"""The paper's synthetic linear-regression comparison: DP-DeepSets against DP-SGD, excess risk vs epsilon.

World (the paper's point is low-dimensional task structure that public data reveals):
- Ambient dimension d. A task is w = mu0 + B a with B a fixed d x k orthonormal basis (the task dimension k)
  and a ~ N(0, I_k / k), so E||w - mu0||^2 = 1. A dataset is n = 128 points x ~ N(0, I_d),
  y = w.x + xi, xi ~ N(0, NOISE_Y^2). Neither method is told mu0 or B.
- Public knowledge: PUBLIC_TASKS public datasets from the same world. Both methods get the public mean
  mu_hat (DP-SGD starts there: the analogue of the base model). DP-DeepSets also meta-learns its embedding from
  them: the top-e principal directions U of the public tasks' least-squares solutions.
- Excess risk of an estimate v: E_x[(v.x - w.x)^2] = ||v - w||^2 (x is isotropic).
- Privacy unit: one (x, y) example; add/remove neighbours; n is treated as public by every method (all divide by
  the same constant n), so every released sum has L2 sensitivity C.

DP-DeepSets (ours): phi(x, y) = [U^T x r, kappa u(U^T x x^T U)] with r = y - mu_hat.x (least-squares sufficient
statistics in the learned e-dim embedding; u = upper triangle, Frobenius-preserving; kappa = 0 drops the matrix
part and decodes with its public expectation I), clipped to C as ONE vector, summed, ONE Gaussian release with
sigma = dpsgd_sigma(eps, delta, 1) * C, divided by n, decoded by the closed-form hypernetwork
rho: w = mu_hat + U (PSD(A) + lambda I)^-1 b (ridge towards the public mean).
DP-SGD (baseline): full-batch DP-GD from mu_hat on 0.5 (w.x - y)^2; per-example gradients clipped to C, summed,
Gaussian noise sigma = dpsgd_sigma(eps, delta, T) * C per step (exact Gaussian composition of T steps), / n.
DP-SGD in the public subspace (a stronger, public-data-guided baseline): the same, with each per-example
gradient projected on U before clipping (noise in e dims only).
Every method's hyperparameters are tuned per (setting, eps) on PUBLIC tasks over a recorded grid, each grid
point with its own noise draw. The search is batched, not shortened: ours computes phi and its norms once per
(dim, kappa) for every C and one eigendecomposition per release for every lambda; DP-GD runs every (eps, C, lr)
of one (dim, T) as one batch, with per-example gradient norms |r_i| ||x_i|| instead of [n, d] gradients. Same
estimators, same numbers for the same noise; the full stage takes ~45 s on the 2 shared cores at load ~3 (the
per-grid-point loops took ~390 s at that load).

API: ``run_linreg(settings, eps_list, seeds, smoke) -> dict``; ``stage_linreg(ctx)`` writes
bench/results/linreg.json and .md.
"""
from __future__ import annotations

import functools
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .common import REPO_ROOT, log
from .dp_accounting import dpsgd_sigma

N_POINTS = 128
NOISE_Y = 0.5
DELTA = 1e-5
EPS_LIST = (0.5, 1.0, 2.0, 4.0, 8.0)
SETTINGS = ((32, 4), (32, 16), (32, 32))  # (ambient d, task dimension k); k = d means no structure
PUBLIC_TASKS = 2000
EMBED_DIMS = (4, 8, 16, 32)
OURS_GRID = {"dim": EMBED_DIMS, "clip": (1.0, 2.0, 4.0, 8.0), "kappa": (0.0, 0.5),
             "lam": (0.0, 0.03, 0.1, 0.3, 1.0)}
DP_GRID = {"clip": (0.25, 0.5, 1.0, 2.0), "steps": (1, 4, 8, 16, 32), "lr": (0.5, 1.0)}
PROJ_GRID = {"dim": EMBED_DIMS, **DP_GRID}
GRIDS = {"ours": OURS_GRID, "dpsgd": DP_GRID, "dpsgd_subspace": PROJ_GRID}
# --smoke: the same code paths on one small setting, two eps and two-point grids.
SMOKE = {"settings": ((16, 4),), "eps": (1.0, 8.0), "public_tasks": 200, "tune_tasks": 32, "eval_tasks": 32,
         "grids": {"ours": {"dim": (4,), "clip": (1.0, 4.0), "kappa": (0.0, 0.5), "lam": (0.0, 0.3)},
                   "dpsgd": {"clip": (0.5, 2.0), "steps": (1, 4), "lr": (1.0,)},
                   "dpsgd_subspace": {"dim": (4,), "clip": (0.5, 2.0), "steps": (1, 4), "lr": (1.0,)}}}
FULL = {"settings": SETTINGS, "eps": EPS_LIST, "public_tasks": PUBLIC_TASKS, "tune_tasks": 200, "eval_tasks": 500,
        "grids": GRIDS}


@dataclass
class World:
    """The hidden truth of one setting (only sample_tasks reads mu0 and basis)."""
    d: int
    k: int
    mu0: np.ndarray
    basis: np.ndarray


@dataclass
class Public:
    """What the public tasks reveal: the mean and the principal directions (columns, by variance)."""
    mu: np.ndarray
    directions: np.ndarray


def make_world(d: int, k: int, seed: int = 1234) -> World:
    """A fixed prior mean (E||mu0||^2 = 1) and a random orthonormal d x k task basis."""
    rng = np.random.default_rng([seed, d, k])
    basis, _ = np.linalg.qr(rng.normal(size=(d, k)))
    return World(d=d, k=k, mu0=rng.normal(0.0, 1.0 / np.sqrt(d), size=d), basis=basis)


def sample_tasks(world: World, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m tasks: (w [m,d], x [m,n,d], y [m,n])."""
    a = rng.normal(0.0, 1.0 / np.sqrt(world.k), size=(m, world.k))
    w = world.mu0 + a @ world.basis.T
    x = rng.normal(size=(m, N_POINTS, world.d))
    y = np.einsum("mnd,md->mn", x, w) + rng.normal(0.0, NOISE_Y, size=(m, N_POINTS))
    return w, x, y


def ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-task least squares (non-private)."""
    return np.linalg.solve(np.einsum("mnp,mnq->mpq", x, x), np.einsum("mnp,mn->mp", x, y)[..., None])[..., 0]


def learn_public(world: World, rng: np.random.Generator, tasks: int) -> Public:
    """Meta-learning from public datasets: mean and PCA of their least-squares solutions."""
    ests = []
    for i in range(0, tasks, 250):
        _, x, y = sample_tasks(world, min(250, tasks - i), rng)
        ests.append(ols(x, y))
    w_hat = np.concatenate(ests)
    mu = w_hat.mean(axis=0)
    _, _, vt = np.linalg.svd(w_hat - mu, full_matrices=False)
    return Public(mu=mu, directions=vt.T)


def excess_risk(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-task excess risk ||v - w||^2 (isotropic inputs)."""
    return ((v - w) ** 2).sum(axis=1)


# ---------------------------------------------------------------- DP-DeepSets (ours)
def _triu(e: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    iu, ju = np.triu_indices(e)
    # Off-diagonal entries carry sqrt(2) so that ||u(M)||_2 = ||M||_F for a symmetric M.
    return iu, ju, np.where(iu == ju, 1.0, np.sqrt(2.0))


def ours_embed_clips(pub: Public, x: np.ndarray, y: np.ndarray, dim: int, clips: tuple[float, ...],
                     kappa: float, chunk: int = 64) -> np.ndarray:
    """Sum over each dataset of clip_C(phi(x_i, y_i)) for several C at once: [len(clips), m, f].

    This is the only function that touches private examples. Clipping the joint vector scales both parts of an
    example by one factor, so the decoded normal equations are a weighted least-squares problem (no clipping
    bias between b and A). phi and its norms do not depend on C, so tuning computes them once per (dim, kappa).
    """
    u = pub.directions[:, :dim]
    iu, ju, scale = _triu(dim)
    clip = np.asarray(clips, dtype=np.float64)[None, :, None]
    out = []
    for i in range(0, x.shape[0], chunk):
        xc, yc = x[i:i + chunk], y[i:i + chunk]
        xe = xc @ u
        r = yc - xc @ pub.mu
        parts = [xe * r[..., None]]
        if kappa > 0:
            parts.append(kappa * scale * xe[..., iu] * xe[..., ju])
        phi = np.concatenate(parts, axis=-1)  # [m, n, f]
        norms = np.linalg.norm(phi, axis=-1)[:, None, :]
        factor = np.minimum(1.0, clip / np.maximum(norms, 1e-12))  # [m, clips, n]
        out.append(factor @ phi)
    return np.concatenate(out).transpose(1, 0, 2)


def ours_embed(pub: Public, x: np.ndarray, y: np.ndarray, dim: int, clip: float, kappa: float) -> np.ndarray:
    """Sum over each dataset of clip_C(phi(x_i, y_i)): [m, f]."""
    return ours_embed_clips(pub, x, y, dim, (clip,), kappa)[0]


def ours_release(s: np.ndarray, eps: float, clip: float, rng: np.random.Generator) -> np.ndarray:
    """ONE Gaussian release of each task's clipped sum (sensitivity C), divided by the public n."""
    return (s + _noise_multiplier(eps, 1) * clip * rng.normal(size=s.shape)) / N_POINTS


def ours_decode_lams(pub: Public, z: np.ndarray, dim: int, kappa: float, lams: tuple[float, ...]) -> np.ndarray:
    """rho for several ridges at once: [len(lams), m, d] (post-processing of the release only).

    One eigendecomposition of PSD(A) serves every lambda, so tuning lambda costs no extra eigh.
    """
    b = z[:, :dim]
    lam = np.asarray(lams, dtype=np.float64)[:, None, None]
    if kappa == 0:
        coef = b[None] / (1.0 + lam)
    else:
        iu, ju, scale = _triu(dim)
        a = np.zeros((z.shape[0], dim, dim))
        a[:, iu, ju] = z[:, dim:] / (kappa * scale)
        a[:, ju, iu] = a[:, iu, ju]
        vals, vecs = np.linalg.eigh(a)
        denom = np.clip(vals, 0.0, None)[None] + lam
        # Directions with no (noisy) curvature left get no update: a pseudo-inverse, never a division by zero.
        inv = np.where(denom > 1e-6, 1.0 / np.maximum(denom, 1e-6), 0.0)
        b_eig = np.einsum("mkj,mk->mj", vecs, b)
        coef = np.einsum("mij,lmj->lmi", vecs, inv * b_eig)
    return pub.mu + coef @ pub.directions[:, :dim].T


def ours_decode(pub: Public, z: np.ndarray, dim: int, kappa: float, lam: float) -> np.ndarray:
    """rho: w = mu_hat + U (PSD(A) + lam I)^-1 b."""
    return ours_decode_lams(pub, z, dim, kappa, (lam,))[0]


def ours_estimate(pub: Public, x: np.ndarray, y: np.ndarray, eps: float, cfg: dict[str, float],
                  rng: np.random.Generator) -> np.ndarray:
    """The DP-DeepSets estimate for each task."""
    dim, clip, kappa = int(cfg["dim"]), cfg["clip"], cfg["kappa"]
    z = ours_release(ours_embed(pub, x, y, dim, clip, kappa), eps, clip, rng)
    return ours_decode(pub, z, dim, kappa, cfg["lam"])


def tune_ours(pub: Public, d: int, eps_list: list[float], tasks: tuple, rng: np.random.Generator,
              grid: dict) -> dict:
    """Grid search on PUBLIC tasks; the clipped sums are shared across eps and lambda (fresh noise per eps)."""
    w, x, y = tasks
    grids: dict[float, list] = {e: [] for e in eps_list}
    for dim, kappa in itertools.product(grid["dim"], grid["kappa"]):
        if dim > d:
            continue
        sums = ours_embed_clips(pub, x, y, dim, tuple(grid["clip"]), kappa)
        for clip, s in zip(grid["clip"], sums):
            for e in eps_list:
                est = ours_decode_lams(pub, ours_release(s, e, clip, rng), dim, kappa, tuple(grid["lam"]))
                risks = ((est - w) ** 2).sum(axis=-1).mean(axis=-1)
                grids[e] += [{"dim": dim, "clip": clip, "kappa": kappa, "lam": lam, "risk": float(r)}
                             for lam, r in zip(grid["lam"], risks)]
    return {e: (_best(g, ("dim", "clip", "kappa", "lam")), g) for e, g in grids.items()}


# ---------------------------------------------------------------- DP-SGD baselines
@functools.lru_cache(maxsize=None)
def _noise_multiplier(eps: float, steps: int) -> float:
    """z with N(0, (z C)^2) per step; cached because the calibration bisects and the grids repeat (eps, T)."""
    return 0.0 if not np.isfinite(eps) else dpsgd_sigma(float(eps), DELTA, steps)


def dpgd_batch(pub: Public, x: np.ndarray, y: np.ndarray, basis: np.ndarray, steps: int, clips: np.ndarray,
               lrs: np.ndarray, noise_mults: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Full-batch DP-GD from mu_hat for c configurations at once (per-config C, lr, z): [m, c, d].

    The iterate is v = mu_hat + basis a (basis = I for plain DP-GD, U for the subspace variant). Each
    per-example gradient (projected on the basis) is r_i basis^T x_i with norm |r_i| ||basis^T x_i||, so the
    clipped sum is one matrix product with the clip-weighted residuals: no [m, c, n, e] gradient array.
    """
    xb = x @ basis  # [m, n, e]
    xb_norms = np.linalg.norm(xb, axis=-1)[:, None, :]
    r0 = (x @ pub.mu - y)[:, None, :]  # residual at mu_hat
    clip = clips[None, :, None]
    a = np.zeros((x.shape[0], len(clips), basis.shape[1]))
    for _ in range(steps):
        resid = r0 + a @ xb.transpose(0, 2, 1)  # [m, c, n]
        weights = resid * np.minimum(1.0, clip / np.maximum(np.abs(resid) * xb_norms, 1e-12))
        g = weights @ xb + (noise_mults * clips)[None, :, None] * rng.normal(size=a.shape)
        a = a - lrs[None, :, None] * g / N_POINTS
    return pub.mu + a @ basis.T


def dpgd_estimate(pub: Public, x: np.ndarray, y: np.ndarray, eps: float, cfg: dict[str, float],
                  rng: np.random.Generator) -> np.ndarray:
    """Full-batch DP-GD from mu_hat; with cfg['dim'] the per-example gradients are projected on U first."""
    steps = int(cfg["steps"])
    basis = pub.directions[:, :int(cfg["dim"])] if "dim" in cfg else np.eye(x.shape[-1])
    return dpgd_batch(pub, x, y, basis, steps, np.array([float(cfg["clip"])]), np.array([float(cfg["lr"])]),
                      np.array([_noise_multiplier(eps, steps)]), rng)[:, 0]


def tune_dpgd(pub: Public, d: int, eps_list: list[float], tasks: tuple, rng: np.random.Generator,
              grid: dict) -> dict:
    """Grid search on PUBLIC tasks; returns {eps: (best config, whole grid)}.

    One batched run per (dim, steps) covers every (eps, clip, lr), each with its own noise draw.
    """
    w, x, y = tasks
    keys = list(grid)
    rows: dict[float, list] = {e: [] for e in eps_list}
    for dim in grid.get("dim", (None,)):
        if dim is not None and dim > d:
            continue
        basis = np.eye(d) if dim is None else pub.directions[:, :dim]
        for steps in grid["steps"]:
            batch = list(itertools.product(eps_list, grid["clip"], grid["lr"]))
            eps_b, clip_b, lr_b = (np.array(col, dtype=np.float64) for col in zip(*batch))
            mults = np.array([_noise_multiplier(e, steps) for e in eps_b])
            v = dpgd_batch(pub, x, y, basis, steps, clip_b, lr_b, mults, rng)
            risks = ((v - w[:, None]) ** 2).sum(axis=-1).mean(axis=0)
            for (e, clip, lr), r in zip(batch, risks):
                cfg = {"dim": dim, "clip": clip, "steps": steps, "lr": lr}
                rows[e].append({**{k: cfg[k] for k in keys}, "risk": float(r)})
    return {e: (_best(r, tuple(keys)), r) for e, r in rows.items()}


def _best(rows: list[dict], keys: tuple) -> dict:
    best = min(rows, key=lambda r: r["risk"] if np.isfinite(r["risk"]) else np.inf)
    return {k: best[k] for k in keys}


# ---------------------------------------------------------------- the comparison
METHODS = ("ours", "dpsgd", "dpsgd_subspace")
LABELS = {"ours": "DP-DeepSets (ours)", "dpsgd": "DP-SGD", "dpsgd_subspace": "DP-SGD in public subspace"}


def _mean_std(v: list[float]) -> dict[str, float]:
    a = np.asarray(v, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0}


def run_setting(d: int, k: int, plan: dict, seeds: int, seed: int) -> dict:
    """Meta-learn and tune on public tasks, then evaluate every method on fresh private tasks per seed."""
    t0 = time.time()
    eps_list, grids = tuple(plan["eps"]), plan["grids"]
    world = make_world(d, k)
    pub_rng = np.random.default_rng([seed, d, k, 1])
    pub = learn_public(world, pub_rng, plan["public_tasks"])
    tune_tasks = sample_tasks(world, plan["tune_tasks"], pub_rng)
    eps_all = list(eps_list) + [float("inf")]
    tuned: dict[str, dict] = {
        "ours": tune_ours(pub, d, eps_all, tune_tasks, pub_rng, grids["ours"]),
        "dpsgd": tune_dpgd(pub, d, list(eps_list), tune_tasks, pub_rng, grids["dpsgd"]),
        "dpsgd_subspace": tune_dpgd(pub, d, list(eps_list), tune_tasks, pub_rng, grids["dpsgd_subspace"]),
    }
    tune_s = time.time() - t0
    estimators: dict[str, Callable] = {"ours": ours_estimate, "dpsgd": dpgd_estimate,
                                       "dpsgd_subspace": dpgd_estimate}
    risks: dict[str, dict[float, list[float]]] = {m: {e: [] for e in eps_list} for m in METHODS}
    refs: dict[str, list[float]] = {"public_mean": [], "ols": [], "ours_inf": []}
    eval_tasks = plan["eval_tasks"]
    for s in range(seeds):
        # Private tasks: a stream disjoint from the public one (different seed path).
        rng = np.random.default_rng([seed, d, k, 1000 + s])
        w, x, y = sample_tasks(world, eval_tasks, rng)
        for m in METHODS:
            for e in eps_list:
                est = estimators[m](pub, x, y, e, tuned[m][e][0], rng)
                risks[m][e].append(float(excess_risk(est, w).mean()))
        refs["public_mean"].append(float(excess_risk(np.tile(pub.mu, (eval_tasks, 1)), w).mean()))
        refs["ols"].append(float(excess_risk(ols(x, y), w).mean()))
        inf_cfg = tuned["ours"][float("inf")][0]
        refs["ours_inf"].append(float(excess_risk(ours_estimate(pub, x, y, float("inf"), inf_cfg, rng), w).mean()))
    rows = []
    for e in eps_list:
        row: dict[str, Any] = {"epsilon": e}
        for m in METHODS:
            row[m] = {**_mean_std(risks[m][e]), "config": tuned[m][e][0]}
        row["ratio_ours_over_dpsgd"] = row["ours"]["mean"] / row["dpsgd"]["mean"]
        row["ratio_ours_over_dpsgd_subspace"] = row["ours"]["mean"] / row["dpsgd_subspace"]["mean"]
        rows.append(row)
    log(f"linreg d={d} k={k}: " + ", ".join(f"eps={r['epsilon']:g} ours/dpsgd={r['ratio_ours_over_dpsgd']:.3f}"
                                           for r in rows))
    return {"d": d, "k": k, "rows": rows, "references": {k2: _mean_std(v) for k2, v in refs.items()},
            "ours_inf_config": tuned["ours"][float("inf")][0],
            "tuning_grids": {m: {str(e): tuned[m][e][1] for e in eps_list} for m in METHODS},
            "seconds": time.time() - t0, "tuning_seconds": tune_s}


def run_linreg(seeds: int = 5, smoke: bool = False, seed: int = 0) -> dict[str, Any]:
    """The whole comparison over the task-dimension settings."""
    plan = SMOKE if smoke else FULL
    return {
        "setting": {"n": N_POINTS, "noise_y": NOISE_Y, "delta": DELTA, "seeds": seeds,
                    "tasks_per_seed": plan["eval_tasks"], "public_tasks": plan["public_tasks"],
                    "tuning_tasks": plan["tune_tasks"],
                    "world": "w = mu0 + B a, a ~ N(0, I_k/k), x ~ N(0, I_d), y = w.x + N(0, noise_y^2)",
                    "risk": "excess risk ||w_hat - w||^2", "relation": "add/remove one example; n public for all",
                    "grids": plan["grids"], "smoke": smoke},
        "settings": [run_setting(d, k, plan, seeds, seed) for d, k in plan["settings"]],
    }


def write_markdown(result: dict[str, Any], command: str) -> str:
    """Markdown tables of excess risk (mean ± std over seeds) per setting and eps."""
    st0 = result["setting"]
    lines = ["# Synthetic linear regression: DP-DeepSets vs DP-SGD", "",
             f"n = {st0['n']} points per task, delta = {st0['delta']:g}, {st0['seeds']} seeds x "
             f"{st0['tasks_per_seed']} private tasks, {st0['public_tasks']} public tasks. Excess risk "
             "||w_hat - w||^2 (lower is better), mean ± std over seeds. Every method tuned per eps on public "
             "tasks only.", "", f"Reproduce: `{command}`", ""]
    for st in result["settings"]:
        ref = st["references"]
        lines += [f"## d = {st['d']}, task dimension k = {st['k']}", "",
                  f"No private data (public mean): {ref['public_mean']['mean']:.4f}; non-private least squares: "
                  f"{ref['ols']['mean']:.4f}; ours at eps = inf: {ref['ours_inf']['mean']:.4f}", "",
                  "| eps | " + " | ".join(LABELS[m] for m in METHODS) + " | ours / DP-SGD | ours / subspace DP-SGD |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for r in st["rows"]:
            cells = [f"{r[m]['mean']:.4f} ± {r[m]['std']:.4f}" for m in METHODS]
            lines.append(f"| {r['epsilon']:g} | " + " | ".join(cells) +
                         f" | {r['ratio_ours_over_dpsgd']:.3f} | {r['ratio_ours_over_dpsgd_subspace']:.3f} |")
        lines += ["", "Chosen configurations (public tuning): " + "; ".join(
            f"eps={r['epsilon']:g}: ours {r['ours']['config']}, DP-SGD {r['dpsgd']['config']}"
            for r in st["rows"]), ""]
    return "\n".join(lines)


def stage_linreg(ctx: Any) -> dict[str, Any]:
    """run_all stage: writes bench/results/linreg.json and .md (smoke: under ctx.out/bench-results)."""
    smoke = bool(getattr(ctx, "smoke", False))
    seed = int(getattr(ctx, "seed", 0))
    t0 = time.time()
    result = run_linreg(seeds=2 if smoke else 5, smoke=smoke, seed=seed)
    result["seconds"] = time.time() - t0
    out_dir = Path(getattr(ctx, "out")) / "bench-results" if smoke else REPO_ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "linreg.json").write_text(json.dumps(result, indent=1) + "\n")
    cmd = "/usr/bin/python3 -m training.run_all" + (" --smoke" if smoke else "")
    (out_dir / "linreg.md").write_text(write_markdown(result, cmd) + "\n")
    log(f"linreg done in {result['seconds']:.0f}s -> {out_dir}")
    return {"path": str(out_dir / "linreg.json"), "seconds": result["seconds"]}

"""How epsilon and the private set's size n trade off, for ours and DP-SGD (issue 13's last table row).

Reads the comparison summaries that ``training.evaluate`` wrote: ``RESULTS/reference-comparison.json`` (the
protocol's n = 128) and every ``RESULTS/n*/reference-comparison.json`` (``--n 32``, ``--n 512``), and writes one
markdown table of mean FID by (n, method) and epsilon, with ours / DP-SGD and the number of sets where ours is
better. Cells that were not run are shown as "-", never filled in.

    python3 -m training.n_tradeoff --results bench/results [--out bench/results/n-tradeoff.md]

FID is comparable along a row (one n, one reference per set) and within a column between methods; across n the
private sets and their references are other draws of the same mixtures, so the base model's FID is printed beside
each n as the yardstick.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

METHODS = (("dpsgd", "DP-SGD"), ("ours", "ours"))


def _eps_label(e: Optional[float]) -> str:
    return "∞" if e is not None and math.isinf(e) else f"{e:g}"


def load_summaries(results: Path) -> Dict[int, Dict[str, Any]]:
    """{n: summary} for the protocol's file and every n* subfolder that has one."""
    out: Dict[int, Dict[str, Any]] = {}
    for path in [results / "reference-comparison.json", *sorted(results.glob("n*/reference-comparison.json"))]:
        if path.is_file():
            s = json.loads(path.read_text())
            out[int(s["protocol"]["n"])] = s
    if not out:
        raise FileNotFoundError(f"no reference-comparison.json in {results} or its n*/ folders: run "
                                "`python3 -m training.evaluate --results` there first")
    return dict(sorted(out.items()))


def tradeoff_table(summaries: Dict[int, Dict[str, Any]]) -> str:
    """Markdown: per n, a row per method and one of ratios; one column per epsilon seen in any summary (∞ last).
    The base model's FID (it does not depend on ε) is given beside n."""
    eps_set = set()
    for s in summaries.values():
        for r in s["rows"]:
            if r["method"] in ("dpsgd", "ours") and r["epsilon"] is not None:
                eps_set.add(float(r["epsilon"]))
    eps = sorted(eps_set)
    head = "| n | method | " + " | ".join(f"ε = {_eps_label(e)}" for e in eps) + " |"
    lines = [head, "|---:|---|" + "---:|" * len(eps)]
    for n, s in summaries.items():
        rows = {(r["method"], None if r["epsilon"] is None else float(r["epsilon"])): r for r in s["rows"]}
        base = rows.get(("base", None))
        where = f"{n} (base model {base['fid']['mean']:.1f})" if base else str(n)
        sets = len(s["protocol"]["seeds"])
        for method, label in METHODS:
            cells = []
            for e in eps:
                r = rows.get((method, e))
                k = r["fid"]["n"] if r else 0
                cells.append("-" if r is None else f"{r['fid']['mean']:.1f}" + (
                    "" if k == sets else f" ({k} set{'s' if k != 1 else ''} of {sets})"))
            lines.append(f"| {where} | {label} | " + " | ".join(cells) + " |")
        ratios = {float(q["epsilon"]): q for q in s["ratios"]}
        cells = [f"{ratios[e]['fid_ratio_of_means']:.3f} ({ratios[e]['ours_better_sets']}/{ratios[e]['sets']})"
                 if e in ratios else "-" for e in eps]
        lines.append(f"| {where} | ours / DP-SGD (sets where ours is better) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.n_tradeoff", description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, required=True, help="folder of training.evaluate's summaries")
    ap.add_argument("--out", type=Path, default=None, help="markdown file (default: print)")
    a = ap.parse_args(argv)
    try:
        summaries = load_summaries(a.results)
    except FileNotFoundError as e:
        ap.error(str(e))
    text = ("Mean FID over the evaluation sets (50 DDIM steps, δ = 1e-5; lower is better), by private set size n "
            "and ε.\n\n" + tradeoff_table(summaries) +
            f"\nMade by `python3 -m training.n_tradeoff --results {a.results}` from the summaries of "
            "`training.evaluate` (n = 128: the protocol's; others: `--n`).\n")
    if a.out is None:
        print(text, end="")
    else:
        a.out.write_text(text)
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

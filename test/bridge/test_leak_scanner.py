"""The leak scanner, through the stand-in host with the REAL bridge and worker (issue 10).

Two private sets of n = 37 and n = 211 unique images (plus duplicates and unreadable files, in different numbers)
go through the same workflow. Everything ComfyUI receives is captured: the progress messages it would broadcast on
/ws, every node's ui payload and outputs (its history entry), the LoRA's metadata, the error of a refused run, and
every log line. Then:
- every value must be equal between the two runs, except the values of the noisy release itself (the DP dataset
  embedding, the LoRA made from it, the noisy count and the numbers derived from it in the summary), and
- no value anywhere may be 37 or 211 (nor contain them as a number).
A difference that is not the noisy release is a function of the private set crossing the boundary."""
import logging
import math
import os
import re
import subprocess
import time

from comfy_standin import PROGRESS_HOOKS
from workflows_api import dp_chain

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SIZES = (37, 211)
# A small ε makes the noisy count's σ ≈ 260, so its rounding almost never lands on n by chance.
EPSILON = 0.05
NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\d.])", re.I)


def _public_view(value):
    """A JSON-like view of what a node returned to ComfyUI; tensors by dtype and shape (their values are noisy)."""
    if isinstance(value, dict):
        return {str(k): _public_view(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_public_view(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"<tensor {value.dtype} {list(value.shape)}>"
    return repr(value)


def _leaves(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def _noisy_strings(noisy_count: float, sigma_sum: float, clip: float) -> set[str]:
    """How the summary and its warning may print the noisy count (a DP output) and σ_sum/(noisy n·C)."""
    n = max(1.0, noisy_count)
    ratio = sigma_sum / (n * clip)
    # The worker prints the ratio with JavaScript's toPrecision(3), which keeps trailing zeros ("0.770"); Python's
    # :.3g drops them ("0.77") and :#.3g keeps them: both, or a ratio ending in 0 escapes the mask (a flake).
    return {str(float(f"{noisy_count:.4g}")).removesuffix(".0"), str(round(noisy_count)), f"{ratio:.3g}", f"{ratio:#.3g}".rstrip(".")}


def _mask(path: str, value, noisy: set[str]):
    """The value with the noisy release's own numbers replaced by <noisy>."""
    if re.search(r"^\$\.history\.3\.result\[0\]\.embedding\[\d+\]$|\.count\.noisyCount$", path):
        return "<noisy>"
    if isinstance(value, str):
        return NUMBER.sub(lambda m: "<noisy>" if m.group(0) in noisy else m.group(0), value)
    return value


def _is_warning(path: str, value) -> bool:
    return bool(re.search(r"\.warnings\[\d+\]$", path)) or (isinstance(value, str) and value.startswith("⚠"))


def _chain(folder: str, **kwargs) -> dict:
    """The DP chain on `folder`, unreadable files skipped (counted on the local side only)."""
    p = dp_chain("ref-test", folder=folder, **kwargs)
    p["2"]["inputs"]["on_unreadable"] = "skip"
    return p


def _capture(host, caplog, folder: str):
    """Runs the DP chain on `folder` and a refused replace-one run; returns every public value as (path, value)."""
    progress = []
    hook = lambda value, total: progress.append({"value": value, "max": total})  # noqa: E731
    PROGRESS_HOOKS.append(hook)
    caplog.clear()
    try:
        with caplog.at_level(logging.DEBUG):
            results = host.executor().run(_chain(folder, epsilon=EPSILON, release=31))
            try:
                host.executor().run(_chain(folder, epsilon=EPSILON, relation="replace-one", n_public=5, release=31))
                error = "no error"
            except Exception as e:  # noqa: BLE001 - the message is what we compare
                error = str(e)
            # The worker's log lines arrive asynchronously: wait (bounded) for the refusal's line.
            deadline = time.monotonic() + 10
            while not any("failed: [" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        PROGRESS_HOOKS.remove(hook)
    summary = results["3"]["ui"]["dp_release"][0]
    noisy = _noisy_strings(summary["count"]["noisyCount"], summary["sigmaSum"], summary["clipNorm"])
    captured = {
        "history": {nid: {"ui": _public_view(r["ui"]), "result": _public_view(r["result"])} for nid, r in results.items()},
        "progress": progress, "error": error, "log": [r.getMessage() for r in caplog.records],
    }
    return dict(_leaves(captured)), captured, noisy


def test_nothing_but_the_noisy_release_differs_between_n_37_and_n_211(host, comfy_root, caplog):
    subprocess.run(["node", "--import", "tsx", os.path.join(HERE, "make-leak-sets.ts"), os.path.join(comfy_root, "models", "dp_private_sets")], cwd=ROOT, check=True)
    # Warm up (worker start, ledger creation, pack load), so both runs see the same state.
    host.executor().run(_chain("private-set", release=30))
    captures = {n: _capture(host, caplog, f"leak-{n}") for n in SIZES}
    # Numbers are masked with BOTH runs' noisy values: a public constant that happens to equal one run's noisy
    # count would otherwise be masked in that run only, and the comparison would flake.
    noisy = set().union(*(c[2] for c in captures.values()))
    runs = {n: ({p: _mask(p, v, noisy) for p, v in leaves.items()}, raw) for n, (leaves, raw, _) in captures.items()}
    (a, raw_a), (b, raw_b) = runs[SIZES[0]], runs[SIZES[1]]
    assert raw_a["progress"], "the scanner saw the progress messages"
    assert raw_a["history"]["3"]["ui"]["text"], "the scanner saw the summary"
    assert raw_a["error"].startswith("[INVALID_ARGUMENT]"), raw_a["error"]
    # Whether the "noise outside the trained range" warning shows is a function of the noisy count (a DP
    # output), so it may be present in one run only; its text, with the noisy numbers masked, must not differ.
    warnings = [{v for p, v in run.items() if _is_warning(p, v)} for run in (a, b)]
    assert len(warnings[0] | warnings[1]) <= 2, warnings  # the ui.text line ("⚠ …") and the structured entry
    a, b = ({p: v for p, v in run.items() if not _is_warning(p, v)} for run in (a, b))
    differing = sorted(p for p in set(a) | set(b) if a.get(p, "<absent>") != b.get(p, "<absent>"))
    assert not differing, "values that differ with n other than through the noisy release:\n" + "\n".join(
        f"  {p}: {a.get(p, '<absent>')!r} vs {b.get(p, '<absent>')!r}" for p in differing[:20])
    for run in runs.values():
        for path, value in run[0].items():
            numbers = NUMBER.findall(value) if isinstance(value, str) else ([value] if isinstance(value, (int, float)) and not isinstance(value, bool) else [])
            hits = [x for x in numbers if abs(float(x)) in SIZES]
            assert not hits, f"{path} = {value!r} shows a set size"
    assert math.isfinite(raw_a["history"]["3"]["ui"]["dp_release"][0]["count"]["noisyCount"])

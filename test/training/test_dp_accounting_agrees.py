"""training/dp_accounting.py agrees with the TypeScript src/dp (the product's accounting) to 1e-6 relative.

Two routes: (1) the library functions, imported from src/dp through tsx (always available in the repo);
(2) the built CLI `node bin/dp-hyperlora.js calibrate/account --json` (skipped, with the reason, when dist/
has not been built or the commands are not registered).
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from training.dp_accounting import (calibrate_sigma, delta_for_epsilon, dpsgd_sigma, epsilon_for_delta,
                                    epsilon_from_rho, release_sigmas, rho_for_epsilon)

ROOT = Path(__file__).resolve().parents[2]
EPS = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
MUS = [0.05, 0.2, 0.5, 1.0, 2.0, 5.0]
RHOS = [0.001, 0.03, 0.5, 2.0]

TS_SCRIPT = """
const dp = (p) => import(new URL('src/dp/' + p, 'file://' + process.argv[1] + '/').href);
const g = await dp('gaussian.ts'); const z = await dp('zcdp.ts'); const r = await dp('release.ts');
const t = await dp('types.ts');
const input = JSON.parse(process.argv[2]);
const out = {
  epsilonForDelta: input.mus.map((mu) => g.gaussianEpsilon(1e-5, mu)),
  deltaForEpsilon: input.mus.map((mu) => g.gaussianDelta(1.0, mu)),
  calibrate: input.eps.map((e) => g.analyticGaussianSigma(e, 1e-5, 1, 1)),
  dpsgd: input.eps.map((e) => g.analyticGaussianSigma(e, 1e-5, 1, 200)),
  epsilonFromRho: input.rhos.map((rho) => z.epsilonFromRho(rho, 1e-5)),
  rhoForEpsilon: input.eps.map((e) => z.rhoForEpsilon(e, 1e-5)),
  release: input.eps.map((e) => {
    const p = r.planRelease({ epsilon: e, delta: 1e-5, clipNorm: 1, relation: t.ADD_REMOVE, dim: 16 });
    return [p.sigmaSum, p.sigmaCount];
  }),
};
process.stdout.write(JSON.stringify(out));
"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: cannot run the TypeScript side")
    return node


@pytest.fixture(scope="module")
def ts_values():
    node = _node()
    if not (ROOT / "node_modules" / "tsx").exists():
        pytest.skip("node_modules/tsx is missing: run npm ci first")
    payload = json.dumps({"eps": EPS, "mus": MUS, "rhos": RHOS})
    res = subprocess.run([node, "--import", "tsx", "--input-type=module", "-e", TS_SCRIPT, str(ROOT), payload],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def test_exact_gaussian_agrees(ts_values):
    for mu, e_ts, d_ts in zip(MUS, ts_values["epsilonForDelta"], ts_values["deltaForEpsilon"]):
        assert _rel(epsilon_for_delta(1e-5, mu), e_ts) < 1e-6, mu
        assert _rel(delta_for_epsilon(1.0, mu), d_ts) < 1e-6, mu


def test_calibration_agrees(ts_values):
    for e, s_ts, k_ts in zip(EPS, ts_values["calibrate"], ts_values["dpsgd"]):
        assert _rel(calibrate_sigma(e, 1e-5), s_ts) < 1e-6, e
        assert _rel(dpsgd_sigma(e, 1e-5, 200), k_ts) < 1e-6, e


def test_zcdp_agrees(ts_values):
    for rho, e_ts in zip(RHOS, ts_values["epsilonFromRho"]):
        assert _rel(epsilon_from_rho(rho, 1e-5), e_ts) < 1e-6, rho
    for e, r_ts in zip(EPS, ts_values["rhoForEpsilon"]):
        assert _rel(rho_for_epsilon(e, 1e-5), r_ts) < 1e-6, e


def test_release_plan_sigmas_agree(ts_values):
    # The product's discrete Gaussian rounds sigma up to its grid: TS may be very slightly larger, never smaller.
    # The count lives on the integer grid, where the sampler's variance is an integer t*m >= sigma^2, so its
    # sigma^2 may exceed ours by a couple of units (0.8% at epsilon = 1, more at large epsilon).
    for e, (ss_ts, sc_ts) in zip(EPS, ts_values["release"]):
        ss, sc = release_sigmas(e, 1e-5, 1.0)
        assert ss_ts >= ss * (1 - 1e-9) and _rel(ss, ss_ts) < 1e-3, e
        assert sc * sc * (1 - 1e-9) <= sc_ts * sc_ts <= sc * sc * (1 + 1e-3) + 2.0, e


def _cli(*args: str) -> dict:
    node = _node()
    if not (ROOT / "dist").exists():
        pytest.skip("dist/ is missing: build the CLI with `npx tsc -p tsconfig.build.json` to run this check")
    help_text = subprocess.run([node, "bin/dp-hyperlora.js", "--help"], cwd=ROOT, capture_output=True, text=True,
                               timeout=60).stdout
    if args[0] not in help_text:
        pytest.skip(f"the built CLI has no `{args[0]}` command yet (rebuild dist/ after src/cli changes)")
    res = subprocess.run([node, "bin/dp-hyperlora.js", *args, "--json"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("eps", [0.5, 1.0, 8.0])
def test_cli_calibrate_agrees(eps):
    out = _cli("calibrate", "--epsilon", str(eps), "--delta", "1e-5", "--sensitivity", "1", "--releases", "1",
               "--mechanism", "analytic-gaussian")
    assert _rel(calibrate_sigma(eps, 1e-5), out["sigma"]) < 1e-6


@pytest.mark.parametrize("sigma,k", [(1.0, 1), (5.0, 10), (20.0, 1000)])
def test_cli_account_agrees(sigma, k):
    out = _cli("account", "--sigma", str(sigma), "--delta", "1e-5", "--sensitivity", "1", "--releases", str(k),
               "--mechanism", "analytic-gaussian")
    assert _rel(epsilon_for_delta(1e-5, k ** 0.5 / sigma), out["epsilon"]) < 1e-6

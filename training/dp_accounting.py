"""DP accounting for the reference world, mirroring src/dp (the same formulas; test_dp_accounting_agrees checks it).

API (Delta = L2 sensitivity, sigma = per-coordinate Gaussian std, mu = Delta/sigma):
- ``delta_for_epsilon(epsilon, mu)``: exact Gaussian (Balle & Wang 2018, Thm 8) delta(eps; mu).
- ``epsilon_for_delta(delta, mu)``: its inverse in eps (bisection, conservative: rounds eps up).
- ``calibrate_sigma(epsilon, delta, sensitivity=1.0)``: analytic Gaussian calibration (bisection, rounds sigma up).
- ``mu_total(sigmas, sensitivity=1.0)``: exact Gaussian composition sqrt(sum (Delta/sigma_i)^2).
- ``rho_gaussian(sigma, sensitivity=1.0)``: zCDP rho = Delta^2 / (2 sigma^2).
- ``epsilon_from_rho(rho, delta)``: improved zCDP -> (eps, delta) conversion (Canonne-Kamath-Steinke 2020, Cor. 13):
  eps = min_{alpha>1} alpha*rho + ln(1 - 1/alpha) - (ln delta + ln alpha)/(alpha - 1).
- ``rho_for_epsilon(epsilon, delta)``: the largest rho whose conversion is <= epsilon (bisection, rounds rho down).
- ``release_sigmas(epsilon, delta, clip_norm, count_share=0.1) -> (sigma_sum, sigma_count)``: the product's
  add/remove mean release (noisy sum with Delta = C, noisy count with Delta = 1), accounted in zCDP.
- ``dpsgd_sigma(epsilon, delta, steps) -> noise multiplier``: full-batch DP-GD (sum of per-example gradients
  clipped to C plus N(0, (z C)^2) per step) with exact Gaussian composition mu_total = sqrt(steps)/z.
- ``noise_on_mean_in_c(sigma_sum, n, clip_norm)``: sigma_sum / (n C), the pack's trainedNoise unit.

All rounding is in the privacy-safe direction.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Tuple

from scipy.special import log_ndtr

_BISECT_ITERS = 200


def delta_for_epsilon(epsilon: float, mu: float) -> float:
    """delta(eps) = Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2), evaluated in log space."""
    if mu <= 0:
        return 0.0
    if math.isinf(mu):
        return 1.0
    a = -epsilon / mu + mu / 2
    b = -epsilon / mu - mu / 2
    la, lb = float(log_ndtr(a)), float(log_ndtr(b))
    diff = epsilon + lb - la
    if diff >= 0:
        return 0.0
    return max(0.0, math.exp(la) * -math.expm1(diff))


def _bisect_boundary(below: Callable[[float], bool]) -> Tuple[float, float]:
    """Bracket [lo, hi] around the boundary of a monotone predicate on [0, inf) that holds below it and fails above:
    doubles hi from 1 until `below(hi)` fails, then bisects to 1e-15 relative. Callers return the end that is
    conservative for them (lo for the largest admissible value, hi for the smallest)."""
    lo, hi = 0.0, 1.0
    while below(hi):
        lo, hi = hi, hi * 2
    for _ in range(_BISECT_ITERS):
        mid = 0.5 * (lo + hi)
        if below(mid):
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return lo, hi


def epsilon_for_delta(delta: float, mu: float) -> float:
    """Smallest eps with delta(eps; mu) <= delta, rounded up (bisection)."""
    if delta >= 1:
        return 0.0
    if delta <= 0 or math.isinf(mu):
        return math.inf
    if delta_for_epsilon(0.0, mu) <= delta:
        return 0.0
    return _bisect_boundary(lambda eps: delta_for_epsilon(eps, mu) > delta)[1]


def calibrate_sigma(epsilon: float, delta: float, sensitivity: float = 1.0) -> float:
    """Smallest sigma such that one Gaussian release of sensitivity Delta is (eps, delta)-DP, rounded up."""
    if epsilon <= 0 or delta <= 0:
        raise ValueError(f"epsilon and delta must be positive, got {epsilon}, {delta}")
    # delta(eps; mu) increases with mu = Delta/sigma: find the largest admissible mu, round it DOWN.
    mu_max = _bisect_boundary(lambda mu: delta_for_epsilon(epsilon, mu) <= delta)[0]
    return sensitivity / mu_max


def mu_total(sigmas: Iterable[float], sensitivity: float = 1.0) -> float:
    """Exact Gaussian composition: mu = Delta * sqrt(sum 1/sigma_i^2)."""
    return sensitivity * math.sqrt(sum(1.0 / (s * s) for s in sigmas))


def rho_gaussian(sigma: float, sensitivity: float = 1.0) -> float:
    """zCDP parameter of one Gaussian release: Delta^2 / (2 sigma^2)."""
    return sensitivity * sensitivity / (2.0 * sigma * sigma)


def _eps_at_alpha(rho: float, delta: float, alpha: float) -> float:
    return alpha * rho + math.log1p(-1.0 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1.0)


def epsilon_from_rho(rho: float, delta: float) -> float:
    """CKS20 Cor. 13 conversion, minimised over continuous alpha > 1 (golden section on ln(alpha - 1))."""
    if rho <= 0:
        return 0.0
    if delta <= 0:
        return math.inf
    f = lambda u: _eps_at_alpha(rho, delta, 1.0 + math.exp(u))  # noqa: E731
    lo, hi = -20.0, 20.0
    g = (math.sqrt(5) - 1) / 2
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = f(c), f(d)
    for _ in range(300):
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - g * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + g * (hi - lo)
            fd = f(d)
        if hi - lo < 1e-13:
            break
    # Any alpha gives a valid bound, so the minimum found is valid even if not exactly optimal.
    return max(0.0, min(fc, fd))


def rho_for_epsilon(epsilon: float, delta: float) -> float:
    """Largest rho with epsilon_from_rho(rho, delta) <= epsilon, rounded down (bisection)."""
    if epsilon <= 0 or delta <= 0:
        raise ValueError(f"epsilon and delta must be positive, got {epsilon}, {delta}")
    return _bisect_boundary(lambda rho: epsilon_from_rho(rho, delta) <= epsilon)[0]


def release_sigmas(epsilon: float, delta: float, clip_norm: float, count_share: float = 0.1) -> Tuple[float, float]:
    """(sigma_sum, sigma_count) of the add/remove mean release: rho_sum = (1-share) rho, rho_count = share rho."""
    rho = rho_for_epsilon(epsilon, delta)
    sigma_sum = clip_norm / math.sqrt(2.0 * (1.0 - count_share) * rho)
    sigma_count = 1.0 / math.sqrt(2.0 * count_share * rho)
    return sigma_sum, sigma_count


def dpsgd_sigma(epsilon: float, delta: float, steps: int) -> float:
    """Noise multiplier z for `steps` full-batch DP-GD steps (Delta = C each, exact composition)."""
    return math.sqrt(steps) * calibrate_sigma(epsilon, delta, 1.0)


def noise_on_mean_in_c(sigma_sum: float, n: int, clip_norm: float) -> float:
    """Per-coordinate std of the noise on the mean embedding in units of C (the manifest's trainedNoise)."""
    return sigma_sum / (n * clip_norm)

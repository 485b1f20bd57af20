/**
 * Exact privacy of the continuous Gaussian mechanism and its compositions.
 *
 * Proof note. Adding N(0, σ²I) to a query of L2 sensitivity Δ is (ε, δ)-DP iff
 *   δ ≥ Φ(μ/2 − ε/μ) − e^ε·Φ(−μ/2 − ε/μ),   μ = Δ/σ      (Balle & Wang, ICML 2018, Thm 8),
 * and k Gaussian releases with (Δᵢ, σᵢ) are jointly a single Gaussian with μ_total = √Σ(Δᵢ/σᵢ)² (Dong, Roth &
 * Su 2019, GDP composition; Google dp_accounting builds one Gaussian PLD the same way). So accounting is exact:
 * no composition theorem is applied, only the closed form above, evaluated in log space.
 */
import { DpHyperLoraError } from '../errors.js';
import { bisect, growUntil } from './bisect.js';
import { logNormalCdf, normalCdf } from './normal.js';
import type { Delta, Epsilon, L2Sensitivity, Sigma } from './types.js';

/** Relative slack added when a float product might have rounded a σ down (4 ulps). */
const ROUND_UP = 1 + 2 ** -50;

/**
 * δ(ε; μ) of a Gaussian mechanism with GDP parameter μ = Δ/σ (Balle & Wang Thm 8), in log space as Google's
 * `gaussian_mechanism._get_log_delta`: log δ = log Φ(a) + log1p(−exp(ε + log Φ(b) − log Φ(a))).
 * μ = 0 (no signal) gives 0; μ = ∞ (no noise) gives 1.
 */
export function gaussianDelta(eps: number, mu: number): number {
  if (mu === 0) return 0;
  if (mu === Number.POSITIVE_INFINITY) return 1;
  if (eps === Number.POSITIVE_INFINITY) return 0;
  const a = -eps / mu + mu / 2;
  const b = -eps / mu - mu / 2;
  const logA = logNormalCdf(a);
  const r = eps + logNormalCdf(b) - logA;
  if (r >= 0) return 0;
  return Math.exp(logA + Math.log1p(-Math.exp(r)));
}

/** δ at ε = 0: 2Φ(μ/2) − 1. Any δ at or above this is met with ε = 0. */
export function gaussianDeltaAtZero(mu: number): number {
  return 2 * normalCdf(mu / 2) - 1;
}

/**
 * ε(δ; μ): the smallest ε with δ(ε; μ) ≤ δ, found by bisection and returned at the UPPER end of the final
 * bracket (relative width 1e-13), so the reported spend is never below the true one.
 */
export function gaussianEpsilon(deltaTarget: Delta, mu: number): Epsilon {
  if (mu === 0) return 0 as Epsilon;
  if (mu === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY as Epsilon;
  if (deltaTarget >= gaussianDeltaAtZero(mu)) return 0 as Epsilon;
  const meets = (e: number): boolean => gaussianDelta(e, mu) <= deltaTarget;
  const hi = growUntil(meets, 1);
  return bisect(meets, hi === 1 ? 0 : hi / 2, hi).hi as Epsilon;
}

/** One kind of Gaussian release in a composition: `releases` times noise σ on a query of sensitivity Δ. */
export interface GaussianRelease {
  readonly sigma: Sigma;
  readonly sensitivity: L2Sensitivity;
  /** How many times this release was (or will be) made; a non-negative integer, default 1. */
  readonly releases?: number;
}

/** μ_total = √Σ kᵢ·(Δᵢ/σᵢ)², the GDP parameter of the whole composition (exact for Gaussians). */
export function compositionMu(items: readonly GaussianRelease[]): number {
  let sumSq = 0;
  for (const item of items) {
    const k = item.releases ?? 1;
    if (!Number.isSafeInteger(k) || k < 0) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `releases must be an integer >= 0, got ${k}.`);
    }
    const ratio = item.sensitivity / item.sigma;
    sumSq += k * ratio * ratio;
  }
  return Math.sqrt(sumSq);
}

/**
 * The per-release σ of the analytic Gaussian mechanism (Balle & Wang 2018, Alg. 1 by bisection) so that
 * `releases` releases of a query with sensitivity Δ are jointly (ε, δ)-DP. Since k releases at σ are one release
 * at σ/√k, this is √k·Δ·s* with s* the smallest noise multiplier meeting (ε, δ); the UPPER end of the bracket
 * is returned and rounded up, so the noise is never below what the guarantee needs.
 */
export function analyticGaussianSigma(eps: Epsilon, deltaTarget: Delta, sensitivity: L2Sensitivity, releases = 1): Sigma {
  if (eps <= 0) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'epsilon must be > 0 to calibrate noise (epsilon = 0 would need infinite noise); pass e.g. --epsilon 1.');
  }
  if (!Number.isSafeInteger(releases) || releases < 1) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `releases must be an integer >= 1, got ${releases}.`);
  }
  const meets = (s: number): boolean => gaussianDelta(eps, 1 / s) <= deltaTarget;
  let lo = 1;
  let hi: number;
  if (meets(lo)) {
    while (meets(lo) && lo > 1e-300) lo /= 2;
    hi = lo * 2;
  } else {
    hi = growUntil(meets, 2);
    lo = hi / 2;
  }
  const s = bisect(meets, lo, hi).hi;
  return (s * sensitivity * Math.sqrt(releases) * ROUND_UP) as Sigma;
}

/** The classic σ = √(2 ln(1.25/δ))·Δ/ε (Dwork & Roth Thm A.1; proven only for ε < 1). For comparison only. */
export function classicGaussianSigma(eps: Epsilon, deltaTarget: Delta, sensitivity: L2Sensitivity): number {
  return (Math.sqrt(2 * Math.log(1.25 / deltaTarget)) * sensitivity) / eps;
}

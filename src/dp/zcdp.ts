/**
 * zero-Concentrated DP (Bun & Steinke 2016): the accounting currency of real (discrete-Gaussian) releases.
 *
 * A Gaussian — continuous, or discrete on Z (Canonne, Kamath & Steinke 2020, Thm 4 and the multivariate
 * theorem, see discrete-gaussian-privacy.ts) — with sensitivity Δ and scale σ is ρ-zCDP with ρ = Δ²/(2σ²), and ρ
 * adds up under composition. Conversion to (ε, δ) uses the improved bound of Canonne, Kamath & Steinke 2020,
 * Prop. 12 / Cor. 13 (= Asoodeh et al. 2021; = Balle et al. 2020 Thm 21): for every α > 1,
 *   ε(α) = αρ + ln(1 − 1/α) − (ln δ + ln α)/(α − 1),
 *   δ(α) = exp((α−1)(αρ − ε)) · (1 − 1/α)^α / (α − 1).
 * Any α gives a valid bound, so minimising numerically is sound: an imperfect minimiser only loosens the bound.
 * Both are then rounded up by an explicit bound on the floating-point error.
 */
import { bisect, growUntil } from './bisect.js';
import type { Delta, Epsilon, L2Sensitivity, Rho, Sigma } from './types.js';

const ULP = 2 ** -52;

/** ρ = Δ²/(2σ²) of one Gaussian release (continuous or discrete), rounded up by one part in 2^50. */
export function gaussianRho(sensitivity: L2Sensitivity, sigma: Sigma): Rho {
  const ratio = sensitivity / sigma;
  return ((ratio * ratio) / 2 * (1 + 4 * ULP)) as Rho;
}

/** ε(α) of the improved conversion and a bound on its floating-point error. */
function epsilonAt(alpha: number, r: number, logDelta: number): { value: number; error: number } {
  const t1 = alpha * r;
  const t2 = Math.log1p(-1 / alpha);
  const t3 = -(logDelta + Math.log(alpha)) / (alpha - 1);
  // Each term carries a few ulps of relative error (α − 1 is exact when α ∈ (1, 2^53)); 8 ulps is generous.
  return { value: t1 + t2 + t3, error: 8 * ULP * (Math.abs(t1) + Math.abs(t2) + Math.abs(t3)) };
}

/**
 * The ε of ρ-zCDP at δ by the improved conversion, minimised over α > 1. The minimiser solves
 * ε'(α) = ρ + (ln δ + ln α)/(α−1)² = 0, i.e. ρ(α−1)² + ln(αδ) = 0, which is increasing in α; it is bracketed
 * in (1, 1 + √(ln(1/δ)/ρ)] and bisected. Result is ≥ 0 and rounded up.
 */
export function epsilonFromRho(rhoTotal: Rho, deltaTarget: Delta): Epsilon {
  if (rhoTotal === 0) return 0 as Epsilon;
  const logDelta = Math.log(deltaTarget);
  const slope = (a: number): boolean => rhoTotal * (a - 1) * (a - 1) + Math.log(a) + logDelta > 0;
  const hi = 1 + Math.sqrt(-logDelta / rhoTotal) + 1;
  const br = bisect(slope, 1, hi, 1e-15);
  let best = Number.POSITIVE_INFINITY;
  for (const a of [br.lo, br.hi]) {
    if (!(a > 1)) continue;
    const { value, error } = epsilonAt(a, rhoTotal, logDelta);
    best = Math.min(best, value + error);
  }
  return Math.max(0, best) as Epsilon;
}

/** log δ(α) of the improved conversion and a bound on its floating-point error. */
function logDeltaAt(alpha: number, r: number, eps: number): { value: number; error: number } {
  const t1 = (alpha - 1) * (alpha * r - eps);
  const t2 = (alpha - 1) * Math.log1p(-1 / alpha);
  const t3 = -Math.log(alpha);
  const scale = Math.abs(alpha - 1) * (Math.abs(alpha * r) + Math.abs(eps)) + Math.abs(t2) + Math.abs(t3);
  return { value: t1 + t2 + t3, error: 8 * ULP * scale };
}

/**
 * The δ of ρ-zCDP at ε by the improved conversion, minimised over α > 1. d/dα log δ(α) =
 * (2α−1)ρ − ε + ln(1 − 1/α) is increasing; it is bracketed in (1, max(2, (ε+1)/(2ρ) + 2)] (OpenDP's bracket)
 * and bisected. Result is in [0, 1] and rounded up.
 */
export function deltaFromRho(rhoTotal: Rho, eps: Epsilon): number {
  if (rhoTotal === 0) return 0;
  const slope = (a: number): boolean => (2 * a - 1) * rhoTotal - eps + Math.log1p(-1 / a) > 0;
  const hi = Math.max(2, (eps + 1) / (2 * rhoTotal) + 2);
  const br = bisect(slope, 1, hi, 1e-15);
  let best = Number.POSITIVE_INFINITY;
  for (const a of [br.lo, br.hi]) {
    if (!(a > 1)) continue;
    const { value, error } = logDeltaAt(a, rhoTotal, eps);
    best = Math.min(best, value + error);
  }
  return Math.min(1, Math.exp(best) * (1 + 4 * ULP));
}

/**
 * The largest ρ whose improved conversion at δ stays within ε: a zCDP budget equivalent to (ε, δ). Bisection,
 * returning the LOWER end (so ε(ρ, δ) ≤ ε always holds).
 */
export function rhoForEpsilon(eps: Epsilon, deltaTarget: Delta): Rho {
  if (eps === 0) return 0 as Rho;
  const exceeds = (r: number): boolean => epsilonFromRho(r as Rho, deltaTarget) > eps;
  const hi = growUntil(exceeds, Math.max(eps, 1e-12));
  return bisect(exceeds, 0, hi, 1e-13).lo as Rho;
}

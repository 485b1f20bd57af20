/**
 * Exact views of doubles as dyadic rationals, for the few privacy-critical comparisons that must not trust
 * floating-point rounding (grid bounds, sampler variance). BigInt is used here only, never on a hot path.
 */

/** x = mantissa·2^exponent exactly, for a finite double x > 0 (mantissa < 2^53). */
export function exactDyadic(x: number): { mantissa: bigint; exponent: number } {
  // Every double is a multiple of 2^-1074, so e never needs to go below it (subnormals start there).
  let e = Math.max(-1074, Math.floor(Math.log2(x)) - 52);
  // Math.log2 can be off by one next to powers of two; nudge until x·2^-e is an integer below 2^53.
  while (e > -1074 && !Number.isInteger(x / 2 ** e)) e--;
  while (x / 2 ** e >= 2 ** 53) e++;
  return { mantissa: BigInt(x / 2 ** e), exponent: e };
}

/** ⌊x²⌋ exactly, as a BigInt, for a finite double x > 0. */
export function floorSquare(x: number): bigint {
  const { mantissa, exponent } = exactDyadic(x);
  const sq = mantissa * mantissa;
  return exponent >= 0 ? sq << BigInt(2 * exponent) : sq >> BigInt(-2 * exponent);
}

/** ⌈x²⌉ exactly, as a BigInt, for a finite double x > 0. */
export function ceilSquare(x: number): bigint {
  const { mantissa, exponent } = exactDyadic(x);
  const sq = mantissa * mantissa;
  if (exponent >= 0) return sq << BigInt(2 * exponent);
  const shift = BigInt(-2 * exponent);
  const floor = sq >> shift;
  return (floor << shift) === sq ? floor : floor + 1n;
}

/** The exponent e with 2^e ≤ x < 2^(e+1), exactly, for a finite double x > 0. */
export function floorLog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  while (2 ** e > x) e--;
  while (2 ** (e + 1) <= x) e++;
  return e;
}

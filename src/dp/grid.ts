/**
 * The 2^e grid that private vectors are snapped to before the exact integer sum and discrete noise (the
 * floating-point-attack defence; see docs/privacy.md). Choosing the grid:
 * - fine enough that the sensitivity slack √d·g/2 is ≤ 2^-20·C for d ≤ 4096 (e = ⌊log2 C⌋ − k,
 *   k = min(25, ⌈19 + log2 √d⌉), so C/g < 2^26),
 * - coarse enough that σ/g ≤ 2^36, the range of the safe-integer sampler (only for very small ε, where the slack
 *   relative to σ is then ≤ √d·2^-37).
 * Vectors are clipped to C' = C − √d·g/2: after rounding each coordinate to the nearest multiple of g the
 * vector moves by at most √d·g/2, so its norm is ≤ C (triangle inequality). ClippedSum verifies that EXACTLY:
 * the squared integer norm must be ≤ T = ⌊(C/g)²⌋ (integers, so ≤ (C/g)² ⟺ ≤ T), with T < 2^52 so the check
 * never leaves safe integers.
 */
import { DpHyperLoraError } from '../errors.js';
import { floorLog2, floorSquare } from './dyadic.js';
import type { ClipNorm } from './types.js';
import { MAX_SIGMA_GRID } from './discrete-gaussian.js';

/** A snapping grid for one release. Plain data (serialisable). */
export interface Grid {
  /** g = 2^exponent. */
  readonly exponent: number;
  /** The grid step g. */
  readonly step: number;
  /** C/g: the clip norm in grid units (exact), the L2 bound of every snapped vector. */
  readonly clipGrid: number;
  /** C' = C − √d·g/2 (rounded down): the norm vectors are clipped to before snapping. */
  readonly clipInner: number;
  /** T = ⌊(C/g)²⌋: the exact bound on a snapped vector's squared integer norm. */
  readonly normSqBound: number;
}

/** The largest supported dimension (keeps C/g·√d and the slack analysis in range). */
export const MAX_DIM = 2 ** 24;

/** Chooses the grid for clip norm C, dimension d and the per-coordinate noise σ of the sum (real units). */
export function chooseGrid(clip: ClipNorm, dim: number, sigmaSum: number): Grid {
  if (!Number.isSafeInteger(dim) || dim < 1 || dim > MAX_DIM) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `dim must be an integer between 1 and ${MAX_DIM}, got ${dim}.`);
  }
  const k = Math.min(25, Math.max(19, Math.ceil(19 + Math.log2(Math.sqrt(dim)))));
  let exponent = floorLog2(clip) - k;
  while (sigmaSum / 2 ** exponent > MAX_SIGMA_GRID) exponent++;
  const step = 2 ** exponent;
  const clipGrid = clip / step;
  const slack = (Math.sqrt(dim) * step) / 2;
  if (clipGrid < Math.sqrt(dim) * 2) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `the noise (sigma/C = ${(sigmaSum / clip).toPrecision(3)}) is too large for an exact release in dimension ${dim}; raise epsilon.`);
  }
  const clipInner = (clip - slack * (1 + 2 ** -50)) * (1 - 2 ** -50);
  return { exponent, step, clipGrid, clipInner, normSqBound: Number(floorSquare(clipGrid)) };
}

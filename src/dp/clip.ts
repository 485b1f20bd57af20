/**
 * Clipping and exact aggregation of private vectors.
 *
 * `ClippedSum` is the streaming accumulator of the release path: each vector is checked (finite), scaled to
 * L2 norm ≤ C' (grid.ts), snapped to the 2^e grid, its squared integer norm verified EXACTLY against
 * T = ⌊(C/g)²⌋ (shrinking it further in the rare case float rounding broke the bound), then added to an integer
 * sum. Memory is O(d) whatever the number of vectors. Every coordinate of a snapped vector is ≤ C/g < 2^26 in
 * magnitude and at most 2^25 vectors are accepted, so each sum coordinate stays below 2^51: exact in doubles.
 */
import { DpHyperLoraError } from '../errors.js';
import type { Grid } from './grid.js';
import type { ReleasePlan } from './release.js';
import type { ClipNorm } from './types.js';

/** Largest number of vectors one ClippedSum accepts (keeps every integer sum below 2^51). */
export const MAX_VECTORS = 2 ** 25;

function l2Norm(v: ArrayLike<number>, offset: number, dim: number): number {
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[offset + i] as number;
    sumSq += x * x;
    const a = Math.abs(x);
    if (a > maxAbs) maxAbs = a;
  }
  if (Number.isFinite(sumSq) && sumSq > 1e-280) return Math.sqrt(sumSq);
  if (maxAbs === 0) return 0;
  // Overflow or underflow of the plain sum of squares: rescale by the largest entry first.
  let scaled = 0;
  for (let i = 0; i < dim; i++) {
    const x = (v[offset + i] as number) / maxAbs;
    scaled += x * x;
  }
  return maxAbs * Math.sqrt(scaled);
}

function assertFinite(v: ArrayLike<number>, offset: number, dim: number, row: number): void {
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(v[offset + i] as number)) {
      throw new DpHyperLoraError('INVALID_INPUT_DATA', `vector ${row} of this batch contains NaN or Infinity; embeddings must be finite numbers (check the encoder's output).`);
    }
  }
}

/**
 * A copy of `v` scaled so that its L2 norm is at most `clip` (unchanged when already within it). Rejects NaN
 * and ±Infinity with INVALID_INPUT_DATA (the message never contains the values).
 */
export function clipToNorm(v: ArrayLike<number>, clip: ClipNorm): Float64Array {
  assertFinite(v, 0, v.length, 0);
  const norm = l2Norm(v, 0, v.length);
  const scale = norm > clip ? clip / norm : 1;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) * scale;
  // Float rounding can leave the norm a hair above C; shrink until it is not (a few ulps at most).
  while (l2Norm(out, 0, out.length) > clip) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * (1 - 2 ** -40);
  return out;
}

/** Streaming clipped, grid-snapped, exact integer sum of private vectors. */
export class ClippedSum {
  private readonly sumGrid: Float64Array;
  private readonly snapped: Float64Array;
  private vectors = 0;

  /**
   * @param clip the L2 clip norm C of each vector
   * @param dim the vector dimension d
   * @param grid the snapping grid of the release (ReleasePlan.grid)
   */
  constructor(readonly clip: ClipNorm, readonly dim: number, readonly grid: Grid) {
    if (!Number.isSafeInteger(dim) || dim < 1) throw new DpHyperLoraError('INVALID_ARGUMENT', `dim must be an integer >= 1, got ${dim}.`);
    if (grid.clipGrid * grid.step !== clip) throw new DpHyperLoraError('INVALID_ARGUMENT', 'the grid was made for a different clip norm; build the ClippedSum from the release plan.');
    this.sumGrid = new Float64Array(dim);
    this.snapped = new Float64Array(dim);
  }

  /** A ClippedSum for a release plan's C, d and grid (the only way the release path should make one). */
  static forPlan(plan: ReleasePlan): ClippedSum {
    return new ClippedSum(plan.request.clipNorm, plan.request.dim, plan.grid);
  }

  /** How many vectors have been added (private under add-remove: release it only through the noisy count). */
  get count(): number {
    return this.vectors;
  }

  /** Adds every row of a row-major batch [rows × dim] (Float32Array or Float64Array). */
  addBatch(rows: Float32Array | Float64Array): void {
    if (rows.length % this.dim !== 0) {
      throw new DpHyperLoraError('INVALID_INPUT_DATA', `batch length ${rows.length} is not a multiple of the dimension ${this.dim}; pass rows of exactly ${this.dim} numbers.`);
    }
    const n = rows.length / this.dim;
    for (let r = 0; r < n; r++) assertFinite(rows, r * this.dim, this.dim, r);
    if (this.vectors + n > MAX_VECTORS) throw new DpHyperLoraError('INVALID_INPUT_DATA', `at most ${MAX_VECTORS} vectors can be summed in one release.`);
    for (let r = 0; r < n; r++) this.addRow(rows, r * this.dim);
  }

  /** Adds one vector of length dim. */
  addVector(v: Float32Array | Float64Array): void {
    this.addBatch(v);
  }

  /** The exact integer sum in grid units (a copy). Internal to the release path: the raw sum is private. */
  integerSum(): Float64Array {
    return Float64Array.from(this.sumGrid);
  }

  private addRow(rows: ArrayLike<number>, offset: number): void {
    const { step, clipInner, normSqBound } = this.grid;
    const norm = l2Norm(rows, offset, this.dim);
    let scale = norm > clipInner ? clipInner / norm : 1;
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 64) scale = 0; // conservative fallback: contribute the zero vector
      if (this.snap(rows, offset, scale / step, normSqBound)) break;
      scale *= 1 - 2 ** -20;
    }
    for (let i = 0; i < this.dim; i++) this.sumGrid[i] = (this.sumGrid[i] as number) + (this.snapped[i] as number);
    this.vectors++;
  }

  /**
   * Snaps row·factor to integers into `snapped` and checks Σ x² ≤ T exactly. Partial sums stay ≤ T + (C/g)² ≤ 2^53
   * before the early exit, so every comparison is exact.
   */
  private snap(rows: ArrayLike<number>, offset: number, factor: number, normSqBound: number): boolean {
    let sumSq = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = Math.round((rows[offset + i] as number) * factor);
      this.snapped[i] = x;
      sumSq += x * x;
      if (sumSq > normSqBound) return false;
    }
    return true;
  }
}

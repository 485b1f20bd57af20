/**
 * The public basis of the conditioning route: principal components of PUBLIC CLIP-vision embeddings.
 *
 * Why a basis at all: the noise of a DP mean grows with the square root of the dimension it is added in
 * (‖noise‖ ≈ σ·√d/n). Projecting each private embedding onto k ≪ d public directions before clipping and
 * noising cuts the noise norm by √(d/k) (1024 → 32 dimensions: 5.7×), at the price of losing what the k
 * directions cannot represent. The basis is a function of public data only, so using it costs no privacy;
 * it must never be fitted on the private set (that would leak the private set through the directions).
 *
 * PCA through ml-matrix's SVD of the centred data matrix (autoTranspose: d > m is the usual case). Signs are
 * fixed (largest-magnitude entry of each direction positive) so that results are reproducible and comparable
 * with numpy (test/conditioning/basis.test.ts checks against a numpy fixture).
 */
import { Matrix, SVD } from 'ml-matrix';
import { DpHyperLoraError } from '../errors.js';

/** A fitted public basis. All arrays are row-major float64. */
export interface PublicBasis {
  /** Embedding dimension d of the model's space. */
  readonly dim: number;
  /** Number of directions k. */
  readonly k: number;
  /** Public mean μ [d]. */
  readonly mean: Float64Array;
  /** k orthonormal directions [k, d], row i is direction i (decreasing variance). */
  readonly directions: Float64Array;
  /** Variance of the public data along each direction [k] (unbiased, divided by m − 1). */
  readonly variances: Float64Array;
  /** Share of the public data's total variance the k directions explain, in [0, 1]. */
  readonly explainedShare: number;
}

/** Checks a row-major [m, d] block of embeddings; throws INVALID_INPUT_DATA on a bad shape or a non-finite value. */
export function checkRows(rows: Float32Array | Float64Array, m: number, d: number, what: string): void {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(d) || m < 1 || d < 1 || rows.length !== m * d) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `${what}: expected ${m} × ${d} values, got ${rows.length}; pass a [batch, dim] embedding tensor.`);
  }
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isFinite(rows[i])) {
      throw new DpHyperLoraError('INVALID_INPUT_DATA', `${what}: holds a NaN or infinite value; re-encode the images with a working CLIP-vision model.`);
    }
  }
}

/**
 * Fits k principal directions to m public embeddings of dimension d (rows row-major [m, d]).
 * Needs m ≥ 2 and 1 ≤ k ≤ min(m − 1, d): with m images the centred data spans at most m − 1 directions.
 */
export function fitPublicBasis(rows: Float32Array | Float64Array, m: number, d: number, k: number): PublicBasis {
  checkRows(rows, m, d, 'public embeddings');
  if (!Number.isSafeInteger(k) || k < 1 || k > Math.min(m - 1, d)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `k = ${k} directions cannot be fitted to ${m} public embeddings of dimension ${d}: k must be between 1 and min(m − 1, d) = ${Math.min(m - 1, d)}; add public images or lower k.`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) + (rows[i * d + j] ?? 0) / m;
  const centred = new Matrix(m, d);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) centred.set(i, j, (rows[i * d + j] ?? 0) - (mean[j] ?? 0));
  const svd = new SVD(centred, { computeLeftSingularVectors: false, computeRightSingularVectors: true, autoTranspose: true });
  const v = svd.rightSingularVectors;
  const singular = svd.diagonal;
  const directions = new Float64Array(k * d);
  const variances = new Float64Array(k);
  let total = 0;
  for (const s of singular) total += s * s;
  let kept = 0;
  for (let c = 0; c < k; c++) {
    let sign = 1;
    let largest = -1;
    for (let j = 0; j < d; j++) {
      const x = v.get(j, c);
      if (Math.abs(x) > largest) { largest = Math.abs(x); sign = x < 0 ? -1 : 1; }
    }
    for (let j = 0; j < d; j++) directions[c * d + j] = sign * v.get(j, c);
    const s = singular[c] ?? 0;
    variances[c] = (s * s) / (m - 1);
    kept += s * s;
  }
  return { dim: d, k, mean, directions, variances, explainedShare: total > 0 ? kept / total : 0 };
}

/** Projects rows [m, d] onto the basis: z_i = V (x_i − μ), returned row-major [m, k] as float64. */
export function projectRows(basis: PublicBasis, rows: Float32Array | Float64Array, m: number): Float64Array {
  const { dim: d, k, mean, directions } = basis;
  checkRows(rows, m, d, 'embeddings to project');
  const out = new Float64Array(m * k);
  const centred = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < d; j++) centred[j] = (rows[i * d + j] ?? 0) - (mean[j] ?? 0);
    for (let c = 0; c < k; c++) {
      let dot = 0;
      const off = c * d;
      for (let j = 0; j < d; j++) dot += (directions[off + j] ?? 0) * (centred[j] ?? 0);
      out[i * k + c] = dot;
    }
  }
  return out;
}

/**
 * Maps coordinates z [k] back to the model's space: x = μ + Vᵀ z, then rescales x to `targetNorm` (a public
 * norm, the median norm of the public embeddings) so that the adapter sees an embedding of a typical length.
 * Pure post-processing of a DP value with public constants: it costs no privacy.
 */
export function mapBack(basis: PublicBasis, z: ArrayLike<number>, targetNorm: number): Float32Array {
  const { dim: d, k, mean, directions } = basis;
  if (z.length !== k) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `the released embedding has ${z.length} coordinates but the conditioning pack's basis has k = ${k}; use the same pack in DP Embed (CLIP Vision) and DP Conditioning.`);
  }
  const x = Float64Array.from(mean);
  for (let c = 0; c < k; c++) {
    const zc = z[c] ?? 0;
    const off = c * d;
    for (let j = 0; j < d; j++) x[j] = (x[j] ?? 0) + zc * (directions[off + j] ?? 0);
  }
  let norm = 0;
  for (const v of x) norm += v * v;
  norm = Math.sqrt(norm);
  const scale = norm > 0 && targetNorm > 0 ? targetNorm / norm : 1;
  return Float32Array.from(x, (v) => v * scale);
}

/** L2 norms of rows [m, dim]. */
export function rowNorms(rows: ArrayLike<number>, m: number, dim: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) { const v = rows[i * dim + j] ?? 0; s += v * v; }
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** The median of `values` (public data only: used to choose C and the output norm from public embeddings). */
export function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) throw new DpHyperLoraError('INVALID_ARGUMENT', 'median of no values; pass at least one public embedding.');
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

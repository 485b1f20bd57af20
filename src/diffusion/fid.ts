/**
 * Fréchet distance between two feature sets (FID when the features come from an image network):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr(C₁ + C₂ − 2·(C₁^{1/2} C₂ C₁^{1/2})^{1/2})
 *
 * The cross term uses the symmetric form: C₁^{1/2} C₂ C₁^{1/2} is symmetric positive semi-definite, so
 * both square roots come from symmetric eigen-decompositions (ml-matrix's EigenvalueDecomposition with
 * assumeSymmetric), the result is real, and tiny negative eigenvalues from rounding are clipped to 0.
 * tr((C₁^{1/2} C₂ C₁^{1/2})^{1/2}) is then Σ √λᵢ. This matches training/fid.py (numpy eigh) by construction.
 * Statistics are float64 with the unbiased (N − 1) covariance.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { DpHyperLoraError } from '../errors.js';

/** Mean and covariance of a feature set. */
export interface GaussianStats {
  readonly mean: Float64Array;
  readonly cov: Matrix;
}

/** Mean and unbiased covariance of `count` feature rows of width `dim` (row-major `features`). */
export function gaussianStats(features: Float32Array | Float64Array, count: number, dim: number): GaussianStats {
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(dim) || count < 2 || dim < 1 || features.length !== count * dim) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `FID needs at least 2 feature rows of width ≥ 1; got ${features.length} values for ${count}×${dim}`);
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += features[i * dim + j]! / count;
  const centred = new Matrix(count, dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) centred.set(i, j, features[i * dim + j]! - mean[j]!);
  const cov = centred.transpose().mmul(centred).div(count - 1);
  return { mean, cov };
}

/** Symmetrises m (removes rounding asymmetry) and returns its eigen-decomposition as a symmetric matrix. */
function symmetricEigen(m: Matrix): EigenvalueDecomposition {
  const sym = m.clone().add(m.transpose()).div(2);
  return new EigenvalueDecomposition(sym, { assumeSymmetric: true });
}

/** The PSD square root V·diag(√max(λ, 0))·Vᵀ of a symmetric matrix. */
function psdSqrt(m: Matrix): Matrix {
  const evd = symmetricEigen(m);
  const v = evd.eigenvectorMatrix;
  const roots = evd.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  return v.mmul(Matrix.diag(roots)).mmul(v.transpose());
}

/** The Fréchet distance between two Gaussians (≥ 0). */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.mean.length !== b.mean.length) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `FID: feature widths differ (${a.mean.length} vs ${b.mean.length})`);
  }
  let meanTerm = 0;
  for (let j = 0; j < a.mean.length; j++) meanTerm += (a.mean[j]! - b.mean[j]!) ** 2;
  const s1 = psdSqrt(a.cov);
  const middle = s1.mmul(b.cov).mmul(s1);
  const cross = symmetricEigen(middle).realEigenvalues.reduce((acc, l) => acc + Math.sqrt(Math.max(l, 0)), 0);
  const value = meanTerm + a.cov.trace() + b.cov.trace() - 2 * cross;
  // Rounding can push an exact zero a hair below 0; the distance itself is non-negative.
  return Math.max(value, 0);
}

/** FID between two feature sets of width `dim` (row-major, `countA` and `countB` rows). */
export function fid(featuresA: Float32Array | Float64Array, countA: number, featuresB: Float32Array | Float64Array, countB: number, dim: number): number {
  return frechetDistance(gaussianStats(featuresA, countA, dim), gaussianStats(featuresB, countB, dim));
}

/**
 * zCDP of the discrete Gaussian mechanism (Canonne, Kamath & Steinke, NeurIPS 2020).
 *
 * Proof note.
 * - One coordinate (the count): adding N_Z(0, σ²) to an integer query with sensitivity Δ is ρ-zCDP with
 *   ρ = Δ²/(2σ²), exactly as for the continuous Gaussian (CKS20 §2, the univariate concentrated-DP theorem).
 * - d coordinates, independent N_Z(0, σ²) each, shift by an integer vector of L2 norm ≤ Δ (the multivariate
 *   theorem, "Thm 14" in the numbering our design uses): (½ε̂²)-zCDP with ε̂² = Δ²/σ² + 2·Σⱼτⱼ, where
 *   τ = 10·Σ_{k=1}^{d−1} exp(−2π²σ²·k/(k+1)). Every term has k/(k+1) ≥ ½, so τ ≤ 10(d−1)·exp(−π²σ²), and we
 *   charge ρ = Δ²/(2σ²) + d·10(d−1)·exp(−π²σ²) — an upper bound on the theorem's value. For σ ≥ 3 grid units
 *   the extra term is below 1e−30·d²; for the σ of real releases (≈ 2^25 grid units) it underflows to 0,
 *   which is its true value to within 10^−(10^15).
 * All terms are rounded up by a few ulps.
 */
import type { DiscreteGaussianScale } from './discrete-gaussian.js';
import type { Rho } from './types.js';

const ROUND_UP = 1 + 2 ** -50;

/** The multivariate correction d·τ (an upper bound on it), for `dim` coordinates with variance σ'² = t·m each. */
export function multivariateTauTerm(scale: DiscreteGaussianScale, dim: number): number {
  if (dim <= 1) return 0;
  const variance = scale.t * scale.m;
  return dim * 10 * (dim - 1) * Math.exp(-Math.PI * Math.PI * variance) * ROUND_UP;
}

/**
 * ρ of adding independent N_Z(0, t·m) noise to each of `dim` integer coordinates when one neighbour moves the
 * integer vector by at most `sensitivityGrid` in L2 norm (grid units).
 */
export function discreteGaussianRho(sensitivityGrid: number, scale: DiscreteGaussianScale, dim: number): Rho {
  const variance = scale.t * scale.m; // exact: a safe integer times a power of two
  const base = ((sensitivityGrid * sensitivityGrid) / (2 * variance)) * ROUND_UP;
  return (base + multivariateTauTerm(scale, dim)) * ROUND_UP as Rho;
}

/**
 * The `calibrate` and `account` calculators: what σ a target (ε, δ) needs, and what ε a list of σ costs.
 * Two mechanisms:
 * - `analytic-gaussian` (default): the continuous Gaussian, exact (Balle & Wang 2018; GDP composition).
 * - `discrete-gaussian`: the figures real releases use — zCDP ρ = Σ kΔ²/(2σ²) and the improved conversion
 *   (CKS20 Prop. 12 / Cor. 13). The multivariate discrete-Gaussian correction and grid rounding depend on the
 *   release's dimension and grid; they are computed by planRelease, and are nil for σ of a few grid units or more.
 * Only these calculators take a sensitivity from the user; releases derive it from C and the relation.
 */
import { DpHyperLoraError } from '../errors.js';
import { analyticGaussianSigma, classicGaussianSigma, compositionMu, gaussianEpsilon } from './gaussian.js';
import type { Delta, Epsilon, L2Sensitivity, Rho, Sigma } from './types.js';
import { epsilonFromRho, gaussianRho, rhoForEpsilon } from './zcdp.js';

/** Which mechanism a calculator describes. */
export type CalculatorMechanism = 'analytic-gaussian' | 'discrete-gaussian';

/** Input of {@link calibrate}. */
export interface CalibrateInput {
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly sensitivity: L2Sensitivity;
  /** Number of planned releases at the same σ that must jointly meet (ε, δ); integer ≥ 1. */
  readonly releases: number;
  readonly mechanism: CalculatorMechanism;
}

/** Output of {@link calibrate} (the CLI prints it as JSON). */
export interface CalibrateResult {
  /** Per-release noise σ. */
  readonly sigma: Sigma;
  readonly mechanism: CalculatorMechanism;
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly sensitivity: L2Sensitivity;
  readonly releases: number;
  /** σ/Δ per release. */
  readonly noiseMultiplier: number;
  /** zCDP ρ of all releases together at this σ. */
  readonly rhoTotal: Rho;
  /** √releases × the classic √(2 ln(1.25/δ))·Δ/ε: shown for comparison only, never used (proven only for ε < 1). */
  readonly classicSigmaForComparison: number;
}

function checkReleases(releases: number): void {
  if (!Number.isSafeInteger(releases) || releases < 1) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `releases must be an integer >= 1, got ${releases}.`);
  }
}

/** The per-release σ that makes `releases` releases jointly (ε, δ)-DP under the chosen mechanism's accounting. */
export function calibrate(input: CalibrateInput): CalibrateResult {
  checkReleases(input.releases);
  if (input.epsilon <= 0) throw new DpHyperLoraError('INVALID_ARGUMENT', 'epsilon must be > 0 to calibrate noise; pass e.g. --epsilon 1.');
  let sigma: Sigma;
  if (input.mechanism === 'analytic-gaussian') {
    sigma = analyticGaussianSigma(input.epsilon, input.delta, input.sensitivity, input.releases);
  } else {
    const rhoPerRelease = rhoForEpsilon(input.epsilon, input.delta) / input.releases;
    sigma = ((input.sensitivity / Math.sqrt(2 * rhoPerRelease)) * (1 + 2 ** -50)) as Sigma;
  }
  return {
    sigma, mechanism: input.mechanism, epsilon: input.epsilon, delta: input.delta, sensitivity: input.sensitivity,
    releases: input.releases, noiseMultiplier: sigma / input.sensitivity,
    rhoTotal: (gaussianRho(input.sensitivity, sigma) * input.releases) as Rho,
    classicSigmaForComparison: classicGaussianSigma(input.epsilon, input.delta, input.sensitivity) * Math.sqrt(input.releases),
  };
}

/** Input of {@link account}. */
export interface AccountInput {
  /** σ of each kind of release; each is made `releases` times. */
  readonly sigmas: readonly Sigma[];
  readonly delta: Delta;
  readonly sensitivity: L2Sensitivity;
  readonly releases: number;
  readonly mechanism: CalculatorMechanism;
}

/** Output of {@link account}. */
export interface AccountResult {
  /** Total ε at δ of all releases (rounded up). */
  readonly epsilon: Epsilon;
  readonly mechanism: CalculatorMechanism;
  readonly delta: Delta;
  readonly sensitivity: L2Sensitivity;
  readonly releases: number;
  readonly sigmas: readonly Sigma[];
  /** GDP μ_total = √Σ k(Δ/σᵢ)². */
  readonly mu: number;
  /** zCDP ρ_total = μ²/2. */
  readonly rhoTotal: Rho;
  /** The single σ equivalent to the whole composition (Δ/μ). */
  readonly sigmaEffective: number;
}

/** The total ε of `releases` releases at each σ listed (composition of all of them). */
export function account(input: AccountInput): AccountResult {
  checkReleases(input.releases);
  if (input.sigmas.length === 0) throw new DpHyperLoraError('INVALID_ARGUMENT', 'give at least one sigma, e.g. --sigma 3.73.');
  const mu = compositionMu(input.sigmas.map((s) => ({ sigma: s, sensitivity: input.sensitivity, releases: input.releases })));
  let rhoTotal = 0;
  for (const s of input.sigmas) rhoTotal += gaussianRho(input.sensitivity, s) * input.releases;
  const epsilon = input.mechanism === 'analytic-gaussian'
    ? gaussianEpsilon(input.delta, mu)
    : epsilonFromRho(rhoTotal as Rho, input.delta);
  return {
    epsilon, mechanism: input.mechanism, delta: input.delta, sensitivity: input.sensitivity, releases: input.releases,
    sigmas: input.sigmas, mu, rhoTotal: rhoTotal as Rho, sigmaEffective: input.sensitivity / mu,
  };
}

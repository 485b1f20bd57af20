/**
 * Is the release's noise inside the range the pack's hypernetwork was trained on? The manifest states the range
 * as the per-coordinate std of the noise on the MEAN embedding in units of C: σ_sum / (n·C). Everything here is
 * computed from public quantities: σ_sum and C (set by ε, δ, C and the relation), and n as the noisy count
 * (add-remove, itself a DP output) or the declared public n (replace-one). So the warning, and the smallest n
 * that fits, can be shown and shared freely.
 */
import { meanNoiseStdOverC as meanNoise, smallestNFor, type ReleasePlan } from '../dp/index.js';

/** How the release's noise compares with the pack's trained range. */
export interface NoiseAssessment {
  /** σ_sum / (n·C) with n the noisy count or the declared n; absent before n is known. */
  readonly meanNoiseStdOverC?: number;
  readonly trainedRange: { readonly min: number; readonly max: number };
  /** Smallest n for which σ_sum / (n·C) ≤ trained max at this ε, δ and C. */
  readonly smallestFittingN: number;
  readonly inRange?: boolean;
  /** A human warning when the noise is outside the trained range. */
  readonly warning?: string;
}

/** Assesses the noise of `plan` against `trainedNoise`, for the (public or DP) dataset size `n` when known. */
export function noiseAssessment(plan: ReleasePlan, trainedNoise: { readonly min: number; readonly max: number }, n: number | undefined): NoiseAssessment {
  const smallestFittingN = smallestNFor(plan, trainedNoise.max);
  const base = { trainedRange: { min: trainedNoise.min, max: trainedNoise.max }, smallestFittingN };
  if (n === undefined) return base;
  const meanNoiseStdOverC = meanNoise(plan, n);
  const inRange = meanNoiseStdOverC >= trainedNoise.min && meanNoiseStdOverC <= trainedNoise.max;
  const what = plan.request.relation.kind === 'add-remove' ? `a noisy image count of about ${Math.round(n)}` : `the declared n = ${n}`;
  let warning: string | undefined;
  if (meanNoiseStdOverC > trainedNoise.max) {
    warning = `at epsilon ${plan.request.epsilon} with ${what}, the noise on the mean embedding (${meanNoiseStdOverC.toPrecision(3)} C) exceeds the pack's trained range (max ${trainedNoise.max} C), so the LoRA will be mostly noise; ` +
      `use at least ${smallestFittingN} images at this epsilon, or a larger epsilon.`;
  } else if (meanNoiseStdOverC < trainedNoise.min) {
    warning = `the noise on the mean embedding (${meanNoiseStdOverC.toPrecision(3)} C) is below the pack's trained range (min ${trainedNoise.min} C); the hypernetwork was not trained this close to noiseless, results may be off.`;
  }
  return { ...base, meanNoiseStdOverC, inRange, ...(warning !== undefined ? { warning } : {}) };
}

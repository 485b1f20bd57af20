/**
 * The noise level of a released mean in units of C — σ_sum/(n·C), the per-coordinate noise std of the mean
 * relative to the clip norm — as the pack manifest's `dp.trainedNoise` range is expressed (docs/pack-format.md).
 * Used for the "n too small for this ε" warning. Under add-remove n is private, so the level is computed from
 * the NOISY count (post-processing, free); under replace-one from the declared public n.
 */
import { DpHyperLoraError } from '../errors.js';
import type { MeanRelease, ReleasePlan } from './release.js';

/** σ_sum/(n·C) of a release, with n = max(1, noisy count) (add-remove) or the declared n (replace-one). */
export function meanNoiseInClipUnits(release: MeanRelease): number {
  const n = release.relation === 'add-remove' ? Math.max(1, release.noisyCount) : release.declaredN;
  return release.plan.sigmaSum / (n * release.plan.request.clipNorm);
}

/**
 * The smallest dataset size n for which this plan's mean noise σ_sum/(n·C) is at most `maxNoise` (for instance
 * a pack's trainedNoise.max). A function of public quantities only.
 */
export function smallestNFor(plan: ReleasePlan, maxNoise: number): number {
  if (!(maxNoise > 0) || !Number.isFinite(maxNoise)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `maxNoise must be a finite number > 0, got ${maxNoise}; use the pack's dp.trainedNoise.max.`);
  }
  const n = Math.ceil(plan.sigmaSum / (plan.request.clipNorm * maxNoise));
  // Guard the float division: step up until the inequality holds as computed.
  return plan.sigmaSum / (n * plan.request.clipNorm) <= maxNoise ? Math.max(1, n) : Math.max(1, n + 1);
}

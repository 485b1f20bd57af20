/**
 * The noise level of a released mean in units of C — σ_sum/(n·C), the per-coordinate noise std of the mean
 * relative to the clip norm — as the pack manifest's `dp.trainedNoise` range is expressed (docs/pack-format.md).
 * Used for the "n too small for this ε" warning. Under add-remove n is private, so the level is computed from
 * the NOISY count (post-processing, free); under replace-one from the declared public n.
 */
import { DpHyperLoraError } from '../errors.js';
import type { MeanRelease, ReleasePlan } from './release.js';

/**
 * THE formula σ_sum/(n·C): the per-coordinate noise std of a released mean, in units of C, for a (public or DP)
 * dataset size n, floored at 1 as the release's own divisor is (src/dp/release.ts).
 */
export function meanNoiseStdOverC(plan: ReleasePlan, n: number): number {
  return plan.sigmaSum / (Math.max(1, n) * plan.request.clipNorm);
}

/** σ_sum/(n·C) of a release, with n = the noisy count (add-remove) or the declared n (replace-one). */
export function meanNoiseInClipUnits(release: MeanRelease): number {
  return meanNoiseStdOverC(release.plan, release.relation === 'add-remove' ? release.noisyCount : release.declaredN);
}

/**
 * The smallest dataset size n for which this plan's mean noise σ_sum/(n·C) is at most `maxNoise` (for instance
 * a pack's trainedNoise.max). A function of public quantities only.
 */
export function smallestNFor(plan: ReleasePlan, maxNoise: number): number {
  if (!(maxNoise > 0) || !Number.isFinite(maxNoise)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `maxNoise must be a finite number > 0, got ${maxNoise}; use the pack's dp.trainedNoise.max.`);
  }
  let n = Math.max(1, Math.ceil(plan.sigmaSum / (plan.request.clipNorm * maxNoise)));
  // Guard the float rounding of that division both ways (the ceiling can land one above or below the least n, e.g.
  // 4001 where 4000 already meets the bound): settle on the least n for which the formula itself holds.
  if (!Number.isSafeInteger(n)) return n; // an absurdly small bound: no set is that large, and n ± 1 would not move
  while (n > 1 && meanNoiseStdOverC(plan, n - 1) <= maxNoise) n -= 1;
  while (meanNoiseStdOverC(plan, n) > maxNoise) n += 1;
  return n;
}

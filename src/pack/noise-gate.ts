/**
 * The stop before the spend: when the release's noise would be above the pack's trained range (σ_sum / (n·C) >
 * dp.trainedNoise.max), the hypernetwork would turn mostly noise into a LoRA. The decision must not itself leak n, so
 * it is taken on DP values only:
 * - add-remove: on the noisy count, released first with its own share of ρ. A stop charges only that share
 *   (the decision is post-processing of the noisy count), and no LoRA is made.
 * - replace-one: n is declared public, so the check runs on it before anything is read or charged.
 * Every figure in the messages is public: ε, δ, C, the trained range, the noisy count (a DP output), the declared n.
 */
import { DpHyperLoraError } from '../errors.js';
import { smallestNFor } from '../dp/mean-noise.js';
import type { ReleasePlan } from '../dp/release.js';
import type { Rho } from '../dp/types.js';

function show(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** σ_sum / (n·C): the noise on the mean embedding in units of C, for a (noisy or declared) size n. */
export function noiseOverC(plan: ReleasePlan, n: number): number {
  return plan.sigmaSum / (Math.max(1, n) * plan.request.clipNorm);
}

const OPT_IN = 'or set Noisy Aggregate\'s too_few_images to "make the LoRA anyway"';

/** Replace-one: TOO_FEW_IMAGES before any charge when the declared n is too small for this ε; otherwise nothing. */
export function refuseBeforeCharge(plan: ReleasePlan, declaredN: number, maxNoiseOverC: number): void {
  const noise = noiseOverC(plan, declaredN);
  if (noise <= maxNoiseOverC) return;
  throw new DpHyperLoraError('TOO_FEW_IMAGES',
    `refused before any privacy budget was spent: with the declared n = ${declaredN} at ε = ${show(plan.epsilon)} the noise on the mean embedding would be ${show(noise)} C, `
    + `above the most this pack is made for (max ${show(maxNoiseOverC)} C), so the LoRA or conditioning would be mostly noise. Use at least ${smallestNFor(plan, maxNoiseOverC)} images `
    + `at this ε, or a larger ε, ${OPT_IN}.`,
    { details: { declaredN, noiseOverC: noise, trainedMax: maxNoiseOverC, fewestImages: smallestNFor(plan, maxNoiseOverC) } });
}

/** Add-remove: the stop after the noisy count (TOO_FEW_IMAGES), or undefined when the release may go on. */
export function stopAfterCount(o: {
  readonly plan: ReleasePlan; readonly noisyCount: number; readonly maxNoiseOverC: number;
  /** ε of the count's share at the ledger budget's δ, and whether it was charged by this run (false: a repeat). */
  readonly countEpsilon: number; readonly chargedNow: boolean; readonly releaseNumber: number;
}): DpHyperLoraError | undefined {
  const noise = noiseOverC(o.plan, o.noisyCount);
  if (noise <= o.maxNoiseOverC) return undefined;
  const fewest = smallestNFor(o.plan, o.maxNoiseOverC);
  const charged = o.chargedNow
    ? `Only the noisy count's share of this release was charged: ε = ${show(o.countEpsilon)} per image (not the full ε = ${show(o.plan.epsilon)}), and no LoRA was made.`
    : `Nothing more was charged now: release #${o.releaseNumber} already stopped here and paid only the noisy count's share (ε = ${show(o.countEpsilon)} per image); no LoRA was made.`;
  return new DpHyperLoraError('TOO_FEW_IMAGES',
    `stopped after the noisy image count: it came out at about ${Math.round(o.noisyCount)}, and at ε = ${show(o.plan.epsilon)} that puts the noise on the mean embedding at `
    + `${show(noise)} C, above the most this pack is made for (max ${show(o.maxNoiseOverC)} C), so the LoRA or conditioning would be mostly noise. ${charged} `
    + `Use at least ${fewest} images at this ε, or a larger ε (with a new release number), ${OPT_IN}.`,
    { details: { noisyCount: o.noisyCount, noiseOverC: noise, trainedMax: o.maxNoiseOverC, fewestImages: fewest, countEpsilon: o.countEpsilon, chargedNow: o.chargedNow } });
}

/**
 * The ρ the second part (the sum) charges: the release's ρ minus what the count charged, rounded UP (a relative
 * 2^-40 over the exact difference), so that count + sum ≥ plan.rhoTotal per image and the accounting never rounds down.
 */
export function rhoAfterCount(plan: ReleasePlan): Rho {
  return ((plan.rhoTotal - plan.rhoCount) * (1 + 2 ** -40)) as Rho;
}

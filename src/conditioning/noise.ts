/**
 * The DP maths of the conditioning route, on top of src/dp (nothing here samples noise or charges a ledger).
 *
 * Each private embedding x_i is projected onto the pack's public basis, z_i = V(x_i − μ) ∈ R^k, and z_i is
 * clipped to ‖z_i‖ ≤ C in that k-dimensional space (src/dp ClippedSum). The sum's L2 sensitivity is C under
 * add-remove and 2C under replace-one (src/dp sumSensitivity): the clip bounds what one image can move the sum,
 * whatever the projection did. Noise is added in k dimensions, so the expected noise norm of the released mean
 * is σ_sum·√k / n instead of σ_sum·√d / n. Mapping the noisy mean back (μ + Vᵀ z̄, rescaled to a public norm)
 * uses public constants only and is post-processing (Dwork & Roth 2014, Prop. 2.1): it costs no privacy.
 */
import { DpHyperLoraError } from '../errors.js';
import { planRelease, type ReleasePlan } from '../dp/release.js';
import { clipNorm, delta, epsilon, type NeighbouringRelation } from '../dp/types.js';

/** Plans a conditioning release: dimension k, clip norm C of the pack, the user's (ε, δ) and relation. */
export function planConditioningRelease(o: { epsilon: number; delta: number; relation: NeighbouringRelation; k: number; clipNorm: number }): ReleasePlan {
  return planRelease({ epsilon: epsilon(o.epsilon), delta: delta(o.delta), relation: o.relation, clipNorm: clipNorm(o.clipNorm), dim: o.k });
}

/** The public facts the noise figures need (a ReleasePlan has them; so does a release's metadata). */
export interface NoiseFacts {
  /** Per-coordinate noise σ of the sum. */
  readonly sigmaSum: number;
  readonly request: { readonly dim: number; readonly clipNorm: number };
}

/**
 * Expected L2 norm of the noise on the released mean, σ_sum·√k / n (in the units of C). The exact expectation is
 * σ·√2·Γ((k+1)/2)/Γ(k/2)/n, a little below σ√k/n; the upper value is used so that the warning errs on the side of
 * warning. `n` is public: the noisy count (add-remove) or the declared n (replace-one).
 */
export function expectedNoiseNorm(plan: NoiseFacts, n: number): number {
  return (plan.sigmaSum * Math.sqrt(plan.request.dim)) / Math.max(1, n);
}

/** The smallest n for which the expected noise norm of the mean is at most `share` × C (default one half). */
export function smallestNForNoiseShare(plan: NoiseFacts, share = 0.5): number {
  if (!(share > 0) || !Number.isFinite(share)) throw new DpHyperLoraError('INVALID_ARGUMENT', `share must be a finite number > 0, got ${share}.`);
  const limit = share * plan.request.clipNorm;
  let n = Math.max(1, Math.ceil((plan.sigmaSum * Math.sqrt(plan.request.dim)) / limit));
  while (expectedNoiseNorm(plan, n) > limit) n++;
  return n;
}

/**
 * The public warning shown on the node when the expected noise norm exceeds half the clip norm, or undefined.
 * Built from public values only: σ, k, C and the public count (noisy count or declared n).
 */
export function noiseWarning(plan: NoiseFacts, publicCount: number): string | undefined {
  const noise = expectedNoiseNorm(plan, publicCount);
  const C = plan.request.clipNorm;
  if (noise <= 0.5 * C) return undefined;
  const fits = smallestNForNoiseShare(plan, 0.5);
  const r = (x: number): string => String(Number(x.toPrecision(3)));
  return `the expected noise norm of the released mean (σ·√k/n = ${r(noise)}) is above half the clip norm (C/2 = ${r(C / 2)}): `
    + `the conditioning will be dominated by noise. At this ε and k it needs about n ≥ ${fits} images; use more images, a larger ε or a pack with a smaller k.`;
}

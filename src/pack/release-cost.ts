/**
 * The cost of a release before it is made, from public values only: ε, δ, the relation (and a declared n), the
 * pack's C, embedding size and trained noise range, and the ledger's per-image budget. Nothing here looks at a
 * private set, so the result can be shown in ComfyUI before a run and shared freely.
 */
import { DEFAULT_BUDGET, type PrivacyBudget } from '../dp/ledger.js';
import { releasesThatFit } from '../dp/ledger-budget.js';
import { smallestNFor } from '../dp/mean-noise.js';
import { planRelease } from '../dp/release.js';
import { clipNorm, delta as makeDelta, epsilon as makeEpsilon, type NeighbouringRelation } from '../dp/types.js';
import { epsilonFromRho } from '../dp/zcdp.js';

/** What one release will cost and need, before it is made. */
export interface ReleaseCost {
  /** ε this release charges every image in the set (the exact guarantee of the plan, ≤ the ε asked for). */
  readonly epsilonCharged: number;
  readonly delta: number;
  readonly relation: NeighbouringRelation['kind'];
  /**
   * The fewest images for which the noise on the mean stays inside the pack's trained range at this ε, δ and C.
   * Under add-remove the run decides on the noisy count, so a set near this size may still be stopped.
   */
  readonly fewestImages: number;
  /** How many releases like this one a fresh image's budget allows (the ledger's own rounded-up sum). */
  readonly releasesPerFreshImage: number;
  /** The ledger's per-image budget. */
  readonly budget: { readonly epsilon: number; readonly delta: number };
  /** Add-remove: ε of the noisy count alone, which is all a run stopped after the count charges. */
  readonly countOnlyEpsilon?: number;
}

/** The cost of releasing with (ε, δ, relation) through `manifest`'s pack under `budget` (default: a new ledger's). */
export function releaseCost(o: {
  readonly epsilon: number; readonly delta: number; readonly relation: NeighbouringRelation;
  readonly manifest: { readonly embeddingDim: number; readonly dp: { readonly clipNorm: number; readonly trainedNoise: { readonly min: number; readonly max: number } } }; readonly budget?: PrivacyBudget;
}): ReleaseCost {
  const budget = o.budget ?? DEFAULT_BUDGET;
  const plan = planRelease({
    epsilon: makeEpsilon(o.epsilon), delta: makeDelta(o.delta), clipNorm: clipNorm(o.manifest.dp.clipNorm), relation: o.relation, dim: o.manifest.embeddingDim,
  });
  return {
    epsilonCharged: plan.epsilon, delta: plan.delta, relation: o.relation.kind,
    fewestImages: smallestNFor(plan, o.manifest.dp.trainedNoise.max),
    releasesPerFreshImage: releasesThatFit(plan.rhoTotal, budget, epsilonFromRho),
    budget: { epsilon: budget.epsilon, delta: budget.delta },
    ...(o.relation.kind === 'add-remove' ? { countOnlyEpsilon: epsilonFromRho(plan.rhoCount, budget.delta) } : {}),
  };
}

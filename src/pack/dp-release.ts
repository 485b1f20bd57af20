/**
 * The pack runtime's view of the DP core (src/dp): plan a release from ε, δ, C, the relation and d; accumulate
 * clipped embeddings as they stream (src/dp ClippedSum: O(d) memory); release the noisy mean once, inside the
 * ledger's charge. All DP arithmetic stays in src/dp; this file only converts between the two vocabularies.
 */
import {
  clipNorm as makeClipNorm, clippedSumFor, delta as makeDelta, epsilon as makeEpsilon, planRelease as planDpRelease,
  releaseMean, type ClippedSum, type NeighbouringRelation, type ReleasePlan,
} from '../dp/index.js';

export type { ReleasePlan } from '../dp/index.js';

/** What the ledger stores and returns for a release: the DP mean embedding and (add-remove) the noisy count. */
export type ReleasedEmbedding = {
  readonly embedding: number[];
  /** The noisy count under add-remove; null under replace-one (n is public there). */
  readonly noisyCount: number | null;
};

/** Plans the release (throws INVALID_ARGUMENT for bad ε, δ or C). */
export function planRelease(o: { epsilon: number; delta: number; relation: NeighbouringRelation; clipNorm: number; dim: number }): ReleasePlan {
  return planDpRelease({
    epsilon: makeEpsilon(o.epsilon), delta: makeDelta(o.delta), clipNorm: makeClipNorm(o.clipNorm), relation: o.relation, dim: o.dim,
  });
}

/** A streaming clipped sum for this plan; `addRows` takes the first `count` rows of an encoder batch. */
export function newClippedSum(plan: ReleasePlan): { sum: ClippedSum; addRows(rows: Float32Array, count: number, dim: number): void } {
  const sum = clippedSumFor(plan);
  return { sum, addRows: (rows, count, dim) => sum.addBatch(rows.subarray(0, count * dim)) };
}

/** The release itself (samples the noise): call only inside Ledger.release's compute. */
export function releaseMeanEmbedding(sum: ClippedSum, plan: ReleasePlan): ReleasedEmbedding {
  const r = releaseMean(sum, plan);
  return { embedding: Array.from(r.mean), noisyCount: r.relation === 'add-remove' ? r.noisyCount : null };
}

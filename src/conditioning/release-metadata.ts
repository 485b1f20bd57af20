/**
 * The public metadata of a conditioning-route release (the DP_DATASET_EMBEDDING made by Noisy Aggregate from DP
 * Embed (CLIP Vision)): the DP parameters, the public count, and which basis the k coordinates live in. Defined
 * once in zod; DP Conditioning checks it against its pack. Every field is public by construction.
 */
import { z } from 'zod';
import type { ReleasePlan } from '../dp/release.js';
import { VERSION } from '../version.js';
import type { ConditioningPack } from './pack.js';

/** The schema tag. */
export const CONDITIONING_RELEASE_SCHEMA = 'dp-hyperlora.conditioning-release/1';

const positive = z.number().finite().positive();

/** Zod schema of the metadata. */
export const conditioningReleaseSchema = z.strictObject({
  schema: z.literal(CONDITIONING_RELEASE_SCHEMA),
  mechanism: z.literal('dp-deepsets-discrete-gaussian'),
  relation: z.enum(['add-remove', 'replace-one']),
  countTreatment: z.enum(['noisy-count', 'public-n']),
  epsilon: positive,
  delta: z.number().gt(0).lt(1),
  clipNorm: positive,
  sigmaSum: positive,
  rho: positive,
  sigmaCount: positive.optional(),
  /** add-remove: the noisy count (a DP output); replace-one: the declared public n. */
  publicCount: z.number().finite(),
  releaseNumber: z.number().int().min(0),
  conditioningPack: z.string(),
  basisSha256: z.string().regex(/^[0-9a-f]{64}$/),
  family: z.string(),
  dim: z.number().int().positive(),
  k: z.number().int().positive(),
  toolVersion: z.string(),
});

/** The metadata of one conditioning release. */
export type ConditioningReleaseMetadata = z.infer<typeof conditioningReleaseSchema>;

/** Builds the metadata from public values: the plan, the public count and the pack. */
export function conditioningReleaseMetadata(pack: ConditioningPack, plan: ReleasePlan, publicCount: number, releaseNumber: number): ConditioningReleaseMetadata {
  const m = pack.manifest;
  const relation = plan.request.relation.kind;
  return {
    schema: CONDITIONING_RELEASE_SCHEMA, mechanism: 'dp-deepsets-discrete-gaussian', relation,
    countTreatment: relation === 'add-remove' ? 'noisy-count' : 'public-n', epsilon: plan.epsilon, delta: plan.delta,
    clipNorm: plan.request.clipNorm, sigmaSum: plan.sigmaSum, rho: plan.rhoTotal, ...(plan.sigmaCount !== null ? { sigmaCount: plan.sigmaCount } : {}),
    publicCount, releaseNumber, conditioningPack: m.id, basisSha256: m.basis.sha256, family: m.model.family, dim: m.model.dim, k: m.basis.k,
    toolVersion: VERSION,
  };
}

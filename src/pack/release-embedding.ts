/**
 * The privacy boundary as a function: {@link releaseDatasetEmbedding} takes a private embedding source and
 * returns only public values, the DP dataset embedding, its release plan and the ledger's receipt. Everything
 * after it (the hypernetwork, the LoRA, reports, ComfyUI) is post-processing of a DP output and costs nothing.
 *
 * Inside: the source's rows are deduplicated by image identity (one image, one contribution: sensitivity C),
 * clipped to C and summed on the plan's grid (src/dp ClippedSum, O(d) memory); the ledger charges every image
 * durably before the noise is sampled (src/dp Ledger.release); a repeat of the same set, parameters and release
 * number returns the stored value for free. Proof notes live in src/dp/release.ts (discrete Gaussian, zCDP).
 *
 * The exact facts of the run (images used, duplicates dropped, milliseconds) are private: they go only to
 * `onLocalFacts`, for this machine's terminal, and are never part of the return value.
 */
import { DpHyperLoraError } from '../errors.js';
import type { ImageId } from '../dp/identity.js';
import type { Ledger, LedgerReleaseOutcome } from '../dp/ledger.js';
import { addRoundingUp } from '../dp/ledger-budget.js';
import { clippedSumFor, planRelease, releaseMean, releaseMeanGivenCount, releaseNoisyCount, type ReleasePlan } from '../dp/release.js';
import type { Branded, Delta, Epsilon, NeighbouringRelation, Rho } from '../dp/types.js';
import { epsilonFromRho } from '../dp/zcdp.js';
import { throwIfCancelled } from './image-source.js';
import { refuseBeforeCharge, rhoAfterCount, stopAfterCount } from './noise-gate.js';
import type { PrivateEmbeddingSource } from './private-source.js';

/** A DP dataset embedding (length d): a DP output, public from here on. Made only by a release or at an edge. */
export type DpDatasetEmbedding = Branded<readonly number[], 'DpDatasetEmbedding'>;

/**
 * Marks values that are ALREADY public as a DP dataset embedding: the output of an earlier release read back
 * from a ComfyUI socket, a file or the ledger. Never call it on anything computed from private data.
 */
export function publicDatasetEmbedding(values: readonly number[]): DpDatasetEmbedding {
  if (values.length === 0 || !values.every((v) => Number.isFinite(v))) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'a DP dataset embedding must be a non-empty list of finite numbers; connect the output of Noisy Aggregate.');
  }
  return Object.freeze([...values]) as unknown as DpDatasetEmbedding;
}

/** What the ledger said about this release (public: about spending, nothing about the set's size). */
export interface LedgerReceipt {
  /** The ledger's id of the release (for `dp-hyperlora ledger show`). */
  readonly releaseId: number;
  readonly releaseNumber: number;
  /** False when the release was a free repeat of a stored one. */
  readonly charged: boolean;
  /** ε charged to every image of the set by this call (0 for a repeat). */
  readonly epsilonCharged: number;
  /** Room left for the most-spent image of the set, after this call (ρ: the same room in zCDP). */
  readonly remaining: { readonly epsilon: number; readonly delta: number; readonly rho: number };
}

/** The public result of {@link releaseDatasetEmbedding}. */
export interface DatasetRelease {
  readonly embedding: DpDatasetEmbedding;
  /** add-remove: the noisy count (a DP output) used as the mean's denominator; null under replace-one. */
  readonly noisyCount: number | null;
  readonly plan: ReleasePlan;
  readonly receipt: LedgerReceipt;
}

/** Exact facts of one release: PRIVATE, for this machine's terminal only. */
export interface LocalReleaseFacts {
  /** Distinct images whose rows were summed: the exact n. */
  readonly imagesUsed: number;
  /** Rows dropped because their image came earlier in the stream. */
  readonly duplicatesDropped: number;
  readonly embedMs: number;
  readonly releaseMs: number;
}

/** Public milestones of a release, in order; reported the same way for every set. */
export type ReleasePhase = 'embedded' | 'released';

/** The public parameters of {@link releaseDatasetEmbedding}; ε and δ are branded at the node and CLI edges. */
export interface DatasetReleaseRequest {
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly relation: NeighbouringRelation;
  /** Release number ≥ 1: the same number on the same set and parameters returns the stored release for free. */
  readonly releaseNumber: number;
  /** The open privacy ledger to charge (the caller opens and closes it). */
  readonly ledger: Ledger;
  readonly signal?: AbortSignal;
  /** Public milestones (no counts, no timings in the value): e.g. for ComfyUI's progress bar. */
  readonly onPhase?: (phase: ReleasePhase) => void;
  /** Local terminal only: the exact facts of the run. */
  readonly onLocalFacts?: (facts: LocalReleaseFacts) => void;
  /**
   * Stop (TOO_FEW_IMAGES) when the noise on the mean would be above this many C (the pack's dp.trainedNoise.max),
   * deciding on DP values only (src/pack/noise-gate.ts): add-remove releases the noisy count first and stops after
   * it, charging only the count's share of ρ; replace-one is refused before any charge. Undefined: never stop.
   */
  readonly stopAboveNoise?: number;
}

/** The value stored in the ledger for a release (format kept stable: stored releases are reused). */
type StoredRelease = { readonly embedding: number[]; readonly noisyCount: number | null };

/** The public parameters that make a release what it is: the ledger's idempotence key. */
function releaseParams(source: PrivateEmbeddingSource, plan: ReleasePlan): Record<string, string | number> {
  const { request } = plan;
  return {
    mechanism: `dp-deepsets-${plan.mechanism}`, epsilon: request.epsilon, delta: request.delta, relation: request.relation.kind,
    ...(request.relation.kind === 'replace-one' ? { n: request.relation.n } : {}),
    clipNorm: request.clipNorm, ...source.embedder, embeddingDim: request.dim,
  };
}

/** Refuses an empty set and, under replace-one, a count that differs from the declared n (before any charge). */
function checkImageCount(used: number, relation: NeighbouringRelation): void {
  if (used === 0) {
    throw new DpHyperLoraError('IMAGES_EMPTY',
      'the private set holds no readable images; put PNG, JPEG, WebP, TIFF, GIF or AVIF images in it (files that were not used are named on the local terminal only). No privacy budget was spent.');
  }
  if (relation.kind === 'replace-one' && used !== relation.n) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      'under replace-one the declared n (--n on the command line, n_public on Noisy Aggregate) must equal the number of images actually used, and it does not; fix it (n is public under replace-one) or use add-remove. No privacy budget was spent.');
  }
}

/**
 * Makes the one DP release of a private set (see the module comment). Throws before any charge when the set is
 * empty, when replace-one's n is wrong, on cancellation, or when the budget would be exceeded.
 */
export async function releaseDatasetEmbedding(source: PrivateEmbeddingSource, r: DatasetReleaseRequest): Promise<DatasetRelease> {
  const t0 = performance.now();
  const plan = planRelease({ epsilon: r.epsilon, delta: r.delta, relation: r.relation, clipNorm: source.clipNorm, dim: source.dim });
  if (r.relation.kind === 'replace-one' && r.stopAboveNoise !== undefined) refuseBeforeCharge(plan, r.relation.n, r.stopAboveNoise);
  const sum = clippedSumFor(plan);
  const ids: ImageId[] = [];
  const seen = new Set<ImageId>();
  let duplicatesDropped = 0;
  await source.stream((pixels, width, height, channels) => r.ledger.identify(pixels, width, height, channels), (batch) => {
    const { dim } = source;
    if (batch.rows.length !== batch.ids.length * dim) {
      throw new DpHyperLoraError('INTERNAL', `an embedding source gave ${batch.rows.length} floats for ${batch.ids.length} row(s) of dimension ${dim}; this is a bug in the source, please report it.`);
    }
    batch.ids.forEach((id, i) => {
      if (seen.has(id)) { duplicatesDropped++; return; }
      seen.add(id);
      ids.push(id);
      sum.addVector(batch.rows.subarray(i * dim, (i + 1) * dim));
    });
  }, r.signal);
  throwIfCancelled(r.signal);
  checkImageCount(ids.length, r.relation);
  r.onPhase?.('embedded');
  const tEmbed = performance.now();
  const outcome = await chargeAndRelease(r, ids, releaseParams(source, plan), plan, sum);
  r.onPhase?.('released');
  r.onLocalFacts?.({ imagesUsed: ids.length, duplicatesDropped, embedMs: tEmbed - t0, releaseMs: performance.now() - tEmbed });
  return {
    embedding: publicDatasetEmbedding(outcome.value.embedding), noisyCount: outcome.value.noisyCount, plan,
    receipt: {
      releaseId: outcome.releaseId, releaseNumber: r.releaseNumber, charged: outcome.charged, epsilonCharged: outcome.epsilonCharged,
      remaining: { epsilon: outcome.remaining.epsilon, delta: outcome.remaining.delta, rho: outcome.remaining.rho },
    },
  };
}

type Outcome = Pick<LedgerReleaseOutcome<StoredRelease>, 'releaseId' | 'value' | 'charged' | 'epsilonCharged' | 'remaining'>;

/**
 * The ledger side of the release. Replace-one, and add-remove releases stored before releases were split: one
 * charge of plan.rhoTotal. Add-remove otherwise: the noisy count first (ρ = plan.rhoCount, after checking that the
 * whole release fits), then, unless `stopAboveNoise` stops it (src/pack/noise-gate.ts), the sum (the rest of
 * rhoTotal, rounded up). Each part is its own idempotent ledger release, so a repeat of a stopped or finished
 * release charges nothing, and a later opted-in run of a stopped one charges only the sum's part.
 */
async function chargeAndRelease(r: DatasetReleaseRequest, ids: ImageId[], params: Record<string, string | number>, plan: ReleasePlan, sum: ReturnType<typeof clippedSumFor>): Promise<Outcome> {
  const whole = (): Promise<Outcome> => r.ledger.release<StoredRelease>({
    imageIds: ids, params, releaseNumber: r.releaseNumber, rho: plan.rhoTotal,
    compute: () => {
      const m = releaseMean(sum, plan);
      return { embedding: Array.from(m.mean), noisyCount: m.relation === 'add-remove' ? m.noisyCount : null };
    },
  });
  if (plan.request.relation.kind === 'replace-one' || r.ledger.lookup(ids, params, r.releaseNumber) !== undefined) return whole();
  const count = await r.ledger.release<{ noisyCount: number }>({
    imageIds: ids, params: { ...params, part: 'noisy-count' }, releaseNumber: r.releaseNumber, rho: plan.rhoCount, mustFitRho: plan.rhoTotal,
    compute: () => ({ noisyCount: releaseNoisyCount(sum, plan) }),
  });
  const { noisyCount } = count.value;
  if (r.stopAboveNoise !== undefined) {
    const stop = stopAfterCount({
      plan, noisyCount, maxNoiseOverC: r.stopAboveNoise, releaseNumber: r.releaseNumber, chargedNow: count.charged,
      countEpsilon: epsilonFromRho(plan.rhoCount, count.remaining.delta),
    });
    if (stop !== undefined) throw stop;
  }
  const rest = await r.ledger.release<StoredRelease>({
    imageIds: ids, params: { ...params, part: 'sum' }, releaseNumber: r.releaseNumber, rho: rhoAfterCount(plan),
    compute: () => ({ embedding: Array.from(releaseMeanGivenCount(sum, plan, noisyCount).mean), noisyCount }),
  });
  const rhoCharged = addRoundingUp(count.charged ? plan.rhoCount : 0, rest.charged ? rhoAfterCount(plan) : 0) as Rho;
  return { ...rest, charged: count.charged || rest.charged, epsilonCharged: epsilonFromRho(rhoCharged, rest.remaining.delta) };
}

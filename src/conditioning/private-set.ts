/**
 * The private set of the conditioning route, as DP Embed (CLIP Vision) leaves it in the worker behind a
 * DP_EMBEDDINGS handle: the IMAGE batch (its pixels give each image's ledger identity, an HMAC, at release time) and its
 * image_embeds already projected onto the pack's public basis. Projected rows are kept unclipped; the clip to C
 * happens in src/dp's ClippedSum as they are summed, right before the one release. Nothing here leaves the worker.
 */
import type { ImageId } from '../dp/identity.js';
import { clipNorm as makeClipNorm } from '../dp/types.js';
import { DpHyperLoraError } from '../errors.js';
import type { PrivateEmbeddingSource, SourcedPrivateSet } from '../pack/private-source.js';
import type { DatasetRelease } from '../pack/release-embedding.js';
import type { Tensor } from '../worker/values.js';
import { projectRows } from './basis.js';
import type { ClipVisionEmbeds } from './clip-vision-value.js';
import { checkFamily, familyOf } from './family.js';
import { noiseWarning } from './noise.js';
import type { ConditioningPack } from './pack.js';
import { conditioningReleaseMetadata, type ConditioningReleaseMetadata } from './release-metadata.js';

/** A projected private set (see the module comment). */
export interface ProjectedPrivateSet {
  readonly kind: 'clip-vision-projected';
  readonly pack: ConditioningPack;
  /** The private IMAGE batch, uint8 [n, H, W, 3]: used only for the ledger identities. */
  readonly images: Tensor;
  /** Projected coordinates, row-major [n, k], float32 (unclipped). */
  readonly rows: Float32Array;
  readonly count: number;
}

/**
 * Checks the model family and the batch sizes, then projects. The error for a batch mismatch does not name the
 * sizes (under add-remove they are the private n); it is raised before anything is computed or released.
 */
export function projectPrivateSet(pack: ConditioningPack, embeds: ClipVisionEmbeds, images: Tensor, nodeId: string): ProjectedPrivateSet {
  checkFamily(pack.manifest.model, familyOf(embeds.shapes), pack.manifest.id);
  const [count, height, width, channels] = images.shape;
  if (images.dtype !== 'uint8' || images.shape.length !== 4 || count === undefined || height === undefined || width === undefined || channels !== 3) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `${nodeId}: images must be an RGB IMAGE batch [B, H, W, 3]; connect the same images that go into CLIPVisionEncode.`);
  }
  if (count !== embeds.batch) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      `${nodeId}: the IMAGE batch and the CLIP_VISION_OUTPUT batch differ in size; connect the same IMAGE batch to CLIPVisionEncode and to this node's images input.`);
  }
  return { kind: 'clip-vision-projected', pack, images, count, rows: Float32Array.from(projectRows(pack.basis, embeds.rows, embeds.batch)) };
}

/** The public description of the embedding function (the ledger's idempotence key): pack, basis hash, model, k. */
export function conditioningEmbedder(pack: ConditioningPack): Record<string, string | number> {
  const m = pack.manifest;
  return {
    route: 'clip-vision-conditioning', conditioningPack: m.id, basisSha256: m.basis.sha256, family: m.model.family,
    dim: m.model.dim, k: m.basis.k, field: m.field,
  };
}

/** Batches of this many rows are handed to the release's sink (memory O(batch) on top of the set). */
const BATCH = 256;

/**
 * The set as a private embedding source: rows [k] in the basis, the clip norm C of the pack, and each image's
 * ledger identity from its pixels (made by the release's `identify`, so the same picture has the same id
 * whichever route it came through). Clipping, dedup, the sum and the noise are the release's, never this code's.
 */
export function projectedSource(set: ProjectedPrivateSet): PrivateEmbeddingSource {
  const { k } = set.pack.manifest.basis;
  const [, height = 0, width = 0] = set.images.shape;
  const size = height * width * 3;
  return {
    dim: k,
    clipNorm: makeClipNorm(set.pack.manifest.dp.clipNorm),
    embedder: conditioningEmbedder(set.pack),
    stream(identify, sink, signal) {
      for (let start = 0; start < set.count; start += BATCH) {
        if (signal?.aborted === true) return Promise.reject(new DpHyperLoraError('CANCELLED', 'the release was cancelled before anything was spent.'));
        const end = Math.min(set.count, start + BATCH);
        const ids: ImageId[] = [];
        for (let i = start; i < end; i++) ids.push(identify(set.images.data.subarray(i * size, (i + 1) * size), width, height, 3));
        sink({ ids, rows: set.rows.subarray(start * k, end * k) });
      }
      return Promise.resolve();
    },
  };
}

/** The public count of a release: the noisy count (add-remove) or the declared n (replace-one). */
function publicCountOf(release: DatasetRelease): number {
  const relation = release.plan.request.relation;
  return relation.kind === 'replace-one' ? relation.n : (release.noisyCount ?? 0);
}

/**
 * What DP Embed (CLIP Vision) keeps behind its DP_EMBEDDINGS handle: the projected set as a SourcedPrivateSet, so that
 * Noisy Aggregate releases it through the same path as the pack-encoder set. The warning and the metadata use
 * public values only (the plan, the noisy count or declared n, and the public pack).
 */
export function conditioningPrivateSet(set: ProjectedPrivateSet): SourcedPrivateSet<ConditioningReleaseMetadata> {
  return {
    kind: 'sourced',
    source: projectedSource(set),
    noiseWarning: (release) => noiseWarning(release.plan, publicCountOf(release)),
    metadata: (release, releaseNumber) => conditioningReleaseMetadata(set.pack, release.plan, publicCountOf(release), releaseNumber),
    // The warning's threshold (expected noise norm σ·√k/n above C/2) as σ/(n·C): 1/(2√k). Public: k is the pack's.
    stopAboveNoise: 0.5 / Math.sqrt(set.pack.manifest.basis.k),
  };
}

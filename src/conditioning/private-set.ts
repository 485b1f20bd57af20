/**
 * The private set of the conditioning route, as DP Embed (CLIP Vision) leaves it in the worker behind a
 * DP_EMBEDDINGS handle: the ledger identity of each image (HMAC of its pixels, src/dp identity) and its
 * image_embeds already projected onto the pack's public basis. Projected rows are kept unclipped; the clip to C
 * happens in src/dp's ClippedSum as they are summed, right before the one release. Nothing here leaves the worker.
 */
import type { ImageId } from '../dp/identity.js';
import { DpHyperLoraError } from '../errors.js';
import { projectRows } from './basis.js';
import type { ClipVisionEmbeds } from './clip-vision-value.js';
import { checkFamily, familyOf } from './family.js';
import type { ConditioningPack } from './pack.js';

/** A projected private set (see the module comment). */
export interface ProjectedPrivateSet {
  readonly kind: 'clip-vision-projected';
  readonly pack: ConditioningPack;
  /** One ledger identity per image, in batch order. */
  readonly ids: readonly ImageId[];
  /** Projected coordinates, row-major [ids.length, k]. */
  readonly rows: Float64Array;
}

/**
 * Checks the model family and the batch sizes, then projects. `identities` are the images' ledger ids (one per
 * IMAGE batch entry). The error for a batch mismatch does not name the sizes (under add-remove they are the private
 * n); it is raised before anything is computed or released.
 */
export function projectPrivateSet(pack: ConditioningPack, embeds: ClipVisionEmbeds, identities: readonly ImageId[], nodeId: string): ProjectedPrivateSet {
  checkFamily(pack.manifest.model, familyOf(embeds.shapes), pack.manifest.id);
  if (identities.length !== embeds.batch) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      `${nodeId}: the IMAGE batch and the CLIP_VISION_OUTPUT batch differ in size; connect the same IMAGE batch to CLIPVisionEncode and to this node's images input.`);
  }
  return { kind: 'clip-vision-projected', pack, ids: identities, rows: projectRows(pack.basis, embeds.rows, embeds.batch) };
}

/** The public parameters that make a conditioning release what it is (the ledger's idempotence key). */
export function conditioningReleaseParams(pack: ConditioningPack): Record<string, string | number> {
  const m = pack.manifest;
  return {
    route: 'clip-vision-conditioning', conditioningPack: m.id, basisSha256: m.basis.sha256, family: m.model.family,
    dim: m.model.dim, k: m.basis.k, field: m.field,
  };
}

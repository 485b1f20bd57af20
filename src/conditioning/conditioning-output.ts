/**
 * From a released DP dataset embedding (k coordinates in the pack's basis) to what Stable Diffusion adapters read:
 * image_embeds [1, d] in the CLIP-vision model's space (μ + Vᵀ z̄, rescaled to the pack's public output norm),
 * plus the public noise facts for the node's warning. Pure post-processing of a DP output with public constants.
 */
import { DpHyperLoraError } from '../errors.js';
import { mapBack } from './basis.js';
import { noiseWarning, smallestNForNoiseShare } from './noise.js';
import type { ConditioningPack } from './pack.js';

/** The public facts of a release that the conditioning output needs. */
export interface ReleasedCoordinates {
  /** The DP mean in basis coordinates [k]. */
  readonly embedding: readonly number[];
  readonly epsilon: number;
  readonly delta: number;
  readonly relation: 'add-remove' | 'replace-one';
  /** Per-coordinate noise σ of the release's sum. */
  readonly sigmaSum: number;
  /** Clip norm C the release used (must be the pack's). */
  readonly clipNorm: number;
  /** The noisy count (add-remove) or the declared n (replace-one), when the release carries it. */
  readonly publicCount?: number | undefined;
}

/** What DP Conditioning outputs and shows. */
export interface ConditioningResult {
  readonly imageEmbeds: Float32Array;
  readonly lines: readonly string[];
  readonly warning: string | undefined;
}

/** Maps a released DP mean back and assesses its noise (public values only). */
export function conditioningFromRelease(pack: ConditioningPack, r: ReleasedCoordinates): ConditioningResult {
  const m = pack.manifest;
  if (r.embedding.length !== m.basis.k) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the DP dataset embedding has ${r.embedding.length} values but the conditioning pack ${JSON.stringify(m.id)} has k = ${m.basis.k} directions; `
      + 'connect the Noisy Aggregate fed by DP Embed (CLIP Vision) with this same pack.');
  }
  if (Math.abs(r.clipNorm - m.dp.clipNorm) > 1e-9 * Math.max(1, m.dp.clipNorm)) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the release used clip norm C = ${r.clipNorm} but the conditioning pack ${JSON.stringify(m.id)} has C = ${m.dp.clipNorm}; use the same pack in DP Embed (CLIP Vision) and DP Conditioning.`);
  }
  // The release's own σ (not a re-plan: the plan's achieved ε may sit just below the requested one).
  const facts = { sigmaSum: r.sigmaSum, request: { dim: m.basis.k, clipNorm: m.dp.clipNorm } };
  const fits = smallestNForNoiseShare(facts, 0.5);
  const warning = r.publicCount === undefined ? undefined : noiseWarning(facts, r.publicCount);
  const fmt = (x: number): string => String(Number(x.toPrecision(4)));
  const lines = [
    `${m.model.family} · image_embeds [1, ${m.model.dim}] from k = ${m.basis.k} public directions (pack ${m.id})`,
    `noise on the mean stays below C/2 from about n = ${fits} images at ε = ${fmt(r.epsilon)} (σ_sum = ${fmt(r.sigmaSum)}, C = ${fmt(m.dp.clipNorm)})`,
  ];
  return { imageEmbeds: mapBack(pack.basis, r.embedding, m.output.norm), lines, warning };
}

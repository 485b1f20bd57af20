/**
 * Which CLIP-vision model family produced an embedding, read from the shapes of its CLIP_VISION_OUTPUT fields
 * (public facts about the model, never about the images). A conditioning pack records the family it was built
 * for, and a pack of one family is refused for another: a basis fitted in ViT-H's 1024-d space means nothing in
 * bigG's 1280-d space, and even two models of the same width place images differently.
 */
import { DpHyperLoraError } from '../errors.js';

/** Shapes of the fields of one CLIP_VISION_OUTPUT (batch first). */
export interface ClipVisionShapes {
  /** image_embeds [B, d]. */
  readonly imageEmbeds: readonly number[];
  /** last_hidden_state [B, tokens, width], when known. */
  readonly lastHiddenState?: readonly number[] | undefined;
}

/** A model family and the dimension of the field the pack's basis lives in. */
export interface ModelFamily {
  readonly family: string;
  readonly dim: number;
}

const KNOWN: ReadonlyArray<{ family: string; dim: number; tokens: number; width: number }> = [
  { family: 'clip-vit-h-14', dim: 1024, tokens: 257, width: 1280 },
  { family: 'clip-vit-bigg-14', dim: 1280, tokens: 257, width: 1664 },
  { family: 'clip-vit-l-14', dim: 768, tokens: 257, width: 1024 },
  { family: 'clip-vit-l-14-336', dim: 768, tokens: 577, width: 1024 },
];

/** The family of a CLIP-vision model from its output shapes (a descriptive name when the shapes are unknown). */
export function familyOf(shapes: ClipVisionShapes): ModelFamily {
  const [, dim] = shapes.imageEmbeds;
  if (shapes.imageEmbeds.length !== 2 || dim === undefined || dim < 1) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      `the CLIP_VISION_OUTPUT's image_embeds has shape [${shapes.imageEmbeds.join(', ')}], not [batch, dim]; connect the output of CLIPVisionEncode.`);
  }
  const [, tokens, width] = shapes.lastHiddenState ?? [];
  if (tokens === undefined || width === undefined) return { family: `clip-vision-${dim}d`, dim };
  const known = KNOWN.find((f) => f.dim === dim && f.tokens === tokens && f.width === width);
  return { family: known?.family ?? `clip-vision-${dim}d-${tokens}x${width}`, dim };
}

/**
 * The family for an embeddings file outside ComfyUI, where only image_embeds' dimension is known: `explicit` if
 * given, else the one known family of that dimension, else a descriptive name. 768 is ambiguous (ViT-L/14 at 224
 * or 336 pixels) and needs `explicit`.
 */
export function familyFromDim(dim: number, explicit?: string): ModelFamily {
  if (explicit !== undefined && explicit !== '') return { family: explicit, dim };
  const known = KNOWN.filter((f) => f.dim === dim);
  if (known.length > 1) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `image_embeds of ${dim} dimensions fit several CLIP-vision families (${known.map((f) => f.family).join(', ')}); pass --family with the one that made the embeddings.`);
  }
  return { family: known[0]?.family ?? `clip-vision-${dim}d`, dim };
}

/** Refuses a pack built for another family or dimension; the message names both. */
export function checkFamily(pack: ModelFamily, actual: ModelFamily, packName: string): void {
  if (pack.family !== actual.family || pack.dim !== actual.dim) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the conditioning pack ${JSON.stringify(packName)} was built for ${pack.family} (image_embeds of ${pack.dim} dimensions), `
      + `but the connected CLIP-vision model is ${actual.family} (${actual.dim} dimensions); `
      + 'build a pack from public images encoded by this model (Build DP Conditioning Pack) or load the CLIP-vision model the pack was built for.',
      { details: { packFamily: pack.family, packDim: pack.dim, modelFamily: actual.family, modelDim: actual.dim } });
  }
}

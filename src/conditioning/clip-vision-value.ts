/**
 * The worker's side of the CLIP_VISION_OUTPUT and EMBEDS converters (bridge/values.py and the SDK's python/comfy_ts_bridge/converters.py are the Python side).
 * In: a tensor dict of the fields the input declared (float32) plus every tensor field's shape in the metadata
 * (`shape:<field>` = "B,T,W"). Out: a tensor dict the bridge turns into a real comfy.clip_vision.Output (fields
 * not sent become None), and EMBEDS as a plain float32 tensor.
 */
import { DpHyperLoraError } from '../errors.js';
import { float32Tensor, float32View, type DecodedValue, type Tensor } from '../worker/values.js';
import type { ClipVisionShapes } from './family.js';

/** The image_embeds of a CLIP_VISION_OUTPUT input, with the shapes of its fields. */
export interface ClipVisionEmbeds {
  /** Row-major [batch, dim] float32. */
  readonly rows: Float32Array;
  readonly batch: number;
  readonly dim: number;
  readonly shapes: ClipVisionShapes;
}

function shapeOf(metadata: Readonly<Record<string, string>>, field: string): number[] | undefined {
  const s = metadata[`shape:${field}`];
  if (s === undefined) return undefined;
  const dims = s.split(',').map(Number);
  return dims.every((d) => Number.isSafeInteger(d) && d >= 0) ? dims : undefined;
}

/** Reads the image_embeds field of CLIP_VISION_OUTPUT input `name` of node `nodeId`. */
export function clipVisionEmbeds(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string): ClipVisionEmbeds {
  const v = inputs[name];
  if (v === undefined || v.kind !== 'tensors') {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `${nodeId}: input ${name} must be connected to a CLIP_VISION_OUTPUT (the output of CLIPVisionEncode).`);
  }
  const t: Tensor | undefined = v.tensors.image_embeds;
  const [batch, dim] = t?.shape ?? [];
  if (t === undefined || t.dtype !== 'float32' || t.shape.length !== 2 || batch === undefined || dim === undefined || batch < 1) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      `${nodeId}: the CLIP_VISION_OUTPUT has no image_embeds of shape [batch, dim]; encode the images with core CLIPVisionEncode and a CLIP-vision model that has a projection (ViT-H, ViT-L, bigG).`);
  }
  return {
    rows: float32View(t), batch, dim,
    shapes: { imageEmbeds: [batch, dim], lastHiddenState: shapeOf(v.metadata, 'last_hidden_state') },
  };
}

/** A CLIP_VISION_OUTPUT output holding image_embeds [1, d] (batch 1; the other fields become None in Python). */
export function clipVisionOutput(imageEmbeds: Float32Array): DecodedValue {
  return { kind: 'tensors', tensors: { image_embeds: float32Tensor(imageEmbeds, [1, imageEmbeds.length]) }, metadata: {} };
}

/** An EMBEDS output [1, d] (what IPAdapterEmbeds reads for non-plus models). */
export function embedsOutput(values: Float32Array): DecodedValue {
  return { kind: 'tensor', tensor: float32Tensor(values, [1, values.length]) };
}

/**
 * SD packs' φ: the user's CLIP-vision model (run by ComfyUI's CLIPVisionEncode) followed by the pack's encoder.onnx,
 * a small head from `image_embeds` [N, D] to the pack embedding [N, d]. This file is the worker's half: it refuses
 * a CLIP-vision model of another family or dimension (naming both), and streams a private batch of image_embeds
 * through the head as a {@link PrivateEmbeddingSource}, each row with its image's ledger identity (HMAC of the
 * pixels, the same as every other route). Everything a source sees is PRIVATE; the release, clip, sum and noise
 * are releaseDatasetEmbedding's.
 */
import * as ort from 'onnxruntime-node';
import type { ImageId } from '../dp/identity.js';
import type { ClipNorm } from '../dp/types.js';
import { DpHyperLoraError } from '../errors.js';
import type { Pack } from './manifest.js';
import { checkEncoderSession } from './pack-encoder-source.js';
import type { PrivateEmbeddingSource } from './private-source.js';

/** A CLIP-vision model family and its image_embeds dimension (from src/conditioning/family.ts's familyOf). */
export interface ClipVisionModel {
  readonly family: string;
  readonly dim: number;
}

/** Refuses a pack that does not read CLIP-vision embeddings, or reads another family's; messages name both. */
export function checkClipVisionPack(pack: Pack, actual: ClipVisionModel): void {
  const m = pack.manifest;
  const expected = m.clipVision;
  if (expected === undefined) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `pack ${m.id} embeds images with its own encoder, not CLIP-vision embeddings; connect it to DP Embed, or load an SD pack trained on a CLIP-vision model.`);
  }
  if (expected.family !== actual.family || expected.dim !== actual.dim) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `pack ${m.id} was trained on ${expected.family} (image_embeds of ${expected.dim} dimensions), but the connected CLIP-vision model is `
      + `${actual.family} (${actual.dim} dimensions); load the CLIP-vision model the pack was trained on, or train a pack for this one.`,
      { details: { packFamily: expected.family, packDim: expected.dim, modelFamily: actual.family, modelDim: actual.dim } });
  }
}

/** Runs the head on `batch` rows of `dim` floats (row-major) and returns [batch, d] row-major. */
export async function runClipVisionHead(pack: Pack, head: ort.InferenceSession, rows: Float32Array, batch: number): Promise<Float32Array> {
  const m = pack.manifest;
  const dim = m.clipVision?.dim ?? 0;
  let out;
  try {
    out = await head.run({ [m.encoder.inputName]: new ort.Tensor('float32', rows, [batch, dim]) });
  } catch (e) {
    throw new DpHyperLoraError('ONNX_RUNTIME', `the pack's encoder head failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const t = out[m.encoder.outputName];
  if (t?.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== batch || t.dims[1] !== m.embeddingDim) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `${m.encoder.file} output "${m.encoder.outputName}" is not float32 [${batch}, ${m.embeddingDim}] (manifest embeddingDim); re-export the pack.`,
      { details: { file: m.encoder.file } });
  }
  return t.data as Float32Array;
}

/** Options of {@link clipVisionHeadSource}. */
export interface ClipVisionHeadSourceOptions {
  readonly pack: Pack;
  /** An open session of the pack's encoder.onnx (the caller owns it). */
  readonly head: ort.InferenceSession;
  /** The private image_embeds, row-major [count, dim] (PRIVATE). */
  readonly embeds: Float32Array;
  /** The same images, uint8 [count, H, W, 3], for the ledger identities only (PRIVATE). */
  readonly images: { readonly data: Uint8Array; readonly shape: readonly number[] };
  readonly count: number;
  readonly clipNorm: ClipNorm;
}

/** The private image_embeds through the pack's head, as a private embedding source. */
export function clipVisionHeadSource(o: ClipVisionHeadSourceOptions): PrivateEmbeddingSource {
  const m = o.pack.manifest;
  checkEncoderSession(o.pack, o.head);
  const dim = m.clipVision?.dim ?? 0;
  const [, height = 0, width = 0] = o.images.shape;
  const size = height * width * 3;
  const step = m.encoder.maxBatch;
  return {
    dim: m.embeddingDim,
    clipNorm: o.clipNorm,
    embedder: { packId: m.id, packVersion: m.version, encoderSha256: m.files[m.encoder.file]?.sha256 ?? '', clipVision: `${m.clipVision?.family ?? ''}/${dim}` },
    async stream(identify, sink, signal) {
      for (let start = 0; start < o.count; start += step) {
        if (signal?.aborted === true) throw new DpHyperLoraError('CANCELLED', 'the release was cancelled before anything was spent.');
        const end = Math.min(o.count, start + step);
        const ids: ImageId[] = [];
        for (let i = start; i < end; i++) ids.push(identify(o.images.data.subarray(i * size, (i + 1) * size), width, height, 3));
        const rows = await runClipVisionHead(o.pack, o.head, o.embeds.slice(start * dim, end * dim), end - start);
        sink({ ids, rows });
      }
    },
  };
}

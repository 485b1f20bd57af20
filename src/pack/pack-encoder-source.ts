/**
 * The first {@link PrivateEmbeddingSource}: private images (a folder, or decoded images in memory) through the
 * pack's ONNX encoder, streamed by ./embed.ts. Its exact facts (files not used, duplicates, timings) and the
 * names of unusable files are PRIVATE: they go only to the `local` callbacks, for this machine's terminal.
 */
import type * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import type { ImageId } from '../dp/identity.js';
import type { ClipNorm } from '../dp/types.js';
import { embedStream } from './embed.js';
import type { FolderCounts, FolderListing } from './image-folder.js';
import { resolveImageInput, type ImageInput } from './image-source.js';
import type { Pack } from './manifest.js';
import type { PrivateEmbeddingSource } from './private-source.js';

/** Exact facts of the pack encoder's stream: PRIVATE, for the local terminal only. */
export interface PackSourceFacts extends FolderCounts {
  /** Image files that could not be decoded (skipped under --on-unreadable skip). */
  readonly unreadable: number;
  /** Images left out before encoding because an identical image came earlier. */
  readonly duplicates: number;
  readonly listMs: number;
  /** Milliseconds awaiting the encoder's forward passes. */
  readonly encoderMs: number;
}

/** Callbacks that draw on this machine's terminal; everything they receive is PRIVATE. */
export interface PackSourceLocal {
  /** The folder listing (with private names) before anything runs. */
  onListing?(listing: FolderListing): void;
  /** Each file that failed to decode during the stream. */
  onUnreadableFile?(label: string, reason: string): void;
  /** Images embedded so far and the expected total when known (exact counts). */
  onProgress?(done: number, total: number | undefined): void;
  /** The stream's exact facts, once it has finished. */
  onFinished?(facts: PackSourceFacts): void;
}

/** Options of {@link packEncoderSource}. */
export interface PackEncoderSourceOptions {
  readonly pack: Pack;
  readonly images: ImageInput;
  /** An open session of the pack's encoder (the caller owns and releases it). */
  readonly encoder: ort.InferenceSession;
  /** Per-image clip norm C; default the pack's dp.clipNorm (branded at the node and CLI edges). */
  readonly clipNorm: ClipNorm;
  readonly local?: PackSourceLocal;
}

/** Refuses an encoder session whose input or output names differ from the manifest. */
export function checkEncoderSession(pack: Pack, encoder: ort.InferenceSession): void {
  const m = pack.manifest;
  if (!encoder.inputNames.includes(m.encoder.inputName) || !encoder.outputNames.includes(m.encoder.outputName)) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the pack's models do not match manifest.json: ${m.encoder.file} lacks input "${m.encoder.inputName}" or output "${m.encoder.outputName}" (fields encoder.inputName, encoder.outputName). Re-export the pack.`,
      { details: { file: m.encoder.file } });
  }
}

/** Refuses an SD pack (whose encoder reads CLIP-vision embeddings) where images are expected. */
export function checkImageEncoderPack(pack: Pack): void {
  const cv = pack.manifest.clipVision;
  if (cv !== undefined) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `pack ${pack.manifest.id} embeds images through ${cv.family} (run by ComfyUI), not through its own image encoder; `
      + 'use CLIPVisionEncode → DP Embed (CLIP Vision) with this pack.');
  }
}

/** The pack encoder over private images, as a private embedding source. */
export function packEncoderSource(o: PackEncoderSourceOptions): PrivateEmbeddingSource {
  const m = o.pack.manifest;
  checkImageEncoderPack(o.pack);
  checkEncoderSession(o.pack, o.encoder);
  return {
    dim: m.embeddingDim,
    clipNorm: o.clipNorm,
    embedder: { packId: m.id, packVersion: m.version, encoderSha256: m.files[m.encoder.file]?.sha256 ?? '' },
    async stream(identify, sink, signal) {
      const t0 = performance.now();
      const input = await resolveImageInput(o.images, signal, o.local?.onListing);
      const listMs = performance.now() - t0;
      const result = await embedStream<ImageId>({
        tasks: input.tasks, encoder: o.encoder, inputName: m.encoder.inputName, outputName: m.encoder.outputName, spec: m.encoder,
        embeddingDim: m.embeddingDim, maxBatch: m.encoder.maxBatch, identify: (img) => identify(img.rgb, img.width, img.height, 3),
        sink: (ids, rows) => sink({ ids, rows }), onUnreadable: input.onUnreadable,
        ...(o.local?.onUnreadableFile !== undefined ? { onUnreadableFile: o.local.onUnreadableFile } : {}),
        onProgress: (done) => o.local?.onProgress?.(done, input.expected),
      });
      o.local?.onFinished?.({ ...input.counts, unreadable: result.skipped, duplicates: result.duplicates, listMs, encoderMs: result.encoderMs });
    },
  };
}

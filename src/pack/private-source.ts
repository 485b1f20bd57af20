/**
 * The private side of the privacy boundary, as an interface: where the rows of a private embedding set come
 * from. {@link releaseDatasetEmbedding} (./release-embedding.ts) is the only consumer; it clips, sums, charges
 * the ledger and adds the noise, so an implementation never touches DP arithmetic and never decides what is
 * released. Two implementations are meant to exist side by side:
 * - ./pack-encoder-source.ts: private images (a folder or decoded images) through the pack's ONNX encoder;
 * - embeddings precomputed elsewhere (e.g. by ComfyUI's CLIP-vision model), with each image's identity from
 *   its pixels.
 *
 * Privacy meaning: everything an implementation sees or yields is PRIVATE. It may tell the local terminal what
 * it likes through its own callbacks (exact counts, names), but it returns nothing to its caller except rows
 * and identities into the sink, which never leave releaseDatasetEmbedding.
 */
import type { ImageId } from '../dp/identity.js';
import type { ClipNorm } from '../dp/types.js';
import type { DatasetRelease } from './release-embedding.js';

/**
 * The ledger's keyed identity of one image, from its decoded pixels (8-bit, row-major, `channels` per pixel):
 * the same picture gives the same id however it arrived (file or tensor), so overlapping sets share budgets.
 */
export type IdentifyImage = (pixels: Uint8Array, width: number, height: number, channels: number) => ImageId;

/**
 * One batch of private rows: `ids[i]` is the ledger identity of the image whose embedding is row i of `rows`
 * (`ids.length × dim` floats, row-major). The arrays are valid only during the sink call: copy to keep.
 */
export interface EmbeddingBatch {
  readonly ids: readonly ImageId[];
  readonly rows: Float32Array;
}

/** Where a source hands its batches; synchronous, so that a source may reuse its buffers after the call. */
export type EmbeddingBatchSink = (batch: EmbeddingBatch) => void;

/** A private set of embeddings, streamed (memory O(batch), never O(n)). */
export interface PrivateEmbeddingSource {
  /** Embedding dimension d (public: a property of the embedding function). */
  readonly dim: number;
  /** Per-row L2 clip norm C (public, in embedding units): every row is clipped to it before summing. */
  readonly clipNorm: ClipNorm;
  /**
   * Public description of the embedding function (e.g. pack id, version, encoder SHA-256): part of the ledger's
   * idempotence key, so a release is reused only for the same function. Never anything about the set.
   */
  readonly embedder: Readonly<Record<string, string | number>>;
  /**
   * Streams every row of the set into `sink`, with identities made by `identify`. A row whose identity came
   * earlier is dropped by the caller (one image, one contribution), so a source need not deduplicate. Must stop
   * with CANCELLED when `signal` fires, and must not spend budget or release anything itself.
   */
  stream(identify: IdentifyImage, sink: EmbeddingBatchSink, signal?: AbortSignal): Promise<void>;
}

/**
 * A private set that brings its own source: the second route's handle value (DP Embed (CLIP Vision): projected
 * CLIP-vision embeddings and pixel identities). Noisy Aggregate releases it through releaseDatasetEmbedding exactly
 * like the pack-encoder set (same ledger, relation, idempotence and summary); only the parts that depend on the
 * route come from here. Both methods see public values only (the DatasetRelease is public by type).
 */
export interface SourcedPrivateSet<M> {
  readonly kind: 'sourced';
  /** The private rows and identities, for releaseDatasetEmbedding. */
  readonly source: PrivateEmbeddingSource;
  /** A public warning about the released noise (from σ, the dimension, C and the public count), or undefined. */
  noiseWarning(release: DatasetRelease): string | undefined;
  /** The public metadata that travels with the DP dataset embedding. */
  metadata(release: DatasetRelease, releaseNumber: number): M;
  /**
   * σ_sum / (n·C) above which the release stops after the noisy count (Noisy Aggregate's too_few_images gate,
   * src/pack/noise-gate.ts); a public constant of the route (pack or conditioning pack), never of the set.
   */
  readonly stopAboveNoise?: number;
}

/** True for a {@link SourcedPrivateSet} (M is the caller's metadata type; it is not checked at run time). */
export function isSourcedPrivateSet<M>(v: unknown): v is SourcedPrivateSet<M> {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'sourced';
}

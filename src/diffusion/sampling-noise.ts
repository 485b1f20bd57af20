/**
 * Seeded standard-normal noise for the sampler's starting point x_T.
 *
 * This is NOT privacy noise. Sampling images from an already-released LoRA is post-processing of a DP
 * output, so it needs no secrecy; what it needs is reproducibility (the same seed gives the same images,
 * for side-by-side comparisons and tests). A caller-supplied seed is therefore correct here, unlike in
 * src/dp, where all noise comes from a CSPRNG with no seed input.
 *
 * The uniform stream is AES-256-CTR keyed by SHA-256 of the seed (node:crypto, a maintained primitive; the
 * counter-mode keystream is a standard deterministic generator), turned into normals by Box–Muller.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { DpHyperLoraError } from '../errors.js';

const CHUNK_BYTES = 64 * 1024;

/** A deterministic source of standard-normal float32 values. */
export class SeededNormal {
  private readonly cipher;
  private words = new DataView(new ArrayBuffer(0));
  private index = 0;
  private spare: number | undefined;

  /** `seed`: any safe integer or string; equal seeds give equal streams. */
  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `sampling seed ${seed} must be a safe integer`);
    }
    const key = createHash('sha256').update(`dp-hyperlora/sampling-noise/${typeof seed}:${String(seed)}`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** A uniform value in (0, 1) with 32 random bits (never exactly 0, so log() below is finite). */
  private uniform(): number {
    if (this.index >= this.words.byteLength) {
      const bytes = this.cipher.update(Buffer.alloc(CHUNK_BYTES));
      // Read as little-endian words through a DataView: same stream on every platform, any byteOffset.
      this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.index = 0;
    }
    const word = this.words.getUint32(this.index, true);
    this.index += 4;
    return (word + 0.5) / 2 ** 32;
  }

  /** One standard-normal value (Box–Muller; the second value of each pair is kept for the next call). */
  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills a new Float32Array of `length` standard-normal values. */
  fill(length: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next();
    return out;
  }
}

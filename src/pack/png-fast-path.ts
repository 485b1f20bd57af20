/**
 * A fast decoding path for small, plain PNGs (the typical private-set image of the reference world: 28×28 grey).
 * libvips' per-image pipeline setup costs far more than decoding 784 pixels, so for 10,000 such images the
 * decoder, not the encoder, would dominate. pngjs (node's native zlib for inflate, filters in JS) decodes them
 * in-process at about 0.08 ms of CPU per 28×28 image once warm, against about 0.2 ms for fast-png (pure-JS
 * inflate) and more for a libvips pipeline (measured on this project's 2-core machine).
 *
 * Only PNGs whose decoded pixels cannot differ from sharp's are eligible: 8-bit grey or RGB, no palette, no
 * transparency, no colour-management chunks (iCCP, gAMA, cHRM, sRGB), no EXIF (orientation), no animation, and
 * at most FAST_PNG_MAX_PIXELS pixels. Everything else goes through sharp. test/pack/preprocess.test.ts checks
 * that both paths give identical bytes.
 */
import { PNG } from 'pngjs';
import type { DecodedImage } from './preprocess.js';

/** Largest image (in pixels) decoded in JavaScript; bigger ones go to libvips, which is faster for them. */
export const FAST_PNG_MAX_PIXELS = 256 * 256;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Ancillary chunks that do not change decoded pixels in libvips. */
const NEUTRAL_CHUNKS = new Set(['IHDR', 'IDAT', 'IEND', 'tEXt', 'zTXt', 'iTXt', 'pHYs', 'tIME']);

/**
 * True when `bytes` is a PNG that the fast path decodes exactly as sharp would (see the module comment).
 * Walks the chunk list (length, type) with bounds checks; never throws.
 */
export function fastPngEligible(bytes: Uint8Array): boolean {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let sawHeader = false;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
    if (!NEUTRAL_CHUNKS.has(type) || at + 12 + length > bytes.length) return false;
    if (type === 'IHDR') {
      if (length !== 13) return false;
      const width = view.getUint32(at + 8);
      const height = view.getUint32(at + 12);
      const bitDepth = bytes[at + 16];
      const colourType = bytes[at + 17];
      if (bitDepth !== 8 || (colourType !== 0 && colourType !== 2) || width * height > FAST_PNG_MAX_PIXELS || width === 0 || height === 0) return false;
      sawHeader = true;
    }
    if (type === 'IEND') return sawHeader;
    at += 12 + length;
  }
  return false;
}

/** Decodes an eligible PNG (check {@link fastPngEligible} first) to 8-bit RGB. Throws on damaged data. */
export function decodePngFast(bytes: Uint8Array): DecodedImage {
  // pngjs returns RGBA (grey expanded to R = G = B, alpha 255 for the eligible colour types) and applies no gamma.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const pixels = png.width * png.height;
  if (png.data.length !== pixels * 4) throw new Error('PNG data does not match its header');
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[3 * p] = png.data[4 * p] as number;
    rgb[3 * p + 1] = png.data[4 * p + 1] as number;
    rgb[3 * p + 2] = png.data[4 * p + 2] as number;
  }
  return { rgb, width: png.width, height: png.height };
}

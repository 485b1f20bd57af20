/**
 * Image decoding and preprocessing with sharp (libvips): every common format (PNG, JPEG, WebP, TIFF, GIF first
 * frame, AVIF/HEIF where libvips has it, 16-bit inputs), EXIF orientation, alpha, colour↔grey, resizing and
 * normalisation to the pack's encoder input.
 *
 * Choices (documented in docs/packs.md):
 * - EXIF orientation is applied first (`rotate()`), so a phone photo is seen upright.
 * - Alpha is flattened onto black (sharp's default background). Black matches the dark background of the
 *   reference world, and flattening (not dropping) alpha makes fully transparent pixels deterministic. The
 *   flattened RGB bytes are both what the model sees and what the ledger hashes (src/dp/identity.ts).
 * - Every image is decoded to 8-bit sRGB RGB ("decoded image"); 16-bit inputs are scaled to 8 bits.
 * - Resize uses fit "cover" with a centre crop (aspect ratio kept, no letterbox bars that would add fake black
 *   borders), Lanczos-3. Grey encoders get libvips' luma (`greyscale()`); grey images fed to an RGB encoder are
 *   replicated to R = G = B.
 * - Normalisation: x = (pixel / 255 − mean[c]) / std[c], channel-major [C, H, W] (the NCHW of docs/pack-format.md).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodePngFast, fastPngEligible } from './png-fast-path.js';

/** A decoded image: 8-bit RGB, row-major, interleaved, top row first, after EXIF rotation and alpha flattening. */
export interface DecodedImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The encoder input spec of a pack (manifest `encoder` fields). */
export interface EncoderInputSpec {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly normalise: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/** Largest decoded image accepted, in pixels (a 100-megapixel photo); bigger files count as unreadable. */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Most full-size libvips decodes alive at once (each can hold a whole decoded photo in memory). */
export const SHARP_DECODE_LIMIT = 4;

/** A counting semaphore: at most `limit` tasks run at once, the rest wait in order (a finishing task hands its slot on). */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}

const sharpSlots = new Slots(SHARP_DECODE_LIMIT);

/**
 * Decodes an image file or buffer to {@link DecodedImage}. Rejects (with the decoder's error) when the bytes are
 * not a decodable image; callers turn that into an "unreadable file" entry. Small plain PNGs take the in-process
 * fast path (./png-fast-path.ts, identical pixels); everything else goes through sharp.
 */
export async function decodeImage(input: string | Uint8Array): Promise<DecodedImage> {
  // A synchronous read: for the small files of a large private set it costs a tenth of the CPU of fs.promises'
  // readFile (measured: 0.015 vs 0.15 ms per file), and the decoders below need the whole file anyway.
  const bytes = typeof input === 'string' ? readFileSync(input) : input;
  if (fastPngEligible(bytes)) return decodePngFast(bytes);
  const { data, info } = await sharpSlots.run(() => sharp(bytes, { pages: 1, limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
    .rotate()
    .flatten({ background: '#000000' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true }));
  if (info.channels !== 3) {
    // libvips returned something other than RGB (a colourspace sharp could not convert): treat as unreadable.
    throw new Error(`decoded to ${info.channels} channels instead of 3`);
  }
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Float values of one preprocessed image: [channels × height × width], channel-major. */
export function encoderInputSize(spec: EncoderInputSpec): number {
  return spec.channels * spec.height * spec.width;
}

/** True when every pixel has R = G = B (then libvips' luma is that value exactly; tested in test/pack/preprocess). */
function isGrey(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}

/** Normalises interleaved 8-bit samples (`stride` per pixel) into channel-major floats at `offset`. */
function normaliseInto(data: Uint8Array, stride: number, spec: EncoderInputSpec, out: Float32Array, offset: number): void {
  const plane = spec.width * spec.height;
  for (let c = 0; c < spec.channels; c++) {
    const mean = spec.normalise.mean[c] ?? 0;
    const std = spec.normalise.std[c] ?? 1;
    const base = offset + c * plane;
    for (let p = 0; p < plane; p++) out[base + p] = ((data[p * stride + c] ?? 0) / 255 - mean) / std;
  }
}

/**
 * Resizes, converts and normalises one decoded image into `out` at `offset` (channel-major [C,H,W]), ready to be
 * one row of the encoder's [N,C,H,W] input.
 *
 * Fast path: when the image already has the encoder's size, resizing is the identity and sharp is skipped (a
 * second libvips pipeline per image would cost more than a small encoder's forward pass); for a grey encoder this
 * applies to grey images (R = G = B), whose luma is the grey value. The results equal the sharp path exactly.
 */
export async function writeEncoderInput(img: DecodedImage, spec: EncoderInputSpec, out: Float32Array, offset: number): Promise<void> {
  if (img.width === spec.width && img.height === spec.height && (spec.channels === 3 || isGrey(img.rgb))) {
    normaliseInto(img.rgb, 3, spec, out, offset);
    return;
  }
  let pipeline = sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(spec.width, spec.height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' });
  if (spec.channels === 1) pipeline = pipeline.greyscale();
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  normaliseInto(data, info.channels, spec, out, offset);
}

/** Preprocesses one decoded image into a fresh array (convenience for single images, e.g. FID features). */
export async function encoderInput(img: DecodedImage, spec: EncoderInputSpec): Promise<Float32Array> {
  const out = new Float32Array(encoderInputSize(spec));
  await writeEncoderInput(img, spec, out, 0);
  return out;
}

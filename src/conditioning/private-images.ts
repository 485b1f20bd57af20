/**
 * Reads a private image folder into one IMAGE batch inside the worker (Load Private Images): lists the folder and
 * decodes each file with src/pack's listing and decoder (EXIF rotation, alpha flattened onto black, 8-bit sRGB),
 * then resizes each image to size × size with the same "cover" centre crop (Lanczos-3) the packs use, so that the
 * images form one batch for CLIPVisionEncode. PRIVATE: the batch, its size and any file name stay in the caller's
 * hands; errors here name no file and give no count.
 */
import sharp from 'sharp';
import { DpHyperLoraError } from '../errors.js';
import type { OnUnreadable } from '../pack/image-folder.js';
import { resolveImageInput, throwIfCancelled } from '../pack/image-source.js';
import type { DecodedImage } from '../pack/preprocess.js';
import type { Tensor } from '../worker/values.js';

/** Options of {@link loadPrivateImageBatch}. */
export interface PrivateImageBatchOptions {
  /** The private folder (an absolute path the bridge resolved from the folder choice). */
  readonly dir: string;
  /** Side of the square output images, in pixels. */
  readonly size: number;
  /** 'fail': an undecodable file stops the run (IMAGE_UNREADABLE); 'skip': it is left out, never named or counted in public. */
  readonly onUnreadable: OnUnreadable;
  readonly signal?: AbortSignal;
}

/**
 * Resizes one decoded image to size × size RGB ("cover", centre crop, Lanczos-3); the identity when it already is.
 * The SD pack trainer makes its public CLIP-vision frames with this same function (src/cli/pack-clip-frames.ts), so
 * that φ is trained on exactly the pixels the private route gives CLIPVisionEncode.
 */
export async function squareRgb(img: DecodedImage, size: number): Promise<Uint8Array> {
  if (img.width === size && img.height === size) return img.rgb;
  const { data } = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Loads every image directly inside `dir` into an IMAGE tensor uint8 [B, size, size, 3] (B is PRIVATE: the number of
 * readable images). Throws INVALID_ARGUMENT / IMAGES_EMPTY from the listing, IMAGE_UNREADABLE on the first
 * undecodable file under 'fail', IMAGES_EMPTY when no file could be decoded under 'skip', CANCELLED when `signal` fires.
 */
export async function loadPrivateImageBatch(o: PrivateImageBatchOptions): Promise<Tensor> {
  const resolved = await resolveImageInput({ kind: 'folder', dir: o.dir, onUnreadable: o.onUnreadable }, o.signal);
  const frames: Uint8Array[] = [];
  for await (const task of resolved.tasks) {
    throwIfCancelled(o.signal);
    let img: DecodedImage;
    try {
      img = await task.load();
    } catch (err) {
      if (err instanceof DpHyperLoraError) throw err;
      if (o.onUnreadable === 'fail') {
        throw new DpHyperLoraError('IMAGE_UNREADABLE',
          'a file in the private folder could not be decoded as an image (it is not named here, to keep the set private); '
          + 'remove or fix it, or set on_unreadable to "skip" to leave such files out. No privacy budget was spent.');
      }
      continue;
    }
    frames.push(await squareRgb(img, o.size));
  }
  if (frames.length === 0) {
    throw new DpHyperLoraError('IMAGES_EMPTY',
      'no file in the private folder could be decoded as an image; put readable images (PNG, JPEG, WebP, …) directly inside it.');
  }
  const frame = o.size * o.size * 3;
  const data = new Uint8Array(frames.length * frame);
  frames.forEach((f, i) => data.set(f, i * frame));
  return { dtype: 'uint8', shape: [frames.length, o.size, o.size, 3], data };
}

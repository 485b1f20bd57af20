/**
 * `dp-hyperlora pack clip-frames --list FILE --size N --out FILE`: the CLIP-vision input frames of PUBLIC images, for
 * the SD pack trainer (training/sdpack/frames.py). Each file named in the list (one path per line) is decoded and
 * squared by the very functions Load Private Images uses (decodeImage: EXIF rotation, alpha onto black, 8-bit sRGB;
 * squareRgb: "cover" centre crop, Lanczos-3), so a pack's φ head is trained on exactly the pixels the private route
 * feeds CLIPVisionEncode. The output is raw uint8 [N, N_size, N_size, 3], in list order. PUBLIC data only: errors
 * name the file (never give this command private images; Load Private Images is their way in).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { squareRgb } from '../conditioning/private-images.js';
import { DpHyperLoraError } from '../errors.js';
import { decodeImage } from '../pack/preprocess.js';
import { parseOptions } from './calculator-options.js';

const schema = z.object({
  list: z.string({ message: '--list is required (a text file with one public image path per line)' }).min(1),
  size: z.string().trim().regex(/^\d+$/, '--size must be a whole number of pixels').transform(Number)
    .refine((n) => n >= 16 && n <= 2048, '--size must be between 16 and 2048 pixels (Load Private Images\' range)'),
  out: z.string({ message: '--out is required (the file to write the frames to)' }).min(1),
});

/** The frames of `paths` at `size` × `size`: uint8 RGB, [paths.length, size, size, 3] row-major. */
export async function clipFrames(paths: readonly string[], size: number): Promise<Uint8Array> {
  const frame = size * size * 3;
  const out = new Uint8Array(paths.length * frame);
  for (const [i, path] of paths.entries()) {
    const img = await decodeImage(path).catch((e: unknown) => {
      throw new DpHyperLoraError('IMAGE_UNREADABLE', `public image ${path} cannot be decoded (${e instanceof Error ? e.message : String(e)}); remove or replace it.`, { cause: e });
    });
    out.set(await squareRgb(img, size), i * frame);
  }
  return out;
}

/** Adds `clip-frames` to the `pack` command. */
export function registerClipFrames(pack: Command): void {
  pack.command('clip-frames')
    .description('the CLIP-vision input frames of PUBLIC images, made as Load Private Images makes them (for the SD pack trainer)')
    .option('--list <file>', 'text file: one PUBLIC image path per line')
    .option('--size <px>', 'side of the square frames, in pixels (Load Private Images\' size)', '224')
    .option('--out <file>', 'where to write the frames: raw uint8 [images, size, size, 3]')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(schema, raw);
      const text = await readFile(o.list, 'utf8').catch((e: unknown) => {
        throw new DpHyperLoraError('INVALID_ARGUMENT', `cannot read --list ${o.list}; check the path.`, { cause: e });
      });
      const paths = text.split('\n').filter((line) => line.length > 0);
      if (paths.length === 0) throw new DpHyperLoraError('IMAGES_EMPTY', `--list ${o.list} names no image; give one public image path per line.`);
      await writeFile(o.out, await clipFrames(paths, o.size));
    });
}

/**
 * The demo's picture: a grid of base-model samples beside the DP-LoRA samples made from the same starting noise
 * (so image k on the left and image k on the right differ only by the LoRA), separated by a white bar, upscaled
 * with nearest-neighbour so that 28-pixel images stay crisp, and encoded as PNG by sharp.
 */
import sharp from 'sharp';
import { toUint8Images, type SampleSet } from '../diffusion/index.js';

/** Options of {@link sampleGridPng}. */
export interface SampleGridOptions {
  /** Images per row of each half. */
  readonly columns: number;
  /** Integer upscaling factor; default 3. */
  readonly scale?: number;
  /** Pixels between images (before scaling); default 1. */
  readonly gap?: number;
}

/** Lays out `left` and `right` (same count and shape) as two grids side by side; resolves to PNG bytes. */
export async function sampleGridPng(left: SampleSet, right: SampleSet, o: SampleGridOptions): Promise<Uint8Array> {
  const a = toUint8Images(left);
  const b = toUint8Images(right);
  const [n, channels, h, w] = left.dims;
  const gap = o.gap ?? 1;
  const cols = Math.max(1, Math.min(o.columns, n));
  const rows = Math.ceil(n / cols);
  const halfW = cols * (w + gap) + gap;
  const bar = 4 * gap + 2;
  const width = 2 * halfW + bar;
  const height = rows * (h + gap) + gap;
  // Written by hand: a few loops place raw pixels; sharp then scales and encodes.
  const out = Buffer.alloc(width * height * channels, 0);
  for (let y = 0; y < height; y++) for (let x = halfW; x < halfW + bar; x++) out.fill(255, (y * width + x) * channels, (y * width + x + 1) * channels);
  const place = (img: { data: Uint8Array }, k: number, x0: number): void => {
    const gx = x0 + gap + (k % cols) * (w + gap);
    const gy = gap + Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++) out.set(img.data.subarray(y * w * channels, (y + 1) * w * channels), ((gy + y) * width + gx) * channels);
  };
  a.forEach((img, k) => place(img, k, 0));
  b.forEach((img, k) => place(img, k, halfW + bar));
  const scale = o.scale ?? 3;
  return sharp(out, { raw: { width, height, channels: channels as 1 | 3 } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

/** Conversions of sampled images: to 8-bit channel-last pixels (for PNGs) and to a feature network's input. */
import { DpHyperLoraError } from '../errors.js';
import type { SampleSet } from './sampler.js';

/** One 8-bit image, channel-last (H·W·C bytes), ready for an image encoder such as sharp's raw input. */
export interface Uint8Image {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Maps each sample from its pixel range to 0..255 (rounded, clamped), [C,H,W] → [H,W,C]. */
export function toUint8Images(samples: SampleSet): Uint8Image[] {
  const [n, c, h, w] = samples.dims;
  const [lo, hi] = samples.pixelRange;
  const images: Uint8Image[] = [];
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(h * w * c);
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const v = samples.data[(i * c + ch) * h * w + p] ?? lo;
        data[p * c + ch] = Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
      }
    }
    images.push({ data, width: w, height: h, channels: c });
  }
  return images;
}

/** Per-channel normalisation of a network input: x = (pixel/255 − mean) / std (manifest encoder.normalise). */
export interface Normalise {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * The feature network's input for sampled images: the pixel range mapped to [0, 1] (what pixel/255 is for
 * a real image), then normalised per channel. Returns a new float32 [N,C,H,W] array.
 */
export function samplesToNetworkInput(samples: SampleSet, normalise: Normalise): Float32Array {
  const [n, c, h, w] = samples.dims;
  if (normalise.mean.length !== c || normalise.std.length !== c) {
    throw new DpHyperLoraError('PACK_INVALID', `normalise has ${normalise.mean.length} means and ${normalise.std.length} stds for ${c} channel(s)`);
  }
  const [lo, hi] = samples.pixelRange;
  const out = new Float32Array(samples.data.length);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const mean = normalise.mean[ch] ?? 0;
      const std = normalise.std[ch] ?? 1;
      const base = (i * c + ch) * h * w;
      for (let p = 0; p < h * w; p++) {
        const unit = ((samples.data[base + p] ?? lo) - lo) / (hi - lo);
        out[base + p] = (unit - mean) / std;
      }
    }
  }
  return out;
}

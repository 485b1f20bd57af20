/**
 * DDIM sampling (eta = 0) of N images from an ε-predictor, in batches: x_T ~ N(0, I) from a seeded stream
 * (see sampling-noise.ts: reproducible post-processing noise, not privacy noise), then one model call and one
 * {@link ddimStep} per timestep of {@link ddimTimesteps}, and a final clamp to the pixel range. Sample j
 * always starts from the same noise values whatever the batch size, so base and LoRA samples made with one
 * seed are paired image by image.
 */
import { DpHyperLoraError } from '../errors.js';
import { ddimStep } from './ddim.js';
import { alphaBars, ddimTimesteps, type LinearSchedule } from './schedule.js';
import { SeededNormal } from './sampling-noise.js';
import type { EpsPredictor } from './unet-model.js';

/** Channels, height and width of one image. */
export interface ImageShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Progress of a sampling run: model calls done out of the total, and finished samples. */
export interface SamplingProgress {
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly samplesDone: number;
  readonly samplesTotal: number;
}

/** Options of {@link sampleDdim}. */
export interface SampleDdimOptions {
  readonly model: EpsPredictor;
  readonly imageShape: ImageShape;
  /** Number of images N. */
  readonly count: number;
  /** DDIM steps (the manifest's sampler.defaultSteps is a good default). */
  readonly steps: number;
  /** The model's training timesteps T (manifest sampler.timesteps). */
  readonly timesteps: number;
  readonly schedule: LinearSchedule;
  /** The model's pixel range (manifest sampler.pixelRange), e.g. [-1, 1]. */
  readonly pixelRange: readonly [number, number];
  /** Seed of the starting noise (reproducibility only; not privacy noise). */
  readonly seed: number | string;
  /** Images per model call; default 64. */
  readonly batchSize?: number;
  /** Clamp x̂0 to the pixel range at each step, as training does; default true. */
  readonly clipDenoised?: boolean;
  readonly onProgress?: (p: SamplingProgress) => void;
  readonly signal?: AbortSignal;
}

/** N sampled images, float32 [N,C,H,W] in the pixel range. */
export interface SampleSet {
  readonly data: Float32Array;
  readonly dims: readonly [number, number, number, number];
  readonly pixelRange: readonly [number, number];
}

function checkOptions(o: SampleDdimOptions): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(o.count) || o.count < 1) problems.push(`count ${o.count} must be a positive integer`);
  const b = o.batchSize ?? 64;
  if (!Number.isSafeInteger(b) || b < 1) problems.push(`batchSize ${b} must be a positive integer`);
  const { channels, height, width } = o.imageShape;
  if (![channels, height, width].every((d) => Number.isSafeInteger(d) && d > 0)) problems.push(`image shape ${channels}×${height}×${width} must be positive integers`);
  if (!(o.pixelRange[0] < o.pixelRange[1])) problems.push(`pixelRange [${o.pixelRange.join(', ')}] must be increasing`);
  if (problems.length > 0) throw new DpHyperLoraError('INVALID_ARGUMENT', `sampler: ${problems.join('; ')}`);
}

/** Samples `count` images with DDIM; resolves to float32 [N,C,H,W] clamped to the pixel range. */
export async function sampleDdim(o: SampleDdimOptions): Promise<SampleSet> {
  checkOptions(o);
  const bars = alphaBars(o.schedule, o.timesteps);
  const ts = ddimTimesteps(o.steps, o.timesteps);
  const { channels, height, width } = o.imageShape;
  const perImage = channels * height * width;
  const batchSize = o.batchSize ?? 64;
  const clampRange = (o.clipDenoised ?? true) ? o.pixelRange : undefined;
  const noise = new SeededNormal(o.seed);
  const out = new Float32Array(o.count * perImage);
  const stepsTotal = Math.ceil(o.count / batchSize) * ts.length;
  let stepsDone = 0;
  for (let start = 0; start < o.count; start += batchSize) {
    const b = Math.min(batchSize, o.count - start);
    const dims = [b, channels, height, width] as const;
    const x = noise.fill(b * perImage);
    for (let i = 0; i < ts.length; i++) {
      if (o.signal?.aborted === true) throw new DpHyperLoraError('CANCELLED', 'sampling was cancelled');
      const t = ts[i] ?? 0;
      const eps = await o.model.predict(x, dims, t);
      const next = ts[i + 1];
      ddimStep(x, eps, { alphaBar: bars[t] ?? 1, alphaBarPrev: next === undefined ? 1 : (bars[next] ?? 1), clampRange });
      stepsDone++;
      o.onProgress?.({ stepsDone, stepsTotal, samplesDone: start + (i === ts.length - 1 ? b : 0), samplesTotal: o.count });
    }
    const [lo, hi] = o.pixelRange;
    for (let k = 0; k < x.length; k++) out[start * perImage + k] = Math.min(hi, Math.max(lo, x[k] ?? 0));
  }
  return { data: out, dims: [o.count, channels, height, width], pixelRange: [o.pixelRange[0], o.pixelRange[1]] };
}

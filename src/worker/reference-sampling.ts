/**
 * Sampling the reference pack's diffusion model with a LoRA, for DP Reference Sampler. The sampling itself is
 * src/diffusion's (the same DDIM and LoRA injection as `dp-hyperlora eval`); this file converts the bridge's
 * LORA_MODEL tensors to the sampler's factors and the samples to a ComfyUI IMAGE (uint8 RGB, channel-last,
 * nearest-neighbour upscaled so that 28×28 samples are visible in previews). The LoRA steers with LoRA guidance at
 * the pack's recommended weight (manifest sampler.loraGuidance, absent = 1: the LoRA alone), as `demo` does.
 */
import { DpHyperLoraError } from '../errors.js';
import { LoraGuidedEps, loraScale, sampleDdim, toUint8Images, UnetEpsModel, type Uint8Image } from '../diffusion/index.js';
import type { NamedFloatTensor } from '../lora/index.js';
import type { Pack } from '../pack/manifest.js';
import { SessionFactory } from '../pack/sessions.js';
import { float32View, type Tensor } from './values.js';

/** Options of {@link sampleReferenceImages}. */
export interface ReferenceSamplingOptions {
  readonly pack: Pack;
  readonly lora: Readonly<Record<string, Tensor>>;
  readonly count: number;
  readonly seed: number;
  readonly steps: number;
  readonly strength: number;
  readonly upscale: number;
  readonly signal: AbortSignal;
  onProgress(done: number, total: number): void;
}

/** The LoRA factors (down/up weights) of a LORA_MODEL, as the sampler takes them; alphas are implied by the pack. */
function factorsOf(lora: Readonly<Record<string, Tensor>>): Record<string, NamedFloatTensor> {
  const factors: Record<string, NamedFloatTensor> = {};
  for (const [name, t] of Object.entries(lora)) {
    if (name.endsWith('.lora_down.weight') || name.endsWith('.lora_up.weight')) factors[name] = { data: float32View(t), dims: t.shape };
  }
  return factors;
}

/** Writes image `img` (1 or 3 channels) into `out` as RGB, upscaled by `s` (nearest neighbour). */
function writeRgbUpscaled(img: Uint8Image, s: number, out: Uint8Array, offset: number): void {
  const W = img.width * s;
  for (let y = 0; y < img.height * s; y++) {
    for (let x = 0; x < W; x++) {
      const src = (Math.floor(y / s) * img.width + Math.floor(x / s)) * img.channels;
      const dst = offset + (y * W + x) * 3;
      for (let c = 0; c < 3; c++) out[dst + c] = img.data[src + (img.channels === 1 ? 0 : c)] ?? 0;
    }
  }
}

/** Samples `count` images; returns an IMAGE tensor uint8 [count, H·upscale, W·upscale, 3]. */
export async function sampleReferenceImages(o: ReferenceSamplingOptions): Promise<Tensor> {
  const m = o.pack.manifest;
  const sampler = m.sampler;
  if (sampler === undefined) throw new DpHyperLoraError('PACK_INCOMPATIBLE', `pack ${m.id} has no sampler (unet.onnx).`);
  const session = await new SessionFactory('auto').open(o.pack.filePath(sampler.file), sampler.file);
  try {
    const withLora = new UnetEpsModel(session, {
      modules: m.lora.modules, rank: m.lora.rank, lora: { factors: factorsOf(o.lora), scale: loraScale(o.strength, m.lora.alpha, m.lora.rank) },
    });
    // The pack's guidance weight (public, validated by the manifest schema); w = 1 runs the LoRA model alone.
    const base = new UnetEpsModel(session, { modules: m.lora.modules, rank: m.lora.rank });
    const model = new LoraGuidedEps({ base, lora: withLora, weight: sampler.loraGuidance ?? 1 });
    const samples = await sampleDdim({
      model, imageShape: { channels: m.encoder.channels, height: m.encoder.height, width: m.encoder.width }, count: o.count, steps: o.steps,
      timesteps: sampler.timesteps, schedule: sampler.schedule, pixelRange: sampler.pixelRange, seed: o.seed, signal: o.signal,
      onProgress: (p) => o.onProgress(p.stepsDone, p.stepsTotal),
    });
    const images = toUint8Images(samples);
    const h = m.encoder.height * o.upscale;
    const w = m.encoder.width * o.upscale;
    const data = new Uint8Array(images.length * h * w * 3);
    images.forEach((img, i) => writeRgbUpscaled(img, o.upscale, data, i * h * w * 3));
    return { dtype: 'uint8', shape: [images.length, h, w, 3], data };
  } finally {
    await session.release();
  }
}

/**
 * DP Reference Sampler: samples the reference pack's own small diffusion model with the DP LoRA, in the
 * worker (src/diffusion's DDIM over unet.onnx). This makes the whole method run inside ComfyUI on a CPU with
 * no Stable Diffusion pack. The seed only drives image sampling, never privacy noise. The LoRA steers with the
 * pack's recommended LoRA guidance weight (manifest sampler.loraGuidance; no widget), see src/worker/reference-sampling.ts.
 */
import { DpHyperLoraError } from '../src/errors.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { loraInput } from '../src/worker/inputs.js';
import { workerPack } from '../src/worker/resources.js';
import { sampleReferenceImages } from '../src/worker/reference-sampling.js';

const ID = 'DPHyperLoRA_ReferenceSampler';

const INPUTS = [
  { kind: 'SOCKET', name: 'pack', type: 'DP_PACK', tooltip: 'The reference pack (it ships the small diffusion model).' },
  { kind: 'SOCKET', name: 'lora', type: 'LORA_MODEL', tooltip: 'The DP LoRA from Hypernetwork LoRA.' },
  { kind: 'INT', name: 'count', default: 16, min: 1, max: 256, step: 1, tooltip: 'How many images to generate.' },
  { kind: 'INT', name: 'seed', default: 0, min: 0, max: 4294967295, step: 1, controlAfterGenerate: true, tooltip: 'Seed of the sampling noise (images only; privacy noise never uses a seed).' },
  { kind: 'INT', name: 'steps', default: 50, min: 1, max: 1000, step: 1, tooltip: 'DDIM steps: more is slower and a little sharper.' },
  { kind: 'FLOAT', name: 'strength', default: 1, min: 0, max: 4, step: 0.01, tooltip: 'LoRA strength (0 = the base model, 1 = as released).' },
  { kind: 'INT', name: 'upscale', default: 4, min: 1, max: 16, step: 1, tooltip: 'Nearest-neighbour upscale factor, so that the small images are visible in previews.' },
] as const satisfies readonly InputSpec[];

/** DP Reference Sampler. */
export const dpReferenceSampler: NodeDefinition = {
  id: ID,
  displayName: 'DP Reference Sampler',
  category: NODE_CATEGORY,
  description:
    'Generates images with the reference pack\'s own small diffusion model and the DP LoRA applied (DDIM, in the worker, CPU is enough). '
    + 'This is the end-to-end path that runs anywhere without a Stable Diffusion pack. The seed affects only image sampling, never privacy noise.',
  inputs: INPUTS,
  outputs: [{ name: 'IMAGE', type: 'IMAGE', tooltip: 'The generated images (RGB batch), for Preview Image or Save Image.' }],

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    const pack = await workerPack(v.pack, ctx.settings);
    if (pack.manifest.sampler === undefined) {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE', `${ID}: pack ${pack.manifest.id} has no diffusion model of its own (only the reference pack has one); for sd15/sdxl packs use the MODEL output with a KSampler.`);
    }
    const lora = loraInput(ID, inputs, 'lora');
    const image = await sampleReferenceImages({
      pack, lora: lora.tensors, count: v.count, seed: v.seed, steps: v.steps, strength: v.strength, upscale: v.upscale,
      signal: ctx.signal, onProgress: (done, total) => ctx.progress(done, total),
    });
    return { outputs: { IMAGE: { kind: 'tensor', tensor: image } }, ui: { text: [`${v.count} images · ${v.steps} DDIM steps · seed ${v.seed}`] } };
  },
};

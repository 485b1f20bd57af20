/**
 * DP Embed (CLIP Vision → SD pack): the private set for an SD hypernetwork pack. φ of such a pack is the user's
 * CLIP-vision model (core CLIPVisionEncode, in ComfyUI) followed by the pack's small head (encoder.onnx, here in the
 * worker). The node checks that the CLIP-vision model is the family and dimension the pack was trained on, and keeps
 * the image_embeds and the images' ledger identities (HMAC of the pixels) in the worker behind a DP_EMBEDDINGS handle.
 * Noisy Aggregate then runs the head, clips, sums and releases as for every route; Hypernetwork LoRA makes the LoRA.
 * Nothing about the set, not even its size, leaves the worker.
 */
import { DpHyperLoraError } from '../src/errors.js';
import { clipVisionEmbeds } from '../src/conditioning/clip-vision-value.js';
import { familyOf } from '../src/conditioning/family.js';
import { clipNorm } from '../src/dp/types.js';
import { checkClipVisionPack, clipVisionHeadSource } from '../src/pack/clip-vision-head.js';
import { loraMetadata } from '../src/pack/lora-from-embedding.js';
import { noiseAssessment } from '../src/pack/noise-range.js';
import type { SourcedPrivateSet } from '../src/pack/private-source.js';
import type { DatasetRelease } from '../src/pack/release-embedding.js';
import type { LoraMetadata } from '../src/lora/index.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { optionalTensor } from '../src/worker/inputs.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { workerPack, workerSession } from '../src/worker/resources.js';
import { EMBEDDINGS_HANDLE } from './dp-embed.js';

const ID = 'DPHyperLoRA_EmbedClipVisionPack';

const INPUTS = [
  { kind: 'SOCKET', name: 'pack', type: 'DP_PACK', tooltip: 'An SD hypernetwork pack (from Load DP Hypernetwork) trained on the same CLIP-vision model.' },
  {
    kind: 'SOCKET', name: 'clip_vision_output', type: 'CLIP_VISION_OUTPUT', fields: ['image_embeds'],
    tooltip: 'The private images encoded by core CLIPVisionEncode with the CLIP-vision model the pack was trained on; only image_embeds is read.',
  },
  {
    kind: 'SOCKET', name: 'images', type: 'IMAGE',
    tooltip: 'The same IMAGE batch that went into CLIPVisionEncode; used only to identify each image in the privacy ledger (batch sizes must match).',
  },
] as const satisfies readonly InputSpec[];

/** The public count of a release: the noisy count (add-remove) or the declared n (replace-one). */
function publicCount(release: DatasetRelease): number | undefined {
  const relation = release.plan.request.relation;
  return relation.kind === 'replace-one' ? relation.n : (release.noisyCount ?? undefined);
}

/** DP Embed (CLIP Vision → SD pack). */
export const dpEmbedClipVisionPack: NodeDefinition = {
  id: ID,
  displayName: 'DP Embed (CLIP Vision → SD pack)',
  category: NODE_CATEGORY,
  description:
    'Step 1 for Stable Diffusion hypernetwork packs: takes the private images\' CLIP_VISION_OUTPUT (core CLIPVisionEncode) and the same IMAGE batch, '
    + 'checks that the CLIP-vision model is the one the pack was trained on, and returns an opaque handle for Noisy Aggregate; Hypernetwork LoRA then makes the LoRA. '
    + 'The images are used only for the privacy ledger\'s per-image identity. Nothing about the set, not even its size, leaves the worker.',
  inputs: INPUTS,
  outputs: [{ name: 'DP_EMBEDDINGS', type: 'DP_EMBEDDINGS', tooltip: 'An opaque handle to the private set inside the worker; connect it to Noisy Aggregate.' }],
  readsPrivateData: true,

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    const images = optionalTensor(ID, inputs, 'images');
    if (images === undefined) throw new DpHyperLoraError('IMAGES_EMPTY', `${ID}: connect the private IMAGE batch (the same one that goes into CLIPVisionEncode).`);
    const pack = await workerPack(v.pack, ctx.settings);
    const embeds = clipVisionEmbeds(ID, inputs, 'clip_vision_output');
    checkClipVisionPack(pack, familyOf(embeds.shapes));
    const [count, , , channels] = images.shape;
    if (images.dtype !== 'uint8' || images.shape.length !== 4 || channels !== 3) {
      throw new DpHyperLoraError('INVALID_INPUT_DATA', `${ID}: images must be an RGB IMAGE batch [B, H, W, 3]; connect the same images that go into CLIPVisionEncode.`);
    }
    if (count !== embeds.batch) {
      // No sizes in the message: under add-remove they are the private n.
      throw new DpHyperLoraError('INVALID_INPUT_DATA',
        `${ID}: the IMAGE batch and the CLIP_VISION_OUTPUT batch differ in size; connect the same IMAGE batch to CLIPVisionEncode and to this node's images input.`);
    }
    const m = pack.manifest;
    const head = await workerSession(pack, m.encoder.file);
    const set: SourcedPrivateSet<LoraMetadata> = {
      kind: 'sourced',
      source: clipVisionHeadSource({ pack, head, embeds: Float32Array.from(embeds.rows), images, count, clipNorm: clipNorm(m.dp.clipNorm) }),
      noiseWarning: (release) => noiseAssessment(release.plan, m.dp.trainedNoise, publicCount(release)).warning,
      metadata: (release, releaseNumber) => loraMetadata(pack, release.plan, releaseNumber),
      stopAboveNoise: m.dp.trainedNoise.max,
    };
    const handle = ctx.handles.put(EMBEDDINGS_HANDLE, set);
    const cv = m.clipVision;
    return {
      outputs: { DP_EMBEDDINGS: { kind: 'handle', type: EMBEDDINGS_HANDLE, handle } },
      ui: { text: [`private set held in the worker (its size stays private) · pack ${m.id}: ${cv?.family ?? '?'} → d = ${m.embeddingDim}`] },
    };
  },
};

/**
 * DP Embed (CLIP Vision): the conditioning route's sibling of DP Embed. It takes the private images' CLIP-vision
 * embeddings (core CLIPVisionEncode, the user's own model) together with the same IMAGE batch, projects each
 * image_embeds row onto the conditioning pack's public basis, and keeps the projected rows and the images' ledger
 * identities (HMAC of the pixels) in the worker behind a DP_EMBEDDINGS handle, the same handle type Noisy Aggregate
 * takes. The pixels are used for the identity only. Nothing about the set, not even its size, leaves the worker.
 */
import { DpHyperLoraError } from '../src/errors.js';
import { clipVisionEmbeds } from '../src/conditioning/clip-vision-value.js';
import { conditioningPrivateSet, projectPrivateSet } from '../src/conditioning/private-set.js';
import { workerConditioningPack } from '../src/worker/conditioning-pack.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { optionalTensor, readJsonInputs } from '../src/worker/inputs.js';
import { choiceValueSchema } from '../src/worker/socket-values.js';

const ID = 'DPHyperLoRA_EmbedClipVision';

/** The handle type this node outputs: the same as DP Embed's, so Noisy Aggregate takes it unchanged. */
export const CLIP_VISION_EMBEDDINGS_HANDLE = 'DP_EMBEDDINGS';

/** DP Embed (CLIP Vision). */
export const dpEmbedClipVision: NodeDefinition = {
  id: ID,
  displayName: 'DP Embed (CLIP Vision)',
  category: NODE_CATEGORY,
  description:
    'The Stable Diffusion route: takes the private images\' CLIP_VISION_OUTPUT (from core CLIPVisionEncode) and the same IMAGE batch, '
    + 'projects each image embedding onto the conditioning pack\'s public basis and returns an opaque handle for Noisy Aggregate. '
    + 'The images are used only for the privacy ledger\'s per-image identity. Nothing about the set, not even its size, leaves the worker.',
  inputs: [
    {
      kind: 'CHOICE', name: 'pack', source: 'packs',
      tooltip: 'A conditioning pack under models/dp_hyperlora built from public images with the same CLIP-vision model (Build DP Conditioning Pack).',
    },
    {
      kind: 'SOCKET', name: 'clip_vision_output', type: 'CLIP_VISION_OUTPUT', fields: ['image_embeds'],
      tooltip: 'The private images encoded by core CLIPVisionEncode (crop "center" or "none", as you will use them); only image_embeds is read.',
    },
    {
      kind: 'SOCKET', name: 'images', type: 'IMAGE',
      tooltip: 'The same IMAGE batch that went into CLIPVisionEncode; used only to identify each image in the privacy ledger (batch sizes must match).',
    },
  ],
  outputs: [{ name: 'DP_EMBEDDINGS', type: 'DP_EMBEDDINGS', tooltip: 'An opaque handle to the projected private set inside the worker; connect it to Noisy Aggregate.' }],
  // Projecting the set takes time that grows with n: the host keeps that time to itself.
  readsPrivateData: true,

  async execute(inputs, ctx) {
    const v = readJsonInputs(ID, inputs, { pack: choiceValueSchema });
    const images = optionalTensor(ID, inputs, 'images');
    if (images === undefined) throw new DpHyperLoraError('IMAGES_EMPTY', `${ID}: connect the private IMAGE batch (the same one that goes into CLIPVisionEncode).`);
    const pack = await workerConditioningPack(v.pack, ctx.settings);
    const embeds = clipVisionEmbeds(ID, inputs, 'clip_vision_output');
    const set = projectPrivateSet(pack, embeds, images, ID);
    const handle = ctx.handles.put(CLIP_VISION_EMBEDDINGS_HANDLE, conditioningPrivateSet(set));
    return {
      outputs: { DP_EMBEDDINGS: { kind: 'handle', type: CLIP_VISION_EMBEDDINGS_HANDLE, handle } },
      ui: { text: [`private set held in the worker (its size stays private) · pack ${pack.manifest.id}: ${pack.manifest.model.family}, k = ${pack.manifest.basis.k}`] },
    };
  },
};

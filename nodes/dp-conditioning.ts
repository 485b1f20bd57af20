/**
 * DP Conditioning: the end of the Stable Diffusion route. It maps the DP dataset embedding released by Noisy
 * Aggregate (coordinates in the conditioning pack's public basis) back to the CLIP-vision model's space and hands
 * it to the adapters the user already has: a CLIP_VISION_OUTPUT (batch 1) for core unCLIPConditioning and SDXL
 * Revision, and EMBEDS (positive, and zeros as negative) for IPAdapterEmbeds of ComfyUI_IPAdapter_plus. Everything
 * here is post-processing of a DP output with public constants: it costs no privacy and shows only public values.
 */
import { DpHyperLoraError } from '../src/errors.js';
import { conditioningFromRelease } from '../src/conditioning/conditioning-output.js';
import { CONDITIONING_RELEASE_SCHEMA } from '../src/conditioning/release-metadata.js';
import { clipVisionOutput, embedsOutput } from '../src/conditioning/clip-vision-value.js';
import { workerConditioningPack } from '../src/worker/conditioning-pack.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { readJsonInputs } from '../src/worker/inputs.js';
import { choiceValueSchema, datasetEmbeddingSchema } from '../src/worker/socket-values.js';

const ID = 'DPHyperLoRA_Conditioning';

/** DP Conditioning. */
export const dpConditioning: NodeDefinition = {
  id: ID,
  displayName: 'DP Conditioning',
  category: NODE_CATEGORY,
  description:
    'Turns the DP dataset embedding of the Stable Diffusion route into conditioning: maps it back from the conditioning pack\'s public basis '
    + 'to the CLIP-vision model\'s space and outputs a CLIP_VISION_OUTPUT (for unCLIPConditioning and SDXL Revision) and EMBEDS '
    + '(for IPAdapterEmbeds with non-plus IP-Adapter models). Post-processing of a DP output: it costs no privacy. Warns when the '
    + 'noise would dominate and names the number of images that would fit.',
  inputs: [
    { kind: 'CHOICE', name: 'pack', source: 'packs', tooltip: 'The same conditioning pack as in DP Embed (CLIP Vision).' },
    { kind: 'SOCKET', name: 'dp_embedding', type: 'DP_DATASET_EMBEDDING', tooltip: 'The DP dataset embedding from Noisy Aggregate (public from here on).' },
  ],
  outputs: [
    { name: 'CLIP_VISION_OUTPUT', type: 'CLIP_VISION_OUTPUT', tooltip: 'A batch-1 CLIP_VISION_OUTPUT whose image_embeds is the DP mean; token states are None (not released). Feed unCLIPConditioning.' },
    { name: 'EMBEDS_POSITIVE', type: 'EMBEDS', tooltip: 'The DP image embedding [1, d] for IPAdapterEmbeds pos_embed (non-plus models only).' },
    { name: 'EMBEDS_NEGATIVE', type: 'EMBEDS', tooltip: 'Zeros of the same shape, for IPAdapterEmbeds neg_embed (what IPAdapterEncoder gives non-plus models).' },
  ],

  async execute(inputs, ctx) {
    const v = readJsonInputs(ID, inputs, { pack: choiceValueSchema, dp_embedding: datasetEmbeddingSchema });
    const pack = await workerConditioningPack(v.pack, ctx.settings);
    const md = v.dp_embedding.metadata;
    if (md.schema !== CONDITIONING_RELEASE_SCHEMA) {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE',
        `${ID}: this DP dataset embedding was released for the hypernetwork pack ${md.packId}; DP Conditioning needs the output of a Noisy Aggregate fed by DP Embed (CLIP Vision). Connect Hypernetwork LoRA here instead.`);
    }
    if (md.conditioningPack !== pack.manifest.id || md.basisSha256 !== pack.manifest.basis.sha256) {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE',
        `${ID}: the release was made with conditioning pack ${JSON.stringify(md.conditioningPack)} (basis ${md.basisSha256.slice(0, 12)}…) but this node has ${JSON.stringify(pack.manifest.id)} (basis ${pack.manifest.basis.sha256.slice(0, 12)}…); choose the same pack in DP Embed (CLIP Vision) and here.`);
    }
    const out = conditioningFromRelease(pack, {
      embedding: v.dp_embedding.embedding, epsilon: md.epsilon, delta: md.delta, relation: md.relation, sigmaSum: md.sigmaSum, clipNorm: md.clipNorm, publicCount: md.publicCount,
    });
    const lines = [...out.lines, ...(out.warning === undefined ? [] : [`⚠ ${out.warning}`])];
    return {
      outputs: {
        CLIP_VISION_OUTPUT: clipVisionOutput(out.imageEmbeds),
        EMBEDS_POSITIVE: embedsOutput(out.imageEmbeds),
        EMBEDS_NEGATIVE: embedsOutput(new Float32Array(out.imageEmbeds.length)),
      },
      ui: { text: lines },
    };
  },
};

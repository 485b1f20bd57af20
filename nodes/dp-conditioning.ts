/**
 * DP Conditioning: the end of the Stable Diffusion route. It maps the DP dataset embedding released by Noisy
 * Aggregate (coordinates in the conditioning pack's public basis) back to the CLIP-vision model's space and hands
 * it to the adapters the user already has: a CLIP_VISION_OUTPUT (batch 1) for core unCLIPConditioning and SDXL
 * Revision, and EMBEDS (positive, and zeros as negative) for IPAdapterEmbeds of ComfyUI_IPAdapter_plus. Everything
 * here is post-processing of a DP output with public constants: it costs no privacy and shows only public values.
 */
import { z } from 'zod';
import { conditioningFromRelease } from '../src/conditioning/conditioning-output.js';
import { clipVisionOutput, embedsOutput } from '../src/conditioning/clip-vision-value.js';
import { workerConditioningPack } from '../src/worker/conditioning-pack.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { readJsonInputs } from '../src/worker/inputs.js';
import { choiceValueSchema } from '../src/worker/socket-values.js';

const ID = 'DPHyperLoRA_Conditioning';

/** The public fields of DP_DATASET_EMBEDDING this node reads (the rest of the value is ignored). */
const releasedSchema = z.object({
  embedding: z.array(z.number().finite()).min(1),
  metadata: z.object({
    epsilon: z.number().positive(), delta: z.number().gt(0).lt(1), relation: z.enum(['add-remove', 'replace-one']), clipNorm: z.number().positive(),
  }),
  /** The noisy count (add-remove) or declared n (replace-one), when the release carries it (public). */
  publicCount: z.number().positive().optional(),
});

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
    const v = readJsonInputs(ID, inputs, { pack: choiceValueSchema, dp_embedding: releasedSchema });
    const pack = await workerConditioningPack(v.pack, ctx.settings);
    const md = v.dp_embedding.metadata;
    const out = conditioningFromRelease(pack, {
      embedding: v.dp_embedding.embedding, epsilon: md.epsilon, delta: md.delta, relation: md.relation, clipNorm: md.clipNorm,
      publicCount: v.dp_embedding.publicCount,
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

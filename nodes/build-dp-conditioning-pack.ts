/**
 * Build DP Conditioning Pack: fits the conditioning route's public basis (mean, k principal directions, clip norm
 * and output norm from the public norms) to the CLIP-vision embeddings of PUBLIC images, and writes it as a pack
 * folder models/dp_hyperlora/<name>/ (manifest.json + basis.safetensors). The inputs are public by the user's
 * declaration, so this node shows them freely; it must never be fed the private set.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../src/errors.js';
import { clipVisionEmbeds } from '../src/conditioning/clip-vision-value.js';
import { familyOf } from '../src/conditioning/family.js';
import { buildConditioningPack } from '../src/conditioning/pack.js';
import { CONDITIONING_FIELDS } from '../src/conditioning/pack-manifest.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { readJsonInputs } from '../src/worker/inputs.js';
import type { HostFile } from '../src/worker/values.js';

const ID = 'DPHyperLoRA_BuildConditioningPack';
const fmt = (x: number): string => String(Number(x.toPrecision(4)));

/** Build DP Conditioning Pack. */
export const buildDpConditioningPack: NodeDefinition = {
  id: ID,
  displayName: 'Build DP Conditioning Pack',
  category: NODE_CATEGORY,
  description:
    'Builds a conditioning pack for the Stable Diffusion route from PUBLIC images only: their CLIP-vision embeddings give a mean, '
    + 'k principal directions, the clip norm and the output norm. Never feed it the private images: the basis is not protected by '
    + 'differential privacy, so anything it is built from is treated as public. Writes models/dp_hyperlora/<name>/.',
  inputs: [
    {
      kind: 'SOCKET', name: 'public_clip_vision_output', type: 'CLIP_VISION_OUTPUT', fields: ['image_embeds'],
      tooltip: 'PUBLIC images encoded by CLIPVisionEncode with the CLIP-vision model you will use; never the private set, because the basis is not private.',
    },
    { kind: 'INT', name: 'k', default: 32, min: 1, max: 1024, step: 1, tooltip: 'Number of public directions: fewer means less noise per image but less detail kept; needs more public images than k.' },
    { kind: 'COMBO', name: 'field', options: [...CONDITIONING_FIELDS], default: 'image_embeds', tooltip: 'The CLIP_VISION_OUTPUT field the basis is built on (image_embeds: what unCLIP, Revision and non-plus IP-Adapters read).' },
    { kind: 'STRING', name: 'name', default: 'dp-conditioning-vit-h', tooltip: 'The pack folder name under models/dp_hyperlora (letters, digits, . _ -).' },
    { kind: 'STRING', name: 'whose', default: '', tooltip: 'Whose public images these are (source and licence); written into the manifest so others can judge the basis.' },
  ],
  outputs: [],
  outputNode: true,

  async execute(inputs) {
    const v = readJsonInputs(ID, inputs, {
      k: z.number().int(), field: z.enum(CONDITIONING_FIELDS), whose: z.string(),
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a plain folder name: letters, digits, . _ - (no "/" or "..")'),
    });
    const embeds = clipVisionEmbeds(ID, inputs, 'public_clip_vision_output');
    if (embeds.batch < 2) throw new DpHyperLoraError('INVALID_ARGUMENT', `${ID}: a basis needs at least 2 public images (better: several times k); load a folder of public images.`);
    const built = buildConditioningPack({ rows: embeds.rows, m: embeds.batch, model: familyOf(embeds.shapes), k: v.k, id: v.name, whose: v.whose });
    const m = built.manifest;
    const files: HostFile[] = Object.entries(built.files).map(([name, data]) => ({ folder: 'dp_hyperlora', subfolder: v.name, name, data }));
    // basis.safetensors first, manifest.json last: a folder with a manifest always has its basis.
    files.sort((a, b) => (a.name === 'manifest.json' ? 1 : 0) - (b.name === 'manifest.json' ? 1 : 0));
    return {
      outputs: {},
      files,
      ui: {
        text: [
          `wrote models/dp_hyperlora/${v.name}/ from ${m.builtFrom.images} public images (${m.builtFrom.whose})`,
          `${m.model.family} · ${m.field} ${m.model.dim}-d → k = ${m.basis.k} directions (${fmt(100 * m.basis.explainedShare)}% of the public variance)`,
          `clip norm C = ${fmt(m.dp.clipNorm)} (median projected public norm) · output norm ${fmt(m.output.norm)}`,
        ],
      },
    };
  },
};

/** Load DP Hypernetwork: picks a model pack and checks it (manifest schema and every file's SHA-256). */
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { workerPack } from '../src/worker/resources.js';
import type { PackValue } from '../src/worker/socket-values.js';

const INPUTS = [
  {
    kind: 'CHOICE', name: 'pack', source: 'packs', default: 'reference (bundled)',
    tooltip: 'Which pack to use: "reference (bundled)" runs the demo end to end; other packs are folders you put in ComfyUI/models/dp_hyperlora/ (extra_model_paths.yaml works too).',
  },
] as const satisfies readonly InputSpec[];

/** Load DP Hypernetwork. */
export const loadDpHypernetwork: NodeDefinition = {
  id: 'DPHyperLoRA_LoadHypernetwork',
  displayName: 'Load DP Hypernetwork',
  category: NODE_CATEGORY,
  description:
    'Step 0: choose the model pack, the trained part that reads your images and writes the LoRA. A pack is made for one base model '
    + '(the bundled reference pack is for the small demo model; no Stable Diffusion pack ships: train an SD1.5 pack for your checkpoint with Train SD Pack). '
    + 'Packs live in ComfyUI/models/dp_hyperlora/; every file is checked against its recorded SHA-256 before use. '
    + 'Connect it to DP Embed and Hypernetwork LoRA.',
  inputs: INPUTS,
  outputs: [{ name: 'DP_PACK', type: 'DP_PACK', tooltip: 'The checked pack: connect the same one to DP Embed, Hypernetwork LoRA and DP Reference Sampler.' }],
  host: { cacheKey: { kind: 'pack_manifest', input: 'pack' } },

  async execute(inputs, ctx) {
    const { pack: choice } = readNodeInputs(this.id, INPUTS, inputs);
    const pack = await workerPack(choice, ctx.settings);
    const m = pack.manifest;
    const value: PackValue = {
      name: choice.name, path: choice.path, id: m.id, version: m.version, target: m.target, layout: m.lora.layout,
      hasSampler: m.sampler !== undefined,
      ...(m.base === undefined ? {} : { base: { unetSha256: m.base.unetSha256, hashOf: m.base.hashOf ?? null } }),
    };
    return {
      outputs: { DP_PACK: { kind: 'json', value } },
      ui: { text: [`pack ${m.id} ${m.version} · target ${m.target} · LoRA ${m.lora.layout}, rank ${m.lora.rank}, ${m.lora.modules.length} modules`] },
    };
  },
};

/** Load DP Hypernetwork: picks a model pack and checks it (manifest schema and every file's SHA-256). */
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { workerPack } from '../src/worker/resources.js';
import type { PackValue } from '../src/worker/socket-values.js';

const INPUTS = [
  {
    kind: 'CHOICE', name: 'pack', source: 'packs', default: 'reference (bundled)',
    tooltip: 'A pack folder under models/dp_hyperlora (any name; extra_model_paths.yaml is respected), or the bundled reference pack.',
  },
] as const satisfies readonly InputSpec[];

/** Load DP Hypernetwork. */
export const loadDpHypernetwork: NodeDefinition = {
  id: 'DPHyperLoRA_LoadHypernetwork',
  displayName: 'Load DP Hypernetwork',
  category: NODE_CATEGORY,
  description:
    'Loads a dp-hyperlora model pack (encoder + hypernetwork) from models/dp_hyperlora, or the bundled reference pack, '
    + 'and verifies its manifest and the SHA-256 of every file. Connect it to DP Embed and Hypernetwork LoRA.',
  inputs: INPUTS,
  outputs: [{ name: 'DP_PACK', type: 'DP_PACK', tooltip: 'The verified pack: feed it to DP Embed, Hypernetwork LoRA and DP Reference Sampler.' }],
  host: { cacheKey: { kind: 'pack_manifest', input: 'pack' } },

  async execute(inputs, ctx) {
    const { pack: choice } = readNodeInputs(this.id, INPUTS, inputs);
    const pack = await workerPack(choice, ctx.settings);
    const m = pack.manifest;
    const value: PackValue = {
      name: choice.name, path: choice.path, id: m.id, version: m.version, target: m.target, layout: m.lora.layout,
      hasSampler: m.sampler !== undefined,
    };
    return {
      outputs: { DP_PACK: { kind: 'json', value } },
      ui: { text: [`pack ${m.id} ${m.version} · target ${m.target} · LoRA ${m.lora.layout}, rank ${m.lora.rank}, ${m.lora.modules.length} modules`] },
    };
  },
};

/** Load DP Hypernetwork: picks a model pack and checks it (manifest schema and every file's SHA-256). */
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { readJsonInputs } from '../src/worker/inputs.js';
import { workerPack } from '../src/worker/resources.js';
import { choiceValueSchema, type PackValue } from '../src/worker/socket-values.js';

/** Load DP Hypernetwork. */
export const loadDpHypernetwork: NodeDefinition = {
  id: 'DPHyperLoRA_LoadHypernetwork',
  displayName: 'Load DP Hypernetwork',
  category: NODE_CATEGORY,
  description:
    'Loads a dp-hyperlora model pack (encoder + hypernetwork) from models/dp_hyperlora, or the bundled reference pack, '
    + 'and verifies its manifest and the SHA-256 of every file. Connect it to DP Embed and Hypernetwork LoRA.',
  inputs: [
    {
      kind: 'CHOICE', name: 'pack', source: 'packs', default: 'reference (bundled)',
      tooltip: 'A pack folder under models/dp_hyperlora (any name; extra_model_paths.yaml is respected), or the bundled reference pack.',
    },
  ],
  outputs: [{ name: 'DP_PACK', type: 'DP_PACK', tooltip: 'The verified pack: feed it to DP Embed, Hypernetwork LoRA and DP Reference Sampler.' }],
  host: { cacheKey: { kind: 'pack_manifest', input: 'pack' } },

  async execute(inputs, ctx) {
    const { pack: choice } = readJsonInputs(this.id, inputs, { pack: choiceValueSchema });
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

/**
 * Hypernetwork LoRA: the DP dataset embedding (public) → the pack's hypernetwork → LoRA tensors in the base
 * model's kohya key layout, with the release's DP metadata. Post-processing of a DP output: no budget.
 * The bridge applies the LoRA to MODEL/CLIP through ComfyUI's own loader (comfy.sd.load_lora_for_models).
 */
import { DpHyperLoraError } from '../src/errors.js';
import { detectBaseModel, metadataToHeader } from '../src/lora/index.js';
import { LORA_METADATA_SCHEMA } from '../src/lora/metadata.js';
import { loraFromEmbedding } from '../src/pack/lora-from-embedding.js';
import { publicDatasetEmbedding } from '../src/pack/release-embedding.js';
import type { Pack } from '../src/pack/manifest.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { modelInput } from '../src/worker/inputs.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { workerPack, workerSession } from '../src/worker/resources.js';
import { formatNumber as fmt } from '../web/src/extensions/dp-hyperlora/release-summary.js';
import type { Tensor } from '../src/worker/values.js';

const ID = 'DPHyperLoRA_HypernetworkLoRA';

const INPUTS = [
  { kind: 'SOCKET', name: 'pack', type: 'DP_PACK', tooltip: 'The same pack that DP Embed used (from Load DP Hypernetwork).' },
  { kind: 'SOCKET', name: 'dataset_embedding', type: 'DP_DATASET_EMBEDDING', tooltip: 'The protected summary of your images, from Noisy Aggregate.' },
  { kind: 'FLOAT', name: 'strength_model', default: 1, min: -10, max: 10, step: 0.01, tooltip: 'How strongly the LoRA changes the image model: 1 = as made, 0 = off, in between = weaker. Free to change.' },
  { kind: 'FLOAT', name: 'strength_clip', default: 1, min: -10, max: 10, step: 0.01, tooltip: 'How strongly the LoRA changes the text encoder (only when the pack has text-encoder weights). Free to change.' },
  { kind: 'SOCKET', name: 'model', type: 'MODEL', optional: true, tooltip: 'Optional base model to apply the LoRA to; it must be the kind the pack was made for (an sd15 pack for SD1.5: train one with Train SD Pack; sdxl packs cannot be trained yet).' },
  { kind: 'SOCKET', name: 'clip', type: 'CLIP', optional: true, tooltip: 'Optional CLIP to patch (only used when the pack has text-encoder LoRA keys).' },
] as const satisfies readonly InputSpec[];

/** Refuses a LoRA whose pack does not fit the connected MODEL (detected from the model's weight names). */
export function checkBase(pack: Pack, model: ReadonlyMap<string, readonly number[]> | undefined): void {
  if (model === undefined) return;
  const target = pack.manifest.target;
  if (target !== 'sd15' && target !== 'sdxl') {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `${ID}: pack ${pack.manifest.id} targets its own ${target} model, not a Stable Diffusion MODEL; disconnect model (and clip) and use DP Reference Sampler, or load an sd15/sdxl pack.`);
  }
  const found = detectBaseModel(model.keys(), model);
  if (found.base !== target) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `${ID}: pack ${pack.manifest.id} makes ${target} LoRAs but the connected MODEL is ${found.base === 'unknown' ? 'not recognised as sd15 or sdxl' : found.base} (${found.reason}); load a matching checkpoint or a pack for this base.`);
  }
}

/** Hypernetwork LoRA. */
export const hypernetworkLora: NodeDefinition = {
  id: ID,
  displayName: 'Hypernetwork LoRA',
  category: NODE_CATEGORY,
  description:
    'Step 3: makes the LoRA from the private summary that Noisy Aggregate released, in one quick pass (no training). '
    + 'It costs no privacy budget: it only sees the already-protected summary, so you can change strengths and re-run freely. '
    + 'When a MODEL/CLIP is connected it applies the LoRA to them; LORA_MODEL goes to Save DP LoRA or DP Reference Sampler. '
    + 'A pack made for a different base model is refused.',
  inputs: INPUTS,
  outputs: [
    { name: 'MODEL', type: 'MODEL', tooltip: 'The MODEL with the DP LoRA applied (empty when no model is connected).' },
    { name: 'CLIP', type: 'CLIP', tooltip: 'The CLIP with the DP LoRA applied (empty when no clip is connected).' },
    { name: 'LORA_MODEL', type: 'LORA_MODEL', tooltip: 'The DP LoRA as tensors, with its DP metadata: for Save DP LoRA or DP Reference Sampler.' },
  ],
  host: {
    describeModels: true,
    applyLora: {
      modelInput: 'model', clipInput: 'clip', strengthModelInput: 'strength_model', strengthClipInput: 'strength_clip',
      loraOutput: 'LORA_MODEL', modelOutput: 'MODEL', clipOutput: 'CLIP',
    },
    checkBase: { packInput: 'pack', modelInput: 'model' },
  },

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    const pack = await workerPack(v.pack, ctx.settings);
    const m = pack.manifest;
    const meta = v.dataset_embedding.metadata;
    if (meta.schema !== LORA_METADATA_SCHEMA) {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE',
        `${ID}: this DP dataset embedding was released by the conditioning route (DP Embed (CLIP Vision), pack ${meta.conditioningPack}); connect it to DP Conditioning, or use DP Embed with a hypernetwork pack for a LoRA.`);
    }
    if (meta.packId !== m.id || meta.packVersion !== m.version) {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE',
        `${ID}: the dataset embedding was released for pack ${meta.packId} ${meta.packVersion} but this node has ${m.id} ${m.version}; connect the same Load DP Hypernetwork to DP Embed and here.`);
    }
    checkBase(pack, modelInput(inputs, 'model'));
    // The edge where a public value from ComfyUI becomes a typed DP dataset embedding.
    const made = await loraFromEmbedding({ pack, hypernet: await workerSession(pack, m.hypernet.file), embedding: publicDatasetEmbedding(v.dataset_embedding.embedding) });
    const tensors: Record<string, Tensor> = {};
    for (const t of made.tensors) {
      tensors[t.name] = { dtype: 'float32', shape: t.shape, data: new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength) };
    }
    return {
      outputs: { MODEL: { kind: 'none' }, CLIP: { kind: 'none' }, LORA_MODEL: { kind: 'tensors', tensors, metadata: metadataToHeader(meta) } },
      ui: { text: [`LoRA ${m.lora.layout} · ${m.lora.modules.length} modules · rank ${m.lora.rank} · ε = ${fmt(meta.epsilon)}, δ = ${fmt(meta.delta)} (${meta.relation})`] },
    };
  },
};

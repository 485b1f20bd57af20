/**
 * Save DP LoRA: writes the LoRA as .safetensors into ComfyUI's models/loras (through the bridge, which owns
 * ComfyUI's folders), with the DP metadata, so that the core LoraLoader lists it. The file name ends in a
 * hash of the file's bytes: a different LoRA always gets a different name, so LoraLoader's per-name cache
 * can never serve stale weights, and saving the same LoRA twice gives the same file. Everything in the name
 * is public (prefix, pack, ε, release number, a hash of a DP output).
 */
import { createHash } from 'node:crypto';
import { DpHyperLoraError, isDpError } from '../src/errors.js';
import { metadataFromHeader, metadataToHeader, serializeSafetensors, type SafetensorsInput } from '../src/lora/index.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { loraInput } from '../src/worker/inputs.js';
import { float32View } from '../src/worker/values.js';

const ID = 'DPHyperLoRA_SaveLoRA';
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The content-addressed file name of a saved LoRA. */
export function loraFileName(prefix: string, packId: string, epsilon: number, releaseNumber: number, bytes: Uint8Array): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return `${prefix}_${packId}_eps${Number(epsilon.toPrecision(3))}_r${releaseNumber}_${hash}.safetensors`;
}

const INPUTS = [
  { kind: 'SOCKET', name: 'lora', type: 'LORA_MODEL', tooltip: 'The DP LoRA from Hypernetwork LoRA (its LORA_MODEL output).' },
  { kind: 'STRING', name: 'filename_prefix', default: 'dp_hyperlora', tooltip: 'Start of the file name (letters, digits, _ and -); the pack, ε, release number and a content hash are added after it.' },
] as const satisfies readonly InputSpec[];

/** Save DP LoRA. */
export const saveDpLora: NodeDefinition = {
  id: ID,
  displayName: 'Save DP LoRA',
  category: NODE_CATEGORY,
  description:
    'Optional last step: keeps your DP LoRA as a file in ComfyUI/models/loras/ so the normal Load LoRA node can use it later, with no further privacy cost. '
    + 'The file records its privacy settings (ε, δ, relation) and the pack, nothing about your images; its name ends in a content hash, '
    + 'so a new LoRA never overwrites an old one.',
  inputs: INPUTS,
  outputs: [],
  outputNode: true,

  async execute(inputs) {
    const { filename_prefix: prefix } = readNodeInputs(ID, INPUTS, inputs);
    if (!PREFIX.test(prefix)) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `${ID}: filename_prefix ${JSON.stringify(prefix)} must be 1-64 letters, digits, _ or - (no folders); change it.`);
    }
    const lora = loraInput(ID, inputs, 'lora');
    let meta;
    try {
      meta = metadataFromHeader(lora.metadata);
    } catch (e) {
      if (!isDpError(e)) throw e;
      throw new DpHyperLoraError('INVALID_ARGUMENT', `${ID}: this LORA_MODEL carries no valid dp-hyperlora metadata (${e.message}); only LoRAs from Hypernetwork LoRA are saved here, use core Save LoRA for others.`);
    }
    const tensors: SafetensorsInput[] = Object.entries(lora.tensors).map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, values: float32View(t) }));
    const bytes = serializeSafetensors(tensors, metadataToHeader(meta));
    const name = loraFileName(prefix, meta.packId, meta.epsilon, meta.releaseNumber, bytes);
    return { outputs: {}, files: [{ folder: 'loras', name, data: bytes }], ui: { text: [`saved models/loras/${name}`] } };
  },
};

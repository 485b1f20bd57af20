/**
 * The hypernetwork pass: the DP mean embedding [1, d] (public from the release on) → the pack's hypernet.onnx →
 * named LoRA factor tensors, ready for src/lora's assembly. Post-processing of a DP output, so it costs no budget.
 */
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import type { NamedFloatTensor } from '../lora/index.js';

/** Runs the hypernetwork on `embedding` (length d) and returns every output by name. */
export async function runHypernet(session: ort.InferenceSession, inputName: string, embedding: Float32Array): Promise<Record<string, NamedFloatTensor>> {
  if (!session.inputNames.includes(inputName)) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `hypernet.onnx has no input "${inputName}" (manifest field hypernet.inputName); its inputs are ${session.inputNames.join(', ')}.`,
      { details: { file: 'hypernet.onnx', field: 'hypernet.inputName' } });
  }
  let out;
  try {
    out = await session.run({ [inputName]: new ort.Tensor('float32', embedding, [1, embedding.length]) });
  } catch (e) {
    throw new DpHyperLoraError('ONNX_RUNTIME', `the pack's hypernetwork failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const tensors: Record<string, NamedFloatTensor> = {};
  for (const [name, t] of Object.entries(out)) {
    if (t.type !== 'float32') {
      throw new DpHyperLoraError('PACK_INCOMPATIBLE', `hypernet.onnx output "${name}" is ${t.type}, expected float32.`, { details: { file: 'hypernet.onnx' } });
    }
    tensors[name] = { data: t.data as Float32Array, dims: t.dims };
  }
  return tensors;
}

/**
 * Reading a node's decoded inputs into typed values, zod-validated, with every problem reported at once: the
 * SDK's readers with our error class, plus LORA_MODEL, which is ours.
 */
import {
  handleInput as sdkHandleInput,
  optionalTensor as sdkOptionalTensor,
  readJsonInputs as sdkReadJsonInputs,
  tensorsInput,
} from 'comfyui-node-ts-sdk';
import type { z } from 'zod';
import { ours } from './sdk-errors.js';
import type { DecodedValue, Tensor } from './values.js';

export { modelInput } from 'comfyui-node-ts-sdk';

/** Validates the JSON-valued inputs of node `nodeId` against `shape` (one zod object), listing all problems. */
export function readJsonInputs<S extends z.ZodRawShape>(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, shape: S): z.infer<z.ZodObject<S>> {
  return ours(() => sdkReadJsonInputs(nodeId, inputs, shape));
}

/** The tensor of an optional tensor input, or undefined when unconnected. */
export function optionalTensor(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string): Tensor | undefined {
  return ours(() => sdkOptionalTensor(nodeId, inputs, name));
}

/** The handle string of a handle input of type `type`. */
export function handleInput(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string, type: string): string {
  return ours(() => sdkHandleInput(nodeId, inputs, name, type));
}

/** The tensor dict and metadata of a LORA_MODEL input. */
export function loraInput(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string): Extract<DecodedValue, { kind: 'tensors' }> {
  return ours(() => tensorsInput(nodeId, inputs, name, 'LORA_MODEL'));
}

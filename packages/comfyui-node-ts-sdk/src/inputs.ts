/**
 * Reading a node's decoded inputs into typed values, zod-validated, with every problem reported at once.
 */
import { z } from 'zod';
import { NodeSdkError } from './errors.js';
import type { Tensor } from './tensor.js';
import type { DecodedValue } from './values.js';

/** The JSON payload of a value, or undefined for `none`; other kinds become a marker zod rejects. */
function jsonOf(v: DecodedValue | undefined): unknown {
  if (v === undefined || v.kind === 'none') return undefined;
  if (v.kind === 'json') return v.value;
  return { __bridgeKind: v.kind };
}

/** Validates the JSON-valued inputs of node `nodeId` against `shape` (one zod object), listing all problems. */
export function readJsonInputs<S extends z.ZodRawShape>(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, shape: S): z.infer<z.ZodObject<S>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) raw[key] = jsonOf(inputs[key]);
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(inputs)'}: ${i.message}`).join('; ');
    throw new NodeSdkError('INVALID_ARGUMENT', `${nodeId}: invalid inputs: ${problems}.`);
  }
  return parsed.data;
}

/** The tensor of an optional tensor input, or undefined when unconnected. */
export function optionalTensor(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string): Tensor | undefined {
  const v = inputs[name];
  if (v === undefined || v.kind === 'none') return undefined;
  if (v.kind !== 'tensor') throw new NodeSdkError('INVALID_ARGUMENT', `${nodeId}: input ${name} must be a tensor, got ${v.kind}.`);
  return v.tensor;
}

/** The tensor of a required tensor input. */
export function tensorInput(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string): Tensor {
  const t = optionalTensor(nodeId, inputs, name);
  if (t === undefined) throw new NodeSdkError('INVALID_ARGUMENT', `${nodeId}: input ${name} must be connected.`);
  return t;
}

/** The tensor dict and metadata of a `tensors` input (LATENT, CONDITIONING, weight dicts). */
export function tensorsInput(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string, type: string): Extract<DecodedValue, { kind: 'tensors' }> {
  const v = inputs[name];
  if (v === undefined || v.kind !== 'tensors') throw new NodeSdkError('INVALID_ARGUMENT', `${nodeId}: input ${name} must be connected to a ${type} output.`);
  return v;
}

/** The handle string of a handle input of type `type`. */
export function handleInput(nodeId: string, inputs: Readonly<Record<string, DecodedValue>>, name: string, type: string): string {
  const v = inputs[name];
  if (v === undefined || v.kind !== 'handle' || v.type !== type) {
    throw new NodeSdkError('INVALID_ARGUMENT', `${nodeId}: input ${name} must be connected to a ${type} output.`);
  }
  return v.handle;
}

/** The weight-name → shape map of an optional MODEL/CLIP input (with `describeModels`), or undefined when unconnected. */
export function modelInput(inputs: Readonly<Record<string, DecodedValue>>, name: string): ReadonlyMap<string, readonly number[]> | undefined {
  const v = inputs[name];
  if (v === undefined || v.kind !== 'model') return undefined;
  return new Map(Object.entries(v.targets));
}

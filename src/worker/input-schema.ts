/**
 * Each node's input schema written once (comfyui-node-ts-sdk's input-schema.ts derives the zod shape and the
 * TypeScript type from the node's `inputs` list), with our JSON-valued socket types DP_PACK and
 * DP_DATASET_EMBEDDING. Declare the list `as const satisfies readonly InputSpec[]` to keep its literal types.
 */
import { inputShape as sdkInputShape, readNodeInputs as sdkReadNodeInputs, type JsonInputValues as SdkJsonInputValues } from 'comfyui-node-ts-sdk';
import type { z } from 'zod';
import type { InputSpec } from './node-definition.js';
import { ours } from './sdk-errors.js';
import { datasetEmbeddingSchema, packValueSchema } from './socket-values.js';
import type { DecodedValue } from './values.js';

/** Our socket types whose values are JSON, with their schemas. */
const JSON_SOCKETS = { DP_PACK: packValueSchema, DP_DATASET_EMBEDDING: datasetEmbeddingSchema } as const;

/** The parsed JSON inputs of a node whose `inputs` list is `L` (optional inputs may be undefined). */
export type JsonInputValues<L extends readonly InputSpec[]> = SdkJsonInputValues<L, typeof JSON_SOCKETS>;

/** The zod shape of a node's JSON inputs, derived from its `inputs` list. */
export function inputShape(specs: readonly InputSpec[]): z.ZodRawShape {
  return sdkInputShape(specs, JSON_SOCKETS);
}

/** Reads and validates a node's JSON inputs against the shape derived from `specs`, listing every problem. */
export function readNodeInputs<const L extends readonly InputSpec[]>(nodeId: string, specs: L, inputs: Readonly<Record<string, DecodedValue>>): JsonInputValues<L> {
  return ours(() => sdkReadNodeInputs(nodeId, specs, inputs, JSON_SOCKETS));
}

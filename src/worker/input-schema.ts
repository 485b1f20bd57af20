/**
 * Each node's input schema written once: the zod shape of its JSON-valued inputs (widgets, CHOICE, DP_PACK,
 * DP_DATASET_EMBEDDING) is derived from the node's `inputs` list, with the same bounds ComfyUI shows, and so is
 * the TypeScript type of the parsed values. Declare the list `as const satisfies readonly InputSpec[]` to keep its
 * literal types. Inputs that are not JSON (tensors, handles, models) are read with ./inputs.ts's helpers.
 */
import { z } from 'zod';
import type { InputSpec } from './node-definition.js';
import { readJsonInputs } from './inputs.js';
import { choiceValueSchema, datasetEmbeddingSchema, packValueSchema, type DatasetEmbeddingValue, type PackValue } from './socket-values.js';
import type { DecodedValue } from './values.js';

/** An input whose value arrives as JSON. */
type JsonLike = { readonly kind: 'INT' | 'FLOAT' | 'STRING' | 'COMBO' | 'CHOICE' } | { readonly kind: 'SOCKET'; readonly type: 'DP_PACK' | 'DP_DATASET_EMBEDDING' };

/** The parsed value of one JSON input. */
type ValueOf<S> =
  S extends { kind: 'INT' | 'FLOAT' } ? number
    : S extends { kind: 'STRING' } ? string
      : S extends { kind: 'COMBO'; options: readonly (infer O)[] } ? O
        : S extends { kind: 'CHOICE' } ? z.infer<typeof choiceValueSchema>
          : S extends { kind: 'SOCKET'; type: 'DP_PACK' } ? PackValue
            : S extends { kind: 'SOCKET'; type: 'DP_DATASET_EMBEDDING' } ? DatasetEmbeddingValue
              : never;

/** The parsed JSON inputs of a node whose `inputs` list is `L` (optional inputs may be undefined). */
export type JsonInputValues<L extends readonly InputSpec[]> = {
  [S in L[number] as S extends JsonLike ? S['name'] : never]: S extends { optional: true } ? ValueOf<S> | undefined : ValueOf<S>;
};

function isJsonSpec(s: InputSpec): boolean {
  return s.kind !== 'SOCKET' || s.type === 'DP_PACK' || s.type === 'DP_DATASET_EMBEDDING';
}

/** The zod schema of one JSON input, with the widget's bounds. */
function schemaOf(s: InputSpec): z.ZodType {
  let t: z.ZodType;
  switch (s.kind) {
    case 'INT': t = z.number().int().min(s.min).max(s.max); break;
    case 'FLOAT': t = z.number().min(s.min).max(s.max); break;
    case 'STRING': t = z.string(); break;
    case 'COMBO': t = z.enum(s.options as [string, ...string[]]); break;
    case 'CHOICE': t = choiceValueSchema; break;
    case 'SOCKET': t = s.type === 'DP_PACK' ? packValueSchema : datasetEmbeddingSchema; break;
  }
  return s.optional === true ? t.optional() : t;
}

/** The zod shape of a node's JSON inputs, derived from its `inputs` list. */
export function inputShape(specs: readonly InputSpec[]): z.ZodRawShape {
  return Object.fromEntries(specs.filter(isJsonSpec).map((s) => [s.name, schemaOf(s)]));
}

/** Reads and validates a node's JSON inputs against the shape derived from `specs`, listing every problem. */
export function readNodeInputs<const L extends readonly InputSpec[]>(nodeId: string, specs: L, inputs: Readonly<Record<string, DecodedValue>>): JsonInputValues<L> {
  return readJsonInputs(nodeId, inputs, inputShape(specs)) as JsonInputValues<L>;
}

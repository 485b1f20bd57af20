/**
 * Each node's input schema written once: the zod shape of its JSON-valued inputs (widgets, CHOICE, and the socket
 * types a pack declares as JSON) is derived from the node's `inputs` list, with the same bounds ComfyUI shows, and
 * so is the TypeScript type of the parsed values. Declare the list `as const satisfies readonly InputSpec[]` to keep
 * its literal types. Inputs that are not JSON (tensors, handles, models) are read with ./inputs.ts's helpers.
 */
import { z } from 'zod';
import type { InputSpec, PackTypes } from './node-definition.js';
import { readJsonInputs } from './inputs.js';
import type { DecodedValue } from './values.js';

/** The {name, path} value the bridge sends for a CHOICE input (`path`: what the pack's resolver returned). */
export const choiceValueSchema = z.object({ name: z.string(), path: z.string().nullable() });

/** Zod schemas of the socket types whose values travel as JSON, by socket type name. */
export type JsonSockets = Readonly<Record<string, z.ZodType>>;

type JsonLike<M extends JsonSockets> =
  | { readonly kind: 'INT' | 'FLOAT' | 'STRING' | 'COMBO' | 'CHOICE' }
  | { readonly kind: 'SOCKET'; readonly type: keyof M };

/** The parsed value of one JSON input. */
type ValueOf<S, M extends JsonSockets> =
  S extends { kind: 'INT' | 'FLOAT' } ? number
    : S extends { kind: 'STRING' } ? string
      : S extends { kind: 'COMBO'; options: readonly (infer O)[] } ? O
        : S extends { kind: 'CHOICE' } ? z.infer<typeof choiceValueSchema>
          : S extends { kind: 'SOCKET'; type: infer T extends keyof M } ? z.infer<M[T]>
            : never;

/** The parsed JSON inputs of a node whose `inputs` list is `L` (optional inputs may be undefined). */
export type JsonInputValues<L extends readonly InputSpec<PackTypes>[], M extends JsonSockets = Record<never, z.ZodType>> = {
  [S in L[number] as S extends JsonLike<M> ? S['name'] : never]: S extends { optional: true } ? ValueOf<S, M> | undefined : ValueOf<S, M>;
};

/** The zod schema of one JSON input with the widget's bounds, or undefined for a non-JSON input. */
function schemaOf(s: InputSpec<PackTypes>, sockets: JsonSockets): z.ZodType | undefined {
  let t: z.ZodType | undefined;
  switch (s.kind) {
    case 'INT': t = z.number().int().min(s.min).max(s.max); break;
    case 'FLOAT': t = z.number().min(s.min).max(s.max); break;
    case 'STRING': t = z.string(); break;
    case 'COMBO': t = z.enum(s.options as [string, ...string[]]); break;
    case 'CHOICE': t = choiceValueSchema; break;
    case 'SOCKET': t = Object.hasOwn(sockets, s.type) ? sockets[s.type] : undefined; break;
  }
  return t === undefined ? undefined : s.optional === true ? t.optional() : t;
}

/** The zod shape of a node's JSON inputs, derived from its `inputs` list and the pack's JSON socket types. */
export function inputShape(specs: readonly InputSpec<PackTypes>[], sockets: JsonSockets = {}): z.ZodRawShape {
  return Object.fromEntries(specs.flatMap((s) => {
    const t = schemaOf(s, sockets);
    return t === undefined ? [] : [[s.name, t] as const];
  }));
}

/** Reads and validates a node's JSON inputs against the shape derived from `specs`, listing every problem. */
export function readNodeInputs<const L extends readonly InputSpec<PackTypes>[], M extends JsonSockets = Record<never, z.ZodType>>(
  nodeId: string, specs: L, inputs: Readonly<Record<string, DecodedValue>>, sockets?: M,
): JsonInputValues<L, M> {
  return readJsonInputs(nodeId, inputs, inputShape(specs, sockets ?? {})) as JsonInputValues<L, M>;
}

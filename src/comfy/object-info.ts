/**
 * `GET /object_info`: the server's node definitions (reference/comfyui.md §1.2, §4.4). We use them to check
 * a workflow before submitting it and to map UI-format widget values onto input names.
 */
import { z } from 'zod';

/** An input type: a type name ("INT", "IMAGE", "IMAGE,MASK", "*", "COMBO") or a V1 combo's list of choices. */
const InputType = z.union([z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
/** `[type]` or `[type, options]`. */
export const InputSpec = z.union([z.tuple([InputType]), z.tuple([InputType, z.record(z.string(), z.unknown())])]);
/** One input's spec. */
export type InputSpec = z.infer<typeof InputSpec>;

/** One node class, as `/object_info` describes it. */
export const NodeDef = z.looseObject({
  input: z.looseObject({
    required: z.record(z.string(), InputSpec).optional(),
    optional: z.record(z.string(), InputSpec).optional(),
    hidden: z.record(z.string(), z.unknown()).optional(),
  }),
  input_order: z.looseObject({ required: z.array(z.string()).optional(), optional: z.array(z.string()).optional() }).optional(),
  output: z.array(z.union([z.string(), z.array(z.unknown())])),
  output_name: z.array(z.unknown()).optional(),
  name: z.string(),
  // V3 nodes without a display name send null (seen on ComfyUI 0.3.64, e.g. LatentAdd).
  display_name: z.string().nullable().optional(),
  output_node: z.boolean(),
});
/** A validated node definition. */
export type NodeDef = z.infer<typeof NodeDef>;
/** The whole `/object_info` reply: class_type → definition. */
export const ObjectInfo = z.record(z.string(), NodeDef);
/** A validated `/object_info` reply. */
export type ObjectInfo = z.infer<typeof ObjectInfo>;

/** Types the frontend draws as widgets (the value lives in the node, not on a link). */
const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);

/** One declared input of a node class, in declaration order. */
export interface DeclaredInput {
  name: string;
  required: boolean;
  spec: InputSpec;
  /** True when the frontend shows a widget for it (and so a `widgets_values` slot). */
  isWidget: boolean;
}

/** The options object of an input spec (empty when absent). */
export function specOptions(spec: InputSpec): Record<string, unknown> {
  return spec.length === 2 ? spec[1] : {};
}

/** The inputs of a class in the order the frontend lays them out (input_order when given). */
export function declaredInputs(def: NodeDef): DeclaredInput[] {
  const out: DeclaredInput[] = [];
  for (const required of [true, false]) {
    const group = (required ? def.input.required : def.input.optional) ?? {};
    const order = (required ? def.input_order?.required : def.input_order?.optional) ?? Object.keys(group);
    for (const name of order) {
      const spec = group[name];
      if (spec === undefined) continue;
      const opts = specOptions(spec);
      const type = spec[0];
      const isWidget = (Array.isArray(type) || WIDGET_TYPES.has(type)) && opts.forceInput !== true && opts.defaultInput !== true;
      out.push({ name, required, spec, isWidget });
    }
  }
  return out;
}

/** True when a value of `outputType` may feed an input of `inputType` (comma lists and "*" match, as in ComfyUI). */
export function typesMatch(outputType: string, inputType: string): boolean {
  if (outputType === '*' || inputType === '*') return true;
  const a = outputType.split(',').map((s) => s.trim());
  const b = inputType.split(',').map((s) => s.trim());
  return a.some((t) => b.includes(t));
}

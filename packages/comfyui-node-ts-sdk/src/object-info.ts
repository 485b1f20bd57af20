/**
 * The `/object_info` entries ComfyUI serves for a pack's nodes, computed from the node manifest the same way
 * python/comfy_ts_bridge/registry.py builds INPUT_TYPES. Used to build and check workflows without a running
 * ComfyUI.
 */
import type { InputSpec, NodeDefinition, PackTypes } from './node-definition.js';

/** An /object_info input spec: [type or choices, options]. */
export type ObjectInfoInput = [string | string[], Record<string, unknown>];

/** One /object_info node entry (the fields workflow tools read). */
export interface ObjectInfoNode {
  input: { required: Record<string, ObjectInfoInput>; optional: Record<string, ObjectInfoInput> };
  input_order: { required: string[]; optional: string[] };
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  name: string;
  display_name: string;
  description: string;
  category: string;
  output_node: boolean;
  output_tooltips: string[];
}

/** The dropdown lists of CHOICE inputs by source name, which depend on the machine (folders on disk). */
export type ChoiceLists = Readonly<Record<string, readonly string[]>>;

function inputSpec(i: InputSpec<PackTypes>, choices: ChoiceLists): ObjectInfoInput {
  const tooltip = { tooltip: i.tooltip };
  switch (i.kind) {
    case 'INT': return ['INT', { default: i.default, min: i.min, max: i.max, ...(i.step !== undefined ? { step: i.step } : {}), ...(i.controlAfterGenerate ? { control_after_generate: true } : {}), ...tooltip }];
    case 'FLOAT': return ['FLOAT', { default: i.default, min: i.min, max: i.max, step: i.step, ...(i.round !== undefined ? { round: i.round } : {}), ...tooltip }];
    case 'STRING': return ['STRING', { default: i.default, multiline: i.multiline ?? false, ...tooltip }];
    case 'COMBO': return [[...i.options], { default: i.default, ...tooltip }];
    case 'CHOICE': {
      const options = [...(choices[i.source] ?? [])];
      return [options, { ...(i.default !== undefined && options.includes(i.default) ? { default: i.default } : {}), ...tooltip }];
    }
    case 'SOCKET': return [i.type, tooltip];
  }
}

/** The /object_info entry of one node. */
export function nodeObjectInfo(n: Omit<NodeDefinition<PackTypes>, 'execute'>, choices: ChoiceLists): ObjectInfoNode {
  const required: Record<string, ObjectInfoInput> = {};
  const optional: Record<string, ObjectInfoInput> = {};
  for (const i of n.inputs) (i.optional === true ? optional : required)[i.name] = inputSpec(i, choices);
  return {
    input: { required, optional },
    input_order: { required: Object.keys(required), optional: Object.keys(optional) },
    output: n.outputs.map((o) => o.type),
    output_is_list: n.outputs.map(() => false),
    output_name: n.outputs.map((o) => o.name),
    name: n.id,
    display_name: n.displayName,
    description: n.description,
    category: n.category,
    output_node: n.outputNode === true,
    output_tooltips: n.outputs.map((o) => o.tooltip),
  };
}

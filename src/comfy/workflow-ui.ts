/**
 * UI (litegraph) workflow files, as the ComfyUI frontend saves them (reference/comfyui.md §5; frontend
 * `zComfyWorkflow` version 0.4 and `zComfyWorkflow1` version 1). Only the fields the UI→API conversion
 * needs are checked; the rest (positions, groups, colours) is accepted as is.
 */
import { z } from 'zod';

const NodeIdUi = z.union([z.number().int(), z.string().min(1)]);

/** One node of a UI workflow. */
export const UiNode = z.looseObject({
  id: NodeIdUi,
  type: z.string().min(1),
  mode: z.number().int().optional(),
  title: z.string().optional(),
  inputs: z.array(z.looseObject({
    name: z.string(),
    type: z.union([z.string(), z.number()]).optional(),
    link: z.number().int().nullable().optional(),
    widget: z.looseObject({ name: z.string() }).optional(),
  })).optional(),
  outputs: z.array(z.looseObject({ name: z.string().optional(), type: z.union([z.string(), z.number()]).optional() })).optional(),
  widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
});
/** A UI node. */
export type UiNode = z.infer<typeof UiNode>;

/** Version 0.4 link: [link_id, origin_node_id, origin_slot, target_node_id, target_slot, type]. */
const LinkTuple = z.tuple([z.number().int(), NodeIdUi, z.number().int(), NodeIdUi, z.number().int(), z.unknown()]);
/** Version 1 link object. */
const LinkObject = z.looseObject({
  id: z.number().int(),
  origin_id: NodeIdUi,
  origin_slot: z.number().int(),
  target_id: NodeIdUi,
  target_slot: z.number().int(),
});

/** A UI-format workflow file (version 0.4 or 1). */
export const UiWorkflow = z.looseObject({
  nodes: z.array(UiNode),
  links: z.array(z.union([LinkTuple, LinkObject])),
  version: z.number().optional(),
  definitions: z.looseObject({ subgraphs: z.array(z.unknown()).optional() }).optional(),
});
/** A validated UI workflow. */
export type UiWorkflow = z.infer<typeof UiWorkflow>;

/** One link, normalised from either version. */
export interface UiLink {
  originId: string;
  originSlot: number;
}

/** Maps link id → origin, for both link encodings. */
export function linkTable(wf: UiWorkflow): Map<number, UiLink> {
  const table = new Map<number, UiLink>();
  for (const l of wf.links) {
    if (Array.isArray(l)) table.set(l[0], { originId: String(l[1]), originSlot: l[2] });
    else table.set(l.id, { originId: String(l.origin_id), originSlot: l.origin_slot });
  }
  return table;
}

/** litegraph node modes: 0 always (normal), 2 never (muted), 4 bypass. */
export const NODE_MODE = { NORMAL: 0, MUTED: 2, BYPASS: 4 } as const;

/** Frontend-only node types that never reach the server (they carry no class_type on the backend). */
export const VIRTUAL_NODE_TYPES: ReadonlySet<string> = new Set(['Reroute', 'PrimitiveNode', 'Note', 'MarkdownNote']);

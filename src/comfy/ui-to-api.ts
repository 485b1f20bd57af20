/**
 * UI-format → API-format conversion, the job the frontend's graphToPrompt does, driven by the server's
 * `/object_info` (which says which inputs are widgets and in what order their values are stored).
 * Muted nodes are dropped; links through bypassed nodes and Reroutes are rewired to their source;
 * PrimitiveNode values are inlined as literals. Subgraphs are not supported (export API format instead).
 */
import { DpHyperLoraError } from '../errors.js';
import { declaredInputs, specOptions, typesMatch, type NodeDef, type ObjectInfo } from './object-info.js';
import type { ApiPrompt } from './workflow-api.js';
import { linkTable, NODE_MODE, VIRTUAL_NODE_TYPES, type UiLink, type UiNode, type UiWorkflow } from './workflow-ui.js';

/** Values of the extra "control after generate" widget the frontend stores after a seed-like widget. */
const CONTROL_VALUES: ReadonlySet<unknown> = new Set(['fixed', 'increment', 'decrement', 'randomize', true, false]);

/** What a link resolves to: a link to a real node output, a literal (from a PrimitiveNode), or nothing. */
type Resolved = { link: [string, number] } | { literal: unknown } | null;

interface Graph {
  nodes: Map<string, UiNode>;
  links: Map<number, UiLink>;
  info: ObjectInfo;
}

function outputType(node: UiNode, slot: number, info: ObjectInfo): string | undefined {
  const t = node.outputs?.[slot]?.type;
  if (typeof t === 'string') return t;
  const declared = info[node.type]?.output[slot];
  return typeof declared === 'string' ? declared : undefined;
}

/** Follows a link back through Reroutes and bypassed nodes to the node output that feeds it. */
function resolveLink(g: Graph, linkId: number, depth = 0): Resolved {
  const link = g.links.get(linkId);
  if (link === undefined || depth > 1000) return null;
  const origin = g.nodes.get(link.originId);
  if (origin === undefined || origin.mode === NODE_MODE.MUTED) return null;
  if (origin.type === 'PrimitiveNode') {
    const wv = origin.widgets_values;
    return { literal: Array.isArray(wv) ? wv[0] : undefined };
  }
  if (origin.type === 'Reroute') {
    const upstream = origin.inputs?.[0]?.link;
    return upstream == null ? null : resolveLink(g, upstream, depth + 1);
  }
  if (origin.mode === NODE_MODE.BYPASS) {
    // The frontend passes a bypassed node's input of the same type straight through (same slot first).
    const wanted = outputType(origin, link.originSlot, g.info);
    const inputs = origin.inputs ?? [];
    const ordered = [inputs[link.originSlot], ...inputs].filter((i) => i !== undefined);
    const match = ordered.find((i) => i.link != null && (wanted === undefined || typeof i.type !== 'string' || typesMatch(i.type, wanted)));
    return match?.link == null ? null : resolveLink(g, match.link, depth + 1);
  }
  return { link: [String(origin.id), link.originSlot] };
}

/** Maps `widgets_values` (an array in widget order, or an object by name) onto input names. */
function widgetValues(node: UiNode, def: NodeDef): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const wv = node.widgets_values;
  if (wv === undefined) return values;
  const widgets = declaredInputs(def).filter((i) => i.isWidget);
  if (!Array.isArray(wv)) {
    for (const w of widgets) if (w.name in wv) values[w.name] = wv[w.name];
    return values;
  }
  let k = 0;
  for (const w of widgets) {
    if (k >= wv.length) break;
    values[w.name] = wv[k++];
    const opts = specOptions(w.spec);
    const seedLike = opts.control_after_generate === true || (w.spec[0] === 'INT' && (w.name === 'seed' || w.name === 'noise_seed'));
    if (seedLike && k < wv.length && CONTROL_VALUES.has(wv[k])) k += 1;
    else if (opts.image_upload === true && wv[k] === 'image') k += 1;
  }
  return values;
}

function convertNode(g: Graph, node: UiNode, def: NodeDef): ApiPrompt[string] {
  const inputs = widgetValues(node, def);
  for (const input of node.inputs ?? []) {
    if (input.link == null) continue;
    const r = resolveLink(g, input.link);
    if (r === null) delete inputs[input.name];
    else inputs[input.name] = 'link' in r ? r.link : r.literal;
  }
  return { class_type: node.type, inputs, _meta: { title: node.title ?? def.display_name ?? def.name } };
}

/** Converts a UI workflow to an API prompt, reporting every node the server does not know at once. */
export function uiToApi(wf: UiWorkflow, info: ObjectInfo): ApiPrompt {
  if ((wf.definitions?.subgraphs?.length ?? 0) > 0) {
    throw new DpHyperLoraError('WORKFLOW_INVALID',
      'the UI workflow uses subgraphs, which batch cannot flatten; in ComfyUI use "Export (API)" and pass that file instead.');
  }
  const g: Graph = { nodes: new Map(wf.nodes.map((n) => [String(n.id), n])), links: linkTable(wf), info };
  const prompt: ApiPrompt = {};
  const missing: string[] = [];
  for (const node of wf.nodes) {
    if (VIRTUAL_NODE_TYPES.has(node.type)) continue;
    if (node.mode === NODE_MODE.MUTED || node.mode === NODE_MODE.BYPASS) continue;
    const def = info[node.type];
    if (def === undefined) {
      missing.push(`node ${node.id} (${node.type})`);
      continue;
    }
    prompt[String(node.id)] = convertNode(g, node, def);
  }
  if (missing.length > 0) {
    throw new DpHyperLoraError('WORKFLOW_INVALID',
      `the UI workflow uses node types the server does not have: ${missing.join(', ')}. Install those custom nodes on the server, or export the workflow in API format.`,
      { details: { missing } });
  }
  return prompt;
}

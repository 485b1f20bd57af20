/**
 * The node manifest: the data half of every node definition, as JSON. scripts/export-node-manifest.ts writes
 * it to nodes/manifest.json (committed, so that ComfyUI registers the nodes even where Node.js is missing);
 * bridge/registry.py builds one V1 node class per entry. A test keeps the committed file equal to this output.
 */
import { DpHyperLoraError } from '../errors.js';
import { VERSION } from '../version.js';
import { NODE_CATEGORY, NODE_ID_PREFIX, type NodeDefinition } from './node-definition.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** The manifest format tag, checked by the bridge. */
export const NODE_MANIFEST_FORMAT = 'dp-hyperlora-nodes';

/** The manifest as written to nodes/manifest.json. */
export interface NodeManifest {
  readonly format: typeof NODE_MANIFEST_FORMAT;
  readonly formatVersion: 1;
  readonly protocol: number;
  readonly version: string;
  readonly nodes: readonly Omit<NodeDefinition, 'execute'>[];
}

/** Checks the rules every node must follow; reports every problem at once. */
export function checkNodeDefinitions(nodes: readonly NodeDefinition[]): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) problems.push(`${n.id}: id used twice`);
    ids.add(n.id);
    if (!n.id.startsWith(NODE_ID_PREFIX)) problems.push(`${n.id}: id must start with ${NODE_ID_PREFIX}`);
    if (n.category !== NODE_CATEGORY) problems.push(`${n.id}: category must be "${NODE_CATEGORY}"`);
    if (n.description.trim() === '') problems.push(`${n.id}: description is empty`);
    const names = new Set<string>();
    const firstOptional = n.inputs.findIndex((i) => i.optional === true);
    if (firstOptional >= 0 && n.inputs.slice(firstOptional).some((i) => i.optional !== true)) {
      problems.push(`${n.id}: optional inputs must come after the required ones (ComfyUI shows them in that order)`);
    }
    for (const i of n.inputs) {
      if (!/^[a-z][a-z0-9_]*$/.test(i.name)) problems.push(`${n.id}.${i.name}: input names are lower-case Python identifiers`);
      if (names.has(i.name)) problems.push(`${n.id}.${i.name}: input name used twice`);
      names.add(i.name);
      if (i.tooltip.trim() === '') problems.push(`${n.id}.${i.name}: tooltip is empty`);
    }
    for (const o of n.outputs) if (o.tooltip.trim() === '') problems.push(`${n.id} output ${o.name}: tooltip is empty`);
    if (n.outputs.length === 0 && n.outputNode !== true) problems.push(`${n.id}: a node without outputs must be an output node`);
  }
  if (problems.length > 0) throw new DpHyperLoraError('INTERNAL', `node definitions are invalid: ${problems.join('; ')}`);
}

/** Builds the manifest from the node definitions (their data only; `execute` stays in TypeScript). */
export function buildNodeManifest(nodes: readonly NodeDefinition[]): NodeManifest {
  checkNodeDefinitions(nodes);
  return {
    format: NODE_MANIFEST_FORMAT,
    formatVersion: 1,
    protocol: PROTOCOL_VERSION,
    version: VERSION,
    nodes: nodes.map((n) => {
      // readsPrivateData tells this worker's host what to withhold; the bridge has no use for it.
      const { execute: _execute, readsPrivateData: _private, ...data } = n;
      return data;
    }),
  };
}

/** The manifest as the exact text committed in nodes/manifest.json. */
export function nodeManifestText(nodes: readonly NodeDefinition[]): string {
  return `${JSON.stringify(buildNodeManifest(nodes), null, 2)}\n`;
}

/**
 * The node manifest: the data half of every node definition, as JSON. A pack writes it into a file committed
 * beside its `__init__.py` (so that ComfyUI registers the nodes even where Node.js is missing), and the Python
 * bridge builds one V1 node class per entry. Keep a test that compares the committed file with this output.
 */
import { NodeSdkError } from './errors.js';
import type { NodeDefinition, PackTypes } from './node-definition.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** The manifest format tag the Python bridge checks. */
export const NODE_MANIFEST_FORMAT = 'comfyui-node-ts-sdk/nodes';

/** Who the manifest's nodes belong to; every node must follow these. */
export interface ManifestOptions {
  /** Prefix of every node id (e.g. `MyPack_`), so that ids never collide with core or other packs. */
  readonly idPrefix: string;
  /** The node menu category of every node (e.g. `My Pack`). */
  readonly category: string;
  /** The pack's version, recorded in the manifest. */
  readonly version: string;
  /** The manifest's format tag (default {@link NODE_MANIFEST_FORMAT}; a pack may keep its own older tag). */
  readonly format?: string;
  /** Keys of a node definition that are for the worker only and stay out of the manifest. */
  readonly workerOnlyKeys?: readonly string[];
}

/** The manifest as written to the pack's manifest file. */
export interface NodeManifest {
  readonly format: string;
  readonly formatVersion: 1;
  readonly protocol: number;
  readonly version: string;
  readonly nodes: readonly Omit<NodeDefinition<PackTypes>, 'execute'>[];
}

/** Checks the rules every node must follow; reports every problem at once (INTERNAL: a bug in the pack). */
export function checkNodeDefinitions(nodes: readonly NodeDefinition<PackTypes>[], o: Pick<ManifestOptions, 'idPrefix' | 'category'>): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const n of nodes) {
    if (ids.has(n.id)) problems.push(`${n.id}: id used twice`);
    ids.add(n.id);
    if (!n.id.startsWith(o.idPrefix)) problems.push(`${n.id}: id must start with ${o.idPrefix}`);
    if (n.category !== o.category) problems.push(`${n.id}: category must be "${o.category}"`);
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
    for (const out of n.outputs) if (out.tooltip.trim() === '') problems.push(`${n.id} output ${out.name}: tooltip is empty`);
    if (n.outputs.length === 0 && n.outputNode !== true) problems.push(`${n.id}: a node without outputs must be an output node`);
  }
  if (problems.length > 0) throw new NodeSdkError('INTERNAL', `node definitions are invalid: ${problems.join('; ')}`);
}

/** Builds the manifest from the node definitions (their data only; `execute` stays in TypeScript). */
export function buildNodeManifest(nodes: readonly NodeDefinition<PackTypes>[], o: ManifestOptions): NodeManifest {
  checkNodeDefinitions(nodes, o);
  const dropped = new Set(['execute', ...(o.workerOnlyKeys ?? [])]);
  return {
    format: o.format ?? NODE_MANIFEST_FORMAT,
    formatVersion: 1,
    protocol: PROTOCOL_VERSION,
    version: o.version,
    nodes: nodes.map((n) => Object.fromEntries(Object.entries(n).filter(([k]) => !dropped.has(k))) as Omit<NodeDefinition<PackTypes>, 'execute'>),
  };
}

/** The manifest as the exact text to commit. */
export function nodeManifestText(nodes: readonly NodeDefinition<PackTypes>[], o: ManifestOptions): string {
  return `${JSON.stringify(buildNodeManifest(nodes, o), null, 2)}\n`;
}

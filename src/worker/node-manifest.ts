/**
 * The node manifest (comfyui-node-ts-sdk's node-manifest.ts): the data half of every node definition, as JSON.
 * scripts/export-node-manifest.ts writes it to nodes/manifest.json (committed, so that ComfyUI registers the nodes
 * even where Node.js is missing); the SDK's Python registry builds one V1 node class per entry. A test keeps the
 * committed file equal to this output. Ours: the id prefix, the category, the format tag, and `readsPrivateData`
 * staying out of it (it tells this worker's host what to withhold; the bridge has no use for it).
 */
import { buildNodeManifest as sdkBuild, checkNodeDefinitions as sdkCheck, type ManifestOptions, type NodeManifest } from 'comfyui-node-ts-sdk';
import { VERSION } from '../version.js';
import { NODE_CATEGORY, NODE_ID_PREFIX, type NodeDefinition } from './node-definition.js';
import { ours } from './sdk-errors.js';

/** The manifest format tag, checked by the bridge. */
export const NODE_MANIFEST_FORMAT = 'dp-hyperlora-nodes';

const OPTIONS: ManifestOptions = { idPrefix: NODE_ID_PREFIX, category: NODE_CATEGORY, version: VERSION, format: NODE_MANIFEST_FORMAT, workerOnlyKeys: ['readsPrivateData'] };

export type { NodeManifest } from 'comfyui-node-ts-sdk';

/** Checks the rules every node must follow; reports every problem at once. */
export function checkNodeDefinitions(nodes: readonly NodeDefinition[]): void {
  ours(() => sdkCheck(nodes, OPTIONS));
}

/** Builds the manifest from the node definitions (their data only; `execute` stays in TypeScript). */
export function buildNodeManifest(nodes: readonly NodeDefinition[]): NodeManifest {
  return ours(() => sdkBuild(nodes, OPTIONS));
}

/** The manifest as the exact text committed in nodes/manifest.json. */
export function nodeManifestText(nodes: readonly NodeDefinition[]): string {
  return `${JSON.stringify(buildNodeManifest(nodes), null, 2)}\n`;
}

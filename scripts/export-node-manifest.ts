/**
 * Writes nodes/manifest.json from the node definitions in nodes/*.ts (run by `npm run build:nodes`).
 * The file is committed so that ComfyUI registers the nodes even where Node.js is missing;
 * test/worker/node-manifest.test.ts fails when it is out of date.
 *   node --import tsx scripts/export-node-manifest.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { ALL_NODES } from '../nodes/index.js';
import { nodeManifestText } from '../src/worker/node-manifest.js';
import { writeOrCheck } from './committed-file.js';

const target = fileURLToPath(new URL('../nodes/manifest.json', import.meta.url));
writeOrCheck(target, nodeManifestText(ALL_NODES),
  'nodes/manifest.json is out of date: run `npm run build:nodes` and commit it.',
  `wrote ${target} (${ALL_NODES.length} nodes)`);

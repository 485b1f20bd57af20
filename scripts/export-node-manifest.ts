/**
 * Writes nodes/manifest.json from the node definitions in nodes/*.ts (run by `npm run build:nodes`).
 * The file is committed so that ComfyUI registers the nodes even where Node.js is missing;
 * test/worker/node-manifest.test.ts fails when it is out of date.
 *   node --import tsx scripts/export-node-manifest.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_NODES } from '../nodes/index.js';
import { nodeManifestText } from '../src/worker/node-manifest.js';

const target = fileURLToPath(new URL('../nodes/manifest.json', import.meta.url));
const text = nodeManifestText(ALL_NODES);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch (e) {
    current = `(unreadable: ${e instanceof Error ? e.message : String(e)})`;
  }
  if (current !== text) {
    process.stderr.write('nodes/manifest.json is out of date: run `npm run build:nodes` and commit it.\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target} (${ALL_NODES.length} nodes)\n`);
}

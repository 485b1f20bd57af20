/**
 * Writes training/sdpack/layouts.json from src/lora's fixed sd15 and sdxl layouts, so that the Python pack trainer
 * targets exactly the modules (kohya key, ComfyUI/ldm weight path, [out, in]) that the product writes and checks,
 * without a second hand-written table. The file is committed (the trainer runs inside ComfyUI, where Node.js may be
 * missing); test/lora/layouts-json.test.ts fails when it is out of date.
 *   node --import tsx scripts/export-lora-layouts.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layoutsJsonText } from '../src/lora/layouts/layouts-json.js';

const target = fileURLToPath(new URL('../training/sdpack/layouts.json', import.meta.url));
const text = layoutsJsonText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch (e) {
    current = `(unreadable: ${e instanceof Error ? e.message : String(e)})`;
  }
  if (current !== text) {
    process.stderr.write('training/sdpack/layouts.json is out of date: run `node --import tsx scripts/export-lora-layouts.ts` and commit it.\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}

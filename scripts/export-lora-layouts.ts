/**
 * Writes training/sdpack/layouts.json from src/lora's fixed sd15 and sdxl layouts, so that the Python pack trainer
 * targets exactly the modules (kohya key, ComfyUI/ldm weight path, [out, in]) that the product writes and checks,
 * without a second hand-written table. The file is committed (the trainer runs inside ComfyUI, where Node.js may be
 * missing); test/lora/layouts-json.test.ts fails when it is out of date.
 *   node --import tsx scripts/export-lora-layouts.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { layoutsJsonText } from '../src/lora/layouts/layouts-json.js';
import { writeOrCheck } from './committed-file.js';

const target = fileURLToPath(new URL('../training/sdpack/layouts.json', import.meta.url));
writeOrCheck(target, layoutsJsonText(),
  'training/sdpack/layouts.json is out of date: run `node --import tsx scripts/export-lora-layouts.ts` and commit it.');

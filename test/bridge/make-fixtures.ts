/**
 * Writes the fixtures of the Python bridge tests (test/bridge/test_*.py run it once per session):
 *   OUT/models/dp_hyperlora/{ref-test,sd15-test,sdxl-test,strict-test}   test packs (test/helpers/test-packs.ts)
 *   OUT/models/dp_private_sets/private-set/secret_holiday_*.png   a small private set (names must never leak)
 *   OUT/input/served-set/secret_served_*.png                a set under input/, which ComfyUI serves (DP Embed warns)
 *   node --import tsx test/bridge/make-fixtures.ts OUT
 */
import { join } from 'node:path';
import { writeTestImages, writeTestPack } from '../helpers/test-packs.js';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: make-fixtures.ts OUT');
const packs = join(out, 'models', 'dp_hyperlora');
await writeTestPack({ target: 'reference', dir: join(packs, 'ref-test'), id: 'ref-test' });
await writeTestPack({ target: 'sd15', dir: join(packs, 'sd15-test'), id: 'sd15-test' });
await writeTestPack({ target: 'sdxl', dir: join(packs, 'sdxl-test'), id: 'sdxl-test' });
// A pack trained only for very little noise: any small set is too few for it, so the stop after the count is certain.
await writeTestPack({ target: 'reference', dir: join(packs, 'strict-test'), id: 'strict-test', trainedNoise: { min: 0.0002, max: 0.002 } });
const names = await writeTestImages(join(out, 'models', 'dp_private_sets', 'private-set'), { count: 6, width: 20, height: 20, prefix: 'secret_holiday_' });
await writeTestImages(join(out, 'input', 'served-set'), { count: 3, width: 20, height: 20, prefix: 'secret_served_' });
process.stdout.write(`${JSON.stringify({ packs: ['ref-test', 'sd15-test', 'sdxl-test', 'strict-test'], images: names })}\n`);

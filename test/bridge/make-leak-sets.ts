/**
 * Writes the two private sets of the leak scanner (test/bridge/test_leak_scanner.py, test/cli/leak-scanner.e2e.test.ts):
 *   OUT/leak-37   37 unique images, 2 byte-identical copies, 1 unreadable file
 *   OUT/leak-211  211 unique images, 5 byte-identical copies, 3 unreadable files
 * The sets share no image with each other or with other fixtures (own seeds), so a ledger charges them alike.
 *   node --import tsx test/bridge/make-leak-sets.ts OUT
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTestImages } from '../helpers/test-packs.js';

/** The sizes the scanner compares; neither number may appear in anything public. */
export const LEAK_SETS = [
  { n: 37, duplicates: 2, unreadable: 1, seed: 1037 },
  { n: 211, duplicates: 5, unreadable: 3, seed: 1211 },
] as const;

/** Writes one set into `dir`. */
export async function writeLeakSet(dir: string, s: (typeof LEAK_SETS)[number]): Promise<void> {
  const names = await writeTestImages(dir, { count: s.n, width: 20, height: 20, seed: s.seed, prefix: 'leak_secret_' });
  for (let i = 0; i < s.duplicates; i++) await copyFile(join(dir, names[i] as string), join(dir, `leak_secret_copy_${i}.png`));
  for (let i = 0; i < s.unreadable; i++) await writeFile(join(dir, `leak_secret_broken_${i}.png`), 'not an image');
}

const out = process.argv[2];
if (out !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  for (const s of LEAK_SETS) await writeLeakSet(join(out, `leak-${s.n}`), s);
}

/**
 * Where the files that ship with the package live: the reference pack (models/reference/) and the example
 * private set (demo-data/private-set/). Found from this module's own location, so they work from the source tree
 * (tsx), from dist/ and from an npm install alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DpHyperLoraError } from '../errors.js';

/** The package root: the nearest folder above this file whose package.json is dp-hyperlora's. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'dp-hyperlora') return dir;
    const up = dirname(dir);
    if (up === dir) throw new DpHyperLoraError('INTERNAL', 'could not find the dp-hyperlora package root above the installed files; reinstall the package.');
    dir = up;
  }
}

/** The bundled reference pack's folder. */
export function bundledReferencePackDir(): string {
  return join(packageRoot(), 'models', 'reference');
}

/** The bundled example private set's folder. */
export function bundledExampleSetDir(): string {
  return join(packageRoot(), 'demo-data', 'private-set');
}

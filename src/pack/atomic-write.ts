/**
 * Writes output files so that nothing is ever half-written: the bytes go to a temporary file in the same folder
 * (same filesystem), are flushed to disk, and the file is renamed into place. An existing file is replaced only
 * with `overwrite`.
 */
import { randomBytes } from 'node:crypto';
import { access, link, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DpHyperLoraError } from '../errors.js';

/** Throws OUTPUT_EXISTS when `path` exists and `overwrite` is false, INVALID_ARGUMENT when its folder is missing. */
export async function checkOutputPath(path: string, overwrite: boolean, flag = '--force'): Promise<void> {
  try {
    if (!(await stat(dirname(path))).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `the output folder ${dirname(path)} does not exist; create it first or choose another path.`, { cause: e });
  }
  if (overwrite) return;
  const exists = await access(path).then(() => true, () => false);
  if (exists) throw new DpHyperLoraError('OUTPUT_EXISTS', `${path} already exists; choose another path or pass ${flag} to replace it.`);
}

/** Writes `bytes` to `path` atomically (temp file, fsync, rename). */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, overwrite: boolean): Promise<void> {
  await checkOutputPath(path, overwrite);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    // Without overwrite, link() refuses an existing target atomically (no check-then-rename race).
    if (overwrite) await rename(tmp, path);
    else await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DpHyperLoraError('OUTPUT_EXISTS', `${path} already exists; choose another path or pass --force to replace it.`, { cause: e });
    }
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

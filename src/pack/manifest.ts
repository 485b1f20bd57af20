/**
 * Loads a model pack: reads manifest.json, validates it (every problem reported at once), refuses unknown
 * format versions, and checks each listed file's size and SHA-256 before any ONNX file is opened. Messages
 * name the pack file and the manifest field; packs are public artefacts, so naming their paths is fine.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { PACK_FORMAT_VERSION, packManifestSchema, type PackManifest } from './manifest-schema.js';
import { checkLayoutMatches } from './layout-check.js';

/** A loaded, verified pack. */
export interface Pack {
  /** Absolute path of the pack folder. */
  readonly dir: string;
  readonly manifest: PackManifest;
  /** Absolute path of a file listed in the manifest. */
  filePath(name: string): string;
}

/** One manifest problem: the field (dotted path) and what is wrong with it. */
export interface ManifestProblem {
  readonly field: string;
  readonly message: string;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Turns zod issues into field/message pairs (exported for tests and for `dp-hyperlora pack check`-like tools). */
export function manifestProblems(error: z.ZodError): ManifestProblem[] {
  return error.issues.map((i) => ({ field: fieldPath(i.path), message: i.message }));
}

async function readManifestJson(dir: string): Promise<unknown> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DpHyperLoraError('PACK_NOT_FOUND',
      `pack ${dir} has no readable manifest.json (${(e as NodeJS.ErrnoException).code ?? 'read error'}); pass --pack with a pack folder (it holds manifest.json and ONNX files).`,
      { cause: e, details: { file: 'manifest.json' } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DpHyperLoraError('PACK_INVALID', `pack ${dir}: manifest.json is not valid JSON (${(e as Error).message}); re-export or re-download the pack.`,
      { cause: e, details: { file: 'manifest.json' } });
  }
}

/** Refuses other formats and unknown versions before schema validation, with a message that says which. */
function checkFormatVersion(dir: string, raw: unknown): void {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (obj.format !== 'dp-hyperlora-pack') {
    throw new DpHyperLoraError('PACK_INVALID',
      `pack ${dir}: manifest.json field "format" is ${JSON.stringify(obj.format) ?? 'missing'}, expected "dp-hyperlora-pack"; this folder is not a dp-hyperlora pack.`,
      { details: { file: 'manifest.json', field: 'format' } });
  }
  if (obj.formatVersion !== PACK_FORMAT_VERSION) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `pack ${dir}: manifest.json field "formatVersion" is ${JSON.stringify(obj.formatVersion) ?? 'missing'}, but this dp-hyperlora reads version ${PACK_FORMAT_VERSION} only; use a matching dp-hyperlora release or re-export the pack.`,
      { details: { file: 'manifest.json', field: 'formatVersion' } });
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Checks one listed file: a regular file inside the pack, with the listed size and SHA-256. */
async function verifyFile(dir: string, name: string, entry: { sha256: string; bytes: number }): Promise<void> {
  const path = join(dir, name);
  const field = `files.${name}`;
  let info;
  try {
    info = await lstat(path);
  } catch (e) {
    throw new DpHyperLoraError('PACK_INVALID', `pack ${dir}: file ${name} (listed in manifest.json field ${field}) is missing; re-download the pack.`,
      { cause: e, details: { file: name, field } });
  }
  // A symlink could point outside the pack; only regular files whose real path stays inside are accepted.
  const real = info.isSymbolicLink() ? await realpath(path) : path;
  if (info.isSymbolicLink() && !real.startsWith(`${await realpath(dir)}${sep}`)) {
    throw new DpHyperLoraError('PATH_TRAVERSAL', `pack ${dir}: file ${name} (${field}) links outside the pack folder; packs must be self-contained.`,
      { details: { file: name, field } });
  }
  const st = await stat(real);
  if (!st.isFile()) {
    throw new DpHyperLoraError('PACK_INVALID', `pack ${dir}: ${name} (${field}) is not a regular file.`, { details: { file: name, field } });
  }
  if (st.size !== entry.bytes) {
    throw new DpHyperLoraError('PACK_HASH_MISMATCH',
      `pack ${dir}: file ${name} has ${st.size} bytes but manifest.json field ${field}.bytes says ${entry.bytes}; the file is damaged or from another pack version. Re-download the pack.`,
      { details: { file: name, field: `${field}.bytes` } });
  }
  const actual = await sha256File(real);
  if (actual !== entry.sha256) {
    throw new DpHyperLoraError('PACK_HASH_MISMATCH',
      `pack ${dir}: file ${name} has SHA-256 ${actual} but manifest.json field ${field}.sha256 says ${entry.sha256}; the file is damaged or was changed. Re-download the pack.`,
      { details: { file: name, field: `${field}.sha256` } });
  }
}

/** Validates a manifest object (no file checks); throws PACK_INVALID listing every problem at once. */
export function parseManifest(dir: string, raw: unknown): PackManifest {
  checkFormatVersion(dir, raw);
  const parsed = packManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = manifestProblems(parsed.error);
    throw new DpHyperLoraError('PACK_INVALID',
      `pack ${dir}: manifest.json has ${problems.length} problem(s): ${problems.map((p) => `field ${p.field}: ${p.message}`).join('; ')}. Fix the manifest or re-export the pack.`,
      { details: { file: 'manifest.json', problems } });
  }
  checkLayoutMatches(dir, parsed.data);
  return parsed.data;
}

/**
 * Loads and verifies the pack in `dir`: manifest schema, format version, layout, and every listed file's size
 * and SHA-256. Throws PACK_NOT_FOUND, PACK_INVALID, PACK_INCOMPATIBLE, PACK_HASH_MISMATCH or PATH_TRAVERSAL.
 */
export async function loadPack(dir: string): Promise<Pack> {
  const abs = resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new DpHyperLoraError('PACK_NOT_FOUND', `no pack folder at ${abs}; pass --pack with a folder holding manifest.json and the ONNX files.`, { cause: e });
  }
  const manifest = parseManifest(abs, await readManifestJson(abs));
  for (const [name, entry] of Object.entries(manifest.files)) await verifyFile(abs, name, entry);
  return {
    dir: abs,
    manifest,
    filePath: (name: string) => {
      if (!(name in manifest.files)) throw new DpHyperLoraError('INTERNAL', `pack file ${name} is not listed in the manifest.`);
      return join(abs, name);
    },
  };
}

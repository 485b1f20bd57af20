/**
 * Building, writing and loading conditioning packs (manifest in ./pack-manifest.ts). Building is pure (bytes out);
 * writing and loading do the I/O. A conditioning pack is a public artefact, so naming its path in messages is fine.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DpHyperLoraError } from '../errors.js';
import { parseSafetensors } from '../lora/safetensors-reader.js';
import { serializeSafetensors } from '../lora/safetensors-writer.js';
import { writeFileAtomic } from '../pack/atomic-write.js';
import { VERSION } from '../version.js';
import { fitPublicBasis, median, projectRows, rowNorms, type PublicBasis } from './basis.js';
import type { ModelFamily } from './family.js';
import {
  CLIP_NORM_RULE, CONDITIONING_PACK_SCHEMA, conditioningManifestSchema, OUTPUT_NORM_RULE, PUBLIC_STATEMENT, type ConditioningManifest,
} from './pack-manifest.js';

/** The basis file name inside a conditioning pack. */
export const BASIS_FILE = 'basis.safetensors';

/** A loaded, verified conditioning pack. */
export interface ConditioningPack {
  readonly dir: string;
  readonly manifest: ConditioningManifest;
  readonly basis: PublicBasis;
}

/** Inputs of {@link buildConditioningPack}: PUBLIC embeddings only. */
export interface BuildConditioningOptions {
  /** Public image_embeds, row-major [m, d]. */
  readonly rows: Float32Array;
  readonly m: number;
  readonly model: ModelFamily;
  readonly k: number;
  /** The pack's name (its folder name). */
  readonly id: string;
  /** Whose public images these are (source, licence), written into the manifest. */
  readonly whose: string;
}

/** The bytes of a built pack, by file name, plus its manifest. */
export interface BuiltConditioningPack {
  readonly manifest: ConditioningManifest;
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** Fits the basis and chooses C and the output norm from the public norms; returns the pack's files. */
export function buildConditioningPack(o: BuildConditioningOptions): BuiltConditioningPack {
  if (o.whose.trim() === '') {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'say whose public images the pack is built from (source and licence), e.g. "my own photos, public" or a data set name; it is written into the manifest.');
  }
  const basis = fitPublicBasis(o.rows, o.m, o.model.dim, o.k);
  const clipNorm = median(rowNorms(projectRows(basis, o.rows, o.m), o.m, o.k));
  const outputNorm = median(rowNorms(o.rows, o.m, o.model.dim));
  if (!(clipNorm > 0) || !(outputNorm > 0)) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', 'the public embeddings are all identical (zero spread); use varied public images to build the basis.');
  }
  const bytes = serializeSafetensors([
    { name: 'mean', dtype: 'F32', shape: [basis.dim], values: Float32Array.from(basis.mean) },
    { name: 'directions', dtype: 'F32', shape: [basis.k, basis.dim], values: Float32Array.from(basis.directions) },
    { name: 'variances', dtype: 'F32', shape: [basis.k], values: Float32Array.from(basis.variances) },
  ], { schema: CONDITIONING_PACK_SCHEMA, data: 'public' });
  const manifest = conditioningManifestSchema.parse({
    schema: CONDITIONING_PACK_SCHEMA, kind: 'conditioning', id: o.id, toolVersion: VERSION,
    builtFrom: { data: 'public', whose: o.whose.trim(), images: o.m, statement: PUBLIC_STATEMENT },
    model: { family: o.model.family, dim: o.model.dim }, field: 'image_embeds',
    basis: { file: BASIS_FILE, sha256: createHash('sha256').update(bytes).digest('hex'), k: o.k, explainedShare: basis.explainedShare },
    dp: { clipNorm, rule: CLIP_NORM_RULE }, output: { norm: outputNorm, rule: OUTPUT_NORM_RULE },
  });
  return { manifest, files: { [BASIS_FILE]: bytes, 'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`) } };
}

/** Writes a built pack into `dir` (created if missing): the basis first, the manifest last. */
export async function writeConditioningPack(dir: string, built: BuiltConditioningPack, overwrite: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, BASIS_FILE), built.files[BASIS_FILE] ?? new Uint8Array(), overwrite);
  await writeFileAtomic(join(dir, 'manifest.json'), built.files['manifest.json'] ?? new Uint8Array(), overwrite);
}

function f32(bytes: Uint8Array): Float64Array {
  const copy = bytes.slice();
  return Float64Array.from(new Float32Array(copy.buffer, 0, copy.byteLength / 4));
}

/** Parses a pack's manifest and basis bytes; throws PACK_INVALID / PACK_HASH_MISMATCH naming the field. */
export function parseConditioningPack(dir: string, manifestRaw: unknown, basisBytes: Uint8Array): ConditioningPack {
  const parsed = conditioningManifestSchema.safeParse(manifestRaw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DpHyperLoraError('PACK_INVALID', `${join(dir, 'manifest.json')} is not a valid conditioning-pack manifest: ${problems}. Rebuild the pack with Build DP Conditioning Pack.`);
  }
  const manifest = parsed.data;
  const sha = createHash('sha256').update(basisBytes).digest('hex');
  if (sha !== manifest.basis.sha256) {
    throw new DpHyperLoraError('PACK_HASH_MISMATCH', `${join(dir, manifest.basis.file)} does not match the SHA-256 in manifest.json (field basis.sha256); the file was changed or damaged. Rebuild the pack.`);
  }
  const file = parseSafetensors(basisBytes);
  const get = (name: string, shape: readonly number[]): Float64Array => {
    const t = file.tensors.find((x) => x.name === name);
    if (t === undefined || t.dtype !== 'F32' || t.shape.join(',') !== shape.join(',')) {
      throw new DpHyperLoraError('PACK_INVALID', `${join(dir, manifest.basis.file)}: tensor ${name} must be F32 of shape [${shape.join(', ')}]; rebuild the pack.`);
    }
    return f32(t.bytes);
  };
  const { dim } = manifest.model;
  const { k, explainedShare } = manifest.basis;
  const basis: PublicBasis = { dim, k, explainedShare, mean: get('mean', [dim]), directions: get('directions', [k, dim]), variances: get('variances', [k]) };
  return { dir, manifest, basis };
}

/** Loads and verifies the conditioning pack in folder `dir`. */
export async function loadConditioningPack(dir: string): Promise<ConditioningPack> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new DpHyperLoraError('PACK_NOT_FOUND', `${join(dir, 'manifest.json')} cannot be read as JSON; choose a folder made by Build DP Conditioning Pack.`, { cause: e });
  }
  const file = typeof raw === 'object' && raw !== null && 'basis' in raw ? conditioningManifestSchema.shape.basis.safeParse(raw.basis) : undefined;
  if (file === undefined || !file.success) return parseConditioningPack(dir, raw, new Uint8Array());
  const bytes = await readFile(join(dir, file.data.file)).catch((e: unknown) => {
    throw new DpHyperLoraError('PACK_INVALID', `${join(dir, file.data.file)} cannot be read; rebuild the pack.`, { cause: e });
  });
  return parseConditioningPack(dir, raw, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * The metadata written into a DP LoRA's safetensors header: the public facts of the release and nothing
 * else. A LoRA file is shared freely (model hubs, ComfyUI's own metadata viewers), so its header is outside
 * the privacy boundary.
 *
 * The schema is closed (`z.strictObject`) and every field is a number, an enum or a tightly patterned
 * identifier, so there is no field that could carry a file name, a path, an exact n under add/remove or
 * any other private value: an object with such a field is rejected, and a pack id or version cannot
 * hold a '/' or a space. The dataset size is deliberately absent even under replace-one, where it is public:
 * the file does not need it.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { LAYOUT_NAMES } from './layouts/layout.js';

/** The schema tag written into every file; bump the suffix when fields change meaning. */
export const LORA_METADATA_SCHEMA = 'dp-hyperlora.lora-metadata/1';

/** Prefix of every metadata key in the safetensors header. */
export const METADATA_KEY_PREFIX = 'dp_hyperlora.';

const SEMVER = /^\d{1,6}\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,32})?$/;
const PACK_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const positive = z.number().finite().positive();

/** The metadata of one DP LoRA. Every field is public by construction. */
export const LoraMetadataSchema = z.strictObject({
  schema: z.literal(LORA_METADATA_SCHEMA),
  /**
   * The released mechanism: a noisy clipped-embedding sum fed once through the hypernetwork, with discrete
   * Gaussian noise on a fixed-point grid accounted in zCDP (src/dp's only release path).
   */
  mechanism: z.enum(['dp-deepsets-discrete-gaussian']),
  /** The neighbouring relation the guarantee is stated for (the unit of privacy is one image). */
  relation: z.enum(['add-remove', 'replace-one']),
  /** How n entered the mean: a noisy count (add-remove) or a declared-public n (replace-one). */
  countTreatment: z.enum(['noisy-count', 'public-n']),
  /** The (ε, δ) guarantee of this release. */
  epsilon: positive,
  delta: z.number().gt(0).lt(1),
  /** Per-image L2 clipping norm C of the embeddings. */
  clipNorm: positive,
  /** Standard deviation of the Gaussian noise on the embedding sum (absolute units). */
  sigmaSum: positive,
  /** zCDP ρ charged for this release (sum and count together), when the mechanism is accounted in zCDP. */
  rho: positive.optional(),
  /** Standard deviation of the noise on the count; present exactly when countTreatment is noisy-count. */
  sigmaCount: positive.optional(),
  /** The release number the user chose (a fresh release is an explicit bump of this). */
  releaseNumber: z.number().int().min(0).max(1_000_000_000),
  packId: z.string().regex(PACK_ID),
  packVersion: z.string().regex(SEMVER),
  layout: z.enum(LAYOUT_NAMES),
  rank: z.number().int().positive().max(4096),
  alpha: positive,
  toolVersion: z.string().regex(SEMVER),
}).superRefine((m, ctx) => {
  const wantCount = m.relation === 'add-remove' ? 'noisy-count' : 'public-n';
  if (m.countTreatment !== wantCount) {
    ctx.addIssue({ code: 'custom', path: ['countTreatment'], message: `must be ${wantCount} under ${m.relation}` });
  }
  if ((m.countTreatment === 'noisy-count') !== (m.sigmaCount !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['sigmaCount'], message: 'is required with a noisy count and forbidden otherwise' });
  }
});

/** Validated LoRA metadata. */
export type LoraMetadata = z.infer<typeof LoraMetadataSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates `value` as LoRA metadata; throws INVALID_ARGUMENT listing every problem. */
export function checkLoraMetadata(value: unknown): LoraMetadata {
  const r = LoraMetadataSchema.safeParse(value);
  if (!r.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `LoRA metadata is invalid: ${describeIssues(r.error)}`);
  return r.data;
}

/** The safetensors `__metadata__` map (string → string, keys prefixed `dp_hyperlora.`) of validated metadata. */
export function metadataToHeader(metadata: LoraMetadata): Record<string, string> {
  const checked = checkLoraMetadata(metadata);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(checked)) {
    if (v !== undefined) out[METADATA_KEY_PREFIX + k] = String(v);
  }
  return out;
}

const NUMERIC_FIELDS = new Set(['epsilon', 'delta', 'rho', 'clipNorm', 'sigmaSum', 'sigmaCount', 'releaseNumber', 'rank', 'alpha']);

/**
 * Reads our metadata back from a safetensors header map. Keys without our prefix (other tools' metadata)
 * are ignored; ours must form a valid record. Throws SAFETENSORS_INVALID naming every problem.
 */
export function metadataFromHeader(header: Readonly<Record<string, string>>): LoraMetadata {
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(header)) {
    if (!k.startsWith(METADATA_KEY_PREFIX)) continue;
    const field = k.slice(METADATA_KEY_PREFIX.length);
    fields[field] = NUMERIC_FIELDS.has(field) && v.trim() !== '' ? Number(v) : v;
  }
  const r = LoraMetadataSchema.safeParse(fields);
  if (!r.success) throw new DpHyperLoraError('SAFETENSORS_INVALID', `the file's dp-hyperlora metadata is invalid: ${describeIssues(r.error)}`);
  return r.data;
}

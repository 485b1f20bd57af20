/**
 * The conditioning pack's manifest (route two, DESIGN.md §4): a public basis for one CLIP-vision model family,
 * defined once in zod. A conditioning pack holds no ONNX file: manifest.json plus basis.safetensors (mean [d],
 * directions [k, d], variances [k], float32). Everything in it is a function of PUBLIC images, and the manifest
 * says so and says whose images they were, because a basis fitted on private images would leak them.
 */
import { z } from 'zod';
import { packFileName } from '../pack/manifest-schema.js';

/** The schema tag of a conditioning-pack manifest. */
export const CONDITIONING_PACK_SCHEMA = 'dp-hyperlora.conditioning-pack/1';

/** The CLIP_VISION_OUTPUT fields a basis can be built on. Only image_embeds today (see docs/conditioning.md). */
export const CONDITIONING_FIELDS = ['image_embeds'] as const;

/** Zod schema of manifest.json. */
export const conditioningManifestSchema = z.object({
  schema: z.literal(CONDITIONING_PACK_SCHEMA),
  kind: z.literal('conditioning'),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a plain name (letters, digits, . _ -)'),
  toolVersion: z.string(),
  /** Where the basis came from: public images only, and whose. */
  builtFrom: z.object({
    data: z.literal('public'),
    whose: z.string().min(1).max(500),
    /** Number of public images (public: they are not the private set). */
    images: z.number().int().min(2),
    statement: z.string(),
  }),
  model: z.object({ family: z.string().min(1), dim: z.number().int().positive() }),
  field: z.enum(CONDITIONING_FIELDS),
  basis: z.object({
    file: packFileName,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    k: z.number().int().positive(),
    explainedShare: z.number().min(0).max(1),
  }),
  /** C in the projected space, chosen from public norms. */
  dp: z.object({ clipNorm: z.number().finite().positive(), rule: z.string() }),
  /** The norm the mapped-back embedding is rescaled to (median public image_embeds norm). */
  output: z.object({ norm: z.number().finite().positive(), rule: z.string() }),
}).refine((m) => m.basis.k <= m.model.dim, { message: 'basis.k must not exceed model.dim', path: ['basis', 'k'] });

/** A conditioning-pack manifest. */
export type ConditioningManifest = z.infer<typeof conditioningManifestSchema>;

/** Rule texts written into manifests (public descriptions of how public constants were chosen). */
export const CLIP_NORM_RULE = 'median of the L2 norms of the public embeddings after projection onto the basis';
export const OUTPUT_NORM_RULE = 'median of the L2 norms of the public image_embeds';
export const PUBLIC_STATEMENT =
  'This basis (mean, directions, clip norm, output norm) was computed from public images only. It must never be built from the private set: '
  + 'the directions would then carry information about those images outside any privacy guarantee.';

/**
 * The pack manifest schema (docs/pack-format.md, formatVersion 1), defined once in zod; the type is inferred
 * from it. Cross-field rules (files referenced by the manifest are hashed, normalisation has one value per
 * channel, layout matches target, module keys are unique) are checked here too, so that one parse reports
 * every problem at once.
 */
import { z } from 'zod';

/** The only manifest format version this runtime reads. */
export const PACK_FORMAT_VERSION = 1;

/**
 * A file name inside a pack: a plain name, no folders, no "..", no hidden files, so that a manifest can never
 * make the runtime read outside the pack's folder.
 */
export const packFileName = z.string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain file name inside the pack folder (letters, digits, . _ -; no folders)')
  .refine((s) => !s.includes('..'), 'must not contain ".."');

const positiveInt = z.number().int().positive();
const tensorName = z.string().min(1).max(512);

const encoderSchema = z.object({
  file: packFileName,
  inputName: tensorName,
  outputName: tensorName,
  height: positiveInt.max(4096),
  width: positiveInt.max(4096),
  channels: z.union([z.literal(1), z.literal(3)]),
  normalise: z.object({
    mean: z.array(z.number().finite()).min(1).max(3),
    std: z.array(z.number().finite().positive()).min(1).max(3),
  }),
  maxBatch: positiveInt.max(4096),
});

const moduleSchema = z.object({
  key: z.string().regex(/^lora_(unet|te\d?)_[A-Za-z0-9_]+$/, 'must be a kohya key prefix such as lora_unet_mid_attn_to_q'),
  in: positiveInt,
  out: positiveInt,
});

const samplerSchema = z.object({
  file: packFileName,
  timesteps: positiveInt,
  schedule: z.object({ kind: z.literal('linear'), betaStart: z.number().positive(), betaEnd: z.number().positive().max(1) }),
  defaultSteps: positiveInt,
  pixelRange: z.tuple([z.number(), z.number()]),
  /**
   * The pack's recommended LoRA guidance weight w (src/diffusion/lora-guidance.ts): ε = ε_base + w·(ε_lora − ε_base).
   * Absent = 1 (the LoRA alone), so packs written before the field stay valid. Post-processing: no privacy cost.
   */
  loraGuidance: z.number({ error: 'must be a number from 0 to 10 (1 = the LoRA alone)' })
    .min(0, 'must be at least 0 (0 = the base model, 1 = the LoRA alone)')
    .max(10, 'must be at most 10 (larger weights only over-saturate the samples)')
    .optional(),
});

const featuresSchema = z.object({
  file: packFileName,
  inputName: tensorName,
  featuresName: tensorName,
  logitsName: tensorName.optional(),
  classes: z.array(z.string()).optional(),
});

const fileEntrySchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
  bytes: z.number().int().nonnegative(),
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/**
 * SD packs: φ = the user's CLIP-vision model (run by ComfyUI's CLIPVisionEncode) followed by encoder.onnx, a head
 * that reads that model's `image_embeds` [N, dim]. A model of another family or dimension is refused.
 */
const clipVisionSchema = z.object({
  family: z.string().min(1).max(128),
  dim: positiveInt.max(65536),
  field: z.literal('image_embeds'),
});

/** The base checkpoint a pack was trained for: SHA-256 of its UNet weights (training/sdpack/comfy_backend.py). */
const baseSchema = z.object({
  unetSha256: sha256Hex,
  name: z.string().max(512).optional(),
  hashOf: z.string().max(1000).optional(),
});

/** How a pack was trained (public: the training data is public by definition). Extra fields are kept. */
const trainingSchema = z.looseObject({
  data: z.string().max(4000),
  steps: positiveInt,
  epsilon: z.object({ min: z.number().finite().positive(), max: z.number().finite().positive() }),
  delta: z.number().finite().positive().max(1),
});

/** The manifest schema without cross-field rules. */
const manifestObject = z.object({
  format: z.literal('dp-hyperlora-pack'),
  formatVersion: z.literal(PACK_FORMAT_VERSION),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must match [a-z0-9][a-z0-9._-]*').max(128),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
  target: z.enum(['reference-fmnist', 'sd15', 'sdxl']),
  description: z.string().max(4000).optional(),
  licenses: z.object({ code: z.string(), weights: z.string(), data: z.string() }),
  encoder: encoderSchema,
  embeddingDim: positiveInt.max(65536),
  dp: z.object({
    clipNorm: z.number().finite().positive(),
    aggregate: z.literal('mean'),
    trainedNoise: z.object({ min: z.number().finite().nonnegative(), max: z.number().finite().positive() }),
  }),
  hypernet: z.object({ file: packFileName, inputName: tensorName }),
  lora: z.object({
    layout: z.enum(['reference', 'sd15', 'sdxl']),
    rank: positiveInt.max(1024),
    alpha: z.number().finite().positive(),
    modules: z.array(moduleSchema).min(1),
  }),
  sampler: samplerSchema.optional(),
  features: featuresSchema.optional(),
  clipVision: clipVisionSchema.optional(),
  base: baseSchema.optional(),
  training: trainingSchema.optional(),
  files: z.record(packFileName, fileEntrySchema),
});

/** Layout each target must use. */
const LAYOUT_OF_TARGET = { 'reference-fmnist': 'reference', sd15: 'sd15', sdxl: 'sdxl' } as const;

/** The full manifest schema, with cross-field rules. */
export const packManifestSchema = manifestObject.superRefine((m, ctx) => {
  const { channels, normalise } = m.encoder;
  if (normalise.mean.length !== channels) {
    ctx.addIssue({ code: 'custom', path: ['encoder', 'normalise', 'mean'], message: `must have ${channels} value(s), one per channel` });
  }
  if (normalise.std.length !== channels) {
    ctx.addIssue({ code: 'custom', path: ['encoder', 'normalise', 'std'], message: `must have ${channels} value(s), one per channel` });
  }
  if (m.dp.trainedNoise.min >= m.dp.trainedNoise.max) {
    ctx.addIssue({ code: 'custom', path: ['dp', 'trainedNoise'], message: 'min must be below max' });
  }
  if (LAYOUT_OF_TARGET[m.target] !== m.lora.layout) {
    ctx.addIssue({ code: 'custom', path: ['lora', 'layout'], message: `target ${m.target} needs layout "${LAYOUT_OF_TARGET[m.target]}"` });
  }
  if (m.clipVision !== undefined && m.target === 'reference-fmnist') {
    ctx.addIssue({ code: 'custom', path: ['clipVision'], message: 'only sd15 and sdxl packs read CLIP-vision embeddings' });
  }
  if (m.training !== undefined && m.training.epsilon.min > m.training.epsilon.max) {
    ctx.addIssue({ code: 'custom', path: ['training', 'epsilon'], message: 'min must not exceed max' });
  }
  const seen = new Set<string>();
  m.lora.modules.forEach((mod, i) => {
    if (seen.has(mod.key)) ctx.addIssue({ code: 'custom', path: ['lora', 'modules', i, 'key'], message: `duplicate key ${mod.key}` });
    seen.add(mod.key);
  });
  const referenced: [string, string | undefined][] = [
    ['encoder.file', m.encoder.file], ['hypernet.file', m.hypernet.file],
    ['sampler.file', m.sampler?.file], ['features.file', m.features?.file],
  ];
  for (const [field, file] of referenced) {
    if (file !== undefined && !(file in m.files)) {
      ctx.addIssue({ code: 'custom', path: field.split('.'), message: `names ${file}, which is missing from "files" (every file needs a sha256 and size)` });
    }
  }
});

/** A validated pack manifest. */
export type PackManifest = z.infer<typeof packManifestSchema>;

/** One LoRA module of a pack (kohya key prefix, in and out features). */
export type PackModule = PackManifest['lora']['modules'][number];

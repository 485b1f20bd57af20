/**
 * The JSON payloads of our public socket types, defined once (zod) and shared by the nodes that produce and
 * consume them. Both are public: DP_PACK describes a model pack; DP_DATASET_EMBEDDING is the output of the
 * one DP release (the noisy mean embedding and its public parameters).
 */
import { z } from 'zod';
import { conditioningReleaseSchema } from '../conditioning/release-metadata.js';
import { LoraMetadataSchema } from '../lora/metadata.js';

/** DP_PACK: which pack, where (on the bridge's machine), and its public facts. */
export const packValueSchema = z.object({
  name: z.string(),
  path: z.string().nullable(),
  id: z.string(),
  version: z.string(),
  target: z.string(),
  layout: z.string(),
  hasSampler: z.boolean(),
  /**
   * SD packs: the identity of the base UNet the pack was trained for (manifest `base`; public), which the bridge
   * compares with the connected MODEL's (bridge/base_check.py). Absent for packs without it (the reference pack).
   */
  base: z.object({ unetSha256: z.string(), hashOf: z.string().nullable() }).optional(),
});
/** A DP_PACK value. */
export type PackValue = z.infer<typeof packValueSchema>;

/**
 * DP_DATASET_EMBEDDING: the released DP mean embedding with its public metadata: the metadata its LoRA will carry
 * (pack-encoder route), or the conditioning route's (coordinates in a conditioning pack's public basis).
 */
export const datasetEmbeddingSchema = z.object({
  embedding: z.array(z.number().finite()).min(1),
  metadata: z.union([LoraMetadataSchema, conditioningReleaseSchema]),
});
/** A DP_DATASET_EMBEDDING value. */
export type DatasetEmbeddingValue = z.infer<typeof datasetEmbeddingSchema>;

/** The {name, path} value the bridge sends for a CHOICE input (the SDK's). */
export { choiceValueSchema } from 'comfyui-node-ts-sdk';

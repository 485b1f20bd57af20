/**
 * Tells which base model a ComfyUI MODEL is from its state-dict keys, so that an sd15 pack's LoRA is never
 * applied to an SDXL model or the reverse (ComfyUI would skip every key and report "lora key not loaded").
 *
 * The test is exact: the set of attention-projection weights found in the keys (ldm names, e.g.
 * `diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight`) must equal the table's set.
 * SD1.5 and SDXL differ in which blocks exist (SDXL has no attention at input_blocks.1, and 2–10 blocks per
 * stage), so key names suffice to tell them apart. SD2.x has SD1.5's key names but a 1024-wide context;
 * when shapes are given, attn2.to_k's input width is checked too, which separates them.
 */
import { SD15_CONTEXT_DIM, SD15_STAGES } from './layouts/sd15.js';
import { SDXL_CONTEXT_DIM, SDXL_STAGES } from './layouts/sdxl.js';
import { type AttentionProjection, type AttentionStage, attentionProjections } from './layouts/unet-blocks.js';

/** The verdict: a known base, or unknown with the reason. */
export interface BaseDetection {
  readonly base: 'sd15' | 'sdxl' | 'unknown';
  /** One sentence, for messages: why this verdict (counts and key names only; no private data exists here). */
  readonly reason: string;
}

const PROJECTION_WEIGHT = /(?:^|\.)transformer_blocks\.\d+\.attn[12]\.to_(?:q|k|v|out\.0)\.weight$/;

interface Candidate {
  readonly base: 'sd15' | 'sdxl';
  readonly projections: readonly AttentionProjection[];
}

function candidate(base: 'sd15' | 'sdxl', table: readonly AttentionStage[], contextDim: number): Candidate {
  return { base, projections: attentionProjections(table, contextDim) };
}

const CANDIDATES: readonly Candidate[] = [
  candidate('sd15', SD15_STAGES, SD15_CONTEXT_DIM),
  candidate('sdxl', SDXL_STAGES, SDXL_CONTEXT_DIM),
];

/** Strips ComfyUI's `diffusion_model.` prefix (present in MODEL state dicts, absent in the UNet's own). */
function unetPath(key: string): string {
  return key.startsWith('diffusion_model.') ? key.slice('diffusion_model.'.length) : key;
}

/**
 * Decides sd15 / sdxl / unknown from a UNet's state-dict keys (`diffusion_model.`-prefixed or not).
 * `shapes`, when given, maps the same keys to their torch shapes and is used to check context widths.
 */
export function detectBaseModel(keys: Iterable<string>, shapes?: ReadonlyMap<string, readonly number[]>): BaseDetection {
  const found = new Map<string, string>(); // unet path → original key
  for (const k of keys) if (PROJECTION_WEIGHT.test(k)) found.set(unetPath(k), k);
  if (found.size === 0) return { base: 'unknown', reason: 'the model has no transformer attention projections (not an SD-family UNet)' };
  for (const c of CANDIDATES) {
    if (c.projections.length !== found.size) continue;
    if (!c.projections.every((p) => found.has(`${p.ldmPath}.weight`))) continue;
    const wrong = shapes === undefined ? undefined : c.projections.find((p) => {
      const shape = shapes.get(found.get(`${p.ldmPath}.weight`) ?? '');
      return shape !== undefined && (shape[0] !== p.out || shape[1] !== p.in);
    });
    if (wrong !== undefined) {
      const shape = shapes?.get(found.get(`${wrong.ldmPath}.weight`) ?? '') ?? [];
      return { base: 'unknown', reason: `the key names match ${c.base} but ${wrong.ldmPath}.weight is [${shape.join(', ')}], not [${wrong.out}, ${wrong.in}]` };
    }
    return { base: c.base, reason: `all ${c.projections.length} attention projections of ${c.base} are present and none other` };
  }
  return { base: 'unknown', reason: `the model has ${found.size} attention projections, matching neither sd15 (128) nor sdxl (560) exactly` };
}

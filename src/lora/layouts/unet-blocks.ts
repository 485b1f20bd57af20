/**
 * Generates the attention-projection LoRA modules of an SD-family UNet from a table of its
 * SpatialTransformer blocks (comfyui.md §3.4–3.5), instead of listing hundreds of keys by hand.
 *
 * Every BasicTransformerBlock has two attentions: attn1 (self-attention, all projections [C, C]) and attn2
 * (cross-attention: to_q and to_out.0 are [C, C]; to_k and to_v read the text context, [C, contextDim]).
 * Keys use the kohya spelling of the diffusers path (`lora_unet_` + path with '.' → '_'), the form ComfyUI's
 * `model_lora_keys_unet` maps for both SD1.5 and SDXL.
 */
import type { LoraModule } from './layout.js';

/** One SpatialTransformer: where it sits in both naming schemes, its width and its number of blocks. */
export interface AttentionStage {
  /** diffusers path, e.g. `down_blocks.0.attentions.0`. */
  readonly diffusers: string;
  /** ldm path inside `diffusion_model.`, e.g. `input_blocks.1.1`. */
  readonly ldm: string;
  /** Channels C (= attention inner dimension). */
  readonly channels: number;
  /** Number of BasicTransformerBlocks (transformer_depth). */
  readonly depth: number;
}

/** The four projections of each attention, in diffusers spelling. */
export const ATTENTION_PROJECTIONS = ['to_q', 'to_k', 'to_v', 'to_out.0'] as const;
/** The two attentions of each BasicTransformerBlock. */
export const ATTENTIONS = ['attn1', 'attn2'] as const;

/** One projection of one block, with both spellings; the basis of layouts and of base-model detection. */
export interface AttentionProjection {
  /** Diffusers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  readonly diffusersPath: string;
  /** ldm module path, e.g. `input_blocks.1.1.transformer_blocks.0.attn1.to_q`. */
  readonly ldmPath: string;
  readonly in: number;
  readonly out: number;
}

/** Expands `a.{0,1}`-style stage rows: one stage per index pair. */
export function stages(
  diffusersPrefix: string, diffusersIdx: readonly number[], ldmPrefix: string, ldmIdx: readonly number[],
  channels: number, depth: number,
): AttentionStage[] {
  return diffusersIdx.map((d, i) => ({
    diffusers: `${diffusersPrefix}.${d}`,
    ldm: `${ldmPrefix}.${ldmIdx[i] ?? -1}.1`,
    channels,
    depth,
  }));
}

/** Every attention projection of every block of `table`, in table order. */
export function attentionProjections(table: readonly AttentionStage[], contextDim: number): AttentionProjection[] {
  const out: AttentionProjection[] = [];
  for (const stage of table) {
    for (let b = 0; b < stage.depth; b++) {
      for (const attn of ATTENTIONS) {
        for (const proj of ATTENTION_PROJECTIONS) {
          const inner = `transformer_blocks.${b}.${attn}.${proj}`;
          const readsContext = attn === 'attn2' && (proj === 'to_k' || proj === 'to_v');
          out.push({
            diffusersPath: `${stage.diffusers}.${inner}`,
            ldmPath: `${stage.ldm}.${inner}`,
            in: readsContext ? contextDim : stage.channels,
            out: stage.channels,
          });
        }
      }
    }
  }
  return out;
}

/** The kohya key of a diffusers module path: `lora_unet_` + path with '.' → '_'. */
export function kohyaKey(diffusersPath: string): string {
  return `lora_unet_${diffusersPath.replaceAll('.', '_')}`;
}

/** The LoRA modules (kohya keys, [out, in]) of a table. */
export function modulesOf(table: readonly AttentionStage[], contextDim: number): LoraModule[] {
  return attentionProjections(table, contextDim).map((p) => ({ key: kohyaKey(p.diffusersPath), in: p.in, out: p.out }));
}

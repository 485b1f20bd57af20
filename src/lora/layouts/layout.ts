/**
 * What a LoRA layout is: the list of LoRA-adapted linear layers of a base model, each named by its kohya key
 * prefix with its weight's torch shape [out, in]. A LoRA of rank r for module K consists of
 * `K.lora_down.weight` [r, in], `K.lora_up.weight` [out, r] and the 0-dim `K.alpha`.
 */

/** The layouts this project knows. `reference` is read from a pack manifest; the others are fixed tables. */
export const LAYOUT_NAMES = ['reference', 'sd15', 'sdxl'] as const;
/** A layout name, as written in a pack manifest's `lora.layout`. */
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** One LoRA-adapted linear layer. */
export interface LoraModule {
  /** kohya key prefix, e.g. `lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`. */
  readonly key: string;
  /** Input features of the adapted weight (its second torch dimension). */
  readonly in: number;
  /** Output features of the adapted weight (its first torch dimension). */
  readonly out: number;
}

/** A named, ordered list of LoRA modules. */
export interface LoraLayout {
  readonly name: LayoutName;
  readonly modules: readonly LoraModule[];
}

/** The tensor names of module `key`'s down factor [r, in]. */
export function downKey(key: string): string {
  return `${key}.lora_down.weight`;
}

/** The tensor name of module `key`'s up factor [out, r]. */
export function upKey(key: string): string {
  return `${key}.lora_up.weight`;
}

/** The tensor name of module `key`'s 0-dim alpha (ComfyUI scales the update by alpha / rank). */
export function alphaKey(key: string): string {
  return `${key}.alpha`;
}

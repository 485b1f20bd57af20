/**
 * The sd15 and sdxl layouts as JSON for the Python pack trainer (training/sdpack/layouts.json): per module its
 * kohya key, the weight's path in ComfyUI's UNet (`diffusion_model.` + ldm path + `.weight`) and its torch shape
 * [out, in]. One source of truth: the tables of sd15.ts and sdxl.ts.
 */
import type { AttentionStage } from './unet-blocks.js';
import { attentionProjections, kohyaKey } from './unet-blocks.js';
import { SD15_CONTEXT_DIM, SD15_STAGES } from './sd15.js';
import { SDXL_CONTEXT_DIM, SDXL_STAGES } from './sdxl.js';

/** One module as the trainer reads it. */
export interface LayoutJsonModule {
  readonly key: string;
  /** The weight's parameter name inside ComfyUI's `model.diffusion_model` (ldm spelling). */
  readonly weight: string;
  readonly in: number;
  readonly out: number;
}

function modules(table: readonly AttentionStage[], contextDim: number): LayoutJsonModule[] {
  return attentionProjections(table, contextDim).map((p) => ({ key: kohyaKey(p.diffusersPath), weight: `${p.ldmPath}.weight`, in: p.in, out: p.out }));
}

/** The file's text: one module per line, so that diffs stay readable. */
export function layoutsJsonText(): string {
  const layouts = { sd15: modules(SD15_STAGES, SD15_CONTEXT_DIM), sdxl: modules(SDXL_STAGES, SDXL_CONTEXT_DIM) };
  const lines = Object.entries(layouts).map(([name, mods]) =>
    `  ${JSON.stringify(name)}: [\n${mods.map((m) => `    ${JSON.stringify(m)}`).join(',\n')}\n  ]`);
  return `{\n  "_generated": "by scripts/export-lora-layouts.ts from src/lora/layouts; do not edit",\n${lines.join(',\n')}\n}\n`;
}

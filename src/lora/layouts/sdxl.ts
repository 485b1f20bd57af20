/**
 * Stable Diffusion XL UNet attention layout, from comfyui.md §3.5: model_channels 320, channel_mult [1,2,4],
 * context 2048, transformer_depth [0,0,2,2,10,10], middle 10, output [0,0,0,2,2,2,10,10,10]. That is
 * 2·2 + 2·10 + 10 + 3·10 + 3·2 = 70 BasicTransformerBlocks × 8 projections = 560 modules.
 */
import type { LoraLayout } from './layout.js';
import { type AttentionStage, modulesOf, stages } from './unet-blocks.js';

/** Width of the concatenated CLIP-L + CLIP-G context that attn2.to_k / to_v read. */
export const SDXL_CONTEXT_DIM = 2048;

/** The SDXL SpatialTransformer table. */
export const SDXL_STAGES: readonly AttentionStage[] = [
  ...stages('down_blocks.1.attentions', [0, 1], 'input_blocks', [4, 5], 640, 2),
  ...stages('down_blocks.2.attentions', [0, 1], 'input_blocks', [7, 8], 1280, 10),
  { diffusers: 'mid_block.attentions.0', ldm: 'middle_block.1', channels: 1280, depth: 10 },
  ...stages('up_blocks.0.attentions', [0, 1, 2], 'output_blocks', [0, 1, 2], 1280, 10),
  ...stages('up_blocks.1.attentions', [0, 1, 2], 'output_blocks', [3, 4, 5], 640, 2),
];

/** The SDXL LoRA layout (560 modules). */
export const SDXL_LAYOUT: LoraLayout = { name: 'sdxl', modules: modulesOf(SDXL_STAGES, SDXL_CONTEXT_DIM) };

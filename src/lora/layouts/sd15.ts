/**
 * Stable Diffusion 1.5 UNet attention layout: 16 SpatialTransformers of depth 1 (model_channels 320,
 * channel_mult [1,2,4,4], context 768), from comfyui.md §3.4 (ComfyUI's unet_to_diffusers on the SD15
 * config). down_blocks.3 and up_blocks.0 have no attention. 16 blocks × 2 attentions × 4 projections
 * = 128 modules.
 */
import type { LoraLayout } from './layout.js';
import { type AttentionStage, modulesOf, stages } from './unet-blocks.js';

/** Width of the CLIP text context that attn2.to_k / to_v read. */
export const SD15_CONTEXT_DIM = 768;

/** The SD1.5 SpatialTransformer table. */
export const SD15_STAGES: readonly AttentionStage[] = [
  ...stages('down_blocks.0.attentions', [0, 1], 'input_blocks', [1, 2], 320, 1),
  ...stages('down_blocks.1.attentions', [0, 1], 'input_blocks', [4, 5], 640, 1),
  ...stages('down_blocks.2.attentions', [0, 1], 'input_blocks', [7, 8], 1280, 1),
  { diffusers: 'mid_block.attentions.0', ldm: 'middle_block.1', channels: 1280, depth: 1 },
  ...stages('up_blocks.1.attentions', [0, 1, 2], 'output_blocks', [3, 4, 5], 1280, 1),
  ...stages('up_blocks.2.attentions', [0, 1, 2], 'output_blocks', [6, 7, 8], 640, 1),
  ...stages('up_blocks.3.attentions', [0, 1, 2], 'output_blocks', [9, 10, 11], 320, 1),
];

/** The SD1.5 LoRA layout (128 modules). */
export const SD15_LAYOUT: LoraLayout = { name: 'sd15', modules: modulesOf(SD15_STAGES, SD15_CONTEXT_DIM) };

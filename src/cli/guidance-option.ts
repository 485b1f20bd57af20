/**
 * The `--guidance W` option of `demo` and `eval`: the LoRA guidance weight of the LoRA samples
 * (src/diffusion/lora-guidance.ts), validated at the edge so that a bad value fails before any budget is spent.
 * A public sampling parameter: post-processing of the released LoRA, no privacy meaning or cost.
 */
import { z } from 'zod';
import { MAX_LORA_GUIDANCE } from '../diffusion/index.js';

/** Help text of --guidance. */
export const GUIDANCE_HELP = 'LoRA guidance weight w for the LoRA side: eps_base + w·(eps_lora − eps_base), 0–10; 1 = the LoRA alone, '
  + 'above 1 steers harder (twice the model calls; free: post-processing). Default: the pack\'s sampler.loraGuidance, else 1';

/** zod schema of --guidance: a decimal number such as 2 or 1.5, from 0 to 10. */
export const guidanceOption = z.string()
  .regex(/^\d+(\.\d+)?$/, '--guidance must be a number such as 1, 1.5 or 2 (the LoRA guidance weight)')
  .transform(Number)
  .pipe(z.number().max(MAX_LORA_GUIDANCE, `--guidance must be at most ${MAX_LORA_GUIDANCE} (1 = the LoRA alone; larger weights only over-saturate)`));

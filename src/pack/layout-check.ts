/**
 * Checks a manifest's LoRA section against src/lora's layouts: sd15 and sdxl packs must list exactly the fixed
 * module table (keys and shapes), because ComfyUI applies the file to a real base model whose shapes are fixed.
 */
import { DpHyperLoraError } from '../errors.js';
import { FIXED_LAYOUTS, layoutDifferences, resolveLayout, type LoraLayout } from '../lora/index.js';
import type { PackManifest } from './manifest-schema.js';

/** Throws PACK_INCOMPATIBLE (naming manifest.json and the field lora.modules) when sd15/sdxl modules differ. */
export function checkLayoutMatches(dir: string, manifest: PackManifest): void {
  const { layout, modules } = manifest.lora;
  if (layout === 'reference') return;
  const problems = layoutDifferences(modules, FIXED_LAYOUTS[layout]);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
  throw new DpHyperLoraError('PACK_INCOMPATIBLE',
    `pack ${dir}: manifest.json field lora.modules does not match the ${layout} layout (${problems.length} difference(s)): ${shown}. Use a pack exported for this base model.`,
    { details: { file: 'manifest.json', field: 'lora.modules', differences: problems.length } });
}

/** The LoRA layout of a (validated) manifest. */
export function packLayout(manifest: PackManifest): LoraLayout {
  return resolveLayout(manifest.lora);
}
